//! What people do with slots: edit, approve (one or many), unapprove, lock.

use crate::{DomainError, OrgScope, TenantTxn, media::shots, planning::generation::FORMATS};
use chrono::Utc;
use entities::slots::{self, SlotStatus};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Fields a person may change; absent ones stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotEdit {
    pub hook: Option<String>,
    pub script: Option<String>,
    pub caption: Option<String>,
    pub hashtags: Option<Vec<String>>,
    pub format: Option<String>,
    /// The scenes; their words become the script.
    pub shots: Option<Vec<shots::Shot>>,
}

async fn get_in(tx: &TenantTxn, id: Uuid) -> Result<slots::Model, DomainError> {
    tx.find_by_id::<slots::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("slot"))
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<slots::Model, DomainError> {
    get_in(&scope.begin(db).await?, id).await
}

fn check_len(field: &'static str, value: &str, min: usize, max: usize) -> Result<String, DomainError> {
    let value = value.trim();
    let n = value.chars().count();
    if n < min || n > max {
        return Err(DomainError::invalid(field, format!("must be {min} to {max} characters")));
    }
    Ok(value.to_owned())
}

/// Applies a person's edit. An approved slot goes back to draft: what was
/// approved is not what it says any more.
pub async fn edit(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    edit: SlotEdit,
) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let current = get_in(&tx, id).await?;
    if !matches!(current.status, SlotStatus::Empty | SlotStatus::Draft | SlotStatus::Approved) {
        return Err(DomainError::Conflict(format!("a {:?} slot can no longer be edited", current.status)));
    }
    let mut slot: slots::ActiveModel = current.clone().into();
    if let Some(hook) = edit.hook {
        slot.hook = Set(check_len("hook", &hook, 5, 150)?);
    }
    // The scenes say the script: edited scenes rewrite it, an edited script is cut again.
    let scenes = edit.shots.map(shots::validate).transpose()?;
    let script = match (edit.script, &scenes) {
        (Some(script), Some(scenes)) if shots::script_of(scenes) != script.trim() => {
            return Err(DomainError::invalid("shots", "the scenes' words must be the script's, in order"));
        }
        (script, Some(scenes)) => script.or_else(|| Some(shots::script_of(scenes))),
        (script, None) => script,
    };
    if let Some(script) = script {
        if current.clip_asset_id.is_some() && script.trim() != current.script {
            return Err(DomainError::invalid("script", "a highlight's script is the words said in its clip"));
        }
        let script = check_len("script", &script, 20, 2000)?;
        let kept = scenes.unwrap_or_else(|| shots::of_slot(&current.script, &current.shots));
        slot.shots = Set(json!(shots::fit(&script, &kept)));
        slot.script = Set(script);
    }
    if let Some(caption) = edit.caption {
        slot.caption = Set(check_len("caption", &caption, 1, 2200)?);
    }
    if let Some(tags) = edit.hashtags {
        let valid = tags.len() <= 10
            && tags.iter().all(|t| {
                t.strip_prefix('#').is_some_and(|rest| {
                    (1..=50).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            });
        if !valid {
            return Err(DomainError::invalid("hashtags", "up to 10 tags like #cooking (letters, digits, _)"));
        }
        slot.hashtags = Set(json!(tags));
    }
    if let Some(format) = edit.format {
        if !FORMATS.contains(&format.as_str()) {
            return Err(DomainError::invalid("format", format!("must be one of {}", FORMATS.join(", "))));
        }
        slot.format = Set(format);
    }
    slot.version = Set(current.version + 1);
    if matches!(current.status, SlotStatus::Approved | SlotStatus::Empty) {
        slot.status = Set(SlotStatus::Draft);
        slot.approved_by = Set(None);
        slot.approved_at = Set(None);
    }
    let slot = slot.update(&*tx).await?;
    tx.commit().await?;
    Ok(slot)
}

/// What a person approves: a slot as they saw it (its content `version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct SeenSlot {
    pub id: Uuid,
    pub version: i32,
}

