//! Media: uploads of the org's own files, asset metadata with an expiring
//! signed link, and the link itself, served with HTTP Range so players can
//! seek.

use crate::routes::paths::AssetPath;
use crate::{
    ApiError, AppState, Timeouts,
    auth::OrgCtx,
    error::{ErrorResponses, UploadErrorResponses},
    extract::{ApiJson, ApiQuery},
};
use axum::{
    Extension,
    body::Body,
    extract::State,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use domain::{
    identity::policy::Action,
    media::assets::{self, MediaType},
    usage::budgets::{self, Meter},
};
use futures::StreamExt;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use platform::storage::{ByteRange, StorageKey, signing};
use serde::{Deserialize, Serialize};
use std::{future::Future, time::Duration};
use tokio::io::AsyncReadExt;
use tokio_util::io::{ReaderStream, StreamReader};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// How long a media link works.
const LINK_TTL_SECS: i64 = 3600;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload, list_uploads))
        .routes(routes!(show_asset, relabel_asset))
        .routes(routes!(media))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AssetView {
    id: Uuid,
    /// upload, video, thumbnail, audio, captions, import (a fetched
    /// source) or clip (a highlight cut from one).
    kind: String,
    content_type: String,
    size_bytes: i64,
    /// How long a video or audio file plays, when known.
    duration_ms: Option<i32>,
    /// An upload's file name, when its uploader gave one.
    name: Option<String>,
    /// The tags scenes find an upload by.
    tags: Vec<String>,
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
        duration_ms: a.duration_ms,
        tags: serde_json::from_value(a.tags).unwrap_or_default(),
        name: a.name,
        created_at: a.created_at,
        url,
        url_expires_at,
    })
}

/// Uploads a file of the org's own (editor and up): the raw body, typed by
/// its Content-Type (JPEG, PNG, MP4, QuickTime, MP3 or WAV), at most 200 MB.
// The type is checked against the first bytes (415 `unsupported_media_type`
// when they are something else); without a Content-Type, or with
// `application/octet-stream`, the type the bytes show is taken. Images
// larger than 8192 px a side or 40 megapixels are refused (422). The body
// has no total time limit but may not pause longer than
// `Timeouts::upload_idle` (408 `upload_stalled`); nothing stays in storage
// of an upload that stalls, breaks off or fails.
#[utoipa::path(post, path = "/api/orgs/{org_id}/uploads", tag = "media", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), UploadQuery),
    request_body(content = inline(UploadBody), content_type = "application/octet-stream",
        description = "The file's bytes: JPEG, PNG, MP4, QuickTime, MP3 or WAV, at most 200 MB. Send its own \
            Content-Type (`image/jpeg`, `image/png`, `video/mp4`, `video/quicktime`, `audio/mpeg`, `audio/wav`) \
            or `application/octet-stream` to have the bytes decide."),
    responses((status = 201, body = AssetView), UploadErrorResponses, ErrorResponses))]
async fn upload(
    State(state): State<AppState>,
    ctx: OrgCtx,
    timeouts: Option<Extension<Timeouts>>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, ApiJson<AssetView>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let label = assets::Label::parse(query.name.as_deref(), query.tags.as_deref())?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let content_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let declared = match content_type.as_str() {
        "" | "application/octet-stream" => None,
        known => MediaType::from_content_type(assets::extension_for(known).map(|_| known)?),
    };
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if length.is_some_and(|n| n > assets::UPLOAD_LIMIT) {
        return Err(ApiError::PayloadTooLarge);
    }
    let idle = timeouts.map_or_else(|| Timeouts::default().upload_idle, |Extension(t)| t.upload_idle);
    let watch = BodyWatch::default();
    let mut body = IdleBody::new(body.into_data_stream(), idle, watch.clone());

    // The first bytes decide the type, before anything is stored.
    let mut head = Vec::new();
    let mut ended = read_head(&mut body, &mut head, SNIFF_LEN).await.map_err(|e| watch.explain(e.into(), idle))?;
    if head.is_empty() && ended {
        return Err(ApiError::Validation { field: "body", message: "the upload is empty".into() });
    }
    let kind = assets::identify(declared, &head).map_err(|refused| ApiError::UnsupportedUpload(refused.to_string()))?;
    if kind.is_image() {
        loop {
            match assets::image_size(kind, &head) {
                Ok(Some(size)) => {
                    assets::check_image_size(size)
                        .map_err(|message| ApiError::Validation { field: "body", message })?;
                    break;
                }
                Ok(None) if !ended && head.len() < assets::IMAGE_HEADER_LIMIT => {
                    let want = (head.len() * 2).clamp(64 * 1024, assets::IMAGE_HEADER_LIMIT);
                    ended = read_head(&mut body, &mut head, want).await.map_err(|e| watch.explain(e.into(), idle))?;
                }
                Ok(None) => {
                    let limit = assets::IMAGE_HEADER_LIMIT / 1024;
                    return Err(ApiError::UnsupportedUpload(format!(
                        "the {} gives no image size in its first {limit} KiB",
                        kind.content_type()
                    )));
                }
                Err(why) => return Err(ApiError::UnsupportedUpload(why.to_owned())),
            }
        }
    }

    // The org's storage quota is taken before anything is stored: the
    // declared length, or the most an upload may be.
    let expected = length.unwrap_or(assets::UPLOAD_LIMIT) as i64;
    let ttl = chrono::Duration::minutes(UPLOAD_RESERVATION_TTL_MINUTES);
    let reservation =
        budgets::reserve(&state.db, &scope, Meter::StorageBytes, None, &state.config.budgets, expected, ttl).await?;
    let stored = store_upload(&state, &scope, (kind, label), head, body, &watch, idle, reservation).await;
    if stored.is_err() {
        let _ = budgets::release(&state.db, &scope, reservation).await;
    }
    Ok((StatusCode::CREATED, ApiJson(asset_view(&state, stored?).await?)))
}

