//! Content Posting: creator info, direct and inbox init, the chunked upload,
//! pulls from URLs, status and cancel, and the state machine that moves each
//! publish along on the simulator's clock:
//!
//! ```text
//! Receiving ──all bytes──▶ Processing ──processing_delay──▶ Complete (direct: a post in the ledger)
//!     │                        │                         └▶ Inbox ──user_posts_inbox_draft──▶ Complete
//!     └─(upload URL expired,   └─(fail_next_publish, video longer than max_video_post_duration_sec)
//!        pull failed, cancel,     ──▶ Failed(reason)
//!        fail_publish)──▶ Failed(reason)
//! ```

use super::{
    Caller, DAY, FOLLOWER_OF_CREATOR, Fail, Inner, MUTUAL_FOLLOW_FRIENDS, PUBLIC_TO_EVERYONE, Post, PostMode,
    PostRecord, PublishSummary, Reply, Req, SELF_ONLY, Source, TikTokSimulator, UPLOAD, UPLOAD_URL_TTL, delta,
    envelope, fail, json_body, ok, random_id,
};
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::{collections::BTreeSet, time::Duration};
use url::Url;

/// The Content Posting pages spell it in the singular.
const INVALID_PARAM: &str = "invalid_param";
/// Chunk sizes are decimal megabytes, the strict reading of the docs.
const MB: u64 = 1_000_000;
const MIN_CHUNK: u64 = 5 * MB;
const MAX_CHUNK: u64 = 64 * MB;
const MAX_LAST_CHUNK: u64 = 128 * MB;
const MAX_CHUNKS: u64 = 1000;
const MAX_VIDEO: u64 = 4_000_000_000;
const MAX_TITLE_UTF16: usize = 2200;
/// Creators an unaudited client may post for in 24 h.
const UNAUDITED_ACTIVE_USERS: usize = 5;
/// TikTok gives a pull an hour; the simulator gives up sooner, in real time.
const PULL_TIMEOUT: Duration = Duration::from_secs(60);
const PRIVACY_LEVELS: [&str; 4] = [PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY];
const VIDEO_TYPES: [&str; 3] = ["video/mp4", "video/quicktime", "video/webm"];
/// Publish ids end in a 19-digit number, as real ones do.
const PUBLISH_ID_BASE: u64 = 7_390_000_000_000_000_000;
/// Video (post) ids: 19 digits, beyond a JavaScript number's precision.
const VIDEO_ID_BASE: u64 = 7_412_345_678_900_000_000;

pub(super) struct Publish {
    pub(super) id: String,
    pub(super) open_id: String,
    mode: PostMode,
    source: Source,
    /// Direct: from init. Inbox: chosen by the user in the app.
    privacy: Option<String>,
    title: String,
    created: DateTime<Utc>,
    video_size: u64,
    chunk_size: u64,
    chunk_count: u64,
    upload: Option<Upload>,
    pub(super) bytes: Vec<u8>,
    /// The range and answer of the last chunk accepted, to answer a re-PUT.
    last_chunk: Option<(u64, u64, StatusCode)>,
    /// When the last byte arrived.
    received: Option<DateTime<Utc>>,
    state: State,
    /// A failure scripted by `fail_next_publish`, applied after processing.
    fail_later: Option<String>,
    /// Its entry in `Inner::posts`, once posted.
    post: Option<usize>,
}

struct Upload {
    id: String,
    token: String,
    expires: DateTime<Utc>,
}

#[derive(Clone, PartialEq)]
enum State {
    Receiving,
    Processing,
    Inbox,
    Complete,
    Failed(String),
}

