//! Rendering a slot into a video: start, watch (status, progress from the
//! render's heartbeats, the video and thumbnail once done), cancel; and
//! choosing the upload shown behind the captions.

use crate::routes::{
    media::assets::{AssetView, asset_view},
    paths::SlotPath,
    planning::slots::SlotView,
};
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
    runs::{self, RunView},
};
use axum::extract::State;
use domain::{
    identity::policy::Action,
    usage::budgets::{self, Meter},
};
use entities::slots::{self, SlotStatus};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_render, start_render, cancel_render))
        .routes(routes!(show_preview, start_preview))
        .routes(routes!(set_background))
}

/// The render of a slot as a progress bar and player need it.
#[derive(Serialize, ToSchema)]
pub(crate) struct RenderView {
    slot_id: Uuid,
    /// The slot's status: `rendering` while a render runs, `rendered` when
    /// its video is ready, `approved` before (or after a failed render).
    status: SlotStatus,
    /// Renders started so far (0: never rendered).
    version: i32,
    /// 0 to 1 while rendering, from the render's last heartbeat.
    progress: Option<f64>,
    /// Why the last render failed or stopped.
    error: Option<String>,
    video: Option<AssetView>,
    thumbnail: Option<AssetView>,
    /// Where TikTok's cover frame is taken, in ms.
    cover_timestamp_ms: Option<i32>,
    /// The current (or last) render run.
    run: Option<RunView>,
}

async fn render_view(state: &AppState, ctx: &OrgCtx, slot: slots::Model) -> Result<RenderView, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let (mut video, mut thumbnail, mut cover_timestamp_ms) = (None, None, None);
    if let Some(video_id) = slot.video_asset_id {
        let assets = domain::media::assets::for_render(&state.db, &scope, slot.id, slot.render_version).await?;
        for asset in assets {
            if asset.id == video_id {
                cover_timestamp_ms = asset.cover_timestamp_ms;
                video = Some(asset_view(state, asset).await?);
            } else if asset.kind == "thumbnail" {
                thumbnail = Some(asset_view(state, asset).await?);
            }
        }
    }
    let (run, progress) = if slot.render_version == 0 {
        (None, None)
    } else {
        let workflow_id = temporal::ids::slot_render_workflow_id(slot.org_id, slot.id, slot.render_version);
        let (run, progress) = runs::describe_render(state, &workflow_id).await;
        (Some(run), progress.filter(|_| slot.status == SlotStatus::Rendering))
    };
    let progress = match slot.status {
        SlotStatus::Rendering => Some(progress.unwrap_or(0.0)),
        SlotStatus::Rendered => Some(1.0),
        _ => None,
    };
    Ok(RenderView {
        slot_id: slot.id,
        status: slot.status,
        version: slot.render_version,
        progress,
        error: slot.render_error,
        video,
        thumbnail,
        cover_timestamp_ms,
        run,
    })
}

/// Where the preview of a slot's current content is.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PreviewStatus {
    /// None made (or the content changed since the last one).
    None,
    Rendering,
    Ready,
    Failed,
}

/// The 540x960 preview of a slot's current content.
#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewView {
    slot_id: Uuid,
    /// The slot's content version the preview shows.
    version: i32,
    status: PreviewStatus,
    /// 0 to 1 while rendering, from the preview's last heartbeat.
    progress: Option<f64>,
    /// Why the last preview of this content failed.
    error: Option<String>,
    video: Option<AssetView>,
    /// The preview's run, once one started.
    run: Option<RunView>,
}

async fn preview_view(state: &AppState, ctx: &OrgCtx, slot: &slots::Model) -> Result<PreviewView, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let view = |status, progress, video, run| PreviewView {
        slot_id: slot.id,
        version: slot.version,
        status,
        progress,
        error: None,
        video,
        run,
    };
    if let Some(asset) = domain::media::rendering::current_preview(&state.db, &scope, slot).await? {
        return Ok(view(PreviewStatus::Ready, Some(1.0), Some(asset_view(state, asset).await?), None));
    }
    let workflow_id = temporal::ids::slot_preview_workflow_id(slot.org_id, slot.id, slot.version);
    let (run, progress) = runs::describe_render(state, &workflow_id).await;
    let status = match run.status.as_str() {
        "running" => PreviewStatus::Rendering,
        "failed" | "terminated" | "timedout" | "canceled" => PreviewStatus::Failed,
        _ => PreviewStatus::None,
    };
    let progress = (status == PreviewStatus::Rendering).then(|| progress.unwrap_or(0.0));
    let error = match status {
        PreviewStatus::Failed => runs::preview_failure(state, &run.workflow_id).await,
        _ => None,
    };
    let run = (status != PreviewStatus::None).then_some(run);
    Ok(PreviewView { error, ..view(status, progress, None, run) })
}

