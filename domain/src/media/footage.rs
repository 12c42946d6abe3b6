//! Finding footage in the org's library for a slot's scenes: uploads by
//! their file name and tags, and imported videos by the words said in
//! them (the scene starts where those words are said, not at the source's
//! beginning). Captioned highlight clips are not footage: their burned-in
//! captions would fight the slot's own.

use super::shots::{Shot, VisualKind};
use crate::{DomainError, TenantTxn};
use entities::{
    assets, imports,
    imports::ImportStatus,
    transcript_segments,
    transcripts::{self, TranscriptKind},
};
use sea_orm::{
    ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, extension::postgres::PgExpr},
};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Content types a scene can show.
const VISUAL_TYPES: [&str; 4] = ["image/jpeg", "image/png", "video/mp4", "video/quicktime"];
/// How much of the library one lookup reads, newest first.
const UPLOADS_READ: u64 = 500;
const SEGMENTS_READ: u64 = 2000;

/// A library file a scene shows, from `from_ms` on (0 for uploads).
#[derive(Debug, Clone, PartialEq)]
pub struct Footage {
    pub asset: assets::Model,
    pub from_ms: i64,
    /// The scene's search words it matched.
    pub matched: Vec<String>,
}

/// A search word as the library is searched: lower case letters and digits.
fn normalise(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The words a text is found by.
fn tokens(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric()).map(normalise).filter(|w| !w.is_empty()).collect()
}

/// A search word matches a token when they are equal or, both at least
/// four letters long, one starts with the other ("knife" finds "knifework").
fn matches(word: &str, token: &str) -> bool {
    word == token || (word.len() >= 4 && token.len() >= 4 && (token.starts_with(word) || word.starts_with(token)))
}

fn matched(search: &[String], found_in: &BTreeSet<String>) -> Vec<String> {
    search.iter().filter(|w| found_in.iter().any(|t| matches(w, t))).cloned().collect()
}

/// A candidate and the tokens it is found by.
struct Candidate {
    asset: assets::Model,
    from_ms: i64,
    tokens: BTreeSet<String>,
}

/// For each scene that wants footage or a still, the library file that
/// matches most of its search words (the right kind first: a video for
/// footage, an image for a still), a file not shown in the scene before
/// when another matches as well; `None` where nothing matches.
pub async fn find(tx: &TenantTxn, shots: &[Shot]) -> Result<Vec<Option<Footage>>, DomainError> {
    let searches: Vec<Vec<String>> =
        shots.iter().map(|s| s.search.iter().map(|w| normalise(w)).filter(|w| !w.is_empty()).collect()).collect();
    let all_words: BTreeSet<&String> = searches.iter().flatten().collect();
    if all_words.is_empty() {
        return Ok(vec![None; shots.len()]);
    }
    let mut candidates = Vec::new();
    let uploads = tx
        .find::<assets::Entity>()
        .filter(assets::Column::Kind.eq("upload"))
        .filter(assets::Column::ContentType.is_in(VISUAL_TYPES))
        .order_by_desc(assets::Column::CreatedAt)
        .limit(UPLOADS_READ)
        .all(&**tx)
        .await?;
    for asset in uploads {
        let tags: Vec<String> = serde_json::from_value(asset.tags.clone()).unwrap_or_default();
        let mut found_by = tokens(asset.name.as_deref().unwrap_or_default());
        found_by.extend(tags.iter().flat_map(|t| tokens(t)));
        candidates.push(Candidate { asset, from_ms: 0, tokens: found_by });
    }
    candidates.extend(spoken_in_imports(tx, &all_words).await?);
    let mut shown: Vec<Option<Footage>> = Vec::with_capacity(shots.len());
    for (shot, search) in shots.iter().zip(&searches) {
        if !matches!(shot.visual, VisualKind::Footage | VisualKind::Still) || search.is_empty() {
            shown.push(None);
            continue;
        }
        let wants_image = shot.visual == VisualKind::Still;
        let previous = shown.iter().rev().flatten().next().map(|f| f.asset.id);
        let best = candidates
            .iter()
            .rev()
            .map(|c| (c, matched(search, &c.tokens)))
            .filter(|(_, words)| !words.is_empty())
            // Most words, then the kind asked for, then not the last one shown;
            // ties go to the first read (the newest upload, the earliest segment).
            .max_by_key(|(c, words)| {
                let right_kind = c.asset.content_type.starts_with("image/") == wants_image;
                (words.len(), right_kind, Some(c.asset.id) != previous)
            });
        shown.push(best.map(|(c, words)| Footage { asset: c.asset.clone(), from_ms: c.from_ms, matched: words }));
    }
    Ok(shown)
}

/// Imported videos (finished imports with their source kept as MP4 or
/// QuickTime) at the transcript segments that say any of `words`: one
/// candidate per segment, found by its words.
async fn spoken_in_imports(tx: &TenantTxn, words: &BTreeSet<&String>) -> Result<Vec<Candidate>, DomainError> {
    let said = words.iter().fold(Condition::any(), |any, w| {
        any.add(Expr::col((transcript_segments::Entity, transcript_segments::Column::Text)).ilike(format!("%{w}%")))
    });
    let segments = tx
        .find::<transcript_segments::Entity>()
        .filter(said)
        .order_by_asc(transcript_segments::Column::TranscriptId)
        .order_by_asc(transcript_segments::Column::Position)
        .limit(SEGMENTS_READ)
        .all(&**tx)
        .await?;
    if segments.is_empty() {
        return Ok(Vec::new());
    }
    let transcript_ids: BTreeSet<Uuid> = segments.iter().map(|s| s.transcript_id).collect();
    let spoken: BTreeMap<Uuid, Uuid> = tx
        .find::<transcripts::Entity>()
        .filter(transcripts::Column::Id.is_in(transcript_ids))
        .filter(transcripts::Column::Kind.eq(TranscriptKind::Spoken))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|t| (t.id, t.import_id))
        .collect();
    let sources: BTreeMap<Uuid, Uuid> = tx
        .find::<imports::Entity>()
        .filter(imports::Column::Id.is_in(spoken.values().copied().collect::<BTreeSet<_>>()))
        .filter(imports::Column::Status.eq(ImportStatus::Ready))
        .all(&**tx)
        .await?
        .into_iter()
        .filter_map(|i| Some((i.id, i.source_asset_id?)))
        .collect();
    let videos: BTreeMap<Uuid, assets::Model> = tx
        .find::<assets::Entity>()
        .filter(assets::Column::Id.is_in(sources.values().copied().collect::<BTreeSet<_>>()))
        .filter(assets::Column::ContentType.is_in(["video/mp4", "video/quicktime"]))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(segments
        .into_iter()
        .filter_map(|segment| {
            let import_id = spoken.get(&segment.transcript_id)?;
            let asset = videos.get(sources.get(import_id)?)?;
            Some(Candidate { asset: asset.clone(), from_ms: segment.start_ms, tokens: tokens(&segment.text) })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_match_whole_words_and_stems_of_four_letters_or_more() {
        let found_by = tokens("Knifework_basics-2024.mp4 chopping");
        assert_eq!(matched(&["knife".into(), "chop".into(), "mp".into()], &found_by), ["knife", "chop"]);
        assert!(matches("mp4", "mp4"));
        assert!(!matches("pan", "pancake"), "short words match only whole words");
        assert_eq!(normalise("Pasta!"), "pasta");
    }
}
