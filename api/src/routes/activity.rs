//! The org-wide views behind the web app's queue, library and analytics:
//! what is running, waiting for a person, failed or dead-lettered (with live
//! progress and a link to the run), the rendered videos, and every post's
//! metrics over time.

use super::{
    media::{AssetView, asset_view},
    pipeline::{MetricPoint, PublicationView},
};
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::ApiJson,
    runs::{self, RunView},
};
use axum::extract::State;
use domain::{library, policy::Action};
use entities::{
    plans::PlanStatus,
    slots::{self, SlotStatus},
};
use serde::Serialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(queue)).routes(routes!(videos)).routes(routes!(analytics))
}

/// Where a piece of work stands, from the operator's point of view.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QueueState {
    Running,
    /// A person must approve: the slot's approval or the publish gate.
    WaitingForApproval,
    /// Approved for publishing, waiting for the slot's time.
    Scheduled,
    /// A plan or a render that failed; `retry` says how to try again.
    Failed,
    /// A slot whose pipeline failed; `POST /slots/{id}/retry` runs it again.
    DeadLetter,
}

/// How to try a failed item again.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RetryAction {
    /// `POST /plans/{plan_id}/regenerate`.
    Regenerate,
    /// `POST /slots/{slot_id}/render`.
    Render,
    /// `POST /slots/{slot_id}/retry`.
    Pipeline,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct QueueItem {
    /// `plan` (drafting a month) or `slot` (render and publish).
    kind: &'static str,
    state: QueueState,
    /// The pipeline's own stage, when a run answers (see `PipelineView.stage`).
    stage: Option<String>,
    project_id: Uuid,
    plan_id: Uuid,
    slot_id: Option<Uuid>,
    /// The slot's hook, or the plan's first day.
    title: String,
    day_index: Option<i32>,
    slot_index: Option<i32>,
    scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// 0 to 1 while drafting or rendering.
    progress: Option<f64>,
    /// Why it failed.
    reason: Option<String>,
    retry: Option<RetryAction>,
    updated_at: chrono::DateTime<chrono::FixedOffset>,
    run: RunView,
}

/// Running, waiting-for-approval, scheduled, failed and dead-lettered work
/// of the org, newest first, each with its run in the Temporal UI.
#[utoipa::path(get, path = "/api/orgs/{org_id}/queue", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<QueueItem>), ErrorResponses))]
async fn queue(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<QueueItem>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let attention = library::attention(&state.db, &scope).await?;
    let mut items = Vec::new();
    for plan in attention.plans {
        let failed = plan.status == PlanStatus::Failed;
        let progress =
            (!failed && plan.batches_total > 0).then(|| plan.batches_done as f64 / plan.batches_total as f64);
        items.push(QueueItem {
            kind: "plan",
            state: if failed { QueueState::Failed } else { QueueState::Running },
            stage: Some(format!("{:?}", plan.status).to_lowercase()),
            project_id: plan.project_id,
            plan_id: plan.id,
            slot_id: None,
            title: format!("Month from {}", plan.start_date),
            day_index: None,
            slot_index: None,
            scheduled_at: None,
            progress,
            reason: plan.failure.clone(),
            retry: failed.then_some(RetryAction::Regenerate),
            updated_at: plan.updated_at,
            run: runs::describe(&state, &plan.workflow_id).await,
        });
    }
    // Slots the database flags, then drafts whose running pipeline waits for
    // approval. One visibility listing says which pipelines run, so only
    // those are asked for their stage (the page polls this).
    let running: BTreeSet<Uuid> = runs::running_pipelines(&state, scope.org_id()).await.into_iter().collect();
    let seen: BTreeSet<Uuid> = attention.slots.iter().map(|s| s.id).collect();
    let waiting: Vec<Uuid> = running.difference(&seen).copied().collect();
    let mut slots = attention.slots;
    slots.extend(library::slots_by_id(&state.db, &scope, waiting).await?.into_values());
    for slot in slots {
        let pipeline_running = running.contains(&slot.id);
        if let Some(item) = slot_item(&state, slot, pipeline_running).await {
            items.push(item);
        }
    }
    items.sort_by_key(|i| std::cmp::Reverse(i.updated_at));
    Ok(ApiJson(items))
}

