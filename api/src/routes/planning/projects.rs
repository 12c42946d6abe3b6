use crate::routes::paths::ProjectPath;
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
};
use axum::extract::State;
use domain::{
    identity::policy::Action,
    media::style::VideoStyle,
    planning::projects::{Budgets, Gates, NewProject, ProjectChanges},
    usage::budgets::{self, Meter},
};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(list_prompts, add_prompt))
        .routes(routes!(usage))
        .routes(routes!(performance))
}

/// A new project; everything but the name has a default.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectInput {
    /// 1 to 120 characters, unique in the organisation.
    #[schema(min_length = 1, max_length = 120)]
    name: String,
    #[serde(default)]
    niche: String,
    #[serde(default)]
    audience: String,
    /// A language tag, default `en`.
    #[schema(pattern = "^[A-Za-z-]{2,8}$")]
    language: Option<String>,
    /// An IANA time zone, default `UTC`.
    timezone: Option<String>,
    /// 1 to 6 distinct local times "HH:MM", default 09:00, 13:00, 19:00.
    #[schema(min_items = 1, max_items = 6)]
    posting_times: Option<Vec<String>>,
    #[serde(default)]
    brand_voice: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectView {
    id: Uuid,
    org_id: Uuid,
    name: String,
    niche: String,
    audience: String,
    language: String,
    timezone: String,
    /// Local times "HH:MM", one per daily slot.
    #[schema(value_type = Vec<String>)]
    posting_times: serde_json::Value,
    autopilot: bool,
    #[schema(value_type = GatesInput)]
    gates: serde_json::Value,
    #[schema(value_type = BudgetsInput)]
    budgets: serde_json::Value,
    brand_voice: String,
    tiktok_account_id: Option<Uuid>,
    post_mode: String,
    /// The publish-gate choices autopilot uses (`PublishInput` without consent).
    #[schema(value_type = Option<Object>)]
    publish_defaults: Option<serde_json::Value>,
    /// How the project's videos look and sound.
    video_style: VideoStyle,
    created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<entities::projects::Model> for ProjectView {
    fn from(p: entities::projects::Model) -> Self {
        ProjectView {
            id: p.id,
            org_id: p.org_id,
            name: p.name,
            niche: p.niche,
            audience: p.audience,
            language: p.language,
            timezone: p.timezone,
            posting_times: p.posting_times,
            autopilot: p.autopilot,
            gates: p.gates,
            budgets: p.budgets,
            brand_voice: p.brand_voice,
            tiktok_account_id: p.tiktok_account_id,
            post_mode: p.post_mode,
            publish_defaults: p.publish_defaults,
            video_style: VideoStyle::of(&p.video_style),
            created_at: p.created_at,
        }
    }
}

/// Creates a project (admin, owner).
#[utoipa::path(post, path = "/api/orgs/{org_id}/projects", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = ProjectInput,
    responses((status = 201, body = ProjectView), ErrorResponses))]
