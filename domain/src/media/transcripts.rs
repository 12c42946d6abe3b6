//! An import's transcripts: what was said (with the language Whisper
//! detected) and its translations, as timed segments with word timings,
//! searchable by their words. One transcript per language and import: a
//! retried step replaces its own transcript instead of adding one.

use crate::{DomainError, OrgScope, TenantTxn, usage::budgets::Reservation};
use chrono::Utc;
use entities::{
    imports,
    transcript_segments::{self},
    transcripts::{self, TranscriptEngine, TranscriptKind},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most segments one search returns.
pub const SEARCH_MAX: u64 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedWord {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    /// The recogniser's confidence, 0 to 1 (0 for words it did not time).
    pub probability: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedSegment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    pub words: Vec<TimedWord>,
}

#[derive(Debug, Clone)]
pub struct NewTranscript {
    pub language: String,
    pub kind: TranscriptKind,
    pub engine: TranscriptEngine,
    pub segments: Vec<TimedSegment>,
}

/// The recognition time a spoken transcript cost, metered once per import,
/// and the budget it was reserved from.
#[derive(Debug, Clone, Copy)]
pub struct AsrUse {
    pub seconds: i64,
    pub reservation: Reservation,
}

/// Keeps times inside the audio and in order: a segment (and a word) never
/// ends before it starts, nor starts before the one before it.
fn in_order(segments: Vec<TimedSegment>, duration_ms: Option<i64>) -> Vec<TimedSegment> {
    let limit = duration_ms.unwrap_or(i64::MAX);
    let mut last = 0;
    segments
        .into_iter()
        .filter(|s| !s.text.trim().is_empty())
        .map(|mut s| {
            s.start_ms = s.start_ms.clamp(last, limit);
            s.end_ms = s.end_ms.clamp(s.start_ms, limit);
            let mut word_last = s.start_ms;
            for w in &mut s.words {
                w.start_ms = w.start_ms.clamp(word_last, s.end_ms);
                w.end_ms = w.end_ms.clamp(w.start_ms, s.end_ms);
                word_last = w.start_ms;
            }
            last = s.start_ms;
            s
        })
        .collect()
}

/// Stores (or replaces) the import's transcript in `new.language`, in one
/// transaction. A spoken transcript also sets the import's language and
/// meters its recognition time once per import, dropping its reservation.
pub async fn store(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
    new: NewTranscript,
    asr: Option<AsrUse>,
) -> Result<transcripts::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let import = tx.find_by_id::<imports::Entity>(import_id).one(&*tx).await?.ok_or(DomainError::NotFound("import"))?;
    let now = Utc::now().fixed_offset();
    let existing = tx
        .find::<transcripts::Entity>()
        .filter(transcripts::Column::ImportId.eq(import_id))
        .filter(transcripts::Column::Language.eq(&new.language))
        .one(&*tx)
        .await?;
    if let Some(old) = existing {
        transcripts::Entity::delete_by_id(old.id).exec(&*tx).await?;
    }
    let transcript = transcripts::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        import_id: Set(import_id),
        language: Set(new.language.clone()),
        kind: Set(new.kind),
        engine: Set(new.engine),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    let rows: Vec<transcript_segments::ActiveModel> = in_order(new.segments, import.duration_ms)
        .into_iter()
        .enumerate()
        .map(|(position, s)| transcript_segments::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(tx.org_id()),
            transcript_id: Set(transcript.id),
            position: Set(position as i32),
            start_ms: Set(s.start_ms),
            end_ms: Set(s.end_ms),
            text: Set(s.text.trim().to_owned()),
            words: Set(serde_json::json!(s.words)),
        })
        .collect();
    // Inserted in chunks: PostgreSQL takes at most 65 535 parameters.
    for chunk in rows.chunks(1000) {
        transcript_segments::Entity::insert_many(chunk.to_vec()).exec(&*tx).await?;
    }
    if new.kind == TranscriptKind::Spoken {
        let mut row: imports::ActiveModel = import.clone().into();
        row.language = Set(Some(new.language));
        row.update(&*tx).await?;
    }
    if let Some(asr) = asr {
        meter_asr(&tx, &import, asr).await?;
    }
    tx.commit().await?;
    Ok(transcript)
}

async fn meter_asr(tx: &TenantTxn, import: &imports::Model, asr: AsrUse) -> Result<(), DomainError> {
    let ledger = crate::usage::llm_usage::entry(
        tx,
        Some(import.project_id),
        "asr_seconds",
        asr.seconds.max(0),
        format!("import:{}", import.id),
        format!("import:{}:asr_seconds", import.id),
    );
    crate::usage::llm_usage::meter_once(tx, [ledger]).await?;
    crate::usage::budgets::release_in(tx, asr.reservation).await
}

