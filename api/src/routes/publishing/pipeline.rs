//! A slot's way to TikTok: schedule its pipeline, watch it, pass the
//! publish gate (TikTok's required choices against the account's live
//! options), the dead-letter list with retry, and the post's metrics.

use crate::routes::{
    paging::{newest_cursor, next_cursor_headers, page_limit},
    paths::SlotPath,
};
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath, ApiQuery},
    runs::{self, RunView},
};
use axum::extract::State;
use domain::{
    identity::policy::Action,
    publishing::{self, PublishChoice},
};
use entities::{
    publications::PublicationStatus,
    slots::{self, SlotStatus},
};
use futures::StreamExt;
use http::{HeaderMap, StatusCode};
use platform::tiktok::CreatorInfo;
use serde::{Deserialize, Serialize};
use temporal::pipeline::{GateChoice, PipelineStage, PublishDecision};
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The consent TikTok requires before a post.
const CONSENT_TEXT: &str = "By posting, you agree to TikTok's Music Usage Confirmation.";
const BRANDED_CONSENT_TEXT: &str =
    "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation.";
/// Dead letters per page unless the caller asks for another size.
const DEAD_LETTERS_LIMIT: u64 = 50;
const DEAD_LETTERS_CURSOR: &str = "dead-letters";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schedule, show))
        .routes(routes!(gate, publish))
        .routes(routes!(dead_letters))
        .routes(routes!(retry))
        .routes(routes!(metrics))
}

/// The OpenAPI schema of `temporal::pipeline::PipelineStage` (the contracts
/// crate has no OpenAPI types): its names, or null when no run answers.
pub(crate) fn stage_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    let names = PipelineStage::ALL.iter().map(|s| serde_json::Value::from(s.as_str()));
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some("Where the run is, when it answers."))
        .enum_values(Some(names.chain([serde_json::Value::Null])))
        .build()
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PublicationView {
    status: PublicationStatus,
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
    /// Where the run is, when it answers.
    #[schema(schema_with = stage_schema)]
    stage: Option<PipelineStage>,
    /// Why the pipeline failed.
    error: Option<String>,
    /// Which policy rules stop the slot and why, while they do.
    policy_block: Option<String>,
    publication: Option<PublicationView>,
    run: RunView,
}