/// What an upload is found by when scenes look for footage.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadQuery {
    /// The file's name (at most 200 characters; directories are dropped).
    name: Option<String>,
    /// Comma-separated tags, at most 10 of at most 30 characters.
    tags: Option<String>,
}

/// An upload's body, for the OpenAPI document: raw bytes, not JSON.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct UploadBody(Vec<u8>);

/// How long an upload's storage reservation outlives a dropped request.
const UPLOAD_RESERVATION_TTL_MINUTES: i64 = 15;

#[allow(clippy::too_many_arguments)]
async fn store_upload(
    state: &AppState,
    scope: &domain::OrgScope,
    (kind, label): (MediaType, assets::Label),
    head: Vec<u8>,
    body: IdleBody,
    watch: &BodyWatch,
    idle: Duration,
    reservation: budgets::Reservation,
) -> Result<entities::assets::Model, ApiError> {
    let id = Uuid::now_v7();
    let key = StorageKey::new(scope.org_id(), &format!("uploads/{id}.{}", kind.extension()))?;
    // A failed or dropped `put` stores nothing (the stores remove their
    // partial files); once it has, the guard removes the object unless it
    // is recorded, should the request be dropped or fail from here on.
    let reader = std::io::Cursor::new(head).chain(StreamReader::new(body));
    let size =
        state.storage.put(&key, Box::pin(reader), assets::UPLOAD_LIMIT).await.map_err(|e| watch.explain(e, idle))?;
    let stored = Uncommitted { storage: Some(state.storage.clone()), key: key.clone() };
    let upload = assets::Upload {
        id,
        storage_key: key.as_str(),
        content_type: kind.content_type(),
        size_bytes: size as i64,
        label,
    };
    let asset = assets::record_upload(&state.db, scope, upload, reservation).await?;
    stored.commit();
    Ok(asset)
}

/// How many bytes are read before the type is decided.
const SNIFF_LEN: usize = 64;

/// Reads from `body` into `head` until it holds `want` bytes; true when the
/// body ended first.
async fn read_head(body: &mut IdleBody, head: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    while head.len() < want {
        match body.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => return Ok(true),
        }
    }
    Ok(false)
}

/// An upload's stored object, deleted when this is dropped uncommitted.
struct Uncommitted {
    storage: Option<std::sync::Arc<dyn platform::storage::ObjectStore>>,
    key: StorageKey,
}

impl Uncommitted {
    fn commit(mut self) {
        self.storage = None;
    }
}

impl Drop for Uncommitted {
    fn drop(&mut self) {
        let (Some(storage), Ok(runtime)) = (self.storage.take(), tokio::runtime::Handle::try_current()) else {
            return;
        };
        let key = self.key.clone();
        runtime.spawn(async move {
            if let Err(e) = storage.delete(&key).await {
                tracing::warn!(key = key.as_str(), error = %e, "removing an unrecorded upload failed");
            }
        });
    }
}

/// What went wrong with the request body, as the idle timeout saw it.
#[derive(Clone, Default)]
struct BodyWatch(std::sync::Arc<std::sync::atomic::AtomicU8>);

const BODY_STALLED: u8 = 1;
const BODY_BROKEN: u8 = 2;

impl BodyWatch {
    fn set(&self, what: u8) {
        self.0.store(what, std::sync::atomic::Ordering::Relaxed);
    }

