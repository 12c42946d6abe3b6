//! Routes, one module per area. Handlers parse, scope, call a service and
//! map the result.

mod health;
mod orgs;
mod plans;
mod projects;
mod tenant;

use crate::{ApiError, AppState};
use axum::{Router, routing::get};

pub use tenant::Tenant;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(orgs::router())
        .merge(projects::router())
        .merge(plans::router())
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}
