//! Indexing the org's knowledge: chunks brought in step with the slots and
//! transcripts, then every chunk without an embedding embedded in batches.
//! Run before each drafting call (so retrieval and the similarity guard see
//! the latest content) and by `IndexKnowledge` after a document upload.

use crate::{
    context::{scope_for, span},
    errors::{from_domain, retryable},
};
use domain::{OrgScope, knowledge};
use embed::Embeddings;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use temporal::knowledge::{Index, IndexKnowledgeInput, IndexedKnowledge};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::Instrument;

/// Chunks embedded per transaction.
const BATCH: u64 = 64;

/// One pass over the org's knowledge, heartbeating the chunks embedded
/// after each batch.
pub(crate) async fn index_org(
    ctx: &ActivityContext,
    db: &DatabaseConnection,
    scope: &OrgScope,
    embeddings: &Embeddings,
) -> Result<IndexedKnowledge, ActivityError> {
    let step = "knowledge.index";
    let fail = |e| from_domain(step, e);
    let tx = scope.begin(db).await.map_err(|e| fail(e.into()))?;
    let synced = knowledge::sync_sources(&tx).await.map_err(fail)?;
    tx.commit().await.map_err(|e| fail(e.into()))?;
    let mut embedded = 0;
    loop {
        let tx = scope.begin(db).await.map_err(|e| fail(e.into()))?;
        let pending = knowledge::pending(&tx, BATCH).await.map_err(fail)?;
        if pending.is_empty() {
            break;
        }
        let vectors = embeddings
            .embed(pending.iter().map(|p| p.text.clone()).collect())
            .await
            .map_err(|e| retryable("embedding the org's knowledge", e))?;
        let pairs: Vec<_> = pending.iter().map(|p| p.id).zip(vectors).collect();
        knowledge::store_embeddings(&tx, &pairs).await.map_err(fail)?;
        tx.commit().await.map_err(|e| fail(e.into()))?;
        embedded += pairs.len() as u64;
        ctx.record_heartbeat(embedded).await.ok();
    }
    if synced + embedded > 0 {
        tracing::info!(synced, embedded, "knowledge indexed");
    }
    Ok(IndexedKnowledge { synced, embedded })
}

pub struct KnowledgeActivitiesImpl {
    pub db: DatabaseConnection,
    pub embeddings: Arc<Embeddings>,
}

#[activities]
impl KnowledgeActivitiesImpl {
    #[activity(definition = Index)]
    pub async fn index(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: IndexKnowledgeInput,
    ) -> Result<IndexedKnowledge, ActivityError> {
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let scope = scope_for(&ctx, input.org_id)?;
            index_org(&ctx, &self.db, &scope, &self.embeddings).await
        }
        .instrument(span)
        .await
    }
}
