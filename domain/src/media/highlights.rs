//! The moments of an import worth a short: the model picks runs of whole
//! transcript segments (so every highlight starts and ends on a word
//! boundary and quotes words that were said), with a hook and why; each is
//! checked against the transcript (15 to 60 s, inside the video, no
//! overlaps) before it is stored.

use super::transcripts::TimedSegment;
use crate::{
    DomainError, OrgScope,
    paging::{Newest, PAGE_MAX, Page, more},
    planning::generation::strip_code_fence,
};
use chrono::Utc;
use entities::{assets, highlights, imports};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// A highlight lasts this long at least and at most (a short's length).
pub const MIN_MS: i64 = 15_000;
pub const MAX_MS: i64 = 60_000;
/// Highlights asked of one import.
pub const MAX_HIGHLIGHTS: usize = 5;
/// Segments sent at most (about an hour of speech); the rest is not mined.
pub const MAX_SEGMENTS: usize = 600;

/// The answer's shape for a transcript of `segments` segments.
pub fn schema(segments: usize) -> Value {
    let index = json!({"type": "integer", "minimum": 0, "maximum": segments.saturating_sub(1)});
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["highlights"],
        "properties": {
            "highlights": {
                "type": "array",
                "maxItems": MAX_HIGHLIGHTS,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["first_segment", "last_segment", "hook", "reason"],
                    "properties": {
                        "first_segment": index,
                        "last_segment": index,
                        "hook": {"type": "string", "minLength": 3, "maxLength": 150},
                        "reason": {"type": "string", "minLength": 3, "maxLength": 300}
                    }
                }
            }
        }
    })
}

/// The conversation that asks for the highlights of `segments`.
pub fn messages(niche: &str, language: &str, segments: &[TimedSegment]) -> Vec<Value> {
    let numbered: Vec<Value> = segments
        .iter()
        .take(MAX_SEGMENTS)
        .enumerate()
        .map(|(index, s)| {
            // The times a highlight is measured by: first word to last word.
            let (start_ms, end_ms) = span(s, s);
            json!({"index": index, "start_ms": start_ms, "end_ms": end_ms, "text": s.text})
        })
        .collect();
    let task = json!({
        "task": "highlights",
        "niche": niche,
        "language": language,
        "min_seconds": MIN_MS / 1000,
        "max_seconds": MAX_MS / 1000,
        "max_highlights": MAX_HIGHLIGHTS,
        "segments": numbered,
    });
    vec![
        json!({"role": "system", "content":
            "You find the moments of a long video that make the best short vertical videos: a self-contained \
             point, a strong opening line, a surprise, a tip. Each moment is a run of consecutive transcript \
             segments (first_segment..last_segment) lasting min_seconds to max_seconds; moments do not overlap. \
             Give each a hook (the on-screen title, in the video's language) and the reason it works. \
             Answer with JSON: {\"highlights\": [{\"first_segment\", \"last_segment\", \"hook\", \"reason\"}]}."}),
        json!({"role": "user", "content": task.to_string()}),
    ]
}

/// A checked highlight, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHighlight {
    pub start_ms: i64,
    pub end_ms: i64,
    pub hook: String,
    pub reason: String,
    pub quote: String,
}

/// Where a run of segments starts and ends: its first word's start and its
/// last word's end (the segment bounds when Whisper timed no words).
fn span(first: &TimedSegment, last: &TimedSegment) -> (i64, i64) {
    let start = first.words.first().map_or(first.start_ms, |w| w.start_ms);
    let end = last.words.last().map_or(last.end_ms, |w| w.end_ms);
    (start, end.max(start))
}

