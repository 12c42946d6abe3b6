//! An org's own policy rules: written by admins, audited, read by every
//! check (`RuleSet::with_org_rules`).

use super::{RuleSet, RuleTest, Severity};
use crate::{
    DomainError, OrgScope, TenantTxn,
    error::on_unique_violation,
    identity::audit::{self, Actor, Entry},
};
use entities::policy_rules;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

/// The most rules an org may keep.
const RULES_LIMIT: u64 = 200;

/// A rule to write, or the fields of a change.
#[derive(Debug, Clone, Default)]
pub struct RuleChange {
    pub name: Option<String>,
    pub test: Option<RuleTest>,
    pub severity: Option<Severity>,
    pub enabled: Option<bool>,
}

/// Who changes the rules, for the audit trail.
#[derive(Debug, Clone)]
pub struct Acting {
    pub user_id: Uuid,
    pub request_id: Option<String>,
}

fn valid_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::invalid("name", "a name of 1 to 100 characters"));
    }
    Ok(name.to_owned())
}

/// The rule set in force inside a transaction of the org.
pub(crate) async fn rule_set_in(tx: &TenantTxn) -> Result<RuleSet, DomainError> {
    let rows = tx.find::<policy_rules::Entity>().order_by_asc(policy_rules::Column::CreatedAt).all(&**tx).await?;
    Ok(RuleSet::with_org_rules(&rows))
}

pub async fn rule_set(db: &DatabaseConnection, scope: &OrgScope) -> Result<RuleSet, DomainError> {
    rule_set_in(&scope.begin(db).await?).await
}

pub async fn list(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<policy_rules::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<policy_rules::Entity>()
        .order_by_asc(policy_rules::Column::CreatedAt)
        .limit(RULES_LIMIT)
        .all(&*tx)
        .await?)
}

fn audit_entry(acting: &Acting, action: &'static str, rule: &policy_rules::Model) -> Entry<'static> {
    Entry {
        actor: Actor::User(acting.user_id),
        action,
        target_kind: "policy_rule",
        target_id: Some(rule.id.to_string()),
        request_id: acting.request_id.clone(),
        details: json!({"name": rule.name, "test": rule.test, "severity": rule.severity, "enabled": rule.enabled}),
    }
}

pub async fn create(
    db: &DatabaseConnection,
    scope: &OrgScope,
    acting: &Acting,
    name: &str,
    test: RuleTest,
    severity: Severity,
) -> Result<policy_rules::Model, DomainError> {
    let name = valid_name(name)?;
    test.validate()?;
    let tx = scope.begin(db).await?;
    let count = tx.find::<policy_rules::Entity>().count(&*tx).await?;
    if count >= RULES_LIMIT {
        return Err(DomainError::Conflict(format!("an organisation keeps at most {RULES_LIMIT} policy rules")));
    }
    let now = chrono::Utc::now().fixed_offset();
    let rule = policy_rules::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(scope.org_id()),
        name: Set(name.clone()),
        test: Set(serde_json::to_value(&test).expect("a rule test serializes")),
        severity: Set(severity),
        enabled: Set(true),
        created_by: Set(Some(acting.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await
    .map_err(|e| on_unique_violation(e, || format!("a policy rule named {name:?} exists")))?;
    audit::record(&tx, audit_entry(acting, "policy.rule_created", &rule)).await?;
    tx.commit().await?;
    Ok(rule)
}

pub async fn update(
    db: &DatabaseConnection,
    scope: &OrgScope,
    acting: &Acting,
    id: Uuid,
    change: RuleChange,
) -> Result<policy_rules::Model, DomainError> {
    let name = change.name.as_deref().map(valid_name).transpose()?;
    if let Some(test) = &change.test {
        test.validate()?;
    }
    let tx = scope.begin(db).await?;
    let current =
        tx.find_by_id::<policy_rules::Entity>(id).one(&*tx).await?.ok_or(DomainError::NotFound("policy rule"))?;
    let mut rule: policy_rules::ActiveModel = current.into();
    if let Some(name) = &name {
        rule.name = Set(name.clone());
    }
    if let Some(test) = &change.test {
        rule.test = Set(serde_json::to_value(test).expect("a rule test serializes"));
    }
    if let Some(severity) = change.severity {
        rule.severity = Set(severity);
    }
    if let Some(enabled) = change.enabled {
        rule.enabled = Set(enabled);
    }
    rule.updated_at = Set(chrono::Utc::now().fixed_offset());
    let rule = rule
        .update(&*tx)
        .await
        .map_err(|e| on_unique_violation(e, || format!("a policy rule named {:?} exists", name.unwrap_or_default())))?;
    audit::record(&tx, audit_entry(acting, "policy.rule_changed", &rule)).await?;
    tx.commit().await?;
    Ok(rule)
}

pub async fn remove(db: &DatabaseConnection, scope: &OrgScope, acting: &Acting, id: Uuid) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let rule =
        tx.find_by_id::<policy_rules::Entity>(id).one(&*tx).await?.ok_or(DomainError::NotFound("policy rule"))?;
    policy_rules::Entity::delete_by_id(rule.id).exec(&*tx).await?;
    audit::record(&tx, audit_entry(acting, "policy.rule_removed", &rule)).await?;
    tx.commit().await?;
    Ok(())
}
