use crate::AppState;
use axum::{Json, extract::State, response::IntoResponse};
use http::StatusCode;
use platform::readiness::{self, Probe};
use serde_json::json;
use std::time::Duration;
use temporalio_client::tonic;
use temporalio_common::protos::temporal::api::workflowservice::v1::GetSystemInfoRequest;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// The process is alive; says nothing about its dependencies.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Alive")))]
pub(super) async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Every dependency a request may need answers now; 503 naming the ones
/// that do not.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Every dependency answers"),
    (status = 503, description = "Some dependency does not; `failed` names them")))]
pub(super) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let db = state.db.clone();
    let mut workflow_service = state.temporal.connection().workflow_service();
    let storage = state.storage.clone();
    let secrets = state.secrets.clone();
    let report = readiness::run(
        vec![
            Probe::new("postgres", async move { db.ping().await }),
            Probe::new("temporal", async move {
                workflow_service.get_system_info(tonic::Request::new(GetSystemInfoRequest::default())).await.map(drop)
            }),
            Probe::new("storage", async move { storage.check().await }),
            Probe::new("secret_store", async move { secrets.check().await }),
        ],
        Duration::from_secs(3),
    )
    .await;
    let status = if report.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    if !report.ready {
        tracing::warn!(failed = ?report.failed, "not ready");
    }
    (status, Json(report))
}