impl Publish {
    pub(super) fn status_name(&self) -> &'static str {
        match (&self.state, self.source) {
            (State::Receiving | State::Processing, Source::FileUpload) => "PROCESSING_UPLOAD",
            (State::Receiving | State::Processing, Source::PullFromUrl) => "PROCESSING_DOWNLOAD",
            (State::Inbox, _) => "SEND_TO_USER_INBOX",
            (State::Complete, _) => "PUBLISH_COMPLETE",
            (State::Failed(_), _) => "FAILED",
        }
    }

    /// Fails the publish unless it was posted; true if it is now FAILED.
    pub(super) fn fail_unless_done(&mut self, reason: &str) -> bool {
        match self.state {
            State::Complete => false,
            State::Failed(_) => true,
            _ => {
                self.state = State::Failed(reason.to_owned());
                true
            }
        }
    }

    pub(super) fn summary(&self) -> PublishSummary {
        PublishSummary {
            publish_id: self.id.clone(),
            open_id: self.open_id.clone(),
            mode: self.mode,
            source: self.source,
            status: self.status_name().to_owned(),
            fail_reason: match &self.state {
                State::Failed(reason) => Some(reason.clone()),
                _ => None,
            },
            received_bytes: self.bytes.len() as u64,
            created_at: self.created,
        }
    }

    /// `Content-Range: bytes 0-{last byte received}/{total}`; `bytes */{total}`
    /// before the first byte, since `0--1` is no range.
    fn progress(&self) -> String {
        match self.bytes.len() {
            0 => format!("bytes */{}", self.video_size),
            n => format!("bytes 0-{}/{}", n - 1, self.video_size),
        }
    }
}

impl Inner {
    /// Moves every publish along to where the clock says it is now.
    pub(super) fn tick(&mut self) {
        let now = self.now();
        let processing = delta(self.config.processing_delay);
        for i in 0..self.publishes.len() {
            let p = &mut self.publishes[i];
            match p.state {
                // An upload that never completed cannot go anywhere: TikTok's
                // docs only say the URL expires; failing it as retryable
                // `internal` tells clients to start over with a new init.
                State::Receiving if p.upload.as_ref().is_some_and(|u| u.expires <= now) => {
                    p.state = State::Failed("internal".into());
                }
                State::Processing => {
                    let done = p.received.map(|r| r + processing).filter(|at| *at <= now);
                    if let Some(at) = done {
                        self.finish(i, at);
                    }
                }
                _ => {}
            }
        }
    }

    /// The end of processing: the checks TikTok runs on the video, then the
    /// post (direct) or the inbox notification.
    fn finish(&mut self, i: usize, at: DateTime<Utc>) {
        let max_secs = u64::from(self.config.max_video_post_duration_sec);
        let p = &mut self.publishes[i];
        if let Some(reason) = p.fail_later.take() {
            p.state = State::Failed(reason);
            return;
        }
        // Only checked when the bytes are an MP4/MOV whose header we can read;
        // tests upload arbitrary bytes and those pass.
        if mp4_info(&p.bytes).is_some_and(|m| m.duration_ms / 1000 > max_secs) {
            p.state = State::Failed("duration_check_failed".into());
            return;
        }
        match p.mode {
            PostMode::Direct => {
                let privacy = p.privacy.clone().unwrap_or_else(|| SELF_ONLY.to_owned());
                self.publish_post(i, &privacy, at);
            }
            PostMode::Inbox => p.state = State::Inbox,
        }
    }

    /// The video goes out: a ledger entry, and for public posts an id that
    /// becomes visible after moderation.
    fn publish_post(&mut self, i: usize, privacy: &str, at: DateTime<Utc>) {
        let video_id = VIDEO_ID_BASE + self.next_seq() * 7919;
        // Display API cursors are millisecond create times: keep them distinct.
        let at = match self.posts.last() {
            Some(last) if last.record.created_at >= at => last.record.created_at + TimeDelta::milliseconds(1),
            _ => at,
        };
        let public = privacy == PUBLIC_TO_EVERYONE;
        let moderation = delta(self.config.moderation_delay);
        let p = &mut self.publishes[i];
        p.state = State::Complete;
        p.privacy = Some(privacy.to_owned());
        p.post = Some(self.posts.len());
        let info = mp4_info(&p.bytes).unwrap_or_default();
        let record = PostRecord {
            publish_id: p.id.clone(),
            open_id: p.open_id.clone(),
            mode: p.mode,
            source: p.source,
            privacy_level: privacy.to_owned(),
            title: p.title.clone(),
            video_size: p.bytes.len() as u64,
            post_id: public.then_some(video_id),
            created_at: at,
            publicly_available_at: public.then(|| at + moderation),
        };
        let duration = u32::try_from(info.duration_ms.div_ceil(1000)).unwrap_or(u32::MAX);
        self.posts.push(Post { record, video_id, duration, width: info.width, height: info.height });
    }