/// The model's highlights, checked against the transcript, in time order;
/// the errors (written for the model, for a repair round) otherwise.
pub fn validate(content: &str, segments: &[TimedSegment]) -> Result<Vec<NewHighlight>, Vec<String>> {
    let segments = &segments[..segments.len().min(MAX_SEGMENTS)];
    let value: Value = serde_json::from_str(strip_code_fence(content))
        .map_err(|e| vec![format!("the answer is not valid JSON: {e}")])?;
    let schema = schema(segments.len());
    let validator = jsonschema::validator_for(&schema).expect("the highlights schema is a valid JSON Schema");
    let errors: Vec<String> =
        validator.iter_errors(&value).take(20).map(|e| format!("at {}: {}", e.instance_path(), e)).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut picked: Vec<(usize, usize, NewHighlight)> = Vec::new();
    let mut errors = Vec::new();
    for (n, h) in value["highlights"].as_array().into_iter().flatten().enumerate() {
        let (first, last) =
            (h["first_segment"].as_u64().unwrap_or(0) as usize, h["last_segment"].as_u64().unwrap_or(0) as usize);
        if first > last {
            errors.push(format!("highlight {n}: first_segment {first} comes after last_segment {last}"));
            continue;
        }
        let (start_ms, end_ms) = span(&segments[first], &segments[last]);
        let length = end_ms - start_ms;
        if !(MIN_MS..=MAX_MS).contains(&length) {
            errors.push(format!(
                "highlight {n}: segments {first}..{last} last {:.1} s; a highlight lasts {} to {} s",
                length as f64 / 1000.0,
                MIN_MS / 1000,
                MAX_MS / 1000
            ));
            continue;
        }
        let quote = segments[first..=last].iter().map(|s| s.text.trim()).collect::<Vec<_>>().join(" ");
        let highlight = NewHighlight {
            start_ms,
            end_ms,
            hook: h["hook"].as_str().unwrap_or_default().trim().to_owned(),
            reason: h["reason"].as_str().unwrap_or_default().trim().to_owned(),
            quote,
        };
        picked.push((first, last, highlight));
    }
    picked.sort_by_key(|(first, ..)| *first);
    for pair in picked.windows(2) {
        if pair[1].0 <= pair[0].1 {
            errors.push(format!(
                "highlights over segments {}..{} and {}..{} overlap",
                pair[0].0, pair[0].1, pair[1].0, pair[1].1
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(picked.into_iter().map(|(.., h)| h).collect())
}

/// Replaces the import's highlights with `found` (a retried step stores
/// them once).
pub async fn store(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
    found: Vec<NewHighlight>,
) -> Result<Vec<highlights::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    tx.find_by_id::<imports::Entity>(import_id).one(&*tx).await?.ok_or(DomainError::NotFound("import"))?;
    highlights::Entity::delete_many()
        .filter(highlights::Column::OrgId.eq(tx.org_id()))
        .filter(highlights::Column::ImportId.eq(import_id))
        .exec(&*tx)
        .await?;
    let now = Utc::now().fixed_offset();
    let rows: Vec<highlights::ActiveModel> = found
        .into_iter()
        .enumerate()
        .map(|(position, h)| highlights::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(tx.org_id()),
            import_id: Set(import_id),
            position: Set(position as i32),
            start_ms: Set(h.start_ms),
            end_ms: Set(h.end_ms),
            hook: Set(h.hook),
            reason: Set(h.reason),
            quote: Set(h.quote),
            clip_asset_id: Set(None),
            slot_id: Set(None),
            created_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        highlights::Entity::insert_many(rows).exec(&*tx).await?;
    }
    let stored = tx
        .find::<highlights::Entity>()
        .filter(highlights::Column::ImportId.eq(import_id))
        .order_by_asc(highlights::Column::Position)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(stored)
}

/// The import's highlights in time order.
pub async fn of_import(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
) -> Result<Vec<highlights::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    tx.find_by_id::<imports::Entity>(import_id).one(&*tx).await?.ok_or(DomainError::NotFound("import"))?;
    Ok(tx
        .find::<highlights::Entity>()
        .filter(highlights::Column::ImportId.eq(import_id))
        .order_by_asc(highlights::Column::Position)
        .all(&*tx)
        .await?)
}

/// Storage path (below the org prefix) of the clip of an import's
/// highlight: by its position, so a retried cut replaces its own file.
pub fn clip_path(import_id: Uuid, position: i32) -> String {
    super::imports::import_path(import_id, &format!("clips/{position}.mp4"))
}

/// A clip as stored.
#[derive(Debug, Clone)]
pub struct StoredClip {
    pub storage_key: String,
    pub size_bytes: i64,
    pub duration_ms: i64,
}

/// Records the clip of a highlight: its asset (by storage key), its bytes
/// metered once, and the highlight pointing at it.
pub async fn record_clip(
    db: &DatabaseConnection,
    scope: &OrgScope,
    highlight_id: Uuid,
    clip: StoredClip,
) -> Result<assets::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let highlight =
        tx.find_by_id::<highlights::Entity>(highlight_id).one(&*tx).await?.ok_or(DomainError::NotFound("highlight"))?;
    let import = tx
        .find_by_id::<imports::Entity>(highlight.import_id)
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("import"))?;
    let now = Utc::now().fixed_offset();
    let row = assets::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        project_id: Set(Some(import.project_id)),
        kind: Set("clip".into()),
        storage_key: Set(clip.storage_key.clone()),
        content_type: Set("video/mp4".into()),
        size_bytes: Set(clip.size_bytes),
        duration_ms: Set(Some(clip.duration_ms.clamp(0, i64::from(i32::MAX)) as i32)),
        width: Set(Some(1080)),
        height: Set(Some(1920)),
        render_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let asset = super::assets::upsert_by_key(
        &tx,
        row,
        &[assets::Column::SizeBytes, assets::Column::DurationMs, assets::Column::UpdatedAt],
    )
    .await?;
    let ledger = crate::usage::llm_usage::entry(
        &tx,
        Some(import.project_id),
        "storage_bytes",
        asset.size_bytes,
        format!("clip:{}", clip.storage_key),
        format!("{}:storage_bytes", clip.storage_key),
    );
    crate::usage::llm_usage::meter_once(&tx, [ledger]).await?;
    let mut row: highlights::ActiveModel = highlight.into();
    row.clip_asset_id = Set(Some(asset.id));
    row.update(&*tx).await?;
    tx.commit().await?;
    Ok(asset)
}

