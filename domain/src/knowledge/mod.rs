//! The org's knowledge: what it said before (its slots, with their results
//! once published), what its imports say (their spoken transcripts) and
//! what its brand documents say, as chunks with an embedding and a
//! full-text vector. Retrieval merges the nearest by meaning and the best
//! by words with reciprocal rank fusion; the similarity guard compares a
//! draft's meaning with the project's earlier slots.
//!
//! Chunks are kept in step with their sources by [`sync_sources`] and
//! embedded by the worker ([`pending`], [`store_embeddings`]); queries run
//! in a [`TenantTxn`] (row-level security) and filter by the org as well.

pub mod documents;

use crate::{DomainError, OrgScope, TenantTxn};
use embed::Embedding;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a chunk comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A drafted or published slot: its hook and script.
    Slot,
    /// A stretch of an import's spoken transcript.
    Transcript,
    /// A part of a brand document.
    Document,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Slot => "slot",
            Source::Transcript => "transcript",
            Source::Document => "document",
        }
    }

    fn parse(text: &str) -> Option<Source> {
        [Source::Slot, Source::Transcript, Source::Document].into_iter().find(|s| s.as_str() == text)
    }
}

/// Candidates each ranking contributes before fusion.
const CANDIDATES: i64 = 50;
/// Reciprocal rank fusion's constant (Cormack et al.): 1 / (k + rank).
const RRF_K: f64 = 60.0;
/// The most slots the similarity guard compares a draft with.
const GUARD_READ: i64 = 2000;

fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Brings the org's chunks in step with its slots and transcripts: a new or
/// edited slot (its content version moved) gets its text again and waits
/// for an embedding, a deleted one leaves; results and status are kept
/// current in each slot chunk's `meta`. Returns the chunks written.
pub async fn sync_sources(tx: &TenantTxn) -> Result<u64, DomainError> {
    let org = tx.org_id();
    let slots = tx
        .execute(statement(
            r#"
            INSERT INTO knowledge_chunks (id, org_id, project_id, source, source_id, position, source_version, text, meta)
            SELECT gen_random_uuid(), s.org_id, s.project_id, 'slot', s.id, 0, s.version,
                   s.hook || E'\n' || s.script,
                   jsonb_build_object('status', s.status, 'scheduled_at', s.scheduled_at, 'format', s.format,
                                      'plan_id', s.plan_id, 'views', m.view_count, 'likes', m.like_count)
            FROM slots s
            LEFT JOIN LATERAL (
                SELECT pm.view_count, pm.like_count FROM publications p
                JOIN post_metrics pm ON pm.publication_id = p.id AND pm.org_id = p.org_id
                WHERE p.slot_id = s.id AND p.org_id = s.org_id
                ORDER BY pm.captured_at DESC LIMIT 1
            ) m ON true
            WHERE s.org_id = $1 AND s.status <> 'empty' AND s.hook <> ''
            ON CONFLICT (org_id, source, source_id, position) DO UPDATE
                SET text = EXCLUDED.text, meta = EXCLUDED.meta, source_version = EXCLUDED.source_version,
                    embedding = CASE WHEN knowledge_chunks.source_version = EXCLUDED.source_version
                                     THEN knowledge_chunks.embedding END,
                    indexed_at = now()
                WHERE knowledge_chunks.source_version <> EXCLUDED.source_version
                   OR knowledge_chunks.meta <> EXCLUDED.meta
            "#,
            vec![org.into()],
        ))
        .await?
        .rows_affected();
    tx.execute(statement(
        "DELETE FROM knowledge_chunks k WHERE k.org_id = $1 AND k.source = 'slot' \
         AND NOT EXISTS (SELECT 1 FROM slots s WHERE s.id = k.source_id AND s.status <> 'empty')",
        vec![org.into()],
    ))
    .await?;
    let transcripts = tx
        .execute(statement(
            r#"
            INSERT INTO knowledge_chunks (id, org_id, project_id, source, source_id, position, text, meta)
            SELECT gen_random_uuid(), seg.org_id, i.project_id, 'transcript', t.id, seg.position, seg.text,
                   jsonb_build_object('import_id', i.id, 'title', i.title, 'start_ms', seg.start_ms,
                                      'end_ms', seg.end_ms)
            FROM transcript_segments seg
            JOIN transcripts t ON t.id = seg.transcript_id AND t.org_id = seg.org_id AND t.kind = 'spoken'
            JOIN imports i ON i.id = t.import_id AND i.org_id = t.org_id
            WHERE seg.org_id = $1 AND btrim(seg.text) <> ''
              -- A transcript never changes: one indexed is left alone.
              AND NOT EXISTS (SELECT 1 FROM knowledge_chunks k
                              WHERE k.org_id = t.org_id AND k.source = 'transcript' AND k.source_id = t.id)
            ON CONFLICT (org_id, source, source_id, position) DO NOTHING
            "#,
            vec![org.into()],
        ))
        .await?
        .rows_affected();
    Ok(slots + transcripts)
}