    pub(super) fn post_inbox_draft(&mut self, publish_id: &str, privacy: &str) -> Result<(), String> {
        self.tick();
        if !PRIVACY_LEVELS.contains(&privacy) {
            return Err(format!("{privacy} is not a privacy level"));
        }
        let i =
            self.publishes.iter().position(|p| p.id == publish_id).ok_or_else(|| format!("no publish {publish_id}"))?;
        let p = &self.publishes[i];
        if p.state != State::Inbox {
            return Err(format!("{publish_id} is {}, not in the user's inbox", p.status_name()));
        }
        let now = self.now();
        self.publish_post(i, privacy, now);
        Ok(())
    }

    pub(super) fn privacy_options(&self, open_id: &str) -> Vec<&'static str> {
        match (self.config.audited, self.users.get(open_id).is_some_and(|u| u.private)) {
            (false, _) => vec![SELF_ONLY],
            (true, true) => vec![FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY],
            (true, false) => vec![PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY],
        }
    }

    /// Why this creator may not post now, if they may not.
    fn restriction(&self, open_id: &str, mode: PostMode) -> Option<(String, &'static str)> {
        if let Some(code) = &self.posting_block {
            return Some((code.clone(), "The creator cannot post at this time."));
        }
        if mode == PostMode::Inbox {
            return None;
        }
        let since = self.now() - DAY;
        let recent = self.publishes.iter().filter(|p| p.created > since && !matches!(p.state, State::Failed(_)));
        if !self.config.audited {
            let active: BTreeSet<&str> = recent.clone().map(|p| p.open_id.as_str()).collect();
            if active.len() >= UNAUDITED_ACTIVE_USERS && !active.contains(open_id) {
                let message = "The daily limit of creators posting through this client has been reached.";
                return Some(("reached_active_user_cap".into(), message));
            }
        }
        let today = recent.filter(|p| p.open_id == open_id && p.mode == PostMode::Direct).count();
        if today >= self.config.daily_post_cap {
            let message = "The creator has reached the daily post cap; post from the mobile app instead.";
            return Some(("spam_risk_too_many_posts".into(), message));
        }
        None
    }

    fn owned_publish(&self, caller: &Caller, req: &Req) -> Result<usize, Fail> {
        let body = json_body(req, INVALID_PARAM)?;
        let id = body["publish_id"].as_str().filter(|id| !id.is_empty());
        let id = id.ok_or_else(|| fail(400, INVALID_PARAM, "publish_id is required."))?;
        let i = self.publishes.iter().position(|p| p.id == id);
        let i = i.ok_or_else(|| fail(400, "invalid_publish_id", "The publish_id does not exist."))?;
        if self.publishes[i].open_id != caller.open_id {
            let message = "The access token is not authorized to access this publish_id.";
            return Err(fail(400, "token_not_authorized_for_specified_publish_id", message));
        }
        Ok(i)
    }
}

/// `POST /v2/post/publish/creator_info/query/`.
pub(super) fn creator_info(inner: &mut Inner, caller: &Caller, _req: &Req) -> Reply {
    if let Some((code, message)) = inner.restriction(&caller.open_id, PostMode::Direct) {
        // HTTP 200 on purpose, as TikTok does: clients must read error.code.
        return Err(fail(200, &code, message));
    }
    let user = &inner.users[&caller.open_id];
    ok(json!({
        "creator_avatar_url": user.avatar_url,
        "creator_username": user.username,
        "creator_nickname": user.display_name,
        "privacy_level_options": inner.privacy_options(&caller.open_id),
        "comment_disabled": user.comment_disabled,
        "duet_disabled": user.duet_disabled,
        "stitch_disabled": user.stitch_disabled,
        "max_video_post_duration_sec": inner.config.max_video_post_duration_sec,
    }))
}

