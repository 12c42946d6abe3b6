//! Prometheus metrics: every routed request counted and timed by its route
//! template, and `/metrics` serving this process's registry (for the
//! operator's scraper; keep it off the public proxy).

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::{IntoResponse, Response},
};
use platform::metrics::{CONTENT_TYPE, HTTP_REQUESTS, HTTP_SECONDS};
use std::time::Instant;

pub(crate) async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let response = next.run(request).await;
    HTTP_SECONDS.with_label_values(&[&method, &route]).observe(started.elapsed().as_secs_f64());
    HTTP_REQUESTS.with_label_values(&[&method, &route, response.status().as_str()]).inc();
    response
}

pub(crate) async fn serve() -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, CONTENT_TYPE)], platform::metrics::render())
}
