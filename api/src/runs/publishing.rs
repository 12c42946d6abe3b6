//! The runs that take a slot to TikTok and keep accounts working: the slot
//! pipeline and its signals, token refresh, and the metrics schedule.

use super::{RunView, describe, ensure_schedule, meta_and_memo, slot_attributes, start_options, started, unavailable};
use crate::{ApiError, AppState};
use temporal::{
    pipeline::{Approval, PipelineStatus, PollSettings, PublishDecision, SlotPipelineInput},
    queues::Workload,
    search::ORG_ID,
};
use temporalio_client::{WorkflowCancelOptions, WorkflowQueryOptions, WorkflowSignalOptions};
use temporalio_common::search_attributes::SearchAttributes;
use workflows::{MetricsRefreshWorkflow, SlotPipelineWorkflow, TokenRefreshWorkflow};

/// Starts (or joins) the slot's pipeline: approval, render, publish gate,
/// posting time, publish. A finished or failed run is replaced by a new one
/// (a retry); publishing stays at most once because the publication row
/// carries its `publish_id`.
pub async fn start_pipeline(state: &AppState, slot: &entities::slots::Model) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let workflow_id = temporal::ids::slot_workflow_id(slot.org_id, slot.id);
    let summary = format!("Slot day {} #{} to TikTok", slot.day_index + 1, slot.slot_index + 1);
    let options = start_options(state, &workflow_id, slot_attributes(slot), memo, summary);
    let input = SlotPipelineInput {
        org_id: slot.org_id,
        project_id: slot.project_id,
        slot_id: slot.id,
        poll: {
            let p = state.config.tiktok.poll;
            PollSettings {
                status_first_secs: p.status_first_secs,
                status_max_secs: p.status_max_secs,
                status_deadline_secs: p.status_deadline_secs,
                post_id_every_secs: p.post_id_every_secs,
                post_id_for_secs: p.post_id_for_secs,
            }
        },
        meta,
    };
    state.temporal.start_workflow(SlotPipelineWorkflow::run, input, options).await.map_err(unavailable)?;
    tracing::info!(%workflow_id, "slot pipeline started");
    Ok(started(state, &workflow_id))
}

/// Creates the account's metrics schedule (every `METRICS_EVERY_SECS`,
/// overlapping runs skipped) unless it exists; `now` also runs it at once.
pub async fn ensure_metrics_schedule(
    state: &AppState,
    org_id: uuid::Uuid,
    account_id: uuid::Uuid,
    now: bool,
) -> Result<(), ApiError> {
    let id = temporal::ids::metrics_schedule_id(org_id, account_id);
    let action = temporalio_client::schedules::ScheduleAction::start_workflow(
        MetricsRefreshWorkflow::run,
        temporal::pipeline::AccountRef { org_id, account_id },
        Workload::Main.queue(&state.config.temporal.task_queue_prefix),
        id.clone(),
    );
    let every = state.config.tiktok.metrics_every;
    ensure_schedule(state, &id, action, every, "TikTok metrics snapshots for one connected account", now).await
}

/// Starts (or joins) the account's token refresh run.
pub async fn start_token_refresh(state: &AppState, org_id: uuid::Uuid, account_id: uuid::Uuid) -> Result<(), ApiError> {
    let (_, memo) = meta_and_memo();
    let workflow_id = temporal::ids::tiktok_refresh_workflow_id(org_id, account_id);
    let attributes = SearchAttributes::new([ORG_ID.value_set(org_id.to_string())]);
    let options = start_options(state, &workflow_id, attributes, memo, "Keep a TikTok account's tokens fresh".into());
    let input = temporal::pipeline::TokenRefreshInput {
        account: temporal::pipeline::AccountRef { org_id, account_id },
        refresh_before_secs: state.config.tiktok.refresh_before.as_secs(),
    };
    state.temporal.start_workflow(TokenRefreshWorkflow::run, input, options).await.map_err(unavailable)?;
    Ok(())
}

pub async fn stop_token_refresh(state: &AppState, org_id: uuid::Uuid, account_id: uuid::Uuid) {
    let workflow_id = temporal::ids::tiktok_refresh_workflow_id(org_id, account_id);
    let handle = state.temporal.get_workflow_handle::<TokenRefreshWorkflow>(&workflow_id);
    if let Err(e) = handle.cancel(WorkflowCancelOptions::builder().reason("disconnected".to_owned()).build()).await {
        tracing::debug!(%workflow_id, error = %e, "no token refresh run to stop");
    }
}

pub async fn delete_metrics_schedule(state: &AppState, org_id: uuid::Uuid, account_id: uuid::Uuid) {
    let id = temporal::ids::metrics_schedule_id(org_id, account_id);
    if let Err(e) = state.temporal.get_schedule_handle(&id).delete(Default::default()).await {
        tracing::debug!(schedule_id = %id, error = %e, "no metrics schedule to delete");
    }
}