/// `POST /v2/post/publish/video/init/`.
pub(super) fn init_direct(inner: &mut Inner, caller: &Caller, req: &Req) -> Reply {
    init(inner, caller, req, PostMode::Direct)
}

/// `POST /v2/post/publish/inbox/video/init/`.
pub(super) fn init_inbox(inner: &mut Inner, caller: &Caller, req: &Req) -> Reply {
    init(inner, caller, req, PostMode::Inbox)
}

enum Spec {
    File { size: u64, chunk: u64, count: u64 },
    Pull { url: String },
}

fn init(inner: &mut Inner, caller: &Caller, req: &Req, mode: PostMode) -> Reply {
    let body = json_body(req, INVALID_PARAM)?;
    let (privacy, title) = match mode {
        PostMode::Direct => {
            let (privacy, title) = post_info(&body["post_info"])?;
            (Some(privacy), title)
        }
        // The docs list only source_info for inbox; a title some clients send
        // anyway is ignored by TikTok, and kept here for the ledger only.
        PostMode::Inbox => (None, body["post_info"]["title"].as_str().unwrap_or("").to_owned()),
    };
    let spec = source_info(&body["source_info"])?;
    if let Some((code, message)) = inner.restriction(&caller.open_id, mode) {
        return Err(fail(403, &code, message));
    }
    let now = inner.now();
    if mode == PostMode::Inbox {
        let pending = inner.publishes.iter().filter(|p| {
            p.open_id == caller.open_id
                && p.mode == PostMode::Inbox
                && p.created > now - DAY
                && matches!(p.state, State::Receiving | State::Processing | State::Inbox)
        });
        if pending.count() >= inner.config.inbox_pending_cap {
            let message = "The creator has too many pending shares; they must post or discard some first.";
            return Err(fail(403, "spam_risk_too_many_pending_share", message));
        }
    }
    if let Some(privacy) = &privacy {
        if !inner.config.audited && privacy != SELF_ONLY {
            let message = "Unaudited clients can only post with the SELF_ONLY privacy level.";
            return Err(fail(403, "unaudited_client_can_only_post_to_private_accounts", message));
        }
        if !inner.privacy_options(&caller.open_id).contains(&privacy.as_str()) {
            let message = "The privacy level is not one of the creator's privacy_level_options.";
            return Err(fail(403, "privacy_level_option_mismatch", message));
        }
    }
    if let Spec::Pull { url } = &spec
        && !verified(&inner.config.verified_url_prefixes, url)
    {
        let message = "The video_url must be https and under a verified domain or URL prefix.";
        return Err(fail(403, "url_ownership_unverified", message));
    }

    let n = PUBLISH_ID_BASE + inner.next_seq();
    let source = match spec {
        Spec::File { .. } => Source::FileUpload,
        Spec::Pull { .. } => Source::PullFromUrl,
    };
    let id = match (mode, source) {
        (PostMode::Direct, Source::FileUpload) => format!("v_pub_file~v2-1.{n}"),
        (PostMode::Direct, Source::PullFromUrl) => format!("v_pub_url~v2.{n}"),
        (PostMode::Inbox, Source::FileUpload) => format!("v_inbox_file~v2.{n}"),
        (PostMode::Inbox, Source::PullFromUrl) => format!("v_inbox_url~v2.{n}"),
    };
    let mut publish = Publish {
        id: id.clone(),
        open_id: caller.open_id.clone(),
        mode,
        source,
        privacy,
        title,
        created: now,
        video_size: 0,
        chunk_size: 0,
        chunk_count: 0,
        upload: None,
        bytes: Vec::new(),
        last_chunk: None,
        received: None,
        state: State::Receiving,
        fail_later: inner.fail_next_publish.pop_front(),
        post: None,
    };
    let data = match spec {
        Spec::File { size, chunk, count } => {
            let upload = Upload { id: random_id(32), token: random_id(40), expires: now + UPLOAD_URL_TTL };
            // The same server, as the client reached it.
            let host = req.header(header::HOST).unwrap_or("127.0.0.1");
            let upload_url = format!("http://{host}{UPLOAD}?upload_id={}&upload_token={}", upload.id, upload.token);
            (publish.video_size, publish.chunk_size, publish.chunk_count) = (size, chunk, count);
            publish.upload = Some(upload);
            json!({"publish_id": id, "upload_url": upload_url})
        }
        Spec::Pull { url } => {
            inner.pulls.push((id.clone(), url));
            json!({"publish_id": id})
        }
    };
    inner.publishes.push(publish);
    ok(data)
}

