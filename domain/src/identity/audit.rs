//! Who did what: entries in `audit_log`, written in the same transaction
//! as the change they describe, so one never exists without the other.

use crate::{DomainError, TenantTxn};
use chrono::Utc;
use entities::audit_log;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::Value;
use uuid::Uuid;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    System,
}

/// One action on one target; `details` must never hold a secret.
pub struct Entry<'a> {
    pub actor: Actor,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: Option<String>,
    pub request_id: Option<String>,
    pub details: Value,
}

pub async fn record(tx: &TenantTxn, entry: Entry<'_>) -> Result<(), DomainError> {
    let (actor_user_id, actor_kind) = match entry.actor {
        Actor::User(id) => (Some(id), "user"),
        Actor::System => (None, "system"),
    };
    audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        actor_user_id: Set(actor_user_id),
        actor_kind: Set(actor_kind.into()),
        action: Set(entry.action.into()),
        target_kind: Set(entry.target_kind.into()),
        target_id: Set(entry.target_id),
        request_id: Set(entry.request_id),
        details: Set(entry.details),
        created_at: Set(Utc::now().fixed_offset()),
    }
    .insert(&**tx)
    .await?;
    Ok(())
}