async fn pipeline_view(state: &AppState, ctx: &OrgCtx, slot: slots::Model) -> Result<PipelineView, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let publication = publishing::publication(&state.db, &scope, slot.id).await?.map(PublicationView::from);
    let (run, status) = runs::describe_pipeline(state, &slot).await;
    let policy_block = domain::policy::gate::block_of(&slot).map(|b| b.summary());
    Ok(PipelineView {
        slot_id: slot.id,
        slot_status: slot.status,
        stage: status.map(|s| s.stage),
        error: slot.pipeline_error,
        policy_block,
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
    let slot = domain::planning::slots::get(&state.db, &scope, slot_id).await?;
    match slot.status {
        SlotStatus::Empty | SlotStatus::Published | SlotStatus::SentToInbox => {
            return Err(ApiError::Conflict(format!("a {:?} slot cannot be scheduled", slot.status)));
        }
        SlotStatus::Failed => {
            return Err(ApiError::Conflict("the slot's pipeline failed; retry it (POST /retry)".into()));
        }
        _ => {}
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
    let slot = domain::planning::slots::get(&state.db, &ctx.authorize(Action::Read)?, slot_id).await?;
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
    let project = domain::planning::projects::get(&state.db, &scope, slot.project_id).await?;
    let account = project
        .tiktok_account_id
        .ok_or_else(|| ApiError::Conflict("the project has no TikTok account; connect one and choose it".into()))?;
    Ok((creator_of(state, &scope, account).await?, project.post_mode))
}

/// A fresh creator_info of the account (TikTok's rule before every post).
async fn creator_of(state: &AppState, scope: &domain::OrgScope, account: Uuid) -> Result<CreatorInfo, ApiError> {
    let token =
        domain::publishing::tiktok::access_token(&state.db, &*state.secrets, &state.tiktok, scope, account, None)
            .await
            .map_err(|e| match e {
                domain::publishing::tiktok::ConnectError::Domain(d) => d.into(),
                other => ApiError::Unavailable { dependency: "tiktok", cause: other.to_string() },
            })?;
    let creator = state.tiktok.creator_info(&token).await.map_err(|e| match e {
        platform::tiktok::TikTokError::Refused { code, message, .. } => {
            ApiError::Conflict(format!("TikTok will not take a post from this account now ({code}): {message}"))
        }
        other => ApiError::Unavailable { dependency: "tiktok", cause: other.to_string() },
    })?;
    Ok(creator)
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/slots/{slot_id}/publish-gate", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = GateView), ErrorResponses))]
async fn gate(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
) -> Result<ApiJson<GateView>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let slot = domain::planning::slots::get(&state.db, &scope, slot_id).await?;
    let (creator, post_mode) = creator_for(&state, &ctx, &slot).await?;
    let video_duration_sec = match slot.video_asset_id {
        Some(id) => domain::media::assets::get(&state.db, &scope, id).await?.duration_ms.map(|ms| ms as f64 / 1000.0),
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
/// the account's live options before TikTok is ever called, then handed to
/// the slot's waiting pipeline, which records them (audited) and waits for
/// the slot's time. With no pipeline waiting the answer is 409 and nothing
/// changes.
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
    let gate = publishing::gate::open(&state.db, &scope, slot_id).await?;
    let creator = creator_of(&state, &scope, gate.account_id).await?;
    let choice = GateChoice {
        privacy_level: body.privacy_level,
        allow_comment: body.allow_comment,
        allow_duet: body.allow_duet,
        allow_stitch: body.allow_stitch,
        brand_organic: body.brand_organic,
        branded_content: body.branded_content,
    };
    // The same decision the pipeline makes when it takes the choices.
    gate.decide(&domain_choice(&choice), &creator)?;
    let decision = PublishDecision {
        by: ctx.auth.user_id,
        choice,
        post_now: body.post_now,
        request_id: crate::request_id::current(),
    };
    runs::signal_publish(&state, &gate.slot, decision).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(pipeline_view(&state, &ctx, gate.slot).await?)))
}

fn domain_choice(c: &GateChoice) -> PublishChoice {
    PublishChoice {
        privacy_level: c.privacy_level.clone(),
        allow_comment: c.allow_comment,
        allow_duet: c.allow_duet,
        allow_stitch: c.allow_stitch,
        brand_organic: c.brand_organic,
        branded_content: c.branded_content,
    }
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeadLettersQuery {
    /// Dead letters per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `X-Next-Cursor` of the previous page; without it, the first page.
    cursor: Option<String>,
}

/// Slots whose pipeline failed, most recently failed first, a page at a
/// time, with the reason and the run; retry them with
/// `POST /slots/{id}/retry`. When more follow, the `X-Next-Cursor` header
/// holds the cursor of the next page. A run Temporal does not describe in
/// time is shown `unknown`.
#[utoipa::path(get, path = "/api/orgs/{org_id}/dead-letters", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), DeadLettersQuery),
    responses((status = 200, body = Vec<DeadLetterView>, headers(
        ("x-next-cursor" = String, description = "The cursor of the next page; absent on the last page")
    )), ErrorResponses))]
async fn dead_letters(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<DeadLettersQuery>,
) -> Result<(HeaderMap, ApiJson<Vec<DeadLetterView>>), ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let limit = page_limit(query.limit, DEAD_LETTERS_LIMIT)?;
    let after = newest_cursor(DEAD_LETTERS_CURSOR, query.cursor.as_deref())?;
    let page = publishing::dead_letters(&state.db, &scope, after, limit).await?;
    let deadline = Instant::now() + runs::READ_DEADLINE;
    let views = futures::stream::iter(page.items)
        .map(|(slot, publication)| {
            let state = &state;
            async move {
                let workflow_id = temporal::ids::slot_workflow_id(slot.org_id, slot.id);
                let run = runs::within(deadline, "describe a dead letter's run", runs::describe(state, &workflow_id))
                    .await
                    .unwrap_or_else(|| runs::unknown(state, &workflow_id));
                DeadLetterView {
                    slot_id: slot.id,
                    day_index: slot.day_index,
                    slot_index: slot.slot_index,
                    hook: slot.hook,
                    reason: slot.pipeline_error.unwrap_or_else(|| "unknown".into()),
                    fail_reason: publication.and_then(|p| p.fail_reason),
                    failed_at: slot.updated_at,
                    run,
                }
            }
        })
        .buffered(runs::CALLS_AT_ONCE)
        .collect()
        .await;
    let headers = next_cursor_headers(DEAD_LETTERS_CURSOR, page.next)?;
    Ok((headers, ApiJson(views)))
}

/// Runs a failed slot's pipeline again (editor and up) from where the slot
/// is: rendered when it has its video, approved otherwise. A post that
/// TikTok already made is never made again, and a slot a person rejected or
/// unapproved (a draft) is refused with 409: retry never approves.
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
    // An unknown slot is 404, as on every other slot route; a known one
    // without a post has no points yet.
    domain::planning::slots::get(&state.db, &scope, slot_id).await?;
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
