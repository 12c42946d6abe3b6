//! The analytics agent's weekly summaries of a project: read them, or ask
//! for this week's now (besides the weekly schedule).

use crate::routes::paths::ProjectPath;
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
    runs,
};
use axum::extract::State;
use chrono::{DateTime, FixedOffset, NaiveDate};
use domain::{
    identity::policy::Action,
    insights::weekly::{self, Summary},
};
use http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_summaries, summarize_now))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SummaryView {
    id: Uuid,
    /// The Monday of the week it sums up.
    week_start: NaiveDate,
    summary: Summary,
    /// The analytics prompt's version that wrote it.
    prompt_version: i32,
    created_at: DateTime<FixedOffset>,
}

/// The project's weekly summaries by the analytics agent, newest week
/// first (at most 12). A week without measured posts has none.
#[utoipa::path(get, path = "/api/orgs/{org_id}/projects/{project_id}/summaries", tag = "projects",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses((status = 200, body = Vec<SummaryView>), ErrorResponses))]
async fn list_summaries(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<ApiJson<Vec<SummaryView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let rows = weekly::list(&state.db, &scope, project_id).await?;
    Ok(ApiJson(
        rows.into_iter()
            .filter_map(|r| {
                Some(SummaryView {
                    summary: serde_json::from_value(r.summary).ok()?,
                    id: r.id,
                    week_start: r.week_start,
                    prompt_version: r.prompt_version,
                    created_at: r.created_at,
                })
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SummaryStarted {
    /// The Temporal Schedule whose run writes it.
    schedule_id: String,
}

/// Sums up this week now (editor and up), through the project's weekly
/// schedule; the summary replaces this week's, once the run is done.
#[utoipa::path(post, path = "/api/orgs/{org_id}/projects/{project_id}/summaries", tag = "projects",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses((status = 202, body = SummaryStarted), ErrorResponses))]
async fn summarize_now(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<(StatusCode, ApiJson<SummaryStarted>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let project = domain::planning::projects::get(&state.db, &scope, project_id).await?;
    runs::ensure_analytics_schedule(&state, project.org_id, project.id, true).await?;
    let schedule_id = temporal::analytics::analytics_schedule_id(project.org_id, project.id);
    Ok((StatusCode::ACCEPTED, ApiJson(SummaryStarted { schedule_id })))
}
