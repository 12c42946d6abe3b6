use crate::{ApiError, AppState, extract::ApiJson, routes::Tenant};
use axum::{
    Router,
    extract::State,
    routing::{get, post},
};
use http::StatusCode;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrg {
    name: String,
}

#[derive(Serialize)]
struct OrgView {
    id: uuid::Uuid,
    name: String,
    slug: String,
    tier: String,
    created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<entities::organizations::Model> for OrgView {
    fn from(o: entities::organizations::Model) -> Self {
        OrgView {
            id: o.id,
            name: o.name,
            slug: o.slug,
            tier: o.tier,
            created_at: o.created_at,
        }
    }
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/orgs", post(create))
        .route("/api/orgs/{org_id}", get(show))
}

async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewOrg>,
) -> Result<(StatusCode, ApiJson<OrgView>), ApiError> {
    let org = domain::orgs::create(&state.db, &body.name).await?;
    Ok((StatusCode::CREATED, ApiJson(org.into())))
}

async fn show(
    State(state): State<AppState>,
    Tenant(scope): Tenant,
) -> Result<ApiJson<OrgView>, ApiError> {
    Ok(ApiJson(
        domain::orgs::get(&state.db, scope.org_id()).await?.into(),
    ))
}
