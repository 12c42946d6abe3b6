use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
};
use axum::extract::State;
use domain::{policy::Action, projects::NewProject};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show))
}

#[derive(Deserialize)]
pub(crate) struct ProjectPath {
    #[allow(dead_code)]
    org_id: Uuid,
    project_id: Uuid,
}

/// A new project; everything but the name has a default.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectInput {
    name: String,
    #[serde(default)]
    niche: String,
    #[serde(default)]
    audience: String,
    /// A language tag, default `en`.
    language: Option<String>,
    /// An IANA time zone, default `UTC`.
    timezone: Option<String>,
    /// 1 to 6 distinct local times "HH:MM", default 09:00, 13:00, 19:00.
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
    posting_times: serde_json::Value,
    autopilot: bool,
    gates: serde_json::Value,
    budgets: serde_json::Value,
    brand_voice: String,
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
    let project = domain::projects::create(&state.db, &ctx.authorize(Action::ManageProjects)?, new).await?;
    Ok((StatusCode::CREATED, ApiJson(project.into())))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/projects", tag = "projects", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<ProjectView>), ErrorResponses))]
async fn list(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<ProjectView>>, ApiError> {
    let projects = domain::projects::list(&state.db, &ctx.authorize(Action::Read)?).await?;
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
    Ok(ApiJson(domain::projects::get(&state.db, &ctx.authorize(Action::Read)?, project_id).await?.into()))
}
