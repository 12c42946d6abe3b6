//! Starting and inspecting workflow runs on behalf of API callers.

use crate::{ApiError, AppState};
use entities::plans;
use serde::Serialize;
use temporal::{
    MEMO_REQUEST_ID, RunMeta,
    pipeline::{Approval, PipelineStatus, PollSettings, PublishDecision, SlotPipelineInput},
    plan::{GenerateMonthPlanInput, ImproveSlotInput},
    queues::Workload,
    render::{RenderProgress, RenderSlotInput},
    search::{ORG_ID, PROJECT_ID, SLOT_ID},
};
use temporalio_client::{
    WorkflowCancelOptions, WorkflowDescribeOptions, WorkflowIdConflictPolicy, WorkflowIdReusePolicy,
    WorkflowQueryOptions, WorkflowSignalOptions, WorkflowStartOptions,
};
use temporalio_common::{MemoValues, search_attributes::SearchAttributes};
use workflows::{
    GenerateMonthPlanWorkflow, ImproveSlotWorkflow, MetricsRefreshWorkflow, RenderSlotWorkflow, SlotPipelineWorkflow,
    TokenRefreshWorkflow,
};

/// A workflow run as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub workflow_id: String,
    /// running, completed, failed, ... or unknown when Temporal cannot be asked.
    pub status: String,
    /// The run in the Temporal Web UI, for operators.
    pub temporal_ui_url: String,
}

fn ui_url(state: &AppState, workflow_id: &str) -> String {
    let t = &state.config.temporal;
    format!("{}/namespaces/{}/workflows/{}", t.ui_url, t.namespace, workflow_id)
}

fn meta_and_memo() -> (RunMeta, MemoValues) {
    let meta = RunMeta { request_id: crate::request_id::current() };
    let mut memo = MemoValues::new();
    memo.insert(MEMO_REQUEST_ID, meta.request_id.clone().unwrap_or_default());
    (meta, memo)
}

/// Options of an idempotent start: the workflow id is the business key, and
/// a start for a running id joins that run instead of starting another.
fn start_options(
    state: &AppState,
    workflow_id: &str,
    attributes: SearchAttributes,
    memo: MemoValues,
    summary: String,
) -> WorkflowStartOptions {
    WorkflowStartOptions::new(Workload::Main.queue(&state.config.temporal.task_queue_prefix), workflow_id.to_owned())
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicate)
        .search_attributes(attributes)
        .memo(memo)
        .static_summary(summary)
        .build()
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable { dependency: "temporal", cause: e.to_string() }
}

/// Starts (or joins) the run that lays out and drafts the plan.
pub async fn start_month_plan(state: &AppState, plan: &plans::Model) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let attributes = SearchAttributes::new([
        ORG_ID.value_set(plan.org_id.to_string()),
        PROJECT_ID.value_set(plan.project_id.to_string()),
    ]);
    let options =
        start_options(state, &plan.workflow_id, attributes, memo, format!("Month plan starting {}", plan.start_date));
    let input = GenerateMonthPlanInput {
        org_id: plan.org_id,
        project_id: plan.project_id,
        plan_id: plan.id,
        batch_days: state.config.llm.batch_days,
        meta,
    };
    state.temporal.start_workflow(GenerateMonthPlanWorkflow::run, input, options).await.map_err(unavailable)?;
    tracing::info!(workflow_id = %plan.workflow_id, "month plan workflow started");
    Ok(RunView {
        workflow_id: plan.workflow_id.clone(),
        status: "running".into(),
        temporal_ui_url: ui_url(state, &plan.workflow_id),
    })
}

fn slot_attributes(slot: &entities::slots::Model) -> SearchAttributes {
    SearchAttributes::new([
        ORG_ID.value_set(slot.org_id.to_string()),
        PROJECT_ID.value_set(slot.project_id.to_string()),
        SLOT_ID.value_set(slot.id.to_string()),
    ])
}

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
    Ok(RunView {
        workflow_id: workflow_id.clone(),
        status: "running".into(),
        temporal_ui_url: ui_url(state, &workflow_id),
    })
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
    Ok(RunView {
        workflow_id: workflow_id.clone(),
        status: "running".into(),
        temporal_ui_url: ui_url(state, &workflow_id),
    })
}

