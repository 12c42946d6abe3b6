//! Starting and inspecting workflow runs on behalf of API callers, one
//! module per capability; what they share (the run view, idempotent start
//! options, the request id in the memo, reads with a deadline) is here.

mod analytics;
mod identity;
mod importing;
mod knowledge;
mod planning;
mod publishing;
mod rendering;

pub use analytics::{delete_analytics_schedule, ensure_analytics_schedule};
pub use identity::start_org_deletion;
pub use importing::{cancel_import, describe_import, import_run_is_open, start_import};
pub use knowledge::start_indexing;
pub use planning::{start_improve, start_month_plan};
pub use publishing::{
    RUNNING_PIPELINES_MAX, delete_metrics_schedule, describe_pipeline, ensure_metrics_schedule, running_pipelines,
    signal_approval, signal_policy_review, signal_publish, signal_rejection, start_pipeline, start_token_refresh,
    stop_token_refresh,
};
pub use rendering::{cancel_render, describe_render, preview_failure, start_preview, start_render};

use crate::{ApiError, AppState};
use serde::Serialize;
use temporal::{
    MEMO_REQUEST_ID, RunMeta,
    queues::Workload,
    search::{ORG_ID, PROJECT_ID, SLOT_ID},
};
use temporalio_client::{
    WorkflowDescribeOptions, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowStartOptions,
};
use temporalio_common::{MemoValues, search_attributes::SearchAttributes};
use workflows::GenerateMonthPlanWorkflow;

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

/// The view of a run just started (or joined).
pub(crate) fn started(state: &AppState, workflow_id: &str) -> RunView {
    RunView {
        workflow_id: workflow_id.to_owned(),
        status: "running".into(),
        temporal_ui_url: ui_url(state, workflow_id),
    }
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable { dependency: "temporal", cause: e.to_string() }
}

/// Creates the schedule `id` (every `every`, overlapping runs skipped)
/// unless it exists; `now` also runs it at once.
async fn ensure_schedule(
    state: &AppState,
    id: &str,
    action: temporalio_client::schedules::ScheduleAction,
    every: std::time::Duration,
    note: &str,
    now: bool,
) -> Result<(), ApiError> {
    use temporalio_client::schedules::{CreateScheduleOptions, ScheduleOverlapPolicy, ScheduleSpec};
    let options = CreateScheduleOptions::builder()
        .action(action)
        .spec(ScheduleSpec::from_interval(every))
        .overlap_policy(ScheduleOverlapPolicy::Skip)
        .note(note.to_owned())
        .build();
    match state.temporal.create_schedule(id, options).await {
        Ok(_) => tracing::info!(schedule_id = %id, "schedule created"),
        Err(e) if e.to_string().to_lowercase().contains("already") => {}
        Err(e) => return Err(unavailable(e)),
    }
    if now {
        let handle = state.temporal.get_schedule_handle(id);
        handle.trigger(ScheduleOverlapPolicy::AllowAll, Default::default()).await.map_err(unavailable)?;
    }
    Ok(())
}

fn slot_attributes(slot: &entities::slots::Model) -> SearchAttributes {
    SearchAttributes::new([
        ORG_ID.value_set(slot.org_id.to_string()),
        PROJECT_ID.value_set(slot.project_id.to_string()),
        SLOT_ID.value_set(slot.id.to_string()),
    ])
}

/// Temporal calls of one page of a list in flight at once.
pub const CALLS_AT_ONCE: usize = 8;
/// How long one read waits for Temporal in all (a listing and every item's
/// calls); what has not answered by then is shown as unknown.
pub const READ_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

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
