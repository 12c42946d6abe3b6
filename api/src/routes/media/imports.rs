//! Imports of long videos: start one from a URL or an upload, follow its
//! stage and progress, read and search its transcripts (segments with word
//! timings), cancel, retry.

use crate::routes::{
    media::assets::{AssetView, asset_view},
    paging::{newest_cursor, next_cursor_headers, page_limit},
    paths::ImportPath,
    planning::slots::SlotView,
};
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath, ApiQuery},
    runs::{self, RunView},
};
use axum::extract::State;
use chrono::{DateTime, FixedOffset};
use domain::{
    identity::policy::Action,
    media::{
        highlights,
        imports::{self, ImportSource, NewImport},
        placement, transcripts,
    },
};
use entities::{
    imports::{ImportErrorCode, ImportStatus},
    transcripts::{TranscriptEngine, TranscriptKind},
};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

const IMPORTS_CURSOR: &str = "imports";
const CLIPS_CURSOR: &str = "clips";
const IMPORTS_LIMIT: u64 = 50;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_imports, start_import))
        .routes(routes!(show_import))
        .routes(routes!(cancel_import))
        .routes(routes!(retry_import))
        .routes(routes!(list_transcripts))
        .routes(routes!(search_transcripts))
        .routes(routes!(list_highlights))
        .routes(routes!(make_slots))
        .routes(routes!(list_clips))
}

/// An import as its page shows it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ImportView {
    id: Uuid,
    project_id: Uuid,
    /// The page or media URL, for URL imports.
    source_url: Option<String>,
    /// The upload, for upload imports.
    upload_asset_id: Option<Uuid>,
    /// The stage: pending, fetching, transcribing, translating,
    /// finding_highlights, then ready, failed or cancelled.
    status: ImportStatus,
    /// 0 to 1 within the stage.
    progress: f32,
    title: Option<String>,
    duration_ms: Option<i64>,
    /// The spoken language, once detected.
    language: Option<String>,
    /// Languages the transcript is translated into.
    translate_to: Vec<String>,
    /// Why it failed or was refused.
    error: Option<String>,
    error_code: Option<ImportErrorCode>,
    /// The fetched video (or audio), for playing and seeking.
    source: Option<AssetView>,
    run: RunView,
    created_at: DateTime<FixedOffset>,
    updated_at: DateTime<FixedOffset>,
}

async fn import_view(
    state: &AppState,
    ctx: &OrgCtx,
    import: entities::imports::Model,
    detailed: bool,
) -> Result<ImportView, ApiError> {
    let source = match import.source_asset_id.filter(|_| detailed) {
        Some(id) => {
            let asset = domain::media::assets::get(&state.db, &ctx.authorize(Action::Read)?, id).await?;
            Some(asset_view(state, asset).await?)
        }
        None => None,
    };
    // One import asks Temporal; a list shows what the database implies.
    let run = if detailed {
        runs::describe_import(state, &import.workflow_id).await
    } else if imports::is_running(import.status) {
        runs::started(state, &import.workflow_id)
    } else {
        runs::unknown(state, &import.workflow_id)
    };
    Ok(ImportView {
        translate_to: imports::translate_to(&import),
        id: import.id,
        project_id: import.project_id,
        source_url: import.source_url,
        upload_asset_id: import.upload_asset_id,
        status: import.status,
        progress: import.progress,
        title: import.title,
        duration_ms: import.duration_ms,
        language: import.language,
        error: import.error,
        error_code: import.error_code,
        source,
        run,
        created_at: import.created_at,
        updated_at: import.updated_at,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewImportInput {
    project_id: Uuid,
    /// A page or media URL (YouTube, or any page yt-dlp understands); give
    /// this or `upload_asset_id`.
    #[schema(max_length = 2048)]
    url: Option<String>,
    /// An uploaded video or audio file of the org.
    upload_asset_id: Option<Uuid>,
    /// Languages to translate the transcript into (ISO 639-1 codes such as
    /// en or de), at most 5.
    #[serde(default)]
    translate_to: Vec<String>,
}

/// Imports a video (editor and up): fetched by URL through yt-dlp (only
/// public addresses, on every hop) or taken from an upload, transcribed
/// with Whisper and translated. Answers at once; follow the import's
/// status and progress. A used-up transcription budget is refused with 402
/// before anything is downloaded.
#[utoipa::path(post, path = "/api/orgs/{org_id}/imports", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = NewImportInput,
    responses((status = 202, body = ImportView), ErrorResponses))]
async fn start_import(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<NewImportInput>,
) -> Result<(StatusCode, ApiJson<ImportView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let source = match (body.url, body.upload_asset_id) {
        (Some(url), None) => ImportSource::Url(url),
        (None, Some(id)) => ImportSource::Upload(id),
        _ => {
            return Err(ApiError::Validation { field: "url", message: "give either url or upload_asset_id".into() });
        }
    };
    let new = NewImport { project_id: body.project_id, source, translate_to: body.translate_to };
    let import = imports::create(&state.db, &scope, new, ctx.auth.user_id, &state.config.budgets, |id| {
        temporal::ids::import_workflow_id(scope.org_id(), id)
    })
    .await?;
    start_or_fail(&state, &scope, &import).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(import_view(&state, &ctx, import, false).await?)))
}

