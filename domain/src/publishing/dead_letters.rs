//! Failed pipelines: the reason on the slot, the dead-letter list, and
//! retry, which resumes from where the slot really is and never approves
//! what a person rejected.

use super::{publication::slot_may_move, slot_for_update};
use crate::{
    DomainError, OrgScope,
    paging::{Newest, PAGE_MAX, Page, more},
};
use chrono::Utc;
use entities::{
    publications,
    slots::{self, SlotStatus},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, Set};
use std::collections::BTreeMap;
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

/// Failed slots with their publication, most recently failed first, a page
/// of `limit` after `after`.
pub async fn dead_letters(
    db: &DatabaseConnection,
    scope: &OrgScope,
    after: Option<Newest>,
    limit: u64,
) -> Result<Page<(slots::Model, Option<publications::Model>), Newest>, DomainError> {
    let limit = limit.min(PAGE_MAX);
    let tx = scope.begin(db).await?;
    let mut query = tx.find::<slots::Entity>().filter(slots::Column::Status.eq(SlotStatus::Failed));
    if let Some(after) = after {
        query = query.filter(after.after(slots::Column::UpdatedAt, slots::Column::Id));
    }
    let mut failed = query
        .order_by_desc(slots::Column::UpdatedAt)
        .order_by_desc(slots::Column::Id)
        .limit(limit + 1)
        .all(&*tx)
        .await?;
    let next = more(&mut failed, limit).map(|s| Newest { at: s.updated_at, id: s.id });
    let ids: Vec<Uuid> = failed.iter().map(|s| s.id).collect();
    let mut publications: BTreeMap<Uuid, publications::Model> = tx
        .find::<publications::Entity>()
        .filter(publications::Column::SlotId.is_in(ids))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|p| (p.slot_id, p))
        .collect();
    let items = failed
        .into_iter()
        .map(|slot| {
            let publication = publications.remove(&slot.id);
            (slot, publication)
        })
        .collect();
    Ok(Page { items, next })
}
