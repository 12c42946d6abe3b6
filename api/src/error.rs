//! One error type for every handler. Bodies are
//! `{"error": {"code", "message", "request_id"}}`; codes are stable and
//! machine-readable; 5xx causes are logged, never sent.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use domain::DomainError;
use http::StatusCode;
use serde::Serialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("request body is larger than allowed")]
    PayloadTooLarge,
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{dependency} is unavailable")]
    Unavailable {
        dependency: &'static str,
        cause: String,
    },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Unavailable { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "dependency_unavailable")
            }
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
            DomainError::Db(e) => {
                if matches!(
                    e,
                    sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_)
                ) {
                    ApiError::Unavailable {
                        dependency: "postgres",
                        cause: e.to_string(),
                    }
                } else {
                    ApiError::Internal(e.to_string())
                }
            }
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let request_id = crate::request_id::current();
        match &self {
            ApiError::Internal(cause) => tracing::error!(%cause, "request failed"),
            ApiError::Unavailable { dependency, cause } => {
                tracing::warn!(dependency, %cause, "dependency unavailable")
            }
            _ => tracing::info!(code, error = %self, "request rejected"),
        }
        let field = match &self {
            ApiError::Validation { field, .. } => Some(*field),
            _ => None,
        };
        let body = Body {
            code,
            message: self.to_string(),
            request_id,
            field,
        };
        (status, Json(json!({ "error": body }))).into_response()
    }
}

/// A panic in a handler still answers in the API's error format.
pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("handler panicked").into_response()
}
