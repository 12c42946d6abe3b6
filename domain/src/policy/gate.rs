//! The policy gates of a slot's pipeline, before the render and before the
//! post: the rules run on the slot's current text; a blocking finding stops
//! the pipeline with the rule and reason on the slot (`policy_block`) until
//! an admin overrides it with a reason (`policy_override`, for the version
//! they read: an edit needs a new override). Both are audited.

use super::{Finding, RuleSet, rules::rule_set_in, slot_text};
use crate::{
    DomainError, OrgScope,
    identity::audit::{self, Actor, Entry},
    planning::generation::ReviewNote,
};
use chrono::{DateTime, FixedOffset};
use entities::{projects, slots};
use sea_orm::{ActiveModelTrait, DatabaseConnection, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

/// Where in the pipeline the rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    BeforeRender,
    BeforePublish,
}

impl Moment {
    fn describe(self) -> &'static str {
        match self {
            Moment::BeforeRender => "before the render",
            Moment::BeforePublish => "before the post",
        }
    }
}

/// Why a slot's pipeline stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Block {
    pub moment: Moment,
    /// The blocking findings.
    pub findings: Vec<Finding>,
    /// The slot's version the rules read.
    pub version: i32,
    pub at: DateTime<FixedOffset>,
}

impl Block {
    /// One line for people: the rules and their reasons.
    pub fn summary(&self) -> String {
        let why = self.findings.iter().map(|f| format!("{}: {}", f.rule, f.reason)).collect::<Vec<_>>().join("; ");
        format!("stopped by policy {}: {why}", self.moment.describe())
    }
}

/// An admin let one version of the slot through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Override {
    pub by: Uuid,
    pub reason: String,
    pub version: i32,
    pub at: DateTime<FixedOffset>,
    /// What it overrode.
    pub findings: Vec<Finding>,
}

pub fn block_of(slot: &slots::Model) -> Option<Block> {
    slot.policy_block.clone().and_then(|b| serde_json::from_value(b).ok())
}

pub fn override_of(slot: &slots::Model) -> Option<Override> {
    slot.policy_override.clone().and_then(|o| serde_json::from_value(o).ok())
}

/// What a check needs: the slot's text at one version, its project (for
/// the classifier's call) and the org's rules.
pub struct SlotReview {
    pub slot_id: Uuid,
    pub version: i32,
    pub text: String,
    pub project: projects::Model,
    pub rules: RuleSet,
}

pub async fn prepare(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<SlotReview, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = tx.find_by_id::<slots::Entity>(slot_id).one(&*tx).await?.ok_or(DomainError::NotFound("slot"))?;
    let project = crate::planning::projects::get_in(&tx, slot.project_id).await?;
    let rules = rule_set_in(&tx).await?;
    Ok(SlotReview { slot_id, version: slot.version, text: text_of(&slot), project, rules })
}

fn text_of(slot: &slots::Model) -> String {
    let hashtags: Vec<String> = serde_json::from_value(slot.hashtags.clone()).unwrap_or_default();
    slot_text(&slot.hook, &slot.script, &slot.caption, &hashtags)
}

/// How a check ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Nothing blocks (warnings became notes on the slot).
    Clear,
    /// The pipeline stops here.
    Blocked(Block),
    /// The slot changed while the model judged it: check again.
    Changed,
}

/// Records a check of `review` whose findings (the rules that need no model,
/// and `classified`, what the model found) are final, unless the slot
/// changed meanwhile. A standing override of this version lets blocking
/// findings through.
pub async fn decide(
    db: &DatabaseConnection,
    scope: &OrgScope,
    review: &SlotReview,
    moment: Moment,
    classified: Vec<Finding>,
) -> Result<Verdict, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = tx
        .find_by_id::<slots::Entity>(review.slot_id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("slot"))?;
    if slot.version != review.version {
        return Ok(Verdict::Changed);
    }
    let mut findings = review.rules.findings(&review.text);
    findings.extend(classified);
    let overridden = override_of(&slot).is_some_and(|o| o.version == slot.version);
    let (blocking, warnings): (Vec<Finding>, Vec<Finding>) = findings.into_iter().partition(Finding::blocks);
    let mut notes: Vec<ReviewNote> = serde_json::from_value(slot.review_notes.clone()).unwrap_or_default();
    for note in warnings.iter().chain(if overridden { &blocking[..] } else { &[] }).map(Finding::note) {
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    let verdict = if blocking.is_empty() || overridden {
        Verdict::Clear
    } else {
        let block = Block { moment, findings: blocking, version: slot.version, at: chrono::Utc::now().fixed_offset() };
        audit::record(
            &tx,
            Entry {
                actor: Actor::System,
                action: "slot.policy_blocked",
                target_kind: "slot",
                target_id: Some(slot.id.to_string()),
                request_id: None,
                details: json!({"version": slot.version, "moment": moment, "findings": block.findings}),
            },
        )
        .await?;
        Verdict::Blocked(block)
    };
    let notes = json!(notes);
    let block = match &verdict {
        Verdict::Blocked(block) => Some(json!(block)),
        _ => None,
    };
    // Most checks of a clean slot change nothing: no write then.
    if notes != slot.review_notes || block != slot.policy_block {
        let mut row: slots::ActiveModel = slot.into();
        row.review_notes = Set(notes);
        row.policy_block = Set(block);
        row.update(&*tx).await?;
    }
    tx.commit().await?;
    Ok(verdict)
}

/// An admin lets the slot's current version through the rules that block
/// it, with a reason (audited with the request). Refused when nothing
/// blocks the slot.
pub async fn override_block(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    by: Uuid,
    reason: &str,
    request_id: Option<String>,
) -> Result<slots::Model, DomainError> {
    let reason = reason.trim();
    if reason.chars().count() < 3 || reason.chars().count() > 500 {
        return Err(DomainError::invalid("reason", "say why, in 3 to 500 characters"));
    }
    let tx = scope.begin(db).await?;
    let slot = tx
        .find_by_id::<slots::Entity>(slot_id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("slot"))?;
    let block = block_of(&slot).ok_or_else(|| DomainError::Conflict("no policy rule blocks this slot".into()))?;
    let granted = Override {
        by,
        reason: reason.to_owned(),
        version: slot.version,
        at: chrono::Utc::now().fixed_offset(),
        findings: block.findings.clone(),
    };
    audit::record(
        &tx,
        Entry {
            actor: Actor::User(by),
            action: "slot.policy_override",
            target_kind: "slot",
            target_id: Some(slot.id.to_string()),
            request_id,
            details: json!({"version": slot.version, "reason": reason, "moment": block.moment, "findings": block.findings}),
        },
    )
    .await?;
    let mut row: slots::ActiveModel = slot.into();
    row.policy_override = Set(Some(json!(granted)));
    row.policy_block = Set(None);
    let slot = row.update(&*tx).await?;
    tx.commit().await?;
    Ok(slot)
}
