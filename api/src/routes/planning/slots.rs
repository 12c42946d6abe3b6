//! What people do with slots: edit, approve (one or many), unapprove, lock,
//! and "AI improve".

use crate::routes::paths::{PlanPath, SlotPath};
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
    media::shots::{self, Shot},
    planning::slots::{SeenSlot, SlotEdit},
    policy::gate,
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
        .routes(routes!(show, edit))
        .routes(routes!(approve))
        .routes(routes!(unapprove))
        .routes(routes!(reject))
        .routes(routes!(lock))
        .routes(routes!(unlock))
        .routes(routes!(improve))
        .routes(routes!(approve_many))
}

/// A finding for the reviewer: which check (policy, similarity) and why.
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct ReviewNoteView {
    check: String,
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SlotView {
    id: Uuid,
    plan_id: Uuid,
    day_index: i32,
    slot_index: i32,
    scheduled_at: chrono::DateTime<chrono::FixedOffset>,
    status: SlotStatus,
    hook: String,
    script: String,
    /// The script cut into scenes, each with its visual and search words
    /// (derived from the script for slots drafted before shot lists).
    shots: Vec<Shot>,
    caption: String,
    #[schema(value_type = Vec<String>)]
    hashtags: serde_json::Value,
    format: String,
    /// How likely the model thinks the post is to do well, 0 to 1.
    confidence: Option<f32>,
    rationale: String,
    /// Policy and similarity findings for the reviewer.
    review_notes: Vec<ReviewNoteView>,
    /// The rules that stop the slot's pipeline, and where; `null` when none.
    policy_block: Option<gate::Block>,
    /// An admin let this slot through its rules (for `version` only).
    policy_override: Option<gate::Override>,
    locked: bool,
    /// Bumped by every change; a regenerated slot has a higher version.
    version: i32,
    prompt_versions: serde_json::Value,
    approved_by: Option<Uuid>,
    approved_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Renders started so far; see `/render` for the current one.
    render_version: i32,
    /// Why the last render failed or stopped.
    render_error: Option<String>,
    video_asset_id: Option<Uuid>,
    /// The upload shown behind the captions; `null` for a plain colour.
    background_asset_id: Option<Uuid>,
    /// The imported clip that is the slot's video (a highlight made into a
    /// slot): rendered as is, with its own speech and captions.
    clip_asset_id: Option<Uuid>,
}

impl From<slots::Model> for SlotView {
    fn from(s: slots::Model) -> Self {
        let (policy_block, policy_override) = (gate::block_of(&s), gate::override_of(&s));
        SlotView {
            id: s.id,
            plan_id: s.plan_id,
            day_index: s.day_index,
            slot_index: s.slot_index,
            scheduled_at: s.scheduled_at,
            status: s.status,
            hook: s.hook,
            shots: shots::of_slot(&s.script, &s.shots),
            script: s.script,
            caption: s.caption,
            hashtags: s.hashtags,
            format: s.format,
            confidence: s.confidence,
            rationale: s.rationale,
            review_notes: serde_json::from_value(s.review_notes).unwrap_or_default(),
            policy_block,
            policy_override,
            locked: s.locked,
            version: s.version,
            prompt_versions: s.prompt_versions,
            approved_by: s.approved_by,
            approved_at: s.approved_at,
            render_version: s.render_version,
            render_error: s.render_error,
            video_asset_id: s.video_asset_id,
            background_asset_id: s.background_asset_id,
            clip_asset_id: s.clip_asset_id,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlotEditInput {
    /// 5 to 150 characters.
    #[schema(min_length = 5, max_length = 150)]
    hook: Option<String>,
    /// 20 to 2000 characters.
    #[schema(min_length = 20, max_length = 2000)]
    script: Option<String>,
    /// 1 to 2200 characters.
    #[schema(min_length = 1, max_length = 2200)]
    caption: Option<String>,
    /// Up to 10 tags like `#cooking` (letters, digits, `_`).
    #[schema(value_type = Option<Vec<crate::routes::schemas::Hashtag>>, inline, max_items = 10)]
    hashtags: Option<Vec<String>>,
    #[schema(value_type = Option<crate::routes::schemas::SlotFormat>, inline)]
    format: Option<String>,
    /// The scenes (1 to 12); their words become the script. With `script`
    /// too, both must say the same words.
    #[schema(min_items = 1, max_items = 12)]
    shots: Option<Vec<Shot>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImproveInput {
    /// What to change, e.g. "make the hook funnier"; at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    instruction: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApproveMany {
    /// Each slot with the content version the person saw: 1 to 200 different slots.
    #[schema(min_items = 1, max_items = 200)]
    slots: Vec<SeenSlotInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeenSlotInput {
    id: Uuid,
    /// The slot's `version` as shown; 409 `stale_version` if it changed since.
    version: i32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApproveInput {
    /// The slot's `version` as shown; 409 `stale_version` if it changed since.
    version: i32,
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/slots/{slot_id}", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = SlotView), ErrorResponses))]
async fn show(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id, .. }): ApiPath<SlotPath>,
) -> Result<ApiJson<SlotView>, ApiError> {
    Ok(ApiJson(domain::planning::slots::get(&state.db, &ctx.authorize(Action::Read)?, slot_id).await?.into()))
}

/// Edits a slot (editor and up); an approved slot returns to draft.
#[utoipa::path(patch, path = "/api/orgs/{org_id}/slots/{slot_id}", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), request_body = SlotEditInput,
    responses((status = 200, body = SlotView), ErrorResponses))]
async fn edit(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id, .. }): ApiPath<SlotPath>,
    ApiJson(body): ApiJson<SlotEditInput>,
) -> Result<ApiJson<SlotView>, ApiError> {
    let change = SlotEdit {
        hook: body.hook,
        script: body.script,
        caption: body.caption,
        hashtags: body.hashtags,
        format: body.format,
        shots: body.shots,
    };
    Ok(ApiJson(
        domain::planning::slots::edit(&state.db, &ctx.authorize(Action::EditContent)?, slot_id, change).await?.into(),
    ))
}

/// Approves a slot as the person saw it (editor and up).
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/approve", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), request_body = ApproveInput,
    responses((status = 200, body = SlotView), ErrorResponses))]