/// Validates `post_info`; its privacy level and title.
fn post_info(info: &Value) -> Result<(String, String), Fail> {
    let bad = |message: String| fail(400, INVALID_PARAM, message);
    let Some(info) = info.as_object() else { return Err(bad("post_info is required.".into())) };
    let privacy = info.get("privacy_level").and_then(Value::as_str);
    let privacy = privacy.ok_or_else(|| bad("post_info.privacy_level is required.".into()))?;
    if !PRIVACY_LEVELS.contains(&privacy) {
        return Err(bad(format!("post_info.privacy_level {privacy:?} is not a privacy level.")));
    }
    let title = match info.get("title") {
        None | Some(Value::Null) => "",
        Some(Value::String(title)) => title,
        Some(_) => return Err(bad("post_info.title must be a string.".into())),
    };
    if title.encode_utf16().count() > MAX_TITLE_UTF16 {
        return Err(bad(format!("post_info.title is longer than {MAX_TITLE_UTF16} UTF-16 code units.")));
    }
    let flags = ["disable_duet", "disable_comment", "disable_stitch", "brand_content_toggle", "brand_organic_toggle"];
    for flag in flags.into_iter().chain(["is_aigc"]) {
        if info.get(flag).is_some_and(|v| !v.is_boolean() && !v.is_null()) {
            return Err(bad(format!("post_info.{flag} must be a boolean.")));
        }
    }
    if info.get("video_cover_timestamp_ms").is_some_and(|v| !v.is_u64() && !v.is_null()) {
        return Err(bad("post_info.video_cover_timestamp_ms must be a non-negative integer.".into()));
    }
    Ok((privacy.to_owned(), title.to_owned()))
}

fn source_info(info: &Value) -> Result<Spec, Fail> {
    let bad = |message: String| fail(400, INVALID_PARAM, message);
    let Some(info) = info.as_object() else { return Err(bad("source_info is required.".into())) };
    match info.get("source").and_then(Value::as_str) {
        Some("FILE_UPLOAD") => {
            let number = |name: &str| {
                let value = info.get(name).and_then(Value::as_u64).filter(|n| *n > 0);
                value.ok_or_else(|| bad(format!("source_info.{name} must be a positive integer.")))
            };
            let (size, chunk, count) = (number("video_size")?, number("chunk_size")?, number("total_chunk_count")?);
            check_chunks(size, chunk, count).map_err(bad)?;
            Ok(Spec::File { size, chunk, count })
        }
        Some("PULL_FROM_URL") => {
            let url = info.get("video_url").and_then(Value::as_str).filter(|u| !u.is_empty());
            let url = url.ok_or_else(|| bad("source_info.video_url is required for PULL_FROM_URL.".into()))?;
            Ok(Spec::Pull { url: url.to_owned() })
        }
        _ => Err(bad("source_info.source must be FILE_UPLOAD or PULL_FROM_URL.".into())),
    }
}

