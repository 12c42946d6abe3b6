//! Routes, grouped by capability like `domain` (identity, planning, media,
//! publishing, insights, integrations), one module per area. Handlers
//! parse, authorise through the one policy (`OrgCtx::authorize`), call a
//! service and map the result. Every route is registered through utoipa,
//! so the OpenAPI document lists them all.

mod health;
pub(crate) mod identity;
mod insights;
mod integrations;
mod knowledge;
pub(crate) mod media;
mod paging;
mod paths;
pub(crate) mod planning;
mod policy;
pub(crate) mod publishing;
mod schemas;

use crate::{ApiError, AppState};
use axum::{Json, Router, extract::State, response::Redirect, routing::get};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "Reelpilot API", description = "Plan, render and publish short videos to TikTok. \
        Errors are `{\"error\": {\"code\", \"message\", \"request_id\"}}`; every response carries `X-Request-Id`."),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorEnvelope)),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "me", description = "The signed-in user and their sessions"),
        (name = "orgs", description = "Organisations"),
        (name = "members", description = "Members, roles, ownership and invitations"),
        (name = "projects", description = "Projects"),
        (name = "plans", description = "Month plans and their slots"),
        (name = "slots", description = "Editing, approving, locking and improving slots"),
        (name = "renders", description = "Rendering slots into videos, with progress and cancellation"),
        (name = "imports", description = "Importing long videos by URL or upload: Whisper transcripts with word timings, translations, search"),
        (name = "media", description = "Uploads, assets and signed media links"),
        (name = "knowledge", description = "The org's knowledge: search by meaning and words, brand documents"),
        (name = "policy", description = "The org's content rules, and an admin's override of a block"),
        (name = "credentials", description = "Provider credentials kept in the secret store"),
        (name = "tiktok", description = "Connecting TikTok accounts"),
        (name = "pipeline", description = "From approval to a TikTok post: gates, publishing, dead letters, metrics"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An access token from /api/auth/login or /api/auth/refresh"))
                    .build(),
            ),
        );
    }
}

/// What the media-link signing key is derived for in the secret store.
pub const MEDIA_KEY_PURPOSE: &str = "media-urls";

/// Every documented route, and the OpenAPI document describing them.
pub fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(identity::auth::router())
        .merge(identity::me::router())
        .merge(identity::orgs::router())
        .merge(planning::projects::router())
        .merge(planning::prompt_proposals::router())
        .merge(planning::plans::router())
        .merge(planning::slots::router())
        .merge(media::renders::router())
        .merge(media::assets::router())
        .merge(media::imports::router())
        .merge(knowledge::router())
        .merge(policy::router())
        .merge(integrations::credentials::router())
        .merge(insights::activity::router())
        .merge(insights::summaries::router())
        .merge(publishing::tiktok::router())
        .merge(publishing::pipeline::router())
        .split_for_parts();
    qualify_operation_ids(&mut spec);
    (routes, spec)
}

/// Handlers are named for what they do within their area (`list`, `show`),
/// so operation ids get the area's tag in front: unique, as client
/// generators require (`projects_list`, `plans_list`).
fn qualify_operation_ids(spec: &mut utoipa::openapi::OpenApi) {
    for item in spec.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            let tag = operation.tags.as_ref().and_then(|t| t.first()).cloned();
            if let (Some(tag), Some(id)) = (tag, operation.operation_id.as_mut()) {
                *id = format!("{tag}_{id}");
            }
        }
    }
}

pub fn router() -> Router<AppState> {
    let (routes, spec) = documented();
    let spec = std::sync::Arc::new(spec);
    routes
        .route("/api/openapi.json", get(move || std::future::ready(Json(spec.as_ref().clone()))))
        .route("/api/docs", get(docs))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}

/// The interactive docs live in the web app, which serves Swagger UI
/// without reaching the internet.
async fn docs(State(state): State<AppState>) -> Redirect {
    Redirect::temporary(&format!("{}/api-docs.html", state.config.api.public_web_url))
}