/// Starts the import's run; without one nothing would ever end it, so the
/// import is marked failed when Temporal cannot be reached.
async fn start_or_fail(
    state: &AppState,
    scope: &domain::OrgScope,
    import: &entities::imports::Model,
) -> Result<(), ApiError> {
    if let Err(err) = runs::start_import(state, import).await {
        let stop = imports::Stop { code: ImportErrorCode::Failed, message: "the import could not start".into() };
        imports::record_failure(&state.db, scope, import.id, stop).await?;
        return Err(err);
    }
    Ok(())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportsQuery {
    /// Only this project's imports.
    project_id: Option<Uuid>,
    /// Imports per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `X-Next-Cursor` of the previous page; without it, the first page.
    cursor: Option<String>,
}

/// The org's imports, most recently changed first, a page at a time (the
/// `X-Next-Cursor` header holds the next page's cursor when more follow).
#[utoipa::path(get, path = "/api/orgs/{org_id}/imports", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ImportsQuery),
    responses((status = 200, body = Vec<ImportView>, headers(
        ("x-next-cursor" = String, description = "The cursor of the next page; absent on the last page")
    )), ErrorResponses))]
async fn list_imports(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<ImportsQuery>,
) -> Result<(HeaderMap, ApiJson<Vec<ImportView>>), ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let limit = page_limit(query.limit, IMPORTS_LIMIT)?;
    let after = newest_cursor(IMPORTS_CURSOR, query.cursor.as_deref())?;
    let page = imports::list(&state.db, &scope, query.project_id, after, limit).await?;
    let mut views = Vec::with_capacity(page.items.len());
    for import in page.items {
        views.push(import_view(&state, &ctx, import, false).await?);
    }
    let headers = next_cursor_headers(IMPORTS_CURSOR, page.next)?;
    Ok((headers, ApiJson(views)))
}

/// One import: its stage, progress, what went wrong, and the fetched video
/// with a signed link that supports seeking.
#[utoipa::path(get, path = "/api/orgs/{org_id}/imports/{import_id}", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("import_id" = Uuid, Path)), responses((status = 200, body = ImportView), ErrorResponses))]
async fn show_import(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ImportPath { import_id }): ApiPath<ImportPath>,
) -> Result<ApiJson<ImportView>, ApiError> {
    let import = imports::get(&state.db, &ctx.authorize(Action::Read)?, import_id).await?;
    Ok(ApiJson(import_view(&state, &ctx, import, true).await?))
}

/// Stops a running import (editor and up): yt-dlp, FFmpeg or Whisper stop
/// and the import is cancelled. An import that already ended answers 409.
#[utoipa::path(post, path = "/api/orgs/{org_id}/imports/{import_id}/cancel", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("import_id" = Uuid, Path)), responses((status = 202, body = ImportView), ErrorResponses))]
async fn cancel_import(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ImportPath { import_id }): ApiPath<ImportPath>,
) -> Result<(StatusCode, ApiJson<ImportView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let import = imports::get(&state.db, &scope, import_id).await?;
    if !imports::is_running(import.status) {
        return Err(ApiError::Conflict(format!("the import is {:?}; there is nothing to cancel", import.status)));
    }
    let import = imports::mark_cancelled(&state.db, &scope, import_id).await?;
    runs::cancel_import(&state, &import.workflow_id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(import_view(&state, &ctx, import, false).await?)))
}

/// Runs a failed or cancelled import again (editor and up); its transcripts
/// are replaced, never duplicated. While the last run is still stopping the
/// retry is refused with 409.
#[utoipa::path(post, path = "/api/orgs/{org_id}/imports/{import_id}/retry", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("import_id" = Uuid, Path)), responses((status = 202, body = ImportView), ErrorResponses))]
async fn retry_import(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ImportPath { import_id }): ApiPath<ImportPath>,
) -> Result<(StatusCode, ApiJson<ImportView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let current = imports::get(&state.db, &scope, import_id).await?;
    if runs::import_run_is_open(&state, &current.workflow_id).await? {
        return Err(ApiError::Conflict("the import's last run is still stopping; retry in a moment".into()));
    }
    let import = imports::reset_for_retry(&state.db, &scope, import_id).await?;
    start_or_fail(&state, &scope, &import).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(import_view(&state, &ctx, import, false).await?)))
}