/// TikTok's chunk rules: `total_chunk_count = floor(video_size / chunk_size)`,
/// chunks of 5–64 MB except the last (up to 128 MB, it absorbs the rest),
/// files under 5 MB as one chunk of their size, 1–1000 chunks.
fn check_chunks(size: u64, chunk: u64, count: u64) -> Result<(), String> {
    if size > MAX_VIDEO {
        return Err(format!("video_size {size} is over the 4 GB limit."));
    }
    if size < MIN_CHUNK {
        return match chunk == size && count == 1 {
            true => Ok(()),
            false => Err("a video under 5 MB is one chunk: chunk_size must equal video_size and \
                          total_chunk_count must be 1."
                .into()),
        };
    }
    if !(MIN_CHUNK..=MAX_CHUNK).contains(&chunk) {
        return Err(format!("chunk_size {chunk} must be between {MIN_CHUNK} and {MAX_CHUNK} bytes."));
    }
    if count != size / chunk {
        return Err(format!("total_chunk_count must be floor(video_size / chunk_size) = {}.", size / chunk));
    }
    if count > MAX_CHUNKS {
        return Err(format!("at most {MAX_CHUNKS} chunks."));
    }
    let last = size - (count - 1) * chunk;
    if last > MAX_LAST_CHUNK {
        return Err(format!("the last chunk would be {last} bytes, over {MAX_LAST_CHUNK}."));
    }
    Ok(())
}

/// https, and under a verified prefix; a prefix without a trailing slash is
/// a domain or path that must end where it ends (so `https://a.com` does not
/// cover `https://a.com.evil.net`).
fn verified(prefixes: &[String], url: &str) -> bool {
    let https = Url::parse(url).is_ok_and(|u| u.scheme() == "https" && u.host().is_some());
    https
        && prefixes.iter().any(|prefix| {
            url.strip_prefix(prefix.as_str())
                .is_some_and(|rest| prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?', ':', '#']))
        })
}

/// `PUT {upload_url}`: one chunk, in order. Every answer that knows the
/// upload carries its progress in `Content-Range`.
pub(super) fn upload(inner: &mut Inner, req: &Req) -> Response {
    let now = inner.now();
    let (upload_id, token) = (req.query.get("upload_id"), req.query.get("upload_token"));
    let found = inner
        .publishes
        .iter_mut()
        .find(|p| p.upload.as_ref().is_some_and(|u| Some(&u.id) == upload_id && Some(&u.token) == token));
    let Some(p) = found else { return upload_answer(StatusCode::NOT_FOUND, None, Some("No upload task found.")) };
    let refuse = |status, p: &Publish, message: &str| upload_answer(status, Some(p), Some(message));
    if p.upload.as_ref().is_some_and(|u| u.expires <= now) {
        return refuse(StatusCode::FORBIDDEN, p, "The upload_url has expired.");
    }
    if matches!(p.state, State::Failed(_)) {
        return refuse(StatusCode::NOT_FOUND, p, "The upload task is no longer active.");
    }
    if !req.header(header::CONTENT_TYPE).is_some_and(|t| VIDEO_TYPES.contains(&t)) {
        return refuse(StatusCode::BAD_REQUEST, p, "Content-Type must be video/mp4, video/quicktime or video/webm.");
    }
    let Some((first, last, total)) = req.header(header::CONTENT_RANGE).and_then(parse_range) else {
        return refuse(StatusCode::BAD_REQUEST, p, "Content-Range must be bytes {first}-{last}/{total}.");
    };
    if total != p.video_size {
        return refuse(StatusCode::BAD_REQUEST, p, "The Content-Range total is not the video_size of the init.");
    }
    let len = last - first + 1;
    let declared = req.header(header::CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok());
    if declared != Some(len) || req.body.len() as u64 != len {
        return refuse(StatusCode::BAD_REQUEST, p, "Content-Length must match the Content-Range and the body.");
    }
    // A client whose answer got lost re-sends the chunk it last sent: the
    // same range with the same bytes gets the same answer and changes nothing.
    if let Some((f, l, status)) = p.last_chunk
        && (f, l) == (first, last)
        && p.bytes[first as usize..=last as usize] == *req.body
    {
        return upload_answer(status, Some(p), None);
    }
    let received = p.bytes.len() as u64;
    if first != received || received == p.video_size {
        return refuse(StatusCode::RANGE_NOT_SATISFIABLE, p, "The Content-Range does not continue the upload.");
    }
    let index = first / p.chunk_size;
    let expected = if index + 1 == p.chunk_count { p.video_size - first } else { p.chunk_size };
    if len != expected {
        let message = format!("Chunk {} of {} must be {expected} bytes.", index + 1, p.chunk_count);
        return refuse(StatusCode::BAD_REQUEST, p, &message);
    }
    p.bytes.extend_from_slice(req.body);
    let status = match p.bytes.len() as u64 == p.video_size {
        true => {
            p.state = State::Processing;
            p.received = Some(now);
            StatusCode::CREATED
        }
        false => StatusCode::PARTIAL_CONTENT,
    };
    p.last_chunk = Some((first, last, status));
    upload_answer(status, Some(p), None)
}

fn upload_answer(status: StatusCode, publish: Option<&Publish>, error: Option<&str>) -> Response {
    let mut response = match error {
        Some(message) => envelope(status, json!({}), "invalid_file_upload", message),
        None => status.into_response(),
    };
    if let Some(range) = publish.and_then(|p| HeaderValue::from_str(&p.progress()).ok()) {
        response.headers_mut().insert(header::CONTENT_RANGE, range);
    }
    response
}

/// `bytes {first}-{last}/{total}`.
fn parse_range(value: &str) -> Option<(u64, u64, u64)> {
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last, total) = (first.parse().ok()?, last.parse().ok()?, total.parse().ok()?);
    (first <= last && last < total).then_some((first, last, total))
}

