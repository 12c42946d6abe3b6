//! Extractors whose rejections are `ApiError`s, so malformed input always
//! gets the API's JSON error with a code, never axum's plain-text default.

use crate::ApiError;
use axum::{
    body::{Body, Bytes},
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{JsonRejection, PathRejection},
    },
    http::request::Parts,
};
use serde::de::DeserializeOwned;

/// A JSON body. Text containing NUL (`\u0000`) is refused for every field
/// here, at the edge: PostgreSQL cannot store it, and no field needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes =
            Bytes::from_request(Request::from_parts(parts.clone(), body), state).await.map_err(JsonRejection::from)?;
        if json_has_nul(&bytes) {
            return Err(ApiError::InvalidText { field: nul_field(&bytes) });
        }
        let axum::Json(value) =
            axum::Json::<T>::from_request(Request::from_parts(parts, Body::from(bytes)), state).await?;
        Ok(ApiJson(value))
    }
}

/// Whether a JSON text has a string with an escaped NUL. A raw NUL byte is
/// not valid JSON and fails parsing anyway; `\\u0000` is a backslash, not NUL.
fn json_has_nul(json: &[u8]) -> bool {
    let (mut in_string, mut i) = (false, 0);
    while i < json.len() {
        match (in_string, json[i]) {
            (false, b'"') => in_string = true,
            (true, b'"') => in_string = false,
            (true, b'\\') => {
                if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                    return true;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// The path of the first string holding NUL (`project.name`, `[2]`), for the
/// error; `body` when the text is not JSON after all.
fn nul_field(json: &[u8]) -> String {
    fn walk(value: &serde_json::Value, path: String) -> Option<String> {
        match value {
            serde_json::Value::String(s) => s.contains('\0').then_some(path),
            serde_json::Value::Array(items) => {
                items.iter().enumerate().find_map(|(i, v)| walk(v, format!("{path}[{i}]")))
            }
            serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
                if k.contains('\0') {
                    return Some(path.clone());
                }
                walk(v, if path.is_empty() { k.clone() } else { format!("{path}.{k}") })
            }),
            _ => None,
        }
    }
    serde_json::from_slice(json)
        .ok()
        .and_then(|v| walk(&v, String::new()))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "body".into())
}

/// Refuses a query string or path carrying an encoded NUL (`%00`).
fn refuse_encoded_nul(parts: &Parts, field: &str) -> Result<(), ApiError> {
    let text = if field == "query" { parts.uri.query().unwrap_or("") } else { parts.uri.path() };
    if text.contains("%00") { Err(ApiError::InvalidText { field: field.into() }) } else { Ok(()) }
}

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

#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        refuse_encoded_nul(parts, "path")?;
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(value))
    }
}

#[cfg(test)]
mod tests {
    use super::{json_has_nul, nul_field, without_values};

    #[test]
    fn nul_is_found_in_any_string_and_only_there() {
        assert!(json_has_nul(br#"{"email":"a\u0000b@example.com"}"#));
        assert!(json_has_nul(br#"{"a":{"b":["x","\u0000"]}}"#));
        assert!(json_has_nul(br#"{"k\u0000":1}"#));
        assert!(!json_has_nul(br#"{"text":"a backslash: \\u0000"}"#), "an escaped backslash is not NUL");
        assert!(!json_has_nul(br#"{"text":"\u0001 \" \u00e9"}"#));
        assert_eq!(nul_field(br#"{"project":{"tags":["ok","a\u0000"]}}"#), "project.tags[1]");
        assert_eq!(nul_field(br#"{"email":"a\u0000"}"#), "email");
        assert_eq!(nul_field(br#"["\u0000"]"#), "[0]");
    }

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

#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        refuse_encoded_nul(parts, "query")?;
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}
