use crate::routes::paths::{PlanPath, ProjectPath};
use crate::routes::planning::slots::SlotView;
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
    runs::{self, RunView},
};
use axum::extract::State;
use chrono::NaiveDate;
use domain::{
    identity::policy::Action,
    planning::creative::Brief,
    usage::budgets::{self, Meter},
};
use entities::plans;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(list_slots))
        .routes(routes!(regenerate))
        .routes(routes!(llm_calls))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPlan {
    /// First day of the plan, in the project's time zone.
    start_date: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PlanView {
    id: Uuid,
    org_id: Uuid,
    project_id: Uuid,
    start_date: NaiveDate,
    days: i32,
    slots_per_day: i32,
    status: plans::PlanStatus,
    /// The failed step and its cause, when status is failed.
    failure: Option<String>,
    slot_counts: BTreeMap<String, i64>,
    /// Batches of days drafted so far, of all.
    batches_done: i32,
    batches_total: i32,
    /// The prompt versions the drafting used.
    prompt_versions: serde_json::Value,
    /// The model that drafted the plan's slots (its last successful call).
    drafted_by: Option<String>,
    /// Drafted by the small offline stand-in (`LLM_PLACEHOLDER`): the
    /// drafts are placeholders, not posts; a real model writes real ones.
    drafted_offline: bool,
    /// The creative agent's series for the month and the rising choices it
    /// built on; `null` until it has written them.
    brief: Option<Brief>,
    run: RunView,
    created_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PlanSummary {
    id: Uuid,
    start_date: NaiveDate,
    days: i32,
    status: plans::PlanStatus,
    workflow_id: String,
    failure: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PlanStarted {
    plan_id: Uuid,
    /// false when this plan already existed: the request met it.
    created: bool,
    run: RunView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LlmCallView {
    id: Uuid,
    purpose: String,
    model: String,
    prompt_versions: serde_json::Value,
    tokens_in: i32,
    tokens_out: i32,
    cost_micros: i64,
    latency_ms: i32,
    /// ok, invalid_output, http_error or timeout.
    outcome: String,
    error: Option<String>,
    created_at: chrono::DateTime<chrono::FixedOffset>,
}

/// Creates the project's plan for `start_date` and starts its workflow
/// (editor and up); repeating the request returns the same plan and run.
#[utoipa::path(post, path = "/api/orgs/{org_id}/projects/{project_id}/plans", tag = "plans",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)), request_body = NewPlan,
    responses((status = 202, body = PlanStarted, description = "Plan created, workflow started"),
              (status = 200, body = PlanStarted, description = "The plan existed already"), ErrorResponses))]
async fn create(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
    ApiJson(body): ApiJson<NewPlan>,
) -> Result<(StatusCode, ApiJson<PlanStarted>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let project = domain::planning::projects::get(&state.db, &scope, project_id).await?;
    budgets::check(&state.db, &scope, Meter::LlmMicros, Some(&project), &state.config.budgets, 0).await?;
    let (plan, created) =
        domain::planning::plans::find_or_create(&state.db, &scope, project_id, body.start_date, |plan_id| {
            temporal::ids::plan_workflow_id(scope.org_id(), plan_id)
        })
        .await?;
    let run = if plan.status == plans::PlanStatus::Ready {
        runs::describe(&state, &plan.workflow_id).await
    } else {
        runs::start_month_plan(&state, &plan).await?
    };
    let status = if created { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, ApiJson(PlanStarted { plan_id: plan.id, created, run })))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/projects/{project_id}/plans", tag = "plans",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses((status = 200, body = Vec<PlanSummary>), ErrorResponses))]
async fn list(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<ApiJson<Vec<PlanSummary>>, ApiError> {
    let plans = domain::planning::plans::list_for_project(&state.db, &ctx.authorize(Action::Read)?, project_id).await?;
    Ok(ApiJson(
        plans
            .into_iter()
            .map(|p| PlanSummary {
                id: p.id,
                start_date: p.start_date,
                days: p.days,
                status: p.status,
                workflow_id: p.workflow_id,
                failure: p.failure,
            })
            .collect(),
    ))
}

/// The plan, its slot counts by status, and its run.
#[utoipa::path(get, path = "/api/orgs/{org_id}/plans/{plan_id}", tag = "plans", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("plan_id" = Uuid, Path)), responses((status = 200, body = PlanView), ErrorResponses))]
async fn show(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(PlanPath { plan_id, .. }): ApiPath<PlanPath>,
) -> Result<ApiJson<PlanView>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let plan = domain::planning::plans::get(&state.db, &scope, plan_id).await?;
    let counts = domain::planning::plans::slot_counts(&state.db, &scope, plan_id).await?;
    let run = runs::describe(&state, &plan.workflow_id).await;
    let calls = domain::usage::llm_usage::calls_for_plan(&state.db, &scope, plan_id).await?;
    let drafted_by = calls.into_iter().rev().find(|c| c.outcome == "ok").map(|c| c.model);
    let drafted_offline = state.config.llm.placeholder && drafted_by.as_deref() == Some(&state.config.llm.model);
    Ok(ApiJson(PlanView {
        brief: Brief::of(&plan),
        drafted_by,
        drafted_offline,
        id: plan.id,
        org_id: plan.org_id,
        project_id: plan.project_id,
        start_date: plan.start_date,
        days: plan.days,
        slots_per_day: plan.slots_per_day,
        status: plan.status,
        failure: plan.failure,
        slot_counts: counts
            .into_iter()
            .map(|(status, n)| (serde_json::to_value(status).unwrap().as_str().unwrap_or("").to_owned(), n))
            .collect(),
        batches_done: plan.batches_done,
        batches_total: plan.batches_total,
        prompt_versions: plan.prompt_versions,
        run,
        created_at: plan.created_at,
    }))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/plans/{plan_id}/slots", tag = "plans", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("plan_id" = Uuid, Path)),
    responses((status = 200, body = Vec<SlotView>), ErrorResponses))]
async fn list_slots(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(PlanPath { plan_id, .. }): ApiPath<PlanPath>,
) -> Result<ApiJson<Vec<SlotView>>, ApiError> {
    let slots = domain::planning::plans::slots(&state.db, &ctx.authorize(Action::Read)?, plan_id).await?;
    Ok(ApiJson(slots.into_iter().map(Into::into).collect()))
}

/// Drafts the plan again (editor and up): every slot that is neither locked
/// nor approved gets new content. Joins the run if one is going.
#[utoipa::path(post, path = "/api/orgs/{org_id}/plans/{plan_id}/regenerate", tag = "plans", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("plan_id" = Uuid, Path)),
    responses((status = 202, body = PlanStarted), ErrorResponses))]