async fn slot_item(state: &AppState, slot: slots::Model, pipeline_running: bool) -> Option<QueueItem> {
    let (pipeline_run, stage) = if pipeline_running {
        let (run, status) = runs::describe_pipeline(state, &slot).await;
        (Some(run), status.map(|s| s.stage))
    } else if slot.status == SlotStatus::Failed {
        (Some(runs::describe(state, &temporal::ids::slot_workflow_id(slot.org_id, slot.id)).await), None)
    } else {
        (None, None)
    };
    let render_id = temporal::ids::slot_render_workflow_id(slot.org_id, slot.id, slot.render_version);
    let (queue_state, progress, reason, retry, run) = match slot.status {
        SlotStatus::Rendering => {
            let (run, progress) = runs::describe_render(state, &render_id).await;
            (QueueState::Running, Some(progress.unwrap_or(0.0)), None, None, run)
        }
        SlotStatus::Failed => {
            (QueueState::DeadLetter, None, slot.pipeline_error.clone(), Some(RetryAction::Pipeline), pipeline_run?)
        }
        SlotStatus::Approved if slot.render_error.is_some() && !pipeline_running => {
            let run = runs::describe(state, &render_id).await;
            (QueueState::Failed, None, slot.render_error.clone(), Some(RetryAction::Render), run)
        }
        _ if !pipeline_running => return None,
        _ => {
            let queue_state = match stage {
                Some(s) if s.waits_for_a_person() => QueueState::WaitingForApproval,
                Some(temporal::pipeline::PipelineStage::WaitingForSlotTime) => QueueState::Scheduled,
                _ => QueueState::Running,
            };
            (queue_state, None, None, None, pipeline_run?)
        }
    };
    Some(QueueItem {
        kind: "slot",
        state: queue_state,
        stage: stage.map(|s| s.as_str().to_owned()),
        project_id: slot.project_id,
        plan_id: slot.plan_id,
        slot_id: Some(slot.id),
        title: slot.hook,
        day_index: Some(slot.day_index),
        slot_index: Some(slot.slot_index),
        scheduled_at: Some(slot.scheduled_at),
        progress,
        reason,
        retry,
        updated_at: slot.updated_at,
        run,
    })
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VideoView {
    slot_id: Uuid,
    project_id: Uuid,
    plan_id: Uuid,
    hook: String,
    caption: String,
    day_index: i32,
    slot_index: i32,
    scheduled_at: chrono::DateTime<chrono::FixedOffset>,
    slot_status: SlotStatus,
    render_version: i32,
    duration_ms: Option<i32>,
    video: AssetView,
    thumbnail: Option<AssetView>,
    publication: Option<PublicationView>,
}

/// The org's rendered videos, newest first (at most 200), with signed links
/// to each video and thumbnail.
#[utoipa::path(get, path = "/api/orgs/{org_id}/videos", tag = "renders", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<VideoView>), ErrorResponses))]
async fn videos(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<VideoView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let mut out = Vec::new();
    for entry in library::rendered(&state.db, &scope).await? {
        let thumbnail = match entry.thumbnail {
            Some(t) => Some(asset_view(&state, t).await?),
            None => None,
        };
        let slot = entry.slot;
        out.push(VideoView {
            slot_id: slot.id,
            project_id: slot.project_id,
            plan_id: slot.plan_id,
            hook: slot.hook,
            caption: slot.caption,
            day_index: slot.day_index,
            slot_index: slot.slot_index,
            scheduled_at: slot.scheduled_at,
            slot_status: slot.status,
            render_version: slot.render_version,
            duration_ms: entry.video.duration_ms,
            video: asset_view(&state, entry.video).await?,
            thumbnail,
            publication: entry.publication.map(PublicationView::from),
        });
    }
    Ok(ApiJson(out))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PostMetrics {
    slot_id: Uuid,
    project_id: Uuid,
    hook: String,
    publication: PublicationView,
    /// Snapshots, oldest first.
    points: Vec<MetricPoint>,
}

/// Every post with its metric snapshots over time, newest post first.
#[utoipa::path(get, path = "/api/orgs/{org_id}/analytics", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<PostMetrics>), ErrorResponses))]
async fn analytics(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<PostMetrics>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    Ok(ApiJson(
        library::post_series(&state.db, &scope)
            .await?
            .into_iter()
            .map(|s| PostMetrics {
                slot_id: s.slot.id,
                project_id: s.slot.project_id,
                hook: s.slot.hook,
                publication: s.publication.into(),
                points: s.points.into_iter().map(MetricPoint::from).collect(),
            })
            .collect(),
    ))
}
