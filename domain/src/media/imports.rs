//! The import lifecycle: a long video brought in by URL (yt-dlp) or from an
//! upload, then transcribed, translated and mined for highlights. Where an
//! import may go next is one table, [`MOVES`]; every change of status goes
//! through [`advance`] or one of the named endings, which check it.

use crate::{
    DomainError, OrgScope, TenantTxn,
    paging::{Newest, PAGE_MAX, Page, more},
    usage::budgets::{self, Meter},
};
use chrono::Utc;
use entities::{
    assets,
    imports::{self, ImportErrorCode, ImportStatus},
    projects,
};
use platform::config::BudgetDefaults;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

/// Languages a transcript can be translated into at once.
pub const MAX_TRANSLATIONS: usize = 5;
/// Longest URL accepted.
const MAX_URL_LEN: usize = 2048;

/// The moves an import makes on its way: forward through its stages, and
/// from any running stage to failed or cancelled. A step that is retried
/// marks the stage it is in again, which [`allowed`] also accepts.
pub const MOVES: &[(ImportStatus, ImportStatus)] = {
    use ImportStatus::*;
    &[
        (Pending, Fetching),
        (Fetching, Transcribing),
        (Transcribing, Translating),
        (Transcribing, FindingHighlights),
        (Transcribing, Ready),
        (Translating, FindingHighlights),
        (Translating, Ready),
        (FindingHighlights, Ready),
        // Retry starts over.
        (Failed, Pending),
        (Cancelled, Pending),
    ]
};

/// Whether the import is still being worked on.
pub fn is_running(status: ImportStatus) -> bool {
    !matches!(status, ImportStatus::Ready | ImportStatus::Failed | ImportStatus::Cancelled)
}

/// Whether an import in `from` may move to `to`.
pub fn allowed(from: ImportStatus, to: ImportStatus) -> bool {
    let repeated = from == to && is_running(from);
    let stopped = is_running(from) && matches!(to, ImportStatus::Failed | ImportStatus::Cancelled);
    repeated || stopped || MOVES.contains(&(from, to))
}

/// Where an import's video comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSource {
    /// A page or media URL for yt-dlp (http or https).
    Url(String),
    /// An upload of the org (a video or audio asset).
    Upload(Uuid),
}

#[derive(Debug, Clone)]
pub struct NewImport {
    pub project_id: Uuid,
    pub source: ImportSource,
    /// Languages to translate into besides the spoken one.
    pub translate_to: Vec<String>,
}

/// Upload types an import can transcribe.
const IMPORTABLE_UPLOADS: [&str; 4] = ["video/mp4", "video/quicktime", "audio/mpeg", "audio/wav"];