async fn create(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<ProjectInput>,
) -> Result<(StatusCode, ApiJson<ProjectView>), ApiError> {
    let new = NewProject {
        name: body.name,
        niche: body.niche,
        audience: body.audience,
        language: body.language,
        timezone: body.timezone,
        posting_times: body.posting_times,
        brand_voice: body.brand_voice,
    };
    let project = domain::planning::projects::create(&state.db, &ctx.authorize(Action::ManageProjects)?, new).await?;
    if let Err(e) = crate::runs::ensure_analytics_schedule(&state, project.org_id, project.id, false).await {
        tracing::warn!(error = %e, "could not create the analytics schedule; \"summarise now\" creates it");
    }
    Ok((StatusCode::CREATED, ApiJson(project.into())))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/projects", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<ProjectView>), ErrorResponses))]
async fn list(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<ProjectView>>, ApiError> {
    let projects = domain::planning::projects::list(&state.db, &ctx.authorize(Action::Read)?).await?;
    Ok(ApiJson(projects.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/projects/{project_id}", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses((status = 200, body = ProjectView), ErrorResponses))]
async fn show(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<ApiJson<ProjectView>, ApiError> {
    Ok(ApiJson(domain::planning::projects::get(&state.db, &ctx.authorize(Action::Read)?, project_id).await?.into()))
}

/// Changes to a project; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectPatch {
    /// 1 to 120 characters, unique in the organisation.
    #[schema(min_length = 1, max_length = 120)]
    name: Option<String>,
    niche: Option<String>,
    audience: Option<String>,
    /// A language tag such as `en` or `pt-BR`.
    #[schema(pattern = "^[A-Za-z-]{2,8}$")]
    language: Option<String>,
    /// An IANA time zone.
    timezone: Option<String>,
    /// 1 to 6 distinct local times "HH:MM".
    #[schema(min_items = 1, max_items = 6)]
    posting_times: Option<Vec<String>>,
    autopilot: Option<bool>,
    gates: Option<GatesInput>,
    budgets: Option<BudgetsInput>,
    /// A new brand voice becomes a new version in the prompt library.
    brand_voice: Option<String>,
    /// The connected TikTok account the project posts to; `null` clears it.
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<Uuid>)]
    tiktok_account_id: Option<Option<Uuid>>,
    /// direct (posts at once) or inbox (a draft the creator finishes in the app).
    post_mode: Option<String>,
    /// The publish-gate choices autopilot uses (checked against the account's live options at post time).
    #[schema(value_type = Option<Object>)]
    publish_defaults: Option<domain::publishing::PublishChoice>,
    /// The caption preset (bold, boxed, clean) and music (generated, none).
    video_style: Option<VideoStyle>,
}

/// Tells a field set to `null` (Some(None)) from an absent one (None).
fn explicit_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(d).map(Some)
}

/// Which steps wait for a person.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GatesInput {
    approve_slot: bool,
    approve_publish: bool,
}

/// Limits; absent means unlimited.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BudgetsInput {
    /// LLM spend per calendar month in micro-dollars (1 000 000 = $1).
    #[schema(minimum = 0)]
    monthly_llm_micros: Option<i64>,
    #[schema(minimum = 0)]
    monthly_video_seconds: Option<i64>,
    /// Transcribed seconds of imports per calendar month.
    #[schema(minimum = 0)]
    monthly_asr_seconds: Option<i64>,
    #[schema(minimum = 0, maximum = 50)]
    posts_per_day: Option<i32>,
    /// Longest video a render may make, 5 to 600 s; absent means 180 s.
    #[schema(minimum = 5, maximum = 600)]
    max_video_seconds: Option<i32>,
}

/// Changes a project (admin, owner).
#[utoipa::path(patch, path = "/api/orgs/{org_id}/projects/{project_id}", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)), request_body = ProjectPatch,
    responses((status = 200, body = ProjectView), ErrorResponses))]
async fn update(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
    ApiJson(body): ApiJson<ProjectPatch>,
) -> Result<ApiJson<ProjectView>, ApiError> {
    let changes = ProjectChanges {
        name: body.name,
        niche: body.niche,
        audience: body.audience,
        language: body.language,
        timezone: body.timezone,
        posting_times: body.posting_times,
        autopilot: body.autopilot,
        gates: body.gates.map(|g| Gates { approve_slot: g.approve_slot, approve_publish: g.approve_publish }),
        budgets: body.budgets.map(|b| Budgets {
            monthly_llm_micros: b.monthly_llm_micros,
            monthly_video_seconds: b.monthly_video_seconds,
            monthly_asr_seconds: b.monthly_asr_seconds,
            posts_per_day: b.posts_per_day,
            max_video_seconds: b.max_video_seconds,
        }),
        brand_voice: body.brand_voice,
        tiktok_account_id: body.tiktok_account_id,
        post_mode: body.post_mode,
        video_style: body.video_style,
        publish_defaults: body.publish_defaults,
    };
    let scope = ctx.authorize(Action::ManageProjects)?;
    Ok(ApiJson(
        domain::planning::projects::update(&state.db, &scope, project_id, changes, ctx.auth.user_id).await?.into(),
    ))
}