/// `POST /v2/post/publish/status/fetch/`.
pub(super) fn status(inner: &mut Inner, caller: &Caller, req: &Req) -> Reply {
    let p = &inner.publishes[inner.owned_publish(caller, req)?];
    let received = p.bytes.len() as u64;
    let mut data = json!({"status": p.status_name()});
    match p.source {
        Source::FileUpload => data["uploaded_bytes"] = json!(received),
        Source::PullFromUrl => data["downloaded_bytes"] = json!(received),
    }
    match &p.state {
        // FAILED is still `"code":"ok"`: the request worked, the publish did not.
        State::Failed(reason) => data["fail_reason"] = json!(reason),
        // Present once posted: empty until moderation passes, and for
        // anything but PUBLIC_TO_EVERYONE, forever.
        State::Complete => {
            let now = inner.now();
            let post = p.post.map(|i| &inner.posts[i]);
            let public = post.filter(|post| post.record.publicly_available_at.is_some_and(|at| at <= now));
            let ids: Vec<u64> = public.map(|post| post.video_id).into_iter().collect();
            data["publicaly_available_post_id"] = json!(ids);
        }
        _ => {}
    }
    ok(data)
}

/// `POST /v2/post/publish/cancel/`: only a pull still downloading stops.
pub(super) fn cancel(inner: &mut Inner, caller: &Caller, req: &Req) -> Reply {
    let i = inner.owned_publish(caller, req)?;
    let p = &mut inner.publishes[i];
    if p.source != Source::PullFromUrl || p.state != State::Receiving {
        return Err(fail(400, "publish_not_cancellable", "The publish can no longer be cancelled."));
    }
    p.state = State::Failed("publish_cancelled".into());
    ok(json!({}))
}

/// Downloads a PULL_FROM_URL video as TikTok would: one GET, no redirects
/// followed (a 3xx fails the publish). The simulator has no TLS client, so an
/// `https://` URL is fetched over plain HTTP on the same host and port: tests
/// serve the video with a plain server and hand out its `https://` address.
pub(super) async fn pull(sim: TikTokSimulator, publish_id: String, url: String) {
    let fetched = tokio::time::timeout(PULL_TIMEOUT, fetch(&url)).await.unwrap_or(Err(()));
    let mut inner = sim.lock();
    let now = inner.now();
    let Some(p) = inner.publish_mut(&publish_id) else { return };
    // Cancelled or failed meanwhile.
    if p.state != State::Receiving {
        return;
    }
    match fetched {
        Ok(bytes) if !bytes.is_empty() => {
            p.video_size = bytes.len() as u64;
            p.bytes = bytes;
            p.received = Some(now);
            p.state = State::Processing;
        }
        _ => p.state = State::Failed("video_pull_failed".into()),
    }
}