fn validate_url(url: &str) -> Result<String, DomainError> {
    let url = url.trim();
    if url.len() > MAX_URL_LEN {
        return Err(DomainError::invalid("url", format!("must be at most {MAX_URL_LEN} characters")));
    }
    let parsed = url::Url::parse(url).map_err(|e| DomainError::invalid("url", format!("is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(DomainError::invalid("url", "must be an http or https URL"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(DomainError::invalid("url", "must name a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(DomainError::invalid("url", "must not carry a user name or password"));
    }
    Ok(parsed.to_string())
}

/// ISO 639-1 (or -3) codes, lower case, each once.
fn validate_languages(languages: Vec<String>) -> Result<Vec<String>, DomainError> {
    let mut valid: Vec<String> = Vec::with_capacity(languages.len());
    for language in languages {
        let code = language.trim().to_ascii_lowercase();
        if !(2..=3).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(DomainError::invalid(
                "translate_to",
                format!("{language:?} is not a language code such as en or de"),
            ));
        }
        if !valid.contains(&code) {
            valid.push(code);
        }
    }
    if valid.len() > MAX_TRANSLATIONS {
        return Err(DomainError::invalid("translate_to", format!("at most {MAX_TRANSLATIONS} languages")));
    }
    Ok(valid)
}

/// Records a new import (pending) after checking its source and that the
/// project's transcription budget is not used up, so a refused import
/// downloads nothing. The caller starts its workflow, whose id
/// `workflow_id` makes of the import's.
pub async fn create(
    db: &DatabaseConnection,
    scope: &OrgScope,
    new: NewImport,
    requested_by: Uuid,
    defaults: &BudgetDefaults,
    workflow_id: impl FnOnce(Uuid) -> String,
) -> Result<imports::Model, DomainError> {
    let translate_to = validate_languages(new.translate_to)?;
    let (source_url, upload_asset_id) = match new.source {
        ImportSource::Url(url) => (Some(validate_url(&url)?), None),
        ImportSource::Upload(id) => (None, Some(id)),
    };
    let tx = scope.begin(db).await?;
    let project =
        tx.find_by_id::<projects::Entity>(new.project_id).one(&*tx).await?.ok_or(DomainError::NotFound("project"))?;
    if let Some(id) = upload_asset_id {
        let asset = tx.find_by_id::<assets::Entity>(id).one(&*tx).await?.ok_or(DomainError::NotFound("asset"))?;
        if asset.kind != "upload" || !IMPORTABLE_UPLOADS.contains(&asset.content_type.as_str()) {
            return Err(DomainError::invalid(
                "upload_asset_id",
                "an import needs an uploaded video or audio file (MP4, QuickTime, MP3 or WAV)",
            ));
        }
    }
    drop(tx);
    budgets::check(db, scope, Meter::AsrSeconds, Some(&project), defaults, 0).await?;
    let tx = scope.begin(db).await?;
    let id = Uuid::now_v7();
    let now = Utc::now().fixed_offset();
    let import = imports::ActiveModel {
        id: Set(id),
        org_id: Set(tx.org_id()),
        project_id: Set(project.id),
        source_url: Set(source_url),
        upload_asset_id: Set(upload_asset_id),
        status: Set(ImportStatus::Pending),
        progress: Set(0.0),
        title: Set(None),
        duration_ms: Set(None),
        source_asset_id: Set(None),
        language: Set(None),
        translate_to: Set(serde_json::json!(translate_to)),
        error: Set(None),
        error_code: Set(None),
        workflow_id: Set(workflow_id(id)),
        requested_by: Set(Some(requested_by)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    tx.commit().await?;
    Ok(import)
}

async fn get_in(tx: &TenantTxn, id: Uuid) -> Result<imports::Model, DomainError> {
    tx.find_by_id::<imports::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("import"))
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<imports::Model, DomainError> {
    let tx = scope.begin(db).await?;
    get_in(&tx, id).await
}

/// The languages an import translates into besides the spoken one.
pub fn translate_to(import: &imports::Model) -> Vec<String> {
    serde_json::from_value(import.translate_to.clone()).unwrap_or_default()
}

/// The org's imports (of one project, when given), most recently changed
/// first, a page of `limit` after `after`.
pub async fn list(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Option<Uuid>,
    after: Option<Newest>,
    limit: u64,
) -> Result<Page<imports::Model, Newest>, DomainError> {
    let limit = limit.min(PAGE_MAX);
    let tx = scope.begin(db).await?;
    let mut query = tx.find::<imports::Entity>();
    if let Some(project_id) = project_id {
        query = query.filter(imports::Column::ProjectId.eq(project_id));
    }
    if let Some(after) = after {
        query = query.filter(after.after(imports::Column::UpdatedAt, imports::Column::Id));
    }
    let mut rows = query
        .order_by_desc(imports::Column::UpdatedAt)
        .order_by_desc(imports::Column::Id)
        .limit(limit + 1)
        .all(&*tx)
        .await?;
    let next = more(&mut rows, limit).map(|i| Newest { at: i.updated_at, id: i.id });
    Ok(Page { items: rows, next })
}

fn refuse_move(import: &imports::Model, to: ImportStatus) -> DomainError {
    DomainError::Conflict(format!("an import that is {:?} cannot become {to:?}", import.status))
}

/// Moves the import to `to` (a stage a step starts), with no progress yet
/// in it; refused unless [`allowed`]. A step of a cancelled import learns
/// here that it has nothing left to do.
pub async fn advance(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    to: ImportStatus,
) -> Result<imports::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let import = get_in(&tx, id).await?;
    if !allowed(import.status, to) || matches!(to, ImportStatus::Failed | ImportStatus::Cancelled) {
        return Err(refuse_move(&import, to));
    }
    if import.status == to {
        return Ok(import);
    }
    let mut row: imports::ActiveModel = import.into();
    row.status = Set(to);
    row.progress = Set(0.0);
    let import = row.update(&*tx).await?;
    tx.commit().await?;
    Ok(import)
}

/// How far the running step is (0..1); ignored unless the import is still
/// in `stage`, so a late heartbeat never rewinds a later stage.
pub async fn record_progress(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    stage: ImportStatus,
    fraction: f32,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    imports::Entity::update_many()
        .col_expr(imports::Column::Progress, fraction.clamp(0.0, 1.0).into())
        .filter(imports::Column::OrgId.eq(tx.org_id()))
        .filter(imports::Column::Id.eq(id))
        .filter(imports::Column::Status.eq(stage))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// What the fetch learnt from the source's metadata, before downloading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFacts {
    pub title: Option<String>,
    pub duration_ms: Option<i64>,
}

pub async fn record_facts(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    facts: SourceFacts,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let import = get_in(&tx, id).await?;
    let mut row: imports::ActiveModel = import.into();
    if let Some(title) = facts.title {
        row.title = Set(Some(title.chars().take(300).collect()));
    }
    if let Some(duration_ms) = facts.duration_ms {
        row.duration_ms = Set(Some(duration_ms.max(0)));
    }
    row.update(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

/// A download as stored.
#[derive(Debug, Clone)]
pub struct StoredSource {
    pub storage_key: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// Where an import's checked source is kept.
#[derive(Debug, Clone)]
pub enum Source {
    /// Downloaded and stored for the import.
    Downloaded(StoredSource),
    /// The upload it was made from, already stored and metered.
    Upload(Uuid),
}

/// Storage path (below the org prefix) of an import's files.
pub fn import_path(import_id: Uuid, file: &str) -> String {
    format!("imports/{import_id}/{file}")
}

/// Records the checked source and its duration. A download becomes an
/// asset (upserted by storage key, so a retried fetch keeps one) with its
/// bytes metered once; an upload is used as it is.
pub async fn record_source(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    source: Source,
    duration_ms: i64,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let import = get_in(&tx, id).await?;
    let asset_id = match source {
        Source::Upload(asset_id) => asset_id,
        Source::Downloaded(stored) => {
            let now = Utc::now().fixed_offset();
            let row = assets::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(tx.org_id()),
                project_id: Set(Some(import.project_id)),
                kind: Set("import".into()),
                storage_key: Set(stored.storage_key),
                content_type: Set(stored.content_type),
                size_bytes: Set(stored.size_bytes),
                duration_ms: Set(Some(duration_ms.clamp(0, i64::from(i32::MAX)) as i32)),
                render_version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            let asset = crate::media::assets::upsert_by_key(
                &tx,
                row,
                &[
                    assets::Column::SizeBytes,
                    assets::Column::ContentType,
                    assets::Column::DurationMs,
                    assets::Column::UpdatedAt,
                ],
            )
            .await?;
            let ledger = crate::usage::llm_usage::entry(
                &tx,
                Some(import.project_id),
                "storage_bytes",
                asset.size_bytes,
                format!("import:{id}"),
                format!("import:{id}:storage_bytes"),
            );
            crate::usage::llm_usage::meter_once(&tx, [ledger]).await?;
            asset.id
        }
    };
    let mut row: imports::ActiveModel = import.into();
    row.source_asset_id = Set(Some(asset_id));
    row.duration_ms = Set(Some(duration_ms.max(0)));
    row.update(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a finished import: `ready`, from its last stage.
pub async fn mark_ready(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<imports::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let import = get_in(&tx, id).await?;
    if import.status == ImportStatus::Ready {
        return Ok(import);
    }
    if !allowed(import.status, ImportStatus::Ready) {
        return Err(refuse_move(&import, ImportStatus::Ready));
    }
    let mut row: imports::ActiveModel = import.into();
    row.status = Set(ImportStatus::Ready);
    row.progress = Set(1.0);
    let import = row.update(&*tx).await?;
    tx.commit().await?;
    Ok(import)
}

/// Why an import stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub code: ImportErrorCode,
    pub message: String,
}

/// Ends a running import as failed with the reason. An import that already
/// ended keeps its first ending (a refusal is not overwritten by the
/// generic failure the workflow records after it).
pub async fn record_failure(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    stop: Stop,
) -> Result<imports::Model, DomainError> {
    end(db, scope, id, ImportStatus::Failed, Some(stop)).await
}

/// Ends a running import as cancelled; its workflow is cancelled by the
/// caller, and any step still running finds it cancelled.
pub async fn mark_cancelled(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
) -> Result<imports::Model, DomainError> {
    end(db, scope, id, ImportStatus::Cancelled, None).await
}

async fn end(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    to: ImportStatus,
    stop: Option<Stop>,
) -> Result<imports::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let import = get_in(&tx, id).await?;
    if !is_running(import.status) {
        return Ok(import);
    }
    let mut row: imports::ActiveModel = import.into();
    row.status = Set(to);
    if let Some(stop) = stop {
        row.error = Set(Some(stop.message.chars().take(2000).collect()));
        row.error_code = Set(Some(stop.code));
    }
    let import = row.update(&*tx).await?;
    tx.commit().await?;
    Ok(import)
}

/// Starts a failed or cancelled import over (pending, no error); the
/// caller starts a new run of its workflow. Its transcripts are replaced
/// when the run stores them again, never duplicated.
pub async fn reset_for_retry(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
) -> Result<imports::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let import = get_in(&tx, id).await?;
    if !allowed(import.status, ImportStatus::Pending) {
        return Err(DomainError::Conflict(format!(
            "only a failed or cancelled import can be retried; this one is {:?}",
            import.status
        )));
    }
    let mut row: imports::ActiveModel = import.into();
    row.status = Set(ImportStatus::Pending);
    row.progress = Set(0.0);
    row.error = Set(None);
    row.error_code = Set(None);
    let import = row.update(&*tx).await?;
    tx.commit().await?;
    Ok(import)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ImportStatus::*;
    use sea_orm::Iterable;

    #[test]
    fn an_import_moves_forward_stops_from_any_running_stage_and_restarts_only_when_ended_badly() {
        assert!(allowed(Pending, Fetching));
        assert!(allowed(Fetching, Fetching), "a retried step marks its stage again");
        assert!(allowed(Transcribing, Ready), "translation and highlights are optional");
        assert!(!allowed(Transcribing, Fetching), "no stage goes back");
        assert!(!allowed(Pending, Ready), "no stage is skipped before the transcript");
        for running in ImportStatus::iter().filter(|s| is_running(*s)) {
            assert!(allowed(running, Failed) && allowed(running, Cancelled), "{running:?}");
            assert!(!allowed(running, Pending) || running == Pending, "{running:?}");
        }
        for ended in [Ready, Failed, Cancelled] {
            assert!(!allowed(ended, ended), "an ended import stays ended: {ended:?}");
            assert!(!allowed(ended, Fetching), "{ended:?}");
        }
        assert!(allowed(Failed, Pending) && allowed(Cancelled, Pending) && !allowed(Ready, Pending));
    }

    #[test]
    fn urls_must_be_plain_http_with_a_host() {
        assert_eq!(validate_url(" https://example.com/watch?v=1 ").unwrap(), "https://example.com/watch?v=1");
        for bad in ["ftp://example.com/a", "file:///etc/passwd", "https://", "not a url", "https://u:p@example.com/"] {
            assert!(matches!(validate_url(bad), Err(DomainError::Invalid { field: "url", .. })), "{bad}");
        }
        assert!(validate_url(&format!("https://example.com/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn translation_targets_are_language_codes_each_once() {
        assert_eq!(validate_languages(vec!["EN".into(), "de".into(), "en".into()]).unwrap(), vec!["en", "de"]);
        assert!(validate_languages(vec!["english".into()]).is_err());
        assert!(validate_languages(vec!["e1".into()]).is_err());
        let many = ["aa", "bb", "cc", "dd", "ee", "ff"].map(String::from).to_vec();
        assert!(validate_languages(many).is_err());
    }
}
