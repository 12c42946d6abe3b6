//! Indexing the org's knowledge: its new or edited slots, its transcripts
//! and its brand documents get their embeddings (`domain::knowledge`).

use crate::RunMeta;
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityError;
use temporalio_macros::activity_definitions;
use uuid::Uuid;

pub const INDEX_KNOWLEDGE_WORKFLOW: &str = "IndexKnowledge";

/// The run that indexes what a document upload (the business key) brought.
pub fn index_knowledge_workflow_id(org_id: Uuid, document_id: Uuid) -> String {
    format!("{org_id}:knowledge:{document_id}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKnowledgeInput {
    pub org_id: Uuid,
    pub meta: RunMeta,
}

/// What one indexing pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedKnowledge {
    /// Chunks written from slots and transcripts.
    pub synced: u64,
    /// Chunks embedded.
    pub embedded: u64,
}

pub struct KnowledgeActivities;

// Definitions only: the SDK requires `unimplemented!()` bodies here.
#[allow(clippy::unimplemented)]
#[activity_definitions]
impl KnowledgeActivities {
    /// Brings the org's chunks in step with its sources and embeds every
    /// chunk still without an embedding (heartbeating per batch).
    #[activity(name = "knowledge.index")]
    pub fn index(input: IndexKnowledgeInput) -> Result<IndexedKnowledge, ActivityError> {
        unimplemented!()
    }
}

pub use knowledge_activities::Index;