/// A word and when it is said.
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct WordView {
    start_ms: i64,
    end_ms: i64,
    text: String,
    /// The recogniser's confidence, 0 to 1.
    probability: f32,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SegmentView {
    start_ms: i64,
    end_ms: i64,
    text: String,
    words: Vec<WordView>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TranscriptView {
    /// ISO 639-1 code.
    language: String,
    /// spoken (what was said) or translation.
    kind: TranscriptKind,
    /// whisper or llm.
    engine: TranscriptEngine,
    segments: Vec<SegmentView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TranscriptsQuery {
    /// Only the transcript in this language.
    language: Option<String>,
}

/// The import's transcripts (the spoken one first, then translations),
/// each as timed segments with word timings.
#[utoipa::path(get, path = "/api/orgs/{org_id}/imports/{import_id}/transcripts", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("import_id" = Uuid, Path), TranscriptsQuery),
    responses((status = 200, body = Vec<TranscriptView>), ErrorResponses))]
async fn list_transcripts(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ImportPath { import_id }): ApiPath<ImportPath>,
    ApiQuery(query): ApiQuery<TranscriptsQuery>,
) -> Result<ApiJson<Vec<TranscriptView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let found = transcripts::of_import(&state.db, &scope, import_id, query.language.as_deref()).await?;
    Ok(ApiJson(
        found
            .into_iter()
            .map(|t| TranscriptView {
                language: t.transcript.language,
                kind: t.transcript.kind,
                engine: t.transcript.engine,
                segments: t
                    .segments
                    .into_iter()
                    .map(|s| SegmentView {
                        start_ms: s.start_ms,
                        end_ms: s.end_ms,
                        text: s.text,
                        words: serde_json::from_value(s.words).unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// Words to find: plain words, "a quoted phrase", -excluded.
    #[param(min_length = 1, max_length = 200)]
    q: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SegmentMatchView {
    /// The language of the transcript it is in.
    language: String,
    start_ms: i64,
    end_ms: i64,
    text: String,
}

/// Segments of the import's transcripts that contain the words, in time
/// order (at most 100), to jump to in the video.
#[utoipa::path(get, path = "/api/orgs/{org_id}/imports/{import_id}/transcripts/search", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("import_id" = Uuid, Path), SearchQuery),
    responses((status = 200, body = Vec<SegmentMatchView>), ErrorResponses))]
async fn search_transcripts(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ImportPath { import_id }): ApiPath<ImportPath>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<ApiJson<Vec<SegmentMatchView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let found = transcripts::search(&state.db, &scope, import_id, &query.q).await?;
    Ok(ApiJson(
        found
            .into_iter()
            .map(|m| SegmentMatchView {
                language: m.language,
                start_ms: m.segment.start_ms,
                end_ms: m.segment.end_ms,
                text: m.segment.text,
            })
            .collect(),
    ))
}

/// A moment of the import worth a short.
#[derive(Serialize, ToSchema)]
pub(crate) struct HighlightView {
    id: Uuid,
    /// Where it starts and ends in the source, on word boundaries.
    start_ms: i64,
    end_ms: i64,
    /// The on-screen title the model proposes.
    hook: String,
    /// Why the model chose it.
    reason: String,
    /// The words spoken in it, from the transcript.
    quote: String,
    /// The moment cut into a 1080x1920 clip with word-timed captions, once cut.
    clip: Option<AssetView>,
    /// The slot it became, once made into one.
    slot_id: Option<Uuid>,
}

/// The import's highlights in time order (15 to 60 s each, found by the
/// model and checked against the transcript), each with its clip (signed
/// link, seekable); empty before the import is ready or when nothing in it
/// makes a short.
#[utoipa::path(get, path = "/api/orgs/{org_id}/imports/{import_id}/highlights", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("import_id" = Uuid, Path)),
    responses((status = 200, body = Vec<HighlightView>), ErrorResponses))]
async fn list_highlights(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ImportPath { import_id }): ApiPath<ImportPath>,
) -> Result<ApiJson<Vec<HighlightView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let found = highlights::of_import(&state.db, &scope, import_id).await?;
    let mut views = Vec::with_capacity(found.len());
    for h in found {
        let clip = match h.clip_asset_id {
            Some(id) => Some(domain::media::assets::get(&state.db, &scope, id).await?),
            None => None,
        };
        views.push(highlight_view(&state, h, clip).await?);
    }
    Ok(ApiJson(views))
}