    /// A failed store explained by the body when it was the body's fault.
    fn explain(&self, err: platform::storage::StorageError, idle: Duration) -> ApiError {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            BODY_STALLED => ApiError::UploadStalled(idle),
            BODY_BROKEN => {
                ApiError::bad_request("upload_incomplete", "the upload broke off before the whole body arrived")
            }
            _ => err.into(),
        }
    }
}

/// The request body with an idle timeout: waiting longer than `idle` for
/// the next bytes ends it with an error (the time the store spends writing
/// what arrived does not count).
struct IdleBody {
    inner: axum::body::BodyDataStream,
    idle: Duration,
    timer: std::pin::Pin<Box<tokio::time::Sleep>>,
    waiting: bool,
    done: bool,
    watch: BodyWatch,
}

impl IdleBody {
    fn new(inner: axum::body::BodyDataStream, idle: Duration, watch: BodyWatch) -> Self {
        let timer = Box::pin(tokio::time::sleep(idle));
        IdleBody { inner, idle, timer, waiting: false, done: false, watch }
    }
}

impl futures::Stream for IdleBody {
    type Item = std::io::Result<axum::body::Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if !this.waiting {
            this.waiting = true;
            let deadline = tokio::time::Instant::now() + this.idle;
            this.timer.as_mut().reset(deadline);
        }
        match std::pin::Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                this.waiting = false;
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                this.watch.set(BODY_BROKEN);
                Poll::Ready(Some(Err(std::io::Error::other(e))))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.done = true;
                    this.watch.set(BODY_STALLED);
                    let why = format!("no bytes for {} ms", this.idle.as_millis());
                    Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, why))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RelabelInput {
    /// The upload's name (at most 200 characters); absent leaves it.
    name: Option<String>,
    /// The upload's tags, replacing the old ones (at most 10 of at most 30 characters).
    #[schema(max_items = 10)]
    tags: Option<Vec<String>>,
}

/// Renames or retags an upload (editor and up): what the scenes of every
/// slot find it by.
#[utoipa::path(patch, path = "/api/orgs/{org_id}/assets/{asset_id}", tag = "media", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("asset_id" = Uuid, Path)), request_body = RelabelInput,
    responses((status = 200, body = AssetView), ErrorResponses))]
async fn relabel_asset(
    State(state): State<AppState>,
    ctx: OrgCtx,
    crate::extract::ApiPath(AssetPath { asset_id }): crate::extract::ApiPath<AssetPath>,
    ApiJson(body): ApiJson<RelabelInput>,
) -> Result<ApiJson<AssetView>, ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    if body.name.is_none() && body.tags.is_none() {
        return Err(ApiError::Validation { field: "body", message: "give a name, tags or both".into() });
    }
    if let Some(tags) = &body.tags {
        if tags.len() > assets::MAX_TAGS {
            return Err(ApiError::Validation { field: "tags", message: format!("at most {} tags", assets::MAX_TAGS) });
        }
        if tags.iter().any(|t| t.contains(',')) {
            return Err(ApiError::Validation { field: "tags", message: "a tag cannot hold a comma".into() });
        }
    }
    let tags = body.tags.map(|tags| tags.join(","));
    let asset = assets::relabel(&state.db, &scope, asset_id, body.name.as_deref(), tags.as_deref()).await?;
    Ok(ApiJson(asset_view(&state, asset).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadsQuery {
    /// At most this many (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `X-Next-Cursor` of the previous page; without it, the first page.
    cursor: Option<String>,
}

const UPLOADS_CURSOR: &str = "uploads";

/// The org's uploads (its media library), newest first, a page at a time,
/// with their names and tags. When more follow, `X-Next-Cursor` holds the
/// next page's cursor.
#[utoipa::path(get, path = "/api/orgs/{org_id}/uploads", tag = "media", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), UploadsQuery),
    responses((status = 200, body = Vec<AssetView>, headers(
        ("x-next-cursor" = String, description = "The cursor of the next page; absent on the last page")
    )), ErrorResponses))]
async fn list_uploads(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<UploadsQuery>,
) -> Result<(HeaderMap, ApiJson<Vec<AssetView>>), ApiError> {
    use crate::routes::paging::{newest_cursor, next_cursor_headers, page_limit};
    let scope = ctx.authorize(Action::Read)?;
    let limit = page_limit(query.limit, 50)?;
    let after = newest_cursor(UPLOADS_CURSOR, query.cursor.as_deref())?;
    let page = assets::uploads(&state.db, &scope, after, limit).await?;
    let mut views = Vec::with_capacity(page.items.len());
    for asset in page.items {
        views.push(asset_view(&state, asset).await?);
    }
    Ok((next_cursor_headers(UPLOADS_CURSOR, page.next)?, ApiJson(views)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
#[utoipa::path(get, path = "/api/media", tag = "media",
    params(MediaLink, ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`; \
        anything else is ignored and the whole object is sent.")),
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
