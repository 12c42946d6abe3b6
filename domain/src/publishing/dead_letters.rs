//! Failed pipelines: the reason on the slot, the dead-letter list, and
//! retry, which resumes from where the slot really is and never approves
//! what a person rejected.

use super::{publication::slot_may_move, slot_for_update};
use crate::{DomainError, OrgScope};
use chrono::Utc;
use entities::{
    publications,
    slots::{self, SlotStatus},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

/// Records why the slot's pipeline stopped. The slot becomes `failed` (a
/// dead letter) when the table allows it; a slot a person took back to
/// draft stays a draft, and a posted one stays posted: only the reason is
/// kept. Returns the slot's status afterwards.
pub async fn record_failure(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    reason: &str,
) -> Result<SlotStatus, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_for_update(&tx, slot_id).await?;
    let status = if slot_may_move(slot.status, SlotStatus::Failed) { SlotStatus::Failed } else { slot.status };
    if status != SlotStatus::Failed {
        tracing::info!(%slot_id, ?status, "the pipeline stopped; the slot keeps its status");
    }
    let mut s: slots::ActiveModel = slot.into();
    s.status = Set(status);
    s.pipeline_error = Set(Some(reason.chars().take(2000).collect()));
    s.updated_at = Set(Utc::now().fixed_offset());
    s.update(&*tx).await?;
    tx.commit().await?;
    Ok(status)
}

/// Puts a failed slot back where its pipeline picks it up again: rendered
/// when it has a video, approved otherwise (a failed slot was approved when
/// it failed: the pipeline never fails a draft). Anything else is refused,
/// a draft above all: a person rejected it or took the approval back.
pub async fn reset_for_retry(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_for_update(&tx, slot_id).await?;
    let to = if slot.video_asset_id.is_some() { SlotStatus::Rendered } else { SlotStatus::Approved };
    if !slot_may_move(slot.status, to) {
        return Err(DomainError::Conflict(match slot.status {
            SlotStatus::Draft => "this slot is a draft (a person rejected it or took its approval back); \
                                  approve it and schedule it again"
                .to_owned(),
            other => format!("only failed slots are retried; this one is {other:?}"),
        }));
    }
    let mut s: slots::ActiveModel = slot.into();
    s.status = Set(to);
    s.pipeline_error = Set(None);
    s.updated_at = Set(Utc::now().fixed_offset());
    let slot = s.update(&*tx).await?;
    tx.commit().await?;
    Ok(slot)
}

/// Slots whose pipeline failed, newest first, with the reason.
pub async fn dead_letters(
    db: &DatabaseConnection,
    scope: &OrgScope,
) -> Result<Vec<(slots::Model, Option<publications::Model>)>, DomainError> {
    let tx = scope.begin(db).await?;
    let failed = tx
        .find::<slots::Entity>()
        .filter(slots::Column::Status.eq(SlotStatus::Failed))
        .order_by_desc(slots::Column::UpdatedAt)
        .all(&*tx)
        .await?;
    let mut out = Vec::with_capacity(failed.len());
    for slot in failed {
        let publication =
            tx.find::<publications::Entity>().filter(publications::Column::SlotId.eq(slot.id)).one(&*tx).await?;
        out.push((slot, publication));
    }
    Ok(out)
}
