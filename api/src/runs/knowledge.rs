//! The run that indexes a brand document (and whatever else of the org's
//! knowledge waits for embeddings).

use super::{meta_and_memo, start_options, started, unavailable};
use crate::{ApiError, AppState, runs::RunView};
use temporal::{knowledge::IndexKnowledgeInput, search::ORG_ID};
use temporalio_common::search_attributes::SearchAttributes;
use uuid::Uuid;
use workflows::IndexKnowledgeWorkflow;

/// Starts the indexing run of a document just added.
pub async fn start_indexing(state: &AppState, org_id: Uuid, document_id: Uuid) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let workflow_id = temporal::knowledge::index_knowledge_workflow_id(org_id, document_id);
    let attributes = SearchAttributes::new([ORG_ID.value_set(org_id.to_string())]);
    let options = start_options(state, &workflow_id, attributes, memo, "Index a brand document".into());
    let input = IndexKnowledgeInput { org_id, meta };
    state.temporal.start_workflow(IndexKnowledgeWorkflow::run, input, options).await.map_err(unavailable)?;
    Ok(started(state, &workflow_id))
}