/// The preview of the slot's current content: its status, progress while
/// it renders, and the video once ready.
#[utoipa::path(get, path = "/api/orgs/{org_id}/slots/{slot_id}/preview", tag = "renders", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = PreviewView), ErrorResponses))]
async fn show_preview(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<ApiJson<PreviewView>, ApiError> {
    let slot = domain::planning::slots::get(&state.db, &ctx.authorize(Action::Read)?, slot_id).await?;
    Ok(ApiJson(preview_view(&state, &ctx, &slot).await?))
}

/// Makes a fast 540x960 preview of the slot's current content (editor and
/// up), with the final render's scenes, captions, voice and music; any
/// slot with a script, before or after approval. Asking again for the
/// same content joins the running preview or answers with the one made.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/preview", tag = "renders", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 202, body = PreviewView), ErrorResponses))]
async fn start_preview(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<(StatusCode, ApiJson<PreviewView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let slot = domain::planning::slots::get(&state.db, &scope, slot_id).await?;
    domain::media::rendering::check_previewable(&slot)?;
    if domain::media::rendering::current_preview(&state.db, &scope, &slot).await?.is_none() {
        runs::start_preview(&state, &slot).await?;
    }
    Ok((StatusCode::ACCEPTED, ApiJson(preview_view(&state, &ctx, &slot).await?)))
}

/// The slot's render: status, progress while it runs, and the video and
/// thumbnail (with signed links that support seeking) when it is done.
#[utoipa::path(get, path = "/api/orgs/{org_id}/slots/{slot_id}/render", tag = "renders", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = RenderView), ErrorResponses))]
async fn show_render(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<ApiJson<RenderView>, ApiError> {
    let slot = domain::planning::slots::get(&state.db, &ctx.authorize(Action::Read)?, slot_id).await?;
    Ok(ApiJson(render_view(&state, &ctx, slot).await?))
}

/// Renders an approved slot (or re-renders a rendered one) into a vertical
/// video (editor and up). A slot already rendering answers with that render.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/render", tag = "renders", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 202, body = RenderView), ErrorResponses))]
async fn start_render(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<(StatusCode, ApiJson<RenderView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    // An early answer for a used-up budget; the render reserves its seconds
    // (atomically) before it composes.
    let project = domain::planning::projects::get(
        &state.db,
        &scope,
        domain::planning::slots::get(&state.db, &scope, slot_id).await?.project_id,
    )
    .await?;
    budgets::check(&state.db, &scope, Meter::VideoSeconds, Some(&project), &state.config.budgets, 0).await?;
    let slot = domain::media::rendering::start(&state.db, &scope, slot_id).await?;
    if let Err(err) = runs::start_render(&state, &slot).await {
        // Without a run nothing would ever finish this version: release the slot.
        domain::media::rendering::abandon(
            &state.db,
            &scope,
            slot.id,
            slot.render_version,
            "the render could not start",
        )
        .await?;
        return Err(err);
    }
    Ok((StatusCode::ACCEPTED, ApiJson(render_view(&state, &ctx, slot).await?)))
}

/// Stops a running render (editor and up): FFmpeg is killed, no asset is
/// kept, and the slot returns to approved.
#[utoipa::path(delete, path = "/api/orgs/{org_id}/slots/{slot_id}/render", tag = "renders", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 202, body = RenderView), ErrorResponses))]
async fn cancel_render(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<(StatusCode, ApiJson<RenderView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let slot = domain::planning::slots::get(&state.db, &scope, slot_id).await?;
    if slot.status != SlotStatus::Rendering {
        return Err(ApiError::Conflict(format!("the slot is {:?}; there is no render to cancel", slot.status)));
    }
    let workflow_id = temporal::ids::slot_render_workflow_id(slot.org_id, slot.id, slot.render_version);
    runs::cancel_render(&state, &workflow_id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(render_view(&state, &ctx, slot).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BackgroundInput {
    /// An uploaded image or video of the org; `null` for a plain colour.
    asset_id: Option<Uuid>,
}

/// Chooses the upload shown behind the slot's captions (editor and up).
#[utoipa::path(put, path = "/api/orgs/{org_id}/slots/{slot_id}/background", tag = "renders", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), request_body = BackgroundInput,
    responses((status = 200, body = SlotView), ErrorResponses))]
async fn set_background(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
    ApiJson(body): ApiJson<BackgroundInput>,
) -> Result<ApiJson<SlotView>, ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    Ok(ApiJson(domain::media::rendering::set_background(&state.db, &scope, slot_id, body.asset_id).await?.into()))
}
