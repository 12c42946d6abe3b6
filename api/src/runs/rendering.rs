//! Render runs: start, cancel, and progress from the activity's heartbeats.

use super::{RunView, meta_and_memo, slot_attributes, start_options, started, ui_url, unavailable};
use crate::{ApiError, AppState};
use temporal::render::{PreviewSlotInput, RenderProgress, RenderSlotInput};
use temporalio_client::{WorkflowCancelOptions, WorkflowDescribeOptions};
use workflows::{PreviewSlotWorkflow, RenderSlotWorkflow};

/// Starts (or joins) the render of the slot's current render version.
pub async fn start_render(state: &AppState, slot: &entities::slots::Model) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let workflow_id = temporal::ids::slot_render_workflow_id(slot.org_id, slot.id, slot.render_version);
    let summary =
        format!("Render slot (day {}, slot {}) v{}", slot.day_index + 1, slot.slot_index + 1, slot.render_version);
    let options = start_options(state, &workflow_id, slot_attributes(slot), memo, summary);
    let input = RenderSlotInput {
        org_id: slot.org_id,
        project_id: slot.project_id,
        slot_id: slot.id,
        version: slot.render_version,
        meta,
    };
    state.temporal.start_workflow(RenderSlotWorkflow::run, input, options).await.map_err(unavailable)?;
    tracing::info!(%workflow_id, "render workflow started");
    Ok(started(state, &workflow_id))
}

/// Starts (or joins) the preview of the slot's current content version.
pub async fn start_preview(state: &AppState, slot: &entities::slots::Model) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let workflow_id = temporal::ids::slot_preview_workflow_id(slot.org_id, slot.id, slot.version);
    let summary = format!("Preview slot (day {}, slot {}) v{}", slot.day_index + 1, slot.slot_index + 1, slot.version);
    let options = start_options(state, &workflow_id, slot_attributes(slot), memo, summary);
    let input = PreviewSlotInput {
        org_id: slot.org_id,
        project_id: slot.project_id,
        slot_id: slot.id,
        version: slot.version,
        meta,
    };
    state.temporal.start_workflow(PreviewSlotWorkflow::run, input, options).await.map_err(unavailable)?;
    tracing::info!(%workflow_id, "preview workflow started");
    Ok(started(state, &workflow_id))
}

/// Why a preview run failed: the innermost failure's message (the
/// activity's own error); `None` while it runs or when it did not fail.
pub async fn preview_failure(state: &AppState, workflow_id: &str) -> Option<String> {
    use temporalio_client::{WorkflowGetResultOptions, errors::WorkflowGetResultError};
    let handle = state.temporal.get_workflow_handle::<PreviewSlotWorkflow>(workflow_id);
    match handle.get_result(WorkflowGetResultOptions::default()).await {
        Err(WorkflowGetResultError::Failed(failure)) => {
            let mut innermost = &*failure;
            while let Some(cause) = innermost.cause() {
                innermost = cause;
            }
            Some(innermost.failure().message.clone())
        }
        Err(WorkflowGetResultError::TimedOut) => Some("the preview took too long".into()),
        _ => None,
    }
}

/// Asks a render run to stop; its activity kills FFmpeg and the workflow
/// puts the slot back to approved.
pub async fn cancel_render(state: &AppState, workflow_id: &str) -> Result<(), ApiError> {
    let handle = state.temporal.get_workflow_handle::<RenderSlotWorkflow>(workflow_id);
    handle
        .cancel(WorkflowCancelOptions::builder().reason("cancelled by a user".to_owned()).build())
        .await
        .map_err(unavailable)
}

/// A run and, while its render activity runs, the fraction done from the
/// activity's last heartbeat.
pub async fn describe_render(state: &AppState, workflow_id: &str) -> (RunView, Option<f64>) {
    let handle = state.temporal.get_workflow_handle::<RenderSlotWorkflow>(workflow_id);
    let view = |status: String| RunView {
        workflow_id: workflow_id.to_owned(),
        status,
        temporal_ui_url: ui_url(state, workflow_id),
    };
    match handle.describe(WorkflowDescribeOptions::default()).await {
        Ok(d) => {
            let progress = d
                .raw_description
                .pending_activities
                .iter()
                .filter_map(|a| a.heartbeat_details.as_ref()?.payloads.first())
                .find_map(|p| serde_json::from_slice::<RenderProgress>(&p.data).ok())
                .map(|p| p.fraction);
            (view(format!("{:?}", d.status()).to_lowercase()), progress)
        }
        Err(e) => {
            tracing::warn!(workflow_id, error = %e, "could not describe run");
            (view("unknown".into()), None)
        }
    }
}