/// A transcript with its segments in order.
#[derive(Debug, Clone)]
pub struct TranscriptWithSegments {
    pub transcript: transcripts::Model,
    pub segments: Vec<transcript_segments::Model>,
}

/// The import's transcripts (the spoken one first), or only the one in
/// `language`.
pub async fn of_import(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
    language: Option<&str>,
) -> Result<Vec<TranscriptWithSegments>, DomainError> {
    let tx = scope.begin(db).await?;
    tx.find_by_id::<imports::Entity>(import_id).one(&*tx).await?.ok_or(DomainError::NotFound("import"))?;
    let mut query = tx.find::<transcripts::Entity>().filter(transcripts::Column::ImportId.eq(import_id));
    if let Some(language) = language {
        query = query.filter(transcripts::Column::Language.eq(language));
    }
    let mut found = query.order_by_asc(transcripts::Column::CreatedAt).all(&*tx).await?;
    found.sort_by_key(|t| t.kind != TranscriptKind::Spoken);
    let mut out = Vec::with_capacity(found.len());
    for transcript in found {
        let segments = tx
            .find::<transcript_segments::Entity>()
            .filter(transcript_segments::Column::TranscriptId.eq(transcript.id))
            .order_by_asc(transcript_segments::Column::Position)
            .all(&*tx)
            .await?;
        out.push(TranscriptWithSegments { transcript, segments });
    }
    Ok(out)
}

/// A segment that matched a search, with the language of its transcript.
#[derive(Debug, Clone)]
pub struct Match {
    pub language: String,
    pub segment: transcript_segments::Model,
}

/// Segments of the import's transcripts whose words match `query` (web
/// search syntax: words, "quoted phrases", -excluded), in time order.
pub async fn search(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
    query: &str,
) -> Result<Vec<Match>, DomainError> {
    let query = query.trim();
    if query.is_empty() || query.chars().count() > 200 {
        return Err(DomainError::invalid("q", "must be 1 to 200 characters"));
    }
    let tx = scope.begin(db).await?;
    tx.find_by_id::<imports::Entity>(import_id).one(&*tx).await?.ok_or(DomainError::NotFound("import"))?;
    let languages: Vec<(Uuid, String)> = tx
        .find::<transcripts::Entity>()
        .filter(transcripts::Column::ImportId.eq(import_id))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|t| (t.id, t.language))
        .collect();
    let segments = tx
        .find::<transcript_segments::Entity>()
        .filter(transcript_segments::Column::TranscriptId.is_in(languages.iter().map(|(id, _)| *id)))
        .filter(Expr::cust_with_values("search @@ websearch_to_tsquery('simple', $1)", [query]))
        .order_by_asc(transcript_segments::Column::StartMs)
        .order_by_asc(transcript_segments::Column::Id)
        .limit(SEARCH_MAX)
        .all(&*tx)
        .await?;
    Ok(segments
        .into_iter()
        .map(|segment| {
            let language = languages
                .iter()
                .find(|(id, _)| *id == segment.transcript_id)
                .map(|(_, l)| l.clone())
                .unwrap_or_default();
            Match { language, segment }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(start_ms: i64, end_ms: i64) -> TimedWord {
        TimedWord { start_ms, end_ms, text: "w".into(), probability: 1.0 }
    }

    #[test]
    fn stored_times_are_in_order_and_inside_the_audio() {
        let segments = vec![
            TimedSegment { start_ms: 0, end_ms: 2000, text: "one".into(), words: vec![word(0, 900), word(800, 2100)] },
            TimedSegment { start_ms: 1500, end_ms: 1400, text: "two".into(), words: vec![] },
            TimedSegment { start_ms: 3000, end_ms: 9000, text: " ".into(), words: vec![] },
            TimedSegment { start_ms: 4000, end_ms: 7000, text: "three".into(), words: vec![word(4000, 7000)] },
        ];
        let ordered = in_order(segments, Some(5000));
        let spans: Vec<(i64, i64)> = ordered.iter().map(|s| (s.start_ms, s.end_ms)).collect();
        assert_eq!(spans, vec![(0, 2000), (1500, 1500), (4000, 5000)], "blank segments go, ends are clamped");
        assert_eq!((ordered[0].words[1].start_ms, ordered[0].words[1].end_ms), (800, 2000));
        assert_eq!(ordered[2].words[0].end_ms, 5000);
    }
}