/// A chunk waiting for its embedding.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: Uuid,
    pub text: String,
}

/// Up to `limit` chunks of the org without an embedding, oldest first.
pub async fn pending(tx: &TenantTxn, limit: u64) -> Result<Vec<Pending>, DomainError> {
    let rows = tx
        .query_all(statement(
            "SELECT id, text FROM knowledge_chunks WHERE org_id = $1 AND embedding IS NULL \
             ORDER BY indexed_at, id LIMIT $2",
            vec![tx.org_id().into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter().map(|r| Ok(Pending { id: r.try_get("", "id")?, text: r.try_get("", "text")? })).collect()
}

/// Stores the embeddings of chunks read by [`pending`].
pub async fn store_embeddings(tx: &TenantTxn, embedded: &[(Uuid, Embedding)]) -> Result<(), DomainError> {
    for (id, embedding) in embedded {
        tx.execute(statement(
            "UPDATE knowledge_chunks SET embedding = $3::vector WHERE org_id = $1 AND id = $2",
            vec![tx.org_id().into(), (*id).into(), embedding.to_pgvector().into()],
        ))
        .await?;
    }
    Ok(())
}

/// A brand document's text, cut into chunks that wait for embeddings.
pub(crate) async fn add_document_chunks(
    tx: &TenantTxn,
    document_id: Uuid,
    project_id: Option<Uuid>,
    name: &str,
    chunks: &[String],
) -> Result<(), DomainError> {
    for (position, text) in chunks.iter().enumerate() {
        tx.execute(statement(
            "INSERT INTO knowledge_chunks (id, org_id, project_id, source, source_id, position, text, meta) \
             VALUES ($1, $2, $3, 'document', $4, $5, $6, jsonb_build_object('name', $7::text))",
            vec![
                Uuid::now_v7().into(),
                tx.org_id().into(),
                project_id.into(),
                document_id.into(),
                (position as i32).into(),
                text.clone().into(),
                name.to_owned().into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Removes a document's chunks.
pub(crate) async fn remove_document_chunks(tx: &TenantTxn, document_id: Uuid) -> Result<(), DomainError> {
    tx.execute(statement(
        "DELETE FROM knowledge_chunks WHERE org_id = $1 AND source = 'document' AND source_id = $2",
        vec![tx.org_id().into(), document_id.into()],
    ))
    .await?;
    Ok(())
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub embedding: Embedding,
    /// Only this project's knowledge (and the org's documents for every
    /// project).
    pub project_id: Option<Uuid>,
    /// Only these sources; empty: all.
    pub sources: Vec<Source>,
    pub limit: u64,
}

/// A chunk found, best first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub source: Source,
    /// The slot, transcript or document the text is from.
    pub source_id: Uuid,
    /// Its place in the source (a transcript segment, a document part).
    pub position: i32,
    pub project_id: Option<Uuid>,
    pub text: String,
    /// Status, date and results of a slot; title and moment of a transcript;
    /// a document's name.
    #[schema(value_type = Object)]
    pub meta: serde_json::Value,
    /// The fused score: the sum of 1 / (60 + rank) over both rankings.
    pub score: f64,
    /// Cosine similarity of the meaning, -1 to 1 (absent before the chunk
    /// is embedded).
    pub similarity: Option<f64>,
}

/// [`search`] in a transaction of its own.
pub async fn find(db: &DatabaseConnection, scope: &OrgScope, query: &Query) -> Result<Vec<Hit>, DomainError> {
    let tx = scope.begin(db).await?;
    search(&tx, query).await
}

/// The org's chunks that match `query` by meaning (HNSW, cosine) or by
/// words (full text), fused by reciprocal rank.
pub async fn search(tx: &TenantTxn, query: &Query) -> Result<Vec<Hit>, DomainError> {
    // With a filter, an HNSW scan keeps going until it has enough rows
    // (pgvector 0.8), rather than filtering a fixed candidate list.
    tx.execute_unprepared("SET LOCAL hnsw.iterative_scan = relaxed_order").await?;
    let sources = query.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let values: Vec<Value> = vec![
        tx.org_id().into(),
        query.embedding.to_pgvector().into(),
        query.text.clone().into(),
        (CANDIDATES as i32).into(),
        RRF_K.into(),
        (query.limit.clamp(1, 100) as i64).into(),
        query.project_id.into(),
        (!sources.is_empty()).then_some(sources).into(),
    ];
    // Only the filters asked for are in the nearest-neighbour scan, so its
    // plan keeps the HNSW index (a generic `$n IS NULL OR ...` may not).
    let mut filters = String::new();
    if query.project_id.is_some() {
        filters.push_str(" AND (project_id = $7 OR project_id IS NULL)");
    }
    if !query.sources.is_empty() {
        filters.push_str(" AND source = ANY (string_to_array($8, ','))");
    }
    let sql = format!(
        r#"
            WITH semantic AS (
                SELECT id, row_number() OVER (ORDER BY distance) AS rank FROM (
                    SELECT id, embedding <=> $2::vector AS distance FROM knowledge_chunks
                    WHERE org_id = $1 AND embedding IS NOT NULL{filters}
                    ORDER BY embedding <=> $2::vector LIMIT $4
                ) nearest
            ),
            lexical AS (SELECT id, rank FROM knowledge_lexical($3, $7::uuid, $8::text, $4))
            SELECT k.source, k.source_id, k.position, k.project_id, k.text, k.meta,
                   (COALESCE(1.0 / ($5 + s.rank), 0) + COALESCE(1.0 / ($5 + l.rank), 0))::float8 AS score,
                   (1 - (k.embedding <=> $2::vector))::float8 AS similarity
            FROM (SELECT id FROM semantic UNION SELECT id FROM lexical) found
            JOIN knowledge_chunks k ON k.id = found.id AND k.org_id = $1
            LEFT JOIN semantic s ON s.id = k.id
            LEFT JOIN lexical l ON l.id = k.id
            ORDER BY score DESC, k.id
            LIMIT $6
        "#
    );
    let rows = tx.query_all(statement(&sql, values)).await?;
    rows.iter()
        .map(|r| {
            let source: String = r.try_get("", "source")?;
            Ok(Hit {
                source: Source::parse(&source)
                    .ok_or_else(|| DomainError::Db(DbErr::Custom(format!("unknown chunk source {source}"))))?,
                source_id: r.try_get("", "source_id")?,
                position: r.try_get("", "position")?,
                project_id: r.try_get("", "project_id")?,
                text: r.try_get("", "text")?,
                meta: r.try_get("", "meta")?,
                score: r.try_get("", "score")?,
                similarity: r.try_get("", "similarity")?,
            })
        })
        .collect()
}

/// An earlier slot of a project with the meaning of its text, for the
/// similarity guard.
#[derive(Debug, Clone)]
pub struct KnownSlot {
    pub slot_id: Uuid,
    pub scheduled_at: String,
    pub hook: String,
    pub published: bool,
    pub meaning: Embedding,
}

/// The project's embedded slots (newest first, at most 2,000) except
/// `except` (the ones being redrafted).
pub async fn known_slots(tx: &TenantTxn, project_id: Uuid, except: &[Uuid]) -> Result<Vec<KnownSlot>, DomainError> {
    let except = except.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",");
    let rows = tx
        .query_all(statement(
            r#"
            SELECT k.source_id, k.embedding::text AS embedding, k.meta->>'status' AS status,
                   to_char(s.scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') AS scheduled_at, s.hook
            FROM knowledge_chunks k JOIN slots s ON s.id = k.source_id AND s.org_id = k.org_id
            WHERE k.org_id = $1 AND k.project_id = $2 AND k.source = 'slot' AND k.embedding IS NOT NULL
              AND k.source_version = s.version
              AND NOT (k.source_id::text = ANY (string_to_array($3, ',')))
            ORDER BY s.scheduled_at DESC LIMIT $4
            "#,
            vec![tx.org_id().into(), project_id.into(), except.into(), GUARD_READ.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let text: String = r.try_get("", "embedding")?;
            let status: Option<String> = r.try_get("", "status")?;
            Ok(KnownSlot {
                slot_id: r.try_get("", "source_id")?,
                scheduled_at: r.try_get("", "scheduled_at")?,
                hook: r.try_get("", "hook")?,
                published: status.as_deref() == Some("published"),
                meaning: parse_vector(&text)?,
            })
        })
        .collect()
}

/// pgvector's text form back into an embedding.
fn parse_vector(text: &str) -> Result<Embedding, DomainError> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    let values: Result<Vec<f32>, _> = inner.split(',').map(|v| v.trim().parse::<f32>()).collect();
    values.map(Embedding::new).map_err(|_| DomainError::Db(DbErr::Custom("an unreadable embedding".into())))
}

/// Cuts a document's text into chunks of at most `max_chars`, packing whole
/// paragraphs together and cutting a longer paragraph between words.
pub fn chunk_text(text: &str, max_chars: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let push = |piece: &str, current: &mut String, chunks: &mut Vec<String>| {
        if !current.is_empty() && current.chars().count() + 1 + piece.chars().count() > max_chars {
            chunks.push(std::mem::take(current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(piece);
    };
    for paragraph in text.split("\n\n").map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")) {
        if paragraph.is_empty() {
            continue;
        }
        if paragraph.chars().count() <= max_chars {
            push(&paragraph, &mut current, &mut chunks);
            continue;
        }
        for word in paragraph.split(' ') {
            push(word, &mut current, &mut chunks);
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_cut_at_paragraphs_and_long_ones_at_words() {
        let text = "First paragraph here.\n\nSecond one.\n\n".to_owned() + &"word ".repeat(50);
        let chunks = chunk_text(&text, 60);
        assert!(chunks[0].starts_with("First paragraph here. Second one. word"), "{chunks:?}");
        assert!(chunks.iter().all(|c| c.chars().count() <= 60), "{chunks:?}");
        assert_eq!(chunks.iter().map(|c| c.split(' ').filter(|w| *w == "word").count()).sum::<usize>(), 50);
    }

    #[test]
    fn a_vector_reads_back_from_pgvectors_text() {
        let e = Embedding::new(vec![3.0, 4.0]);
        let back = parse_vector(&e.to_pgvector()).unwrap();
        assert!((back.values()[0] - 0.6).abs() < 1e-5 && (back.values()[1] - 0.8).abs() < 1e-5);
        assert!(parse_vector("[a,b]").is_err());
    }
}