async fn fetch(url: &str) -> Result<Vec<u8>, ()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = Url::parse(url).map_err(drop)?;
    let host = match url.host().ok_or(())? {
        url::Host::Domain(domain) => domain.to_owned(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    let port = url.port_or_known_default().ok_or(())?;
    let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(drop)?;
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let authority = &url[url::Position::BeforeHost..url::Position::AfterPort];
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: TikTok-Sim-Puller/1.0\r\nAccept: */*\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(drop)?;
    let mut raw = Vec::new();
    stream.take(MAX_VIDEO + 64 * 1024).read_to_end(&mut raw).await.map_err(drop)?;
    http_body(&raw)
}

/// The body of a raw HTTP/1.1 answer, if it is a 2xx.
fn http_body(raw: &[u8]) -> Result<Vec<u8>, ()> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(())?;
    let head = std::str::from_utf8(&raw[..end]).map_err(drop)?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).ok_or(())?;
    if !(200..300).contains(&status) {
        return Err(());
    }
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().into()))
        .collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.to_ascii_lowercase());
    let body = &raw[end + 4..];
    if header("transfer-encoding").is_some_and(|te| te.contains("chunked")) {
        return dechunk(body);
    }
    match header("content-length") {
        Some(length) => {
            let length: usize = length.parse().map_err(drop)?;
            body.get(..length).map(<[u8]>::to_vec).ok_or(())
        }
        None => Ok(body.to_vec()),
    }
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, ()> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").ok_or(())?;
        let line = std::str::from_utf8(&body[..line_end]).map_err(drop)?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16).map_err(drop)?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(body.get(..size).ok_or(())?);
        body = body.get(size + 2..).ok_or(())?;
    }
}

/// What the MP4/MOV header says, for the duration check and the Display API.
#[derive(Default)]
pub(super) struct Mp4Info {
    pub(super) duration_ms: u64,
    pub(super) width: u32,
    pub(super) height: u32,
}

/// Reads `moov/mvhd` (duration) and the first `trak/tkhd` with a picture
/// (width, height); `None` when the bytes are not an MP4 we can read.
pub(super) fn mp4_info(bytes: &[u8]) -> Option<Mp4Info> {
    let moov = child(bytes, b"moov")?;
    let mvhd = child(moov, b"mvhd")?;
    let (timescale, duration) = match mvhd.first()? {
        0 => (u64::from(be32(mvhd, 12)?), u64::from(be32(mvhd, 16)?)),
        1 => (u64::from(be32(mvhd, 20)?), be64(mvhd, 24)?),
        _ => return None,
    };
    if timescale == 0 {
        return None;
    }
    let mut info = Mp4Info { duration_ms: duration.saturating_mul(1000) / timescale, width: 0, height: 0 };
    let tracks = children(moov).into_iter().filter(|(kind, _)| kind == b"trak");
    for tkhd in tracks.filter_map(|(_, trak)| child(trak, b"tkhd")) {
        // Width and height are 16.16 fixed point at the end of the box.
        let at = if tkhd.first() == Some(&1) { 88 } else { 76 };
        let (width, height) = (be32(tkhd, at).unwrap_or(0) >> 16, be32(tkhd, at + 4).unwrap_or(0) >> 16);
        if width > 0 {
            (info.width, info.height) = (width, height);
            break;
        }
    }
    Some(info)
}

/// The boxes directly inside `data`: (type, content).
fn children(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut boxes = Vec::new();
    let mut at = 0usize;
    while let (Some(size), Some(kind)) = (be32(data, at), data.get(at + 4..at + 8)) {
        let (header, size) = match size {
            0 => (8, data.len() - at),
            1 => match be64(data, at + 8).and_then(|s| usize::try_from(s).ok()) {
                Some(size) => (16, size),
                None => break,
            },
            n => (8, n as usize),
        };
        let Some(end) = at.checked_add(size).filter(|end| size >= header && *end <= data.len()) else { break };
        boxes.push((kind, &data[at + header..end]));
        at = end;
    }
    boxes
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(data).into_iter().find(|(k, _)| k == kind).map(|(_, content)| content)
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn be64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at.checked_add(8)?)?.try_into().ok()?))
}
