//! Extractors whose rejections are `ApiError`s, so malformed input always
//! gets the API's JSON error with a code, never axum's plain-text default.

use crate::ApiError;
use axum::extract::{
    FromRequest, FromRequestParts,
    rejection::{JsonRejection, PathRejection},
};

#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            JsonRejection::JsonSyntaxError(e) => ApiError::bad_request("malformed_json", e.body_text()),
            JsonRejection::JsonDataError(e) => ApiError::bad_request("invalid_body", without_values(&e.body_text())),
            JsonRejection::BytesRejection(e) if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge
            }
            other => ApiError::bad_request("invalid_body", other.body_text()),
        }
    }
}

/// serde quotes the offending value in its messages ("unknown variant
/// `sk-...`", "invalid type: string \"...\""); a value can be a secret sent
/// in the wrong field, so errors name the field and the problem, never the
/// value.
fn without_values(message: &str) -> String {
    static VALUES: std::sync::LazyLock<[regex::Regex; 2]> = std::sync::LazyLock::new(|| {
        [
            regex::Regex::new(
                r#"((?:invalid type|invalid value|invalid length): [a-z ]+?) (?:"(?:[^"\\]|\\.)*"|`[^`]*`)"#,
            )
            .expect("valid"),
            regex::Regex::new(r"(unknown variant) `[^`]*`").expect("valid"),
        ]
    });
    VALUES.iter().fold(message.to_owned(), |text, re| re.replace_all(&text, "$1").into_owned())
}

#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn body_errors_never_repeat_the_value_sent() {
        let cases = [
            ("provider: unknown variant `sk-or-v1-abc`, expected `llm` or `tiktok`", "sk-or"),
            (r#"label: invalid type: string "sk-or-v1-abc", expected u32 at line 1"#, "sk-or"),
            ("count: invalid type: integer `123456789`, expected a string", "123456789"),
            ("count: invalid value: integer `-5`, expected u32", "-5"),
        ];
        for (message, secret) in cases {
            let clean = without_values(message);
            assert!(!clean.contains(secret), "{clean}");
            assert!(clean.contains(message.split(':').next().unwrap()), "the field is still named: {clean}");
        }
        assert_eq!(without_values("missing field `secret` at line 1"), "missing field `secret` at line 1");
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request("invalid_path_parameter", rejection.body_text())
    }
}

#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}
