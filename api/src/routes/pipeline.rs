//! A slot's way to TikTok: schedule its pipeline, watch it, pass the
//! publish gate (TikTok's required choices against the account's live
//! options), the dead-letter list with retry, and the post's metrics.

use super::paths::SlotPath;
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
    runs::{self, RunView},
};
use axum::extract::State;
use domain::{
    policy::Action,
    publishing::{self, PublishChoice},
};
use entities::slots::{self, SlotStatus};
use http::StatusCode;
use platform::tiktok::CreatorInfo;
use serde::{Deserialize, Serialize};
use temporal::pipeline::PublishDecision;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The consent TikTok requires before a post.
const CONSENT_TEXT: &str = "By posting, you agree to TikTok's Music Usage Confirmation.";
const BRANDED_CONSENT_TEXT: &str =
    "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation.";

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schedule, show))
        .routes(routes!(gate, publish))
        .routes(routes!(dead_letters))
        .routes(routes!(retry))
        .routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PublicationView {
    /// pending, initiated, uploading, processing, sent_to_inbox, published or failed.
    status: String,
    publish_id: Option<String>,
    privacy_level: Option<String>,
    fail_reason: Option<String>,
    public_post_id: Option<String>,
    published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl From<entities::publications::Model> for PublicationView {
    fn from(p: entities::publications::Model) -> Self {
        PublicationView {
            status: p.status,
            publish_id: p.publish_id,
            privacy_level: p.privacy_level,
            fail_reason: p.fail_reason,
            public_post_id: p.public_post_id,
            published_at: p.published_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PipelineView {
    slot_id: Uuid,
    slot_status: SlotStatus,
    /// Where the run is: waiting_for_approval, rendering,
    /// waiting_for_publish_approval, waiting_for_slot_time, publishing,
    /// waiting_in_inbox, waiting_for_post_id, done, failed.
    stage: Option<String>,
    /// Why the pipeline failed.
    error: Option<String>,
    publication: Option<PublicationView>,
    run: RunView,
}

async fn pipeline_view(state: &AppState, ctx: &OrgCtx, slot: slots::Model) -> Result<PipelineView, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let publication = publishing::publication(&state.db, &scope, slot.id).await?.map(PublicationView::from);
    let (run, status) = runs::describe_pipeline(state, &slot).await;
    Ok(PipelineView {
        slot_id: slot.id,
        slot_status: slot.status,
        stage: status.map(|s| s.stage),
        error: slot.pipeline_error,
        publication,
        run,
    })
}

/// Starts the slot's pipeline (editor and up): it waits for approval (unless
/// autopilot), renders, waits at the publish gate (unless autopilot), waits
/// for the slot's time and publishes. Joins a running pipeline.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/schedule", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 202, body = PipelineView), ErrorResponses))]
async fn schedule(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<(StatusCode, ApiJson<PipelineView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let slot = domain::slots::get(&state.db, &scope, slot_id).await?;
    if matches!(slot.status, SlotStatus::Empty | SlotStatus::Published) {
        return Err(ApiError::Conflict(format!("a {:?} slot cannot be scheduled", slot.status)));
    }
    runs::start_pipeline(&state, &slot).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(pipeline_view(&state, &ctx, slot).await?)))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/slots/{slot_id}/pipeline", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = PipelineView), ErrorResponses))]
async fn show(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<ApiJson<PipelineView>, ApiError> {
    let slot = domain::slots::get(&state.db, &ctx.authorize(Action::Read)?, slot_id).await?;
    Ok(ApiJson(pipeline_view(&state, &ctx, slot).await?))
}

/// What the publish gate must show, fetched fresh from TikTok.
#[derive(Serialize, ToSchema)]
pub(crate) struct GateView {
    creator_nickname: String,
    creator_username: String,
    /// The only privacy choices; there is no default.
    privacy_level_options: Vec<String>,
    comment_disabled: bool,
    duet_disabled: bool,
    stitch_disabled: bool,
    max_video_post_duration_sec: i64,
    video_duration_sec: Option<f64>,
    /// False when the video is longer than the account may post.
    can_post: bool,
    title: String,
    consent_text: &'static str,
    branded_consent_text: &'static str,
    /// The post mode of the project: direct or inbox.
    post_mode: String,
}

async fn creator_for(state: &AppState, ctx: &OrgCtx, slot: &slots::Model) -> Result<(CreatorInfo, String), ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let project = domain::projects::get(&state.db, &scope, slot.project_id).await?;
    let account = project
        .tiktok_account_id
        .ok_or_else(|| ApiError::Conflict("the project has no TikTok account; connect one and choose it".into()))?;
    let token = domain::tiktok::access_token(&state.db, &*state.secrets, &state.tiktok, &scope, account, None)
        .await
        .map_err(|e| match e {
            domain::tiktok::ConnectError::Domain(d) => d.into(),
            other => ApiError::Unavailable { dependency: "tiktok", cause: other.to_string() },
        })?;
    let creator = state.tiktok.creator_info(&token).await.map_err(|e| match e {
        platform::tiktok::TikTokError::Refused { code, message, .. } => {
            ApiError::Conflict(format!("TikTok will not take a post from this account now ({code}): {message}"))
        }
        other => ApiError::Unavailable { dependency: "tiktok", cause: other.to_string() },
    })?;
    Ok((creator, project.post_mode))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/slots/{slot_id}/publish-gate", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = GateView), ErrorResponses))]
async fn gate(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<ApiJson<GateView>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let slot = domain::slots::get(&state.db, &scope, slot_id).await?;
    let (creator, post_mode) = creator_for(&state, &ctx, &slot).await?;
    let video_duration_sec = match slot.video_asset_id {
        Some(id) => domain::assets::get(&state.db, &scope, id).await?.duration_ms.map(|ms| ms as f64 / 1000.0),
        None => None,
    };
    let can_post = video_duration_sec.is_none_or(|d| d <= creator.max_video_post_duration_sec as f64);
    let title = publishing::post_info(&slot, &sample_choice(), 0).title;
    Ok(ApiJson(GateView {
        creator_nickname: creator.creator_nickname,
        creator_username: creator.creator_username,
        privacy_level_options: creator.privacy_level_options,
        comment_disabled: creator.comment_disabled,
        duet_disabled: creator.duet_disabled,
        stitch_disabled: creator.stitch_disabled,
        max_video_post_duration_sec: creator.max_video_post_duration_sec,
        video_duration_sec,
        can_post,
        title,
        consent_text: CONSENT_TEXT,
        branded_consent_text: BRANDED_CONSENT_TEXT,
        post_mode,
    }))
}

fn sample_choice() -> PublishChoice {
    PublishChoice {
        privacy_level: String::new(),
        allow_comment: false,
        allow_duet: false,
        allow_stitch: false,
        brand_organic: false,
        branded_content: false,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishInput {
    /// One of the account's `privacy_level_options`; there is no default.
    privacy_level: String,
    #[serde(default)]
    allow_comment: bool,
    #[serde(default)]
    allow_duet: bool,
    #[serde(default)]
    allow_stitch: bool,
    /// "Your brand" (Promotional content).
    #[serde(default)]
    brand_organic: bool,
    /// "Branded content" (Paid partnership); cannot be private.
    #[serde(default)]
    branded_content: bool,
    /// The person accepted the consent text shown by the gate.
    consent: bool,
    /// Post as soon as the video is ready instead of at the slot's time
    /// (the slot's time moves to now).
    #[serde(default)]
    post_now: bool,
}

/// Passes the publish gate (editor and up): the choices are checked against
/// the account's live options before TikTok is ever called, stored with the
/// publication and audited; the pipeline then waits for the slot's time.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/publish", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), request_body = PublishInput,
    responses((status = 202, body = PipelineView), ErrorResponses))]
async fn publish(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
    ApiJson(body): ApiJson<PublishInput>,
) -> Result<(StatusCode, ApiJson<PipelineView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    if !body.consent {
        return Err(ApiError::Validation { field: "consent", message: "the consent text must be accepted".into() });
    }
    let slot = domain::slots::get(&state.db, &scope, slot_id).await?;
    if slot.status != SlotStatus::Rendered {
        return Err(ApiError::Conflict(format!(
            "the slot is {:?}; the publish gate opens once it is rendered",
            slot.status
        )));
    }
    let (creator, _) = creator_for(&state, &ctx, &slot).await?;
    let choice = PublishChoice {
        privacy_level: body.privacy_level,
        allow_comment: body.allow_comment,
        allow_duet: body.allow_duet,
        allow_stitch: body.allow_stitch,
        brand_organic: body.brand_organic,
        branded_content: body.branded_content,
    };
    publishing::check_choice(&choice, &creator)?;
    let cover = match slot.video_asset_id {
        Some(id) => domain::assets::get(&state.db, &scope, id).await?.cover_timestamp_ms.unwrap_or(0),
        None => 0,
    };
    let info = publishing::post_info(&slot, &choice, cover as i64);
    let by = ctx.auth.user_id;
    publishing::decide(&state.db, &scope, slot.id, &info, Some(by), body.post_now, crate::request_id::current())
        .await?;
    runs::signal_publish(&state, &slot, PublishDecision { by, post_now: body.post_now }).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(pipeline_view(&state, &ctx, slot).await?)))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DeadLetterView {
    slot_id: Uuid,
    day_index: i32,
    slot_index: i32,
    hook: String,
    /// Why it failed, in TikTok's or our words.
    reason: String,
    fail_reason: Option<String>,
    failed_at: chrono::DateTime<chrono::FixedOffset>,
    run: RunView,
}

/// Slots whose pipeline failed, with the reason and the run; retry them with
/// `POST /slots/{id}/retry`.
#[utoipa::path(get, path = "/api/orgs/{org_id}/dead-letters", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<DeadLetterView>), ErrorResponses))]
async fn dead_letters(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<DeadLetterView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let mut out = Vec::new();
    for (slot, publication) in publishing::dead_letters(&state.db, &scope).await? {
        let run = runs::describe(&state, &temporal::ids::slot_workflow_id(slot.org_id, slot.id)).await;
        out.push(DeadLetterView {
            slot_id: slot.id,
            day_index: slot.day_index,
            slot_index: slot.slot_index,
            hook: slot.hook,
            reason: slot.pipeline_error.unwrap_or_else(|| "unknown".into()),
            fail_reason: publication.and_then(|p| p.fail_reason),
            failed_at: slot.updated_at,
            run,
        });
    }
    Ok(ApiJson(out))
}

/// Runs a failed slot's pipeline again (editor and up). A post that TikTok
/// already made is never made again.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/retry", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 202, body = PipelineView), ErrorResponses))]
async fn retry(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<(StatusCode, ApiJson<PipelineView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let slot = publishing::reset_for_retry(&state.db, &scope, slot_id).await?;
    runs::start_pipeline(&state, &slot).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(pipeline_view(&state, &ctx, slot).await?)))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MetricPoint {
    captured_at: chrono::DateTime<chrono::FixedOffset>,
    view_count: i64,
    like_count: i64,
    comment_count: i64,
    share_count: i64,
}

/// The post's metrics over time, oldest first.
#[utoipa::path(get, path = "/api/orgs/{org_id}/slots/{slot_id}/metrics", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = Vec<MetricPoint>), ErrorResponses))]
async fn metrics(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<ApiJson<Vec<MetricPoint>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let points = publishing::metric_history(&state.db, &scope, slot_id).await?;
    Ok(ApiJson(points.into_iter().map(MetricPoint::from).collect()))
}

impl From<entities::post_metrics::Model> for MetricPoint {
    fn from(m: entities::post_metrics::Model) -> Self {
        MetricPoint {
            captured_at: m.captured_at,
            view_count: m.view_count,
            like_count: m.like_count,
            comment_count: m.comment_count,
            share_count: m.share_count,
        }
    }
}
