//! Runs over a whole organisation: its deletion.

use super::{RunView, describe, meta_and_memo, start_options, unavailable};
use crate::{ApiError, AppState};
use temporal::search::ORG_ID;
use temporalio_common::search_attributes::SearchAttributes;

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
