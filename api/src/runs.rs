//! Starting and inspecting workflow runs on behalf of API callers.

use crate::{ApiError, AppState};
use entities::plans;
use serde::Serialize;
use temporal::{
    MEMO_REQUEST_ID, RunMeta,
    plan::CreateMonthPlanInput,
    queues::Workload,
    search::{ORG_ID, PROJECT_ID},
};
use temporalio_client::{
    WorkflowDescribeOptions, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowStartOptions,
};
use temporalio_common::{MemoValues, search_attributes::SearchAttributes};
use workflows::CreateMonthPlanWorkflow;

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

/// Starts the plan's workflow, or meets the one already running for it: the
/// workflow id is the plan's, and a start for a running id returns that run.
pub async fn start_month_plan(state: &AppState, plan: &plans::Model) -> Result<RunView, ApiError> {
    let meta = RunMeta { request_id: crate::request_id::current() };
    let mut memo = MemoValues::new();
    memo.insert(MEMO_REQUEST_ID, meta.request_id.clone().unwrap_or_default());
    let options = WorkflowStartOptions::new(
        Workload::Main.queue(&state.config.temporal.task_queue_prefix),
        plan.workflow_id.clone(),
    )
    .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
    .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicate)
    .search_attributes(SearchAttributes::new([
        ORG_ID.value_set(plan.org_id.to_string()),
        PROJECT_ID.value_set(plan.project_id.to_string()),
    ]))
    .memo(memo)
    .static_summary(format!("Month plan starting {}", plan.start_date))
    .build();
    let input = CreateMonthPlanInput { org_id: plan.org_id, project_id: plan.project_id, plan_id: plan.id, meta };
    state
        .temporal
        .start_workflow(CreateMonthPlanWorkflow::run, input, options)
        .await
        .map_err(|e| ApiError::Unavailable { dependency: "temporal", cause: e.to_string() })?;
    tracing::info!(workflow_id = %plan.workflow_id, "month plan workflow started");
    Ok(RunView {
        workflow_id: plan.workflow_id.clone(),
        status: "running".into(),
        temporal_ui_url: ui_url(state, &plan.workflow_id),
    })
}

/// The current state of a run; `unknown` rather than an error when Temporal
/// cannot answer, so the data the database holds is still served.
pub async fn describe(state: &AppState, workflow_id: &str) -> RunView {
    let handle = state.temporal.get_workflow_handle::<CreateMonthPlanWorkflow>(workflow_id);
    let status = match handle.describe(WorkflowDescribeOptions::default()).await {
        Ok(d) => format!("{:?}", d.status()).to_lowercase(),
        Err(e) => {
            tracing::warn!(workflow_id, error = %e, "could not describe run");
            "unknown".into()
        }
    };
    RunView { workflow_id: workflow_id.to_owned(), status, temporal_ui_url: ui_url(state, workflow_id) }
}