async fn regenerate(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(PlanPath { plan_id, .. }): ApiPath<PlanPath>,
) -> Result<(StatusCode, ApiJson<PlanStarted>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let plan = domain::planning::plans::get(&state.db, &scope, plan_id).await?;
    let project = domain::planning::projects::get(&state.db, &scope, plan.project_id).await?;
    budgets::check(&state.db, &scope, Meter::LlmMicros, Some(&project), &state.config.budgets, 0).await?;
    let run = runs::start_month_plan(&state, &plan).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(PlanStarted { plan_id, created: false, run })))
}

/// Every LLM call made for the plan, with its prompt versions, tokens, cost
/// and outcome.
#[utoipa::path(get, path = "/api/orgs/{org_id}/plans/{plan_id}/llm-calls", tag = "plans", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("plan_id" = Uuid, Path)),
    responses((status = 200, body = Vec<LlmCallView>), ErrorResponses))]
async fn llm_calls(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(PlanPath { plan_id, .. }): ApiPath<PlanPath>,
) -> Result<ApiJson<Vec<LlmCallView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    domain::planning::plans::get(&state.db, &scope, plan_id).await?;
    let calls = domain::usage::llm_usage::calls_for_plan(&state.db, &scope, plan_id).await?;
    Ok(ApiJson(
        calls
            .into_iter()
            .map(|c| LlmCallView {
                id: c.id,
                purpose: c.purpose,
                model: c.model,
                prompt_versions: c.prompt_versions,
                tokens_in: c.tokens_in,
                tokens_out: c.tokens_out,
                cost_micros: c.cost_micros,
                latency_ms: c.latency_ms,
                outcome: c.outcome,
                error: c.error,
                created_at: c.created_at,
            })
            .collect(),
    ))
}
