//! Paging parameters shared by every bounded list: the page size, the
//! opaque cursor of the next page, and the header that carries it when the
//! body is a bare array.

use crate::ApiError;
use domain::paging::{Newest, PAGE_MAX};
use http::{HeaderMap, HeaderValue};

/// The response header with the cursor of the next page, for lists whose
/// body is the bare array (videos, dead letters).
const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

pub(crate) fn page_limit(limit: Option<u64>, default: u64) -> Result<u64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n @ 1..=PAGE_MAX) => Ok(n),
        Some(_) => Err(ApiError::Validation { field: "limit", message: format!("must be between 1 and {}", PAGE_MAX) }),
    }
}

pub(crate) fn bad_cursor() -> ApiError {
    ApiError::bad_request("invalid_cursor", "the cursor is not one this list handed out; start from the first page")
}

pub(crate) fn newest_cursor(kind: &str, cursor: Option<&str>) -> Result<Option<Newest>, ApiError> {
    cursor.map(|c| Newest::from_cursor(kind, c).ok_or_else(bad_cursor)).transpose()
}

/// The headers of a page whose body is a bare array: the next page's cursor
/// when more follow.
pub(crate) fn next_cursor_headers(kind: &str, next: Option<Newest>) -> Result<HeaderMap, ApiError> {
    let mut headers = HeaderMap::new();
    if let Some(next) = next {
        let value = HeaderValue::from_str(&next.to_cursor(kind)).map_err(ApiError::internal)?;
        headers.insert(NEXT_CURSOR_HEADER, value);
    }
    Ok(headers)
}