/// Approves slots as the person saw them, all or none: a slot whose
/// content changed since (an edit or an AI improve landing just before)
/// is refused with its current version, so nothing is approved unseen.
pub async fn approve(
    db: &DatabaseConnection,
    scope: &OrgScope,
    seen: &[SeenSlot],
    by: Uuid,
) -> Result<Vec<slots::Model>, DomainError> {
    let unique: BTreeSet<Uuid> = seen.iter().map(|s| s.id).collect();
    if unique.is_empty() || unique.len() > 200 || unique.len() != seen.len() {
        return Err(DomainError::invalid("slots", "give 1 to 200 different slots"));
    }
    let tx = scope.begin(db).await?;
    let found = tx.find::<slots::Entity>().filter(slots::Column::Id.is_in(unique.iter().copied())).all(&*tx).await?;
    if found.len() != unique.len() {
        return Err(DomainError::NotFound("slot"));
    }
    if let Some(bad) = found.iter().find(|s| !matches!(s.status, SlotStatus::Draft | SlotStatus::Approved)) {
        let why = if bad.status == SlotStatus::Empty {
            "has no content yet".to_owned()
        } else {
            format!("is {:?}", bad.status)
        };
        return Err(DomainError::Conflict(format!("slot {} {why}; nothing was approved", bad.id)));
    }
    let now = Utc::now().fixed_offset();
    let mut approved = Vec::with_capacity(found.len());
    for slot in found {
        let saw = seen.iter().find(|s| s.id == slot.id).map_or(slot.version, |s| s.version);
        if saw != slot.version {
            return Err(DomainError::StaleVersion { slot_id: slot.id, current: slot.version });
        }
        if slot.status == SlotStatus::Approved {
            approved.push(slot);
            continue;
        }
        // The version is part of the write: content landing between the
        // read and here makes it match nothing.
        let updated = slots::Entity::update_many()
            .col_expr(slots::Column::Status, Expr::value(SlotStatus::Approved))
            .col_expr(slots::Column::ApprovedBy, Expr::value(by))
            .col_expr(slots::Column::ApprovedAt, Expr::value(now))
            .filter(slots::Column::Id.eq(slot.id))
            .filter(slots::Column::Version.eq(saw))
            .filter(slots::Column::Status.eq(SlotStatus::Draft))
            .exec_with_returning(&*tx)
            .await?;
        let Some(slot) = updated.into_iter().next() else {
            let current = get_in(&tx, slot.id).await?;
            return Err(DomainError::StaleVersion { slot_id: slot.id, current: current.version });
        };
        crate::identity::audit::record(
            &tx,
            crate::identity::audit::Entry {
                actor: crate::identity::audit::Actor::User(by),
                action: "slot.approved",
                target_kind: "slot",
                target_id: Some(slot.id.to_string()),
                request_id: None,
                details: json!({"version": slot.version}),
            },
        )
        .await?;
        approved.push(slot);
    }
    tx.commit().await?;
    Ok(approved)
}

/// A person turns a slot down: it goes (or stays) back to draft, and the
/// audit log keeps who, when and why.
pub async fn reject(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    by: Uuid,
    reason: Option<String>,
) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let current = get_in(&tx, id).await?;
    // A rendered slot the policy stops before its post may still be taken back.
    let blocked_before_post =
        current.policy_block.is_some() && matches!(current.status, SlotStatus::Rendered | SlotStatus::PublishApproved);
    if !matches!(current.status, SlotStatus::Draft | SlotStatus::Approved) && !blocked_before_post {
        return Err(DomainError::Conflict(format!("a {:?} slot can no longer be rejected", current.status)));
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(DomainError::invalid("reason", "must be at most 500 characters"));
    }
    let mut s: slots::ActiveModel = current.into();
    s.status = Set(SlotStatus::Draft);
    s.approved_by = Set(None);
    s.approved_at = Set(None);
    s.policy_block = Set(None);
    let slot = s.update(&*tx).await?;
    crate::identity::audit::record(
        &tx,
        crate::identity::audit::Entry {
            actor: crate::identity::audit::Actor::User(by),
            action: "slot.rejected",
            target_kind: "slot",
            target_id: Some(slot.id.to_string()),
            request_id: None,
            details: json!({"version": slot.version, "reason": reason}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(slot)
}

/// Approves a drafted slot on autopilot's behalf (no person; audited as the system).
pub async fn approve_automatically(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let current = get_in(&tx, id).await?;
    if current.status != SlotStatus::Draft {
        return Ok(current);
    }
    let mut s: slots::ActiveModel = current.into();
    s.status = Set(SlotStatus::Approved);
    s.approved_at = Set(Some(Utc::now().fixed_offset()));
    let slot = s.update(&*tx).await?;
    crate::identity::audit::record(
        &tx,
        crate::identity::audit::Entry {
            actor: crate::identity::audit::Actor::System,
            action: "slot.approved",
            target_kind: "slot",
            target_id: Some(slot.id.to_string()),
            request_id: None,
            details: json!({"version": slot.version, "by": "autopilot"}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(slot)
}

pub async fn unapprove(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let current = get_in(&tx, id).await?;
    if current.status != SlotStatus::Approved {
        return Err(DomainError::Conflict(format!(
            "only approved slots can be unapproved; this one is {:?}",
            current.status
        )));
    }
    let mut s: slots::ActiveModel = current.into();
    s.status = Set(SlotStatus::Draft);
    s.approved_by = Set(None);
    s.approved_at = Set(None);
    s.policy_block = Set(None);
    let slot = s.update(&*tx).await?;
    tx.commit().await?;
    Ok(slot)
}

/// Locks or unlocks a slot; a locked slot is never regenerated.
pub async fn set_locked(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    locked: bool,
) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let mut s: slots::ActiveModel = get_in(&tx, id).await?.into();
    s.locked = Set(locked);
    let slot = s.update(&*tx).await?;
    tx.commit().await?;
    Ok(slot)
}
