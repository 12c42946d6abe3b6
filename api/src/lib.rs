//! The HTTP API. `app()` builds the router from its dependencies so tests
//! drive it with `oneshot` or a real listener alike.

pub mod auth;
pub mod error;
pub mod extract;
mod metrics;
pub mod notify;
pub mod request_id;
pub mod routes;
pub mod runs;
pub mod seed;
pub mod state;

pub use error::ApiError;
pub use state::AppState;

use axum::{
    Router,
    extract::State,
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{HeaderName, Method, Request, StatusCode};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// How long requests may take. Uploads are exempt from the total: a large
/// file on a slow link takes minutes, so their body has an idle timeout
/// instead (no bytes for `upload_idle`: 408 `upload_stalled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Every request but uploads: 504 past it.
    pub request: Duration,
    /// Uploads: the longest wait for the next bytes of the body.
    pub upload_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { request: Duration::from_secs(30), upload_idle: Duration::from_secs(30) }
    }
}

/// `POST /api/orgs/{org_id}/uploads` (`routes::media::assets`), the one route whose
/// time depends on the size of what the client sends.
fn is_upload<B>(req: &Request<B>) -> bool {
    let mut parts = req.uri().path().trim_end_matches('/').split('/');
    req.method() == Method::POST
        && parts.next() == Some("")
        && parts.next() == Some("api")
        && parts.next() == Some("orgs")
        && parts.next().is_some_and(|org| !org.is_empty())
        && parts.next() == Some("uploads")
        && parts.next().is_none()
}

/// The total timeout of every request but uploads; hands the timeouts to
/// the upload handler through the request's extensions.
async fn request_timeout(State(timeouts): State<Timeouts>, mut req: axum::extract::Request, next: Next) -> Response {
    req.extensions_mut().insert(timeouts);
    if is_upload(&req) {
        return next.run(req).await;
    }
    match tokio::time::timeout(timeouts.request, next.run(req)).await {
        Ok(response) => response,
        Err(_) => StatusCode::GATEWAY_TIMEOUT.into_response(),
    }
}

pub fn app(state: AppState) -> Router {
    app_with(state, Timeouts::default())
}

/// The app with other timeouts (tests shorten them).
pub fn app_with(state: AppState, timeouts: Timeouts) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let request_id = req.headers().get(&REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id)
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    routes::router()
        .route("/metrics", axum::routing::get(metrics::serve))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                // Outermost, so the trace span and every handler see the final id.
                .layer(axum::middleware::from_fn(request_id::scope))
                .layer(trace)
                .layer(CatchPanicLayer::custom(error::panic_response))
                .layer(axum::middleware::from_fn_with_state(timeouts, request_timeout)),
        )
}

#[cfg(test)]
mod timeout_tests {
    use super::is_upload;
    use http::Request;

    #[test]
    fn only_the_upload_route_is_exempt_from_the_total_timeout() {
        let req = |method: &str, path: &str| Request::builder().method(method).uri(path).body(()).unwrap();
        assert!(is_upload(&req("POST", "/api/orgs/0190e0a0-0000-7000-8000-000000000000/uploads")));
        assert!(is_upload(&req("POST", "/api/orgs/x/uploads/")));
        assert!(!is_upload(&req("GET", "/api/orgs/x/uploads")));
        assert!(!is_upload(&req("POST", "/api/orgs//uploads")));
        assert!(!is_upload(&req("POST", "/api/orgs/x/uploads/y")));
        assert!(!is_upload(&req("POST", "/api/orgs/x/projects")));
        assert!(!is_upload(&req("POST", "/x/api/orgs/y/uploads")));
    }
}