/// Creates the account's metrics schedule (every `METRICS_EVERY_SECS`,
/// overlapping runs skipped) unless it exists; `now` also runs it at once.
pub async fn ensure_metrics_schedule(
    state: &AppState,
    org_id: uuid::Uuid,
    account_id: uuid::Uuid,
    now: bool,
) -> Result<(), ApiError> {
    use temporalio_client::schedules::{CreateScheduleOptions, ScheduleAction, ScheduleOverlapPolicy, ScheduleSpec};
    let id = temporal::ids::metrics_schedule_id(org_id, account_id);
    let input = temporal::pipeline::AccountRef { org_id, account_id };
    let options = CreateScheduleOptions::builder()
        .action(ScheduleAction::start_workflow(
            MetricsRefreshWorkflow::run,
            input,
            Workload::Main.queue(&state.config.temporal.task_queue_prefix),
            id.clone(),
        ))
        .spec(ScheduleSpec::from_interval(state.config.tiktok.metrics_every))
        .overlap_policy(ScheduleOverlapPolicy::Skip)
        .note("TikTok metrics snapshots for one connected account".to_owned())
        .build();
    match state.temporal.create_schedule(&id, options).await {
        Ok(_) => tracing::info!(schedule_id = %id, "metrics schedule created"),
        Err(e) if e.to_string().to_lowercase().contains("already") => {}
        Err(e) => return Err(unavailable(e)),
    }
    if now {
        let handle = state.temporal.get_schedule_handle(&id);
        handle.trigger(ScheduleOverlapPolicy::AllowAll, Default::default()).await.map_err(unavailable)?;
    }
    Ok(())
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

/// `work`, or `None` when it has not finished by `deadline` (it is dropped,
/// which cancels its calls): for reads that serve what the database holds
/// when Temporal is slow.
pub async fn within<T>(deadline: tokio::time::Instant, what: &str, work: impl Future<Output = T>) -> Option<T> {
    match tokio::time::timeout_at(deadline, work).await {
        Ok(done) => Some(done),
        Err(_) => {
            tracing::warn!(what, "Temporal did not answer in time");
            None
        }
    }
}

/// A run Temporal was not asked about or did not answer for.
pub fn unknown(state: &AppState, workflow_id: &str) -> RunView {
    RunView {
        workflow_id: workflow_id.to_owned(),
        status: "unknown".into(),
        temporal_ui_url: ui_url(state, workflow_id),
    }
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

/// Starts (or joins) the "AI improve" run of a slot.
pub async fn start_improve(
    state: &AppState,
    slot: &entities::slots::Model,
    instruction: Option<String>,
) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let workflow_id = temporal::ids::slot_improve_workflow_id(slot.org_id, slot.id);
    let options = start_options(state, &workflow_id, slot_attributes(slot), memo, "Improve one slot".into());
    let input = ImproveSlotInput { org_id: slot.org_id, slot_id: slot.id, instruction, meta };
    state.temporal.start_workflow(ImproveSlotWorkflow::run, input, options).await.map_err(unavailable)?;
    Ok(RunView {
        workflow_id: workflow_id.clone(),
        status: "running".into(),
        temporal_ui_url: ui_url(state, &workflow_id),
    })
}

/// The current state of a run; `unknown` rather than an error when Temporal
/// cannot answer, so the data the database holds is still served.
pub async fn describe(state: &AppState, workflow_id: &str) -> RunView {
    let handle = state.temporal.get_workflow_handle::<GenerateMonthPlanWorkflow>(workflow_id);
    let status = match handle.describe(WorkflowDescribeOptions::default()).await {
        Ok(d) => format!("{:?}", d.status()).to_lowercase(),
        Err(e) => {
            tracing::warn!(workflow_id, error = %e, "could not describe run");
            "unknown".into()
        }
    };
    RunView { workflow_id: workflow_id.to_owned(), status, temporal_ui_url: ui_url(state, workflow_id) }
}

/// Starts (or joins) the org's deletion (`{org}:delete`, search attribute
/// `OrgId`). A failed run is replaced by a new one, so repeating the
/// request recovers; every step of the run is idempotent.
pub async fn start_org_deletion(
    state: &AppState,
    org_id: uuid::Uuid,
    requested_by: uuid::Uuid,
) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let workflow_id = temporal::org::delete_org_workflow_id(org_id);
    let attributes = SearchAttributes::new([ORG_ID.value_set(org_id.to_string())]);
    let options = start_options(state, &workflow_id, attributes, memo, "Delete an organisation".into());
    let input = temporal::org::DeleteOrgInput { org_id, requested_by, meta };
    state.temporal.start_workflow(workflows::DeleteOrgWorkflow::run, input, options).await.map_err(unavailable)?;
    tracing::info!(%workflow_id, "organisation deletion started");
    Ok(describe(state, &workflow_id).await)
}