async fn approve(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id, .. }): ApiPath<SlotPath>,
    ApiJson(body): ApiJson<ApproveInput>,
) -> Result<ApiJson<SlotView>, ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let seen = [SeenSlot { id: slot_id, version: body.version }];
    let mut approved = domain::planning::slots::approve(&state.db, &scope, &seen, ctx.auth.user_id).await?;
    let slot = approved.remove(0);
    runs::signal_approval(&state, &slot, ctx.auth.user_id).await;
    Ok(ApiJson(slot.into()))
}

/// Approves many slots at once, all or none.
#[utoipa::path(post, path = "/api/orgs/{org_id}/plans/{plan_id}/approve", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("plan_id" = Uuid, Path)), request_body = ApproveMany,
    responses((status = 200, body = Vec<SlotView>), ErrorResponses))]
async fn approve_many(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(PlanPath { plan_id, .. }): ApiPath<PlanPath>,
    ApiJson(body): ApiJson<ApproveMany>,
) -> Result<ApiJson<Vec<SlotView>>, ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let in_plan = domain::planning::plans::slots(&state.db, &scope, plan_id).await?;
    if body.slots.iter().any(|seen| !in_plan.iter().any(|s| s.id == seen.id)) {
        return Err(ApiError::NotFound("slot"));
    }
    let seen: Vec<SeenSlot> = body.slots.iter().map(|s| SeenSlot { id: s.id, version: s.version }).collect();
    let approved = domain::planning::slots::approve(&state.db, &scope, &seen, ctx.auth.user_id).await?;
    for slot in &approved {
        runs::signal_approval(&state, slot, ctx.auth.user_id).await;
    }
    Ok(ApiJson(approved.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RejectInput {
    /// Why, for the audit log and the team; at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// Rejects a slot (editor and up): back to draft, audited, and a pipeline
/// waiting for its approval ends without posting. A draft or an approved
/// slot, or a rendered one a policy rule stops before its post.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/reject", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), request_body = RejectInput,
    responses((status = 200, body = SlotView), ErrorResponses))]
async fn reject(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id, .. }): ApiPath<SlotPath>,
    ApiJson(body): ApiJson<RejectInput>,
) -> Result<ApiJson<SlotView>, ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let slot = domain::planning::slots::reject(&state.db, &scope, slot_id, ctx.auth.user_id, body.reason).await?;
    runs::signal_rejection(&state, &slot, ctx.auth.user_id).await;
    Ok(ApiJson(slot.into()))
}

#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/unapprove", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = SlotView), ErrorResponses))]
async fn unapprove(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id, .. }): ApiPath<SlotPath>,
) -> Result<ApiJson<SlotView>, ApiError> {
    Ok(ApiJson(
        domain::planning::slots::unapprove(&state.db, &ctx.authorize(Action::EditContent)?, slot_id).await?.into(),
    ))
}

/// Locks a slot: regeneration never touches it.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/lock", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = SlotView), ErrorResponses))]
async fn lock(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id, .. }): ApiPath<SlotPath>,
) -> Result<ApiJson<SlotView>, ApiError> {
    Ok(ApiJson(
        domain::planning::slots::set_locked(&state.db, &ctx.authorize(Action::EditContent)?, slot_id, true)
            .await?
            .into(),
    ))
}

#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/unlock", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), responses((status = 200, body = SlotView), ErrorResponses))]
async fn unlock(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id, .. }): ApiPath<SlotPath>,
) -> Result<ApiJson<SlotView>, ApiError> {
    Ok(ApiJson(
        domain::planning::slots::set_locked(&state.db, &ctx.authorize(Action::EditContent)?, slot_id, false)
            .await?
            .into(),
    ))
}

/// Redrafts one slot with the model ("AI improve"), optionally following an
/// instruction. Runs as a workflow; poll the slot for its new version.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/improve", tag = "slots", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), request_body = ImproveInput,
    responses((status = 202, body = RunView), ErrorResponses))]
async fn improve(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id, .. }): ApiPath<SlotPath>,
    ApiJson(body): ApiJson<ImproveInput>,
) -> Result<(StatusCode, ApiJson<RunView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let slot = domain::planning::slots::get(&state.db, &scope, slot_id).await?;
    if slot.locked {
        return Err(ApiError::Conflict("the slot is locked; unlock it to improve it".into()));
    }
    if !matches!(slot.status, SlotStatus::Empty | SlotStatus::Draft) {
        return Err(ApiError::Conflict(format!("a {:?} slot cannot be redrafted; unapprove it first", slot.status)));
    }
    if body.instruction.as_ref().is_some_and(|i| i.chars().count() > 500) {
        return Err(ApiError::Validation { field: "instruction", message: "must be at most 500 characters".into() });
    }
    let project = domain::planning::projects::get(&state.db, &scope, slot.project_id).await?;
    budgets::check(&state.db, &scope, Meter::LlmMicros, Some(&project), &state.config.budgets, 0).await?;
    let run = runs::start_improve(&state, &slot, body.instruction).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(run)))
}
