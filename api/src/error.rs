//! One error type for every handler. Bodies are
//! `{"error": {"code", "message", "request_id"}}`; codes are stable and
//! machine-readable; 5xx causes are logged, never sent.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use domain::DomainError;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Validation { field: &'static str, message: String },
    #[error("{field} contains a NUL character (\\u0000), which no text may hold")]
    InvalidText { field: String },
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("your role does not allow {0}")]
    Forbidden(&'static str),
    /// Refused for a reason other than the role; `code` says which.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("confirm your email address before {0}: use the link we mailed you (or ask for a new one)")]
    EmailUnverified(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    StaleVersion(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    BudgetExceeded(String),
    #[error("{0}")]
    LinkRefused(String),
    #[error("the requested range is outside the {total}-byte object")]
    RangeNotSatisfiable { total: u64 },
    #[error("request body is larger than allowed")]
    PayloadTooLarge,
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    /// An upload whose bytes are not the declared type, or not one we take.
    #[error("{0}")]
    UnsupportedUpload(String),
    #[error("no bytes of the upload arrived for {} s; it was abandoned", .0.as_secs_f64())]
    UploadStalled(std::time::Duration),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{dependency} is unavailable")]
    Unavailable { dependency: &'static str, cause: String },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { code, message: message.into() }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ApiError::InvalidText { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_text"),
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::EmailUnverified(_) => (StatusCode::FORBIDDEN, "email_unverified"),
            ApiError::Refused { code, .. } => (StatusCode::FORBIDDEN, code),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::StaleVersion(_) => (StatusCode::CONFLICT, "stale_version"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::BudgetExceeded(_) => (StatusCode::PAYMENT_REQUIRED, "budget_exceeded"),
            ApiError::LinkRefused(_) => (StatusCode::FORBIDDEN, "invalid_link"),
            ApiError::RangeNotSatisfiable { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType | ApiError::UnsupportedUpload(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::UploadStalled(_) => (StatusCode::REQUEST_TIMEOUT, "upload_stalled"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "dependency_unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::NotFound(what) => ApiError::NotFound(what),
            DomainError::Invalid { field, message } => ApiError::Validation { field, message },
            DomainError::Conflict(message) => ApiError::Conflict(message),
            e @ DomainError::StaleVersion { .. } => ApiError::StaleVersion(e.to_string()),
            DomainError::Unauthenticated(message) => ApiError::Unauthenticated(message),
            DomainError::Forbidden(action) => ApiError::Forbidden(action),
            DomainError::EmailUnverified(action) => ApiError::EmailUnverified(action),
            DomainError::RateLimited { retry_after_secs } => ApiError::RateLimited { retry_after_secs },
            DomainError::BudgetExceeded(message) => ApiError::BudgetExceeded(message),
            DomainError::Db(e) => {
                if matches!(e, sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_)) {
                    ApiError::Unavailable { dependency: "postgres", cause: e.to_string() }
                } else {
                    ApiError::Internal(e.to_string())
                }
            }
            DomainError::SecretStore(e) => ApiError::Unavailable { dependency: "secret_store", cause: e.to_string() },
        }
    }
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `validation_failed`.
    code: &'static str,
    /// For people; safe to show.
    message: String,
    /// The request's `X-Request-Id`, for support and log searches.
    request_id: Option<String>,
    /// The offending field, for `validation_failed` and `invalid_text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

/// An upload's own refusal, besides [`ErrorResponses`].
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum UploadErrorResponses {
    /// The body paused longer than the idle timeout (`upload_stalled`).
    #[response(status = 408)]
    Stalled(ErrorEnvelope),
}

/// The error responses every endpoint may give, for the OpenAPI spec.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ErrorResponses {
    /// Malformed JSON, a body of the wrong shape or a bad path parameter.
    #[response(status = 400)]
    BadRequest(ErrorEnvelope),
    /// Missing, expired or revoked access token.
    #[response(status = 401)]
    Unauthenticated(ErrorEnvelope),
    /// The caller's role does not allow this action (`forbidden`), or it
    /// needs a confirmed email address first (`email_unverified`).
    #[response(status = 403)]
    Forbidden(ErrorEnvelope),
    /// No such resource in this organisation (also for other orgs' ids).
    #[response(status = 404)]
    NotFound(ErrorEnvelope),
    /// The request conflicts with the current state (`conflict`), or the
    /// slot changed since the version sent (`stale_version`).
    #[response(status = 409)]
    Conflict(ErrorEnvelope),
    /// A field failed validation (`validation_failed`) or holds a NUL
    /// character (`invalid_text`); `field` names it.
    #[response(status = 422)]
    Validation(ErrorEnvelope),
    /// The range asked for is outside the object.
    #[response(status = 416)]
    RangeNotSatisfiable(ErrorEnvelope),
    /// A budget of the project would be exceeded; the message says which.
    #[response(status = 402)]
    BudgetExceeded(ErrorEnvelope),
    /// The body is larger than allowed (`payload_too_large`).
    #[response(status = 413)]
    PayloadTooLarge(ErrorEnvelope),
    /// The body is not of a type this operation takes (`unsupported_media_type`).
    #[response(status = 415)]
    UnsupportedMediaType(ErrorEnvelope),
    /// Too many attempts; see `Retry-After`.
    #[response(status = 429)]
    RateLimited(ErrorEnvelope),
    /// A dependency (PostgreSQL, Temporal) is unavailable.
    #[response(status = 503)]
    Unavailable(ErrorEnvelope),
}

impl From<platform::storage::StorageError> for ApiError {
    fn from(err: platform::storage::StorageError) -> Self {
        use platform::storage::StorageError;
        match err {
            StorageError::NotFound(_) => ApiError::NotFound("object"),
            StorageError::TooLarge { .. } => ApiError::PayloadTooLarge,
            StorageError::InvalidKey(_) => ApiError::bad_request("invalid_key", err.to_string()),
            StorageError::Unusable { .. } | StorageError::Backend(_) => {
                ApiError::Unavailable { dependency: "storage", cause: err.to_string() }
            }
            StorageError::Io(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let request_id = crate::request_id::current();
        match &self {
            ApiError::Internal(cause) => tracing::error!(%cause, "request failed"),
            ApiError::Unavailable { dependency, cause } => tracing::warn!(dependency, %cause, "dependency unavailable"),
            _ => tracing::info!(code, error = %self, "request rejected"),
        }
        let field = match &self {
            ApiError::Validation { field, .. } => Some((*field).to_owned()),
            ApiError::InvalidText { field } => Some(field.clone()),
            _ => None,
        };
        let body = ErrorEnvelope { error: ErrorBody { code, message: self.to_string(), request_id, field } };
        let mut response = (status, Json(body)).into_response();
        match self {
            ApiError::RateLimited { retry_after_secs } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            ApiError::Unauthenticated(_) => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // The rest of a stalled body is not worth reading.
            ApiError::UploadStalled(_) => {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            ApiError::RangeNotSatisfiable { total } => {
                let range = HeaderValue::from_str(&format!("bytes */{total}")).expect("ASCII");
                response.headers_mut().insert(header::CONTENT_RANGE, range);
            }
            _ => {}
        }
        response
    }
}

/// A panic in a handler still answers in the API's error format.
pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("handler panicked").into_response()
}
