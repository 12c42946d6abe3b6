//! Highlights become slots: a person picks highlights of an import (or
//! autopilot takes them all) and each fills a free slot of a plan of the
//! same project, in time order. The slot's video is then the highlight's
//! clip and its script the words said in it; it is a draft again, so the
//! approval gate applies as to any other slot.
//!
//! A free slot is one still to come that nobody settled: empty first, then
//! unlocked drafts (the model's, which the audit entry keeps). Placing is
//! idempotent: a highlight already in a slot stays there.

use crate::{
    DomainError, OrgScope,
    identity::audit::{self, Actor},
};
use chrono::Utc;
use entities::{
    highlights, imports,
    plans::{self, PlanStatus},
    projects,
    slots::{self, SlotStatus},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

/// A highlight and the slot it is in.
#[derive(Debug, Clone)]
pub struct Placement {
    pub highlight_id: Uuid,
    pub slot: slots::Model,
    /// Placed by this call (false: it was in that slot already).
    pub new: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Placed {
    pub placements: Vec<Placement>,
    /// Highlights left out: the plan had no free slot left for them.
    pub no_free_slot: Vec<Uuid>,
}

/// What a highlight's slot says: its hook, the words said, why it was
/// chosen; the slot's bounds (a hook of 150 characters, a script of 2,000).
fn fill(slot: slots::Model, highlight: &highlights::Model, clip_asset_id: Uuid) -> slots::ActiveModel {
    let hook: String = highlight.hook.chars().take(150).collect();
    let version = slot.version + 1;
    let mut s: slots::ActiveModel = slot.into();
    s.status = Set(SlotStatus::Draft);
    s.caption = Set(hook.clone());
    s.hook = Set(hook);
    s.script = Set(highlight.quote.chars().take(2000).collect());
    s.hashtags = Set(json!([]));
    s.format = Set("talking_head".into());
    s.rationale = Set(highlight.reason.clone());
    s.confidence = Set(None);
    s.review_notes = Set(json!([]));
    s.approved_by = Set(None);
    s.approved_at = Set(None);
    s.background_asset_id = Set(None);
    s.clip_asset_id = Set(Some(clip_asset_id));
    s.version = Set(version);
    s.updated_at = Set(Utc::now().fixed_offset());
    s
}

/// Places the import's highlights `chosen` (all of them when empty) into
/// the free slots of `plan_id`, earliest highlight in the earliest slot.
/// A chosen highlight without its clip yet is refused (409).
pub async fn place(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
    plan_id: Uuid,
    chosen: &[Uuid],
    by: Actor,
    request_id: Option<String>,
) -> Result<Placed, DomainError> {
    let tx = scope.begin(db).await?;
    let import = tx.find_by_id::<imports::Entity>(import_id).one(&*tx).await?.ok_or(DomainError::NotFound("import"))?;
    let plan = tx.find_by_id::<plans::Entity>(plan_id).one(&*tx).await?.ok_or(DomainError::NotFound("plan"))?;
    if plan.project_id != import.project_id {
        return Err(DomainError::invalid("plan_id", "the plan belongs to another project than the import"));
    }
    // Locked, so two people placing the same highlights do so one after the other.
    let all = tx
        .find::<highlights::Entity>()
        .filter(highlights::Column::ImportId.eq(import_id))
        .order_by_asc(highlights::Column::Position)
        .lock_exclusive()
        .all(&*tx)
        .await?;
    if chosen.iter().any(|id| !all.iter().any(|h| h.id == *id)) {
        return Err(DomainError::NotFound("highlight"));
    }
    // All of them means all that have their clip; one chosen by name must have it.
    let picked: Vec<highlights::Model> = all
        .into_iter()
        .filter(|h| if chosen.is_empty() { h.clip_asset_id.is_some() } else { chosen.contains(&h.id) })
        .collect();
    if let Some(uncut) = picked.iter().find(|h| h.clip_asset_id.is_none() && h.slot_id.is_none()) {
        return Err(DomainError::Conflict(format!(
            "highlight {} has no clip yet; it can become a slot once the import is ready",
            uncut.position + 1
        )));
    }

    let mut placed = Placed::default();
    let mut waiting = Vec::new();
    for highlight in picked {
        match highlight.slot_id {
            Some(slot_id) => match tx.find_by_id::<slots::Entity>(slot_id).one(&*tx).await? {
                Some(slot) => placed.placements.push(Placement { highlight_id: highlight.id, slot, new: false }),
                None => waiting.push(highlight),
            },
            None => waiting.push(highlight),
        }
    }
    if waiting.is_empty() {
        return Ok(placed);
    }

    let mut free = tx
        .find::<slots::Entity>()
        .filter(slots::Column::PlanId.eq(plan.id))
        .filter(slots::Column::Status.is_in([SlotStatus::Empty, SlotStatus::Draft]))
        .filter(slots::Column::Locked.eq(false))
        .filter(slots::Column::ClipAssetId.is_null())
        .filter(slots::Column::ScheduledAt.gt(Utc::now()))
        .order_by_asc(slots::Column::ScheduledAt)
        .lock_exclusive()
        .all(&*tx)
        .await?;
    // Empty slots before the model's drafts, then the chosen ones in time order.
    free.sort_by_key(|s| (s.status != SlotStatus::Empty, s.scheduled_at));
    free.truncate(waiting.len());
    free.sort_by_key(|s| s.scheduled_at);
    placed.no_free_slot = waiting.iter().skip(free.len()).map(|h| h.id).collect();

    for (highlight, slot) in waiting.into_iter().zip(free) {
        let clip = highlight.clip_asset_id.expect("checked above: every waiting highlight has its clip");
        let replaced = (slot.status == SlotStatus::Draft).then(|| json!({"hook": slot.hook, "script": slot.script}));
        let slot = fill(slot, &highlight, clip).update(&*tx).await?;
        let mut h: highlights::ActiveModel = highlight.clone().into();
        h.slot_id = Set(Some(slot.id));
        h.update(&*tx).await?;
        audit::record(
            &tx,
            audit::Entry {
                actor: by,
                action: "highlight.placed",
                target_kind: "slot",
                target_id: Some(slot.id.to_string()),
                request_id: request_id.clone(),
                details: json!({
                    "import_id": import_id,
                    "highlight_id": highlight.id,
                    "clip_asset_id": clip,
                    "replaced_draft": replaced,
                    "by": if by == Actor::System { "autopilot" } else { "person" },
                }),
            },
        )
        .await?;
        placed.placements.push(Placement { highlight_id: highlight.id, slot, new: true });
    }
    tx.commit().await?;
    placed.placements.sort_by_key(|p| p.slot.scheduled_at);
    Ok(placed)
}

/// Autopilot's choice for a ready import: under autopilot, every highlight
/// goes into the project's newest ready plan; otherwise (or with no plan)
/// nothing is placed and a person picks.
pub async fn place_by_autopilot(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
) -> Result<Placed, DomainError> {
    let plan = {
        let tx = scope.begin(db).await?;
        let import =
            tx.find_by_id::<imports::Entity>(import_id).one(&*tx).await?.ok_or(DomainError::NotFound("import"))?;
        let project = tx
            .find_by_id::<projects::Entity>(import.project_id)
            .one(&*tx)
            .await?
            .ok_or(DomainError::NotFound("project"))?;
        if !project.autopilot {
            return Ok(Placed::default());
        }
        tx.find::<plans::Entity>()
            .filter(plans::Column::ProjectId.eq(project.id))
            .filter(plans::Column::Status.eq(PlanStatus::Ready))
            .order_by_desc(plans::Column::StartDate)
            .order_by_desc(plans::Column::CreatedAt)
            .one(&*tx)
            .await?
    };
    match plan {
        Some(plan) => place(db, scope, import_id, plan.id, &[], Actor::System, None).await,
        None => Ok(Placed::default()),
    }
}
