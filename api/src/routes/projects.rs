use crate::{
    ApiError, AppState,
    extract::{ApiJson, ApiPath},
    routes::Tenant,
};
use axum::{Router, extract::State, routing::get};
use domain::projects::NewProject;
use http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
pub(super) struct ProjectView {
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

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/orgs/{org_id}/projects", get(list).post(create))
        .route("/api/orgs/{org_id}/projects/{project_id}", get(show))
}

async fn create(
    State(state): State<AppState>,
    Tenant(scope): Tenant,
    ApiJson(body): ApiJson<NewProject>,
) -> Result<(StatusCode, ApiJson<ProjectView>), ApiError> {
    let project = domain::projects::create(&state.db, &scope, body).await?;
    Ok((StatusCode::CREATED, ApiJson(project.into())))
}

async fn list(
    State(state): State<AppState>,
    Tenant(scope): Tenant,
) -> Result<ApiJson<Vec<ProjectView>>, ApiError> {
    let projects = domain::projects::list(&state.db, &scope).await?;
    Ok(ApiJson(projects.into_iter().map(Into::into).collect()))
}

async fn show(
    State(state): State<AppState>,
    Tenant(scope): Tenant,
    ApiPath((_, project_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<ApiJson<ProjectView>, ApiError> {
    Ok(ApiJson(
        domain::projects::get(&state.db, &scope, project_id)
            .await?
            .into(),
    ))
}