async fn highlight_view(
    state: &AppState,
    h: entities::highlights::Model,
    clip: Option<entities::assets::Model>,
) -> Result<HighlightView, ApiError> {
    let clip = match clip {
        Some(asset) => Some(asset_view(state, asset).await?),
        None => None,
    };
    Ok(HighlightView {
        id: h.id,
        start_ms: h.start_ms,
        end_ms: h.end_ms,
        hook: h.hook,
        reason: h.reason,
        quote: h.quote,
        clip,
        slot_id: h.slot_id,
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ClipsQuery {
    /// Only clips of this project's imports.
    project_id: Option<Uuid>,
    /// Clips per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `X-Next-Cursor` of the previous page; without it, the first page.
    cursor: Option<String>,
}

/// A clip of the library: the highlight it shows and the import it was cut from.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClipView {
    import_id: Uuid,
    project_id: Uuid,
    /// The import's title (the page's, or the file's name), when known.
    import_title: Option<String>,
    highlight: HighlightView,
}

/// The org's clips cut from imports, newest first, a page at a time, each
/// with its highlight (hook, span, words said, the slot it became) and a
/// signed link. When more follow, `X-Next-Cursor` holds the next page's cursor.
#[utoipa::path(get, path = "/api/orgs/{org_id}/clips", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ClipsQuery),
    responses((status = 200, body = Vec<ClipView>, headers(
        ("x-next-cursor" = String, description = "The cursor of the next page; absent on the last page")
    )), ErrorResponses))]
async fn list_clips(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<ClipsQuery>,
) -> Result<(HeaderMap, ApiJson<Vec<ClipView>>), ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let limit = page_limit(query.limit, IMPORTS_LIMIT)?;
    let after = newest_cursor(CLIPS_CURSOR, query.cursor.as_deref())?;
    let page = highlights::clips(&state.db, &scope, query.project_id, after, limit).await?;
    let mut views = Vec::with_capacity(page.items.len());
    for entry in page.items {
        views.push(ClipView {
            import_id: entry.import.id,
            project_id: entry.import.project_id,
            import_title: entry.import.title,
            highlight: highlight_view(&state, entry.highlight, Some(entry.clip)).await?,
        });
    }
    Ok((next_cursor_headers(CLIPS_CURSOR, page.next)?, ApiJson(views)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MakeSlotsInput {
    /// A plan of the import's project whose free slots take the highlights.
    plan_id: Uuid,
    /// The highlights to make into slots; all that have their clip when empty.
    #[serde(default)]
    #[schema(max_items = 50)]
    highlight_ids: Vec<Uuid>,
}

/// A highlight and the slot it is in.
#[derive(Serialize, ToSchema)]
pub(crate) struct PlacementView {
    highlight_id: Uuid,
    slot: SlotView,
    /// Placed by this request (false: it was in that slot already).
    new: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MadeSlotsView {
    /// In posting order.
    placed: Vec<PlacementView>,
    /// Highlights left out because the plan had no free slot left.
    no_free_slot: Vec<Uuid>,
}

/// Makes highlights into slots (editor and up): each chosen highlight fills
/// a free slot of the plan (one still to come that is empty, or an unlocked
/// draft, empty ones first), earliest highlight first. The slot's video is
/// the highlight's clip and its script the words said in it; it is a draft,
/// so it is approved, rendered and published like any other. Repeating the
/// request changes nothing: a highlight already in a slot stays there.
#[utoipa::path(post, path = "/api/orgs/{org_id}/imports/{import_id}/slots", tag = "imports", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("import_id" = Uuid, Path)), request_body = MakeSlotsInput,
    responses((status = 200, body = MadeSlotsView), ErrorResponses))]
async fn make_slots(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ImportPath { import_id }): ApiPath<ImportPath>,
    ApiJson(body): ApiJson<MakeSlotsInput>,
) -> Result<ApiJson<MadeSlotsView>, ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    if body.highlight_ids.len() > 50 {
        return Err(ApiError::Validation { field: "highlight_ids", message: "at most 50 highlights at once".into() });
    }
    let by = domain::identity::audit::Actor::User(ctx.auth.user_id);
    let placed = placement::place(
        &state.db,
        &scope,
        import_id,
        body.plan_id,
        &body.highlight_ids,
        by,
        crate::request_id::current(),
    )
    .await?;
    Ok(ApiJson(MadeSlotsView {
        placed: placed
            .placements
            .into_iter()
            .map(|p| PlacementView { highlight_id: p.highlight_id, slot: p.slot.into(), new: p.new })
            .collect(),
        no_free_slot: placed.no_free_slot,
    }))
}