/// A cut clip in the org's library: its highlight, the import it came
/// from and the clip itself.
pub struct ClipEntry {
    pub highlight: highlights::Model,
    pub import: imports::Model,
    pub clip: assets::Model,
}

/// The org's cut clips (optionally of one project), newest first, `limit`
/// of them after `after`.
pub async fn clips(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Option<Uuid>,
    after: Option<Newest>,
    limit: u64,
) -> Result<Page<ClipEntry, Newest>, DomainError> {
    let tx = scope.begin(db).await?;
    let mut query = tx.find::<highlights::Entity>().filter(highlights::Column::ClipAssetId.is_not_null());
    if let Some(project_id) = project_id {
        let of_project = tx.find::<imports::Entity>().filter(imports::Column::ProjectId.eq(project_id));
        let ids: Vec<Uuid> = of_project.select_only().column(imports::Column::Id).into_tuple().all(&*tx).await?;
        query = query.filter(highlights::Column::ImportId.is_in(ids));
    }
    if let Some(after) = after {
        query = query.filter(after.after(highlights::Column::CreatedAt, highlights::Column::Id));
    }
    let limit = limit.min(PAGE_MAX);
    let mut rows = query
        .order_by_desc(highlights::Column::CreatedAt)
        .order_by_desc(highlights::Column::Id)
        .limit(limit + 1)
        .all(&*tx)
        .await?;
    let next = more(&mut rows, limit).map(|h| Newest { at: h.created_at, id: h.id });
    let import_ids: BTreeSet<Uuid> = rows.iter().map(|h| h.import_id).collect();
    let clip_ids: Vec<Uuid> = rows.iter().filter_map(|h| h.clip_asset_id).collect();
    let imports: BTreeMap<Uuid, imports::Model> = tx
        .find::<imports::Entity>()
        .filter(imports::Column::Id.is_in(import_ids))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut clips: BTreeMap<Uuid, assets::Model> = tx
        .find::<assets::Entity>()
        .filter(assets::Column::Id.is_in(clip_ids))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let items = rows
        .into_iter()
        .filter_map(|highlight| {
            let clip = clips.remove(&highlight.clip_asset_id?)?;
            let import = imports.get(&highlight.import_id)?.clone();
            Some(ClipEntry { highlight, import, clip })
        })
        .collect();
    Ok(Page { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::transcripts::TimedWord;

    /// Segments of 8 s each, one word at 0.5 s in and one ending 0.5 s early.
    fn transcript(n: usize) -> Vec<TimedSegment> {
        (0..n as i64)
            .map(|i| {
                let (start, end) = (i * 8000, i * 8000 + 8000);
                let word = |s, e, t: &str| TimedWord { start_ms: s, end_ms: e, text: t.into(), probability: 0.9 };
                TimedSegment {
                    start_ms: start,
                    end_ms: end,
                    text: format!("segment {i}"),
                    words: vec![
                        word(start + 500, start + 1000, "segment"),
                        word(end - 1000, end - 500, &i.to_string()),
                    ],
                }
            })
            .collect()
    }

    fn answer(ranges: &[(usize, usize)]) -> String {
        let highlights: Vec<Value> = ranges
            .iter()
            .map(|(f, l)| json!({"first_segment": f, "last_segment": l, "hook": "A strong hook", "reason": "It lands"}))
            .collect();
        json!({"highlights": highlights}).to_string()
    }

    #[test]
    fn highlights_start_and_end_on_word_boundaries_and_quote_what_was_said() {
        let segments = transcript(12);
        let found = validate(&answer(&[(5, 7), (0, 2)]), &segments).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].start_ms, found[0].end_ms), (500, 23_500), "first word to last word, in time order");
        assert_eq!(found[0].quote, "segment 0 segment 1 segment 2");
        assert_eq!(found[1].start_ms, 40_500);
    }

    #[test]
    fn too_short_too_long_overlapping_or_unknown_moments_are_sent_back() {
        let segments = transcript(12);
        for (bad, why) in [
            (answer(&[(0, 0)]), "7 s is too short"),
            (answer(&[(0, 8)]), "71 s is too long"),
            (answer(&[(0, 2), (2, 4)]), "they share segment 2"),
            (answer(&[(3, 1)]), "backwards"),
            (answer(&[(10, 12)]), "segment 12 does not exist"),
            ("{}".to_owned(), "no highlights key"),
        ] {
            assert!(validate(&bad, &segments).is_err(), "{why}");
        }
        assert_eq!(validate(&answer(&[]), &segments).unwrap(), vec![], "no moment worth a short is an answer");
    }
}
