//! Media: uploads of the org's own files, asset metadata with an expiring
//! signed link, and the link itself, served with HTTP Range so players can
//! seek.

use super::paths::AssetPath;
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiQuery},
};
use axum::{
    body::Body,
    extract::State,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use domain::{assets, policy::Action};
use futures::TryStreamExt;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use platform::storage::{ByteRange, StorageKey, signing};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio_util::io::{ReaderStream, StreamReader};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// How long a media link works.
const LINK_TTL_SECS: i64 = 3600;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload)).routes(routes!(show_asset)).routes(routes!(media))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AssetView {
    id: Uuid,
    /// upload, video, thumbnail, audio or captions.
    kind: String,
    content_type: String,
    size_bytes: i64,
    created_at: DateTime<chrono::FixedOffset>,
    /// A link to the bytes, valid for an hour; supports Range requests.
    url: String,
    url_expires_at: DateTime<Utc>,
    /// With the S3 backend, a presigned link straight to the object store
    /// (same lifetime), so players need not stream through the API.
    direct_url: Option<String>,
}

fn signed_url(state: &AppState, key: &StorageKey) -> (String, DateTime<Utc>) {
    let expires = Utc::now().timestamp() + LINK_TTL_SECS;
    let signature = signing::sign(state.media_key.as_slice(), key, expires);
    let url = format!(
        "{}/api/media?key={}&expires={expires}&signature={signature}",
        state.config.api.public_base_url,
        key.as_str()
    );
    (url, DateTime::from_timestamp(expires, 0).expect("a valid timestamp"))
}

pub(crate) async fn asset_view(state: &AppState, a: entities::assets::Model) -> Result<AssetView, ApiError> {
    let key = StorageKey::parse(&a.storage_key)?;
    let (url, url_expires_at) = signed_url(state, &key);
    let direct_url = state.storage.presigned_get(&key, Duration::from_secs(LINK_TTL_SECS as u64)).await?;
    Ok(AssetView {
        direct_url,
        id: a.id,
        kind: a.kind,
        content_type: a.content_type,
        size_bytes: a.size_bytes,
        created_at: a.created_at,
        url,
        url_expires_at,
    })
}

/// Uploads a file of the org's own (editor and up): the raw body, typed by
/// its Content-Type (JPEG, PNG, MP4, QuickTime, MP3 or WAV), at most 200 MB.
#[utoipa::path(post, path = "/api/orgs/{org_id}/uploads", tag = "media", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AssetView), ErrorResponses))]
async fn upload(
    State(state): State<AppState>,
    ctx: OrgCtx,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, ApiJson<AssetView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let content_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let extension = assets::extension_for(&content_type)?;
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > assets::UPLOAD_LIMIT)
    {
        return Err(ApiError::PayloadTooLarge);
    }
    let id = Uuid::now_v7();
    let key = StorageKey::new(scope.org_id(), &format!("uploads/{id}.{extension}"))?;
    let reader = StreamReader::new(body.into_data_stream().map_err(std::io::Error::other));
    let size = state.storage.put(&key, Box::pin(reader), assets::UPLOAD_LIMIT).await?;
    if size == 0 {
        state.storage.delete(&key).await?;
        return Err(ApiError::Validation { field: "body", message: "the upload is empty".into() });
    }
    let asset = assets::record_upload(&state.db, &scope, id, key.as_str(), &content_type, size as i64).await?;
    Ok((StatusCode::CREATED, ApiJson(asset_view(&state, asset).await?)))
}

/// An asset with a fresh signed link to its bytes.
#[utoipa::path(get, path = "/api/orgs/{org_id}/assets/{asset_id}", tag = "media", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("asset_id" = Uuid, Path)), responses((status = 200, body = AssetView), ErrorResponses))]
async fn show_asset(
    State(state): State<AppState>,
    ctx: OrgCtx,
    crate::extract::ApiPath(AssetPath { asset_id }): crate::extract::ApiPath<AssetPath>,
) -> Result<ApiJson<AssetView>, ApiError> {
    let asset = assets::get(&state.db, &ctx.authorize(Action::Read)?, asset_id).await?;
    Ok(ApiJson(asset_view(&state, asset).await?))
}

#[derive(Deserialize, IntoParams)]
pub(crate) struct MediaLink {
    /// The object's storage key.
    key: String,
    /// Unix time after which the link stops working.
    expires: i64,
    /// HMAC-SHA-256 of the key and the expiry.
    signature: String,
}

fn content_type_of(key: &StorageKey) -> &'static str {
    let extension = key.as_str().rsplit('.').next().unwrap_or("");
    assets::UPLOAD_TYPES
        .iter()
        .find(|(_, ext)| *ext == extension)
        .map(|(t, _)| *t)
        .unwrap_or("application/octet-stream")
}

/// The bytes behind a signed link; honours `Range` (206 with
/// `Content-Range`, 416 outside the object).
#[utoipa::path(get, path = "/api/media", tag = "media", params(MediaLink),
    responses((status = 200, description = "The whole object"), (status = 206, description = "The requested range"),
              ErrorResponses))]
async fn media(
    State(state): State<AppState>,
    ApiQuery(link): ApiQuery<MediaLink>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = StorageKey::parse(&link.key).map_err(|_| ApiError::LinkRefused("the link's key is not valid".into()))?;
    signing::verify(state.media_key.as_slice(), &key, link.expires, &link.signature, Utc::now().timestamp())
        .map_err(|refused| ApiError::LinkRefused(refused.to_string()))?;
    let total = state.storage.size(&key).await?.ok_or(ApiError::NotFound("object"))?;
    let requested = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(ByteRange::parse);
    let part = match requested {
        Some(range) => Some(range.resolve(total).ok_or(ApiError::RangeNotSatisfiable { total })?),
        None => None,
    };
    let read = state.storage.read(&key, part).await?;
    let length = if read.total == 0 { 0 } else { read.end - read.start + 1 };
    let mut response = Body::from_stream(ReaderStream::new(read.body)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type_of(&key)));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    if part.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let range = format!("bytes {}-{}/{}", read.start, read.end, read.total);
        response.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&range).expect("ASCII"));
    }
    Ok(response)
}
