//! Publishing a slot, as one typed state machine.
//!
//! - [`gate`]: the publish gate's one decision, for a person's choices and
//!   autopilot's saved ones alike, checked against a fresh creator_info.
//! - [`publication`]: the publication row (one per slot) and the slot's
//!   pipeline statuses; every move is a named transition checked against
//!   one table per state machine.
//! - [`dead_letters`]: failed pipelines, their reasons, and retry.
//! - [`metrics`]: the posts' counters and the daily publish count.
//! - [`tiktok`]: connected TikTok accounts, their OAuth handshake and
//!   token refresh.

pub mod dead_letters;
pub mod gate;
pub mod metrics;
pub mod publication;
pub mod tiktok;

pub use dead_letters::{dead_letters, record_failure, reset_for_retry};
pub use gate::{Gate, GateDecision, PRIVACY_LEVELS, PublishChoice, check_choice, post_info};
pub use metrics::{metric_history, public_posts, publishes_today, record_metrics};
pub use publication::{PublishOutcome, ResumeAt, allowed, slot_may_move};

use crate::{DomainError, OrgScope, TenantTxn, planning::projects::Gates};
use entities::{
    projects, publications,
    publications::PublicationStatus,
    slots::{self, SlotStatus},
};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect};
use uuid::Uuid;

async fn slot_in(tx: &TenantTxn, id: Uuid) -> Result<slots::Model, DomainError> {
    tx.find_by_id::<slots::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("slot"))
}

/// The slot, locked until the transaction ends: its status moves under the lock.
async fn slot_for_update(tx: &TenantTxn, id: Uuid) -> Result<slots::Model, DomainError> {
    tx.find_by_id::<slots::Entity>(id).lock_exclusive().one(&**tx).await?.ok_or(DomainError::NotFound("slot"))
}

async fn project_in(tx: &TenantTxn, id: Uuid) -> Result<projects::Model, DomainError> {
    tx.find_by_id::<projects::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("project"))
}

async fn publication_in(tx: &TenantTxn, slot_id: Uuid) -> Result<Option<publications::Model>, DomainError> {
    Ok(tx
        .find::<publications::Entity>()
        .filter(publications::Column::SlotId.eq(slot_id))
        .lock_exclusive()
        .one(&**tx)
        .await?)
}

pub async fn publication(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<Option<publications::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx.find::<publications::Entity>().filter(publications::Column::SlotId.eq(slot_id)).one(&*tx).await?)
}

/// The slot and its project.
pub async fn slot_and_project(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<(slots::Model, projects::Model), DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    let project = project_in(&tx, slot.project_id).await?;
    Ok((slot, project))
}

/// Whether each gate applies: on in the project's settings and not waived by autopilot.
pub fn gates(project: &projects::Model) -> (bool, bool) {
    let gates: Gates =
        serde_json::from_value(project.gates.clone()).unwrap_or(Gates { approve_slot: true, approve_publish: true });
    (gates.approve_slot && !project.autopilot, gates.approve_publish && !project.autopilot)
}

/// What a pipeline run needs to know when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineStart {
    pub resume: ResumeAt,
    /// The approval gate applies (gate on, autopilot off).
    pub needs_approval: bool,
    /// The publish gate applies (gate on, autopilot off).
    pub needs_publish_approval: bool,
    /// Unix seconds of the slot's posting time.
    pub scheduled_at: i64,
    /// A publish-gate decision is stored and still stands (a retried run).
    pub decided: bool,
}

/// Where a run picks the slot up (see [`ResumeAt`]).
pub async fn pipeline_start(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<PipelineStart, DomainError> {
    let (slot, project) = slot_and_project(db, scope, slot_id).await?;
    let publication = publication(db, scope, slot_id).await?;
    let status = publication.as_ref().map(|p| p.status);
    let (needs_approval, needs_publish_approval) = gates(&project);
    Ok(PipelineStart {
        resume: publication::resume_at(slot.status, status)?,
        needs_approval,
        needs_publish_approval,
        scheduled_at: slot.scheduled_at.timestamp(),
        decided: status.is_some_and(|s| s != PublicationStatus::Failed),
    })
}

/// Starts the render of a slot's pipeline (the next render version). Under
/// autopilot, where no person approves, a draft is approved first, on the
/// record. `None` when the slot is not approved: a person rejected it or
/// took the approval back, and the pipeline stops there.
pub async fn start_render(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<Option<slots::Model>, DomainError> {
    let (slot, project) = slot_and_project(db, scope, slot_id).await?;
    let slot = match slot.status {
        SlotStatus::Draft if !gates(&project).0 => {
            crate::planning::slots::approve_automatically(db, scope, slot.id).await?
        }
        _ => slot,
    };
    if matches!(slot.status, SlotStatus::Empty | SlotStatus::Draft) {
        return Ok(None);
    }
    crate::media::rendering::start(db, scope, slot_id).await.map(Some)
}
