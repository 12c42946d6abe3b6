//! The request id: taken from `X-Request-Id` when the caller sends a sane
//! one, generated otherwise, returned on every response, put on every log
//! line of the request and carried into the workflows it starts.

use axum::{extract::Request, middleware::Next, response::Response};

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Callers may pass their own id, but only a short printable one: it ends up
/// in logs and workflow memos.
fn acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

pub(crate) async fn scope(mut req: Request, next: Next) -> Response {
    let header = &crate::REQUEST_ID_HEADER;
    let given = req.headers().get(header).and_then(|v| v.to_str().ok()).filter(|id| acceptable(id));
    let id = match given {
        Some(id) => id.to_owned(),
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            req.headers_mut().insert(header, id.parse().expect("a uuid is a valid header value"));
            id
        }
    };
    let mut response = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    response.headers_mut().insert(header, id.parse().expect("checked printable ASCII"));
    response
}
