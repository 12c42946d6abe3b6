//! Import runs: start (a retry is a new run of the same id) and cancel.

use super::{RunView, meta_and_memo, start_options, started, unavailable};
use crate::{ApiError, AppState};
use temporal::{
    import::ImportVideoInput,
    search::{ORG_ID, PROJECT_ID},
};
use temporalio_client::{WorkflowCancelOptions, WorkflowDescribeOptions};
use temporalio_common::search_attributes::SearchAttributes;
use workflows::ImportVideoWorkflow;

/// Starts (or joins) the run of an import.
pub async fn start_import(state: &AppState, import: &entities::imports::Model) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let attributes = SearchAttributes::new([
        ORG_ID.value_set(import.org_id.to_string()),
        PROJECT_ID.value_set(import.project_id.to_string()),
    ]);
    let what = import.source_url.as_deref().unwrap_or("an upload");
    let summary: String = format!("Import {what}").chars().take(200).collect();
    let options = start_options(state, &import.workflow_id, attributes, memo, summary);
    let input = ImportVideoInput { org_id: import.org_id, project_id: import.project_id, import_id: import.id, meta };
    state.temporal.start_workflow(ImportVideoWorkflow::run, input, options).await.map_err(unavailable)?;
    tracing::info!(workflow_id = %import.workflow_id, "import workflow started");
    Ok(started(state, &import.workflow_id))
}

/// Asks an import run to stop; its running step kills yt-dlp and FFmpeg or
/// stops Whisper. A run that already ended is left alone.
pub async fn cancel_import(state: &AppState, workflow_id: &str) -> Result<(), ApiError> {
    let handle = state.temporal.get_workflow_handle::<ImportVideoWorkflow>(workflow_id);
    match handle.cancel(WorkflowCancelOptions::builder().reason("cancelled by a user".to_owned()).build()).await {
        Ok(()) => Ok(()),
        Err(e) if e.to_string().to_lowercase().contains("already completed") => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

/// The run of an import as Temporal sees it now (`unknown` when it cannot
/// answer within the read deadline).
pub async fn describe_import(state: &AppState, workflow_id: &str) -> RunView {
    let deadline = tokio::time::Instant::now() + super::READ_DEADLINE;
    super::within(deadline, "describe an import's run", super::describe(state, workflow_id))
        .await
        .unwrap_or_else(|| super::unknown(state, workflow_id))
}

/// Whether the import's last run is still going (winding down after a
/// cancel, say): a retry must not join it.
pub async fn import_run_is_open(state: &AppState, workflow_id: &str) -> Result<bool, ApiError> {
    let handle = state.temporal.get_workflow_handle::<ImportVideoWorkflow>(workflow_id);
    match handle.describe(WorkflowDescribeOptions::default()).await {
        Ok(d) => Ok(format!("{:?}", d.status()).eq_ignore_ascii_case("running")),
        Err(e) if e.to_string().to_lowercase().contains("not found") => Ok(false),
        Err(e) => Err(unavailable(e)),
    }
}