/// Tells a waiting pipeline a person approved the slot; no pipeline, no-op.
pub async fn signal_approval(state: &AppState, slot: &entities::slots::Model, by: uuid::Uuid) {
    let workflow_id = temporal::ids::slot_workflow_id(slot.org_id, slot.id);
    let handle = state.temporal.get_workflow_handle::<SlotPipelineWorkflow>(&workflow_id);
    if let Err(e) =
        handle.signal(SlotPipelineWorkflow::approve, Approval { by }, WorkflowSignalOptions::default()).await
    {
        tracing::debug!(%workflow_id, error = %e, "no pipeline waiting for this approval");
    }
}

/// Tells a waiting pipeline the slot was rejected; it ends without posting.
pub async fn signal_rejection(state: &AppState, slot: &entities::slots::Model, by: uuid::Uuid) {
    let workflow_id = temporal::ids::slot_workflow_id(slot.org_id, slot.id);
    let handle = state.temporal.get_workflow_handle::<SlotPipelineWorkflow>(&workflow_id);
    if let Err(e) = handle.signal(SlotPipelineWorkflow::reject, Approval { by }, WorkflowSignalOptions::default()).await
    {
        tracing::debug!(%workflow_id, error = %e, "no pipeline waiting for this rejection");
    }
}

/// Wakes a pipeline the policy blocks after an admin's override (a run
/// that is not waiting checks the override itself when it gets there).
pub async fn signal_policy_review(state: &AppState, slot: &entities::slots::Model, by: uuid::Uuid) {
    let workflow_id = temporal::ids::slot_workflow_id(slot.org_id, slot.id);
    let handle = state.temporal.get_workflow_handle::<SlotPipelineWorkflow>(&workflow_id);
    if let Err(e) =
        handle.signal(SlotPipelineWorkflow::policy_review, Approval { by }, WorkflowSignalOptions::default()).await
    {
        tracing::debug!(%workflow_id, error = %e, "no pipeline waiting for this policy override");
    }
}

pub async fn signal_publish(
    state: &AppState,
    slot: &entities::slots::Model,
    decision: PublishDecision,
) -> Result<(), ApiError> {
    let workflow_id = temporal::ids::slot_workflow_id(slot.org_id, slot.id);
    let handle = state.temporal.get_workflow_handle::<SlotPipelineWorkflow>(&workflow_id);
    handle
        .signal(SlotPipelineWorkflow::publish, decision, WorkflowSignalOptions::default())
        .await
        .map_err(|e| ApiError::Conflict(format!("the slot's pipeline is not waiting for this ({e})")))
}

/// The most running pipelines one listing reads (a warning says when an
/// org has more; the ones past it are not shown as waiting).
pub const RUNNING_PIPELINES_MAX: usize = 5000;

/// The slots of an org whose pipeline is running now, from Temporal's
/// visibility store (the org's search attribute), newest first; `None` when
/// Temporal did not answer (rather than a partial list).
pub async fn running_pipelines(state: &AppState, org_id: uuid::Uuid) -> Option<Vec<uuid::Uuid>> {
    use futures::StreamExt;
    let query = format!("OrgId = '{org_id}' AND WorkflowType = 'SlotPipeline' AND ExecutionStatus = 'Running'");
    let options = temporalio_client::WorkflowListOptions::builder().limit(RUNNING_PIPELINES_MAX).build();
    let mut found = Vec::new();
    let mut stream = state.temporal.list_workflows(query, options);
    while let Some(execution) = stream.next().await {
        match execution {
            Ok(e) => found.extend(temporal::ids::slot_of_pipeline_workflow_id(e.id())),
            Err(e) => {
                tracing::warn!(error = %e, "could not list running pipelines");
                return None;
            }
        }
    }
    if found.len() >= RUNNING_PIPELINES_MAX {
        tracing::warn!(%org_id, max = RUNNING_PIPELINES_MAX, "more running pipelines than one listing reads");
    }
    Some(found)
}

/// The pipeline run and where it is (its `status` query), if it exists.
pub async fn describe_pipeline(state: &AppState, slot: &entities::slots::Model) -> (RunView, Option<PipelineStatus>) {
    let workflow_id = temporal::ids::slot_workflow_id(slot.org_id, slot.id);
    let handle = state.temporal.get_workflow_handle::<SlotPipelineWorkflow>(&workflow_id);
    let (run, status) = futures::join!(
        describe(state, &workflow_id),
        handle.query(SlotPipelineWorkflow::status, (), WorkflowQueryOptions::default())
    );
    (run, status.ok())
}
