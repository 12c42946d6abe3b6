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

use axum::Router;
use http::{HeaderName, Request};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub fn app(state: AppState) -> Router {
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
                .layer(TimeoutLayer::with_status_code(http::StatusCode::GATEWAY_TIMEOUT, Duration::from_secs(30))),
        )
}