/// Deletes a project with its plans, slots and prompts (admin, owner).
#[utoipa::path(delete, path = "/api/orgs/{org_id}/projects/{project_id}", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), ErrorResponses))]
async fn delete(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<StatusCode, ApiError> {
    let scope = ctx.authorize(Action::ManageProjects)?;
    domain::planning::projects::delete(&state.db, &scope, project_id).await?;
    crate::runs::delete_analytics_schedule(&state, scope.org_id(), project_id).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PromptView {
    id: Uuid,
    /// brand_voice or instructions.
    kind: String,
    version: i32,
    body: String,
    created_by: Option<Uuid>,
    created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<entities::prompts::Model> for PromptView {
    fn from(p: entities::prompts::Model) -> Self {
        PromptView {
            id: p.id,
            kind: p.kind,
            version: p.version,
            body: p.body,
            created_by: p.created_by,
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPrompt {
    /// brand_voice or instructions.
    #[schema(value_type = crate::routes::schemas::PromptKind, inline)]
    kind: String,
    /// At most 8000 characters.
    #[schema(max_length = 8000)]
    body: String,
}

/// The project's prompt library: every version, newest first per kind.
#[utoipa::path(get, path = "/api/orgs/{org_id}/projects/{project_id}/prompts", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses((status = 200, body = Vec<PromptView>), ErrorResponses))]
async fn list_prompts(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<ApiJson<Vec<PromptView>>, ApiError> {
    let prompts = domain::planning::prompts::list(&state.db, &ctx.authorize(Action::Read)?, project_id).await?;
    Ok(ApiJson(prompts.into_iter().map(Into::into).collect()))
}

/// Adds a new version of the brand voice or the instructions (admin, owner);
/// the next generation uses it and records its version.
#[utoipa::path(post, path = "/api/orgs/{org_id}/projects/{project_id}/prompts", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)), request_body = NewPrompt,
    responses((status = 201, body = PromptView), ErrorResponses))]
async fn add_prompt(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
    ApiJson(body): ApiJson<NewPrompt>,
) -> Result<(StatusCode, ApiJson<PromptView>), ApiError> {
    let scope = ctx.authorize(Action::ManageProjects)?;
    let p =
        domain::planning::prompts::add_version(&state.db, &scope, project_id, &body.kind, &body.body, ctx.auth.user_id)
            .await?;
    Ok((StatusCode::CREATED, ApiJson(p.into())))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UsageView {
    /// LLM spend of this project this calendar month, micro-dollars.
    llm_cost_micros_this_month: i64,
    monthly_llm_budget_micros: Option<i64>,
    /// Seconds of video rendered this calendar month.
    video_seconds_this_month: i64,
    monthly_video_seconds_budget: Option<i64>,
    /// Seconds of imported speech transcribed this calendar month.
    asr_seconds_this_month: i64,
    monthly_asr_seconds_budget: Option<i64>,
    /// Posts sent to TikTok today (UTC).
    publishes_today: i64,
    posts_per_day_budget: Option<i32>,
    /// Posts sent to TikTok this calendar month.
    publishes_this_month: i64,
    /// LLM spend this month per post sent this month; `null` before the first post.
    llm_cost_micros_per_post: Option<i64>,
}

/// The project's usage this month (LLM spend, rendered seconds) and today
/// (posts) against the budgets in force (the project's own, or the
/// platform's default when that is smaller); `null` budgets are unlimited.
#[utoipa::path(get, path = "/api/orgs/{org_id}/projects/{project_id}/usage", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)), responses((status = 200, body = UsageView), ErrorResponses))]
async fn usage(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<ApiJson<UsageView>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let project = domain::planning::projects::get(&state.db, &scope, project_id).await?;
    let defaults = &state.config.budgets;
    let spent = domain::usage::llm_usage::month_cost_micros(&state.db, &scope, project_id).await?;
    let posts = domain::usage::llm_usage::month_total(&state.db, &scope, project_id, "publishes").await?;
    Ok(ApiJson(UsageView {
        llm_cost_micros_this_month: spent,
        monthly_llm_budget_micros: budgets::limit(Meter::LlmMicros, Some(&project), defaults),
        video_seconds_this_month: domain::usage::llm_usage::month_total(&state.db, &scope, project_id, "video_seconds")
            .await?,
        monthly_video_seconds_budget: budgets::limit(Meter::VideoSeconds, Some(&project), defaults),
        asr_seconds_this_month: domain::usage::llm_usage::month_total(&state.db, &scope, project_id, "asr_seconds")
            .await?,
        monthly_asr_seconds_budget: budgets::limit(Meter::AsrSeconds, Some(&project), defaults),
        publishes_today: domain::publishing::publishes_today(&state.db, &scope, project_id).await?,
        posts_per_day_budget: budgets::posts_per_day(&project, defaults).map(|n| n as i32),
        publishes_this_month: posts,
        llm_cost_micros_per_post: (posts > 0).then(|| spent / posts),
    }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PostResultView {
    slot_id: Uuid,
    hook: String,
    format: String,
    /// Local posting time, "HH:MM".
    posting_time: String,
    views: i64,
    likes: i64,
    comments: i64,
    shares: i64,
    /// (likes + comments + shares) / views.
    engagement: f64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AverageView {
    posts: usize,
    avg_views: f64,
    avg_engagement: f64,
}

/// How the project's posts did, by their latest metric snapshot. The
/// planner is given the same summary when it drafts the next month.
#[derive(Serialize, ToSchema)]
pub(crate) struct PerformanceView {
    posts_measured: usize,
    /// Most viewed first (at most 5).
    best: Vec<PostResultView>,
    /// Least viewed first (at most 5, none of the best).
    weakest: Vec<PostResultView>,
    by_format: BTreeMap<String, AverageView>,
    by_posting_time: BTreeMap<String, AverageView>,
    /// The scheduler's proposal when one posting time does far worse than
    /// the best (at least 3 measured posts each); apply it by updating the
    /// project's `posting_times`.
    proposed_posting_times: Option<domain::insights::posting_times::TimesProposal>,
}

impl From<domain::insights::performance::PostResult> for PostResultView {
    fn from(r: domain::insights::performance::PostResult) -> Self {
        PostResultView {
            slot_id: r.slot_id,
            hook: r.hook,
            format: r.format,
            posting_time: r.posting_time,
            views: r.views,
            likes: r.likes,
            comments: r.comments,
            shares: r.shares,
            engagement: r.engagement,
        }
    }
}

/// What worked: the project's posts ranked by views, with averages by format
/// and posting time; the next month's drafting learns from it.
#[utoipa::path(get, path = "/api/orgs/{org_id}/projects/{project_id}/performance", tag = "projects",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses((status = 200, body = PerformanceView), ErrorResponses))]
async fn performance(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<ApiJson<PerformanceView>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let (p, proposed_posting_times) = domain::insights::performance::of_project(&state.db, &scope, project_id).await?;
    let averages = |m: BTreeMap<String, domain::insights::performance::Average>| {
        m.into_iter()
            .map(|(k, a)| (k, AverageView { posts: a.posts, avg_views: a.avg_views, avg_engagement: a.avg_engagement }))
            .collect()
    };
    Ok(ApiJson(PerformanceView {
        posts_measured: p.posts_measured,
        best: p.best.into_iter().map(Into::into).collect(),
        weakest: p.weakest.into_iter().map(Into::into).collect(),
        by_format: averages(p.by_format),
        by_posting_time: averages(p.by_posting_time),
        proposed_posting_times,
    }))
}
