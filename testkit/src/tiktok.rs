//! A local TikTok: Login Kit v2 (the authorize page, token, revoke), the
//! Content Posting API (creator info, direct and inbox video init, chunked
//! uploads, pulls from URLs, status, cancel) and the Display API (user info,
//! video list and query), behind one base URL with the paths of
//! open.tiktokapis.com. Field names, status values, error codes, HTTP
//! statuses, limits and chunk rules follow shared/reference/tiktok-api.md §2,
//! typos included (`publicaly_available_post_id`, `invalid_param` on the
//! posting endpoints).
//!
//! Time is the wall clock plus a skew tests move with `advance`, so token
//! and upload-URL expiry, processing, moderation, rate windows and daily caps
//! never need a sleep. Every request is recorded with its secrets masked.
//! Faults, timeouts after side effects, consent denials and account modes are
//! scripted, and `posts()` is the ledger of what was really posted, so tests
//! can prove exactly-once publishing.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    fmt,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use uuid::Uuid;

mod display;
mod oauth;
mod posting;

/// The authorize page (on www.tiktok.com in real life).
pub const AUTHORIZE: &str = "/v2/auth/authorize/";
pub const TOKEN: &str = "/v2/oauth/token/";
pub const REVOKE: &str = "/v2/oauth/revoke/";
pub const CREATOR_INFO: &str = "/v2/post/publish/creator_info/query/";
pub const VIDEO_INIT: &str = "/v2/post/publish/video/init/";
pub const INBOX_VIDEO_INIT: &str = "/v2/post/publish/inbox/video/init/";
pub const STATUS_FETCH: &str = "/v2/post/publish/status/fetch/";
pub const CANCEL: &str = "/v2/post/publish/cancel/";
/// Where `upload_url`s point (open-upload.tiktokapis.com in real life).
pub const UPLOAD: &str = "/upload/";
pub const USER_INFO: &str = "/v2/user/info/";
pub const VIDEO_LIST: &str = "/v2/video/list/";
pub const VIDEO_QUERY: &str = "/v2/video/query/";
/// Not TikTok's: the sandbox's own page listing what went out, for people
/// trying Reelpilot locally (and the browser tests).
pub const SANDBOX_POSTS: &str = "/sandbox/posts";

pub const PUBLIC_TO_EVERYONE: &str = "PUBLIC_TO_EVERYONE";
pub const MUTUAL_FOLLOW_FRIENDS: &str = "MUTUAL_FOLLOW_FRIENDS";
pub const FOLLOWER_OF_CREATOR: &str = "FOLLOWER_OF_CREATOR";
pub const SELF_ONLY: &str = "SELF_ONLY";

/// Every scope Login Kit knows.
pub const SCOPES: [&str; 6] =
    ["user.info.basic", "user.info.profile", "user.info.stats", "video.list", "video.upload", "video.publish"];

const ACCESS_TTL: TimeDelta = TimeDelta::hours(24);
/// Counted from the first issue of a grant, not from each refresh.
const REFRESH_TTL: TimeDelta = TimeDelta::days(365);
const CODE_TTL: TimeDelta = TimeDelta::minutes(10);
const UPLOAD_URL_TTL: TimeDelta = TimeDelta::hours(1);
const RATE_WINDOW: TimeDelta = TimeDelta::minutes(1);
const DAY: TimeDelta = TimeDelta::hours(24);
/// How long a "timeout after the side effect" keeps the client waiting,
/// unless `set_hang` says otherwise: longer than any sane client timeout.
const DEFAULT_HANG: Duration = Duration::from_secs(120);
/// The largest chunk (128 MB, the last one) plus room for slack.
const BODY_LIMIT: usize = 130 * 1_000_000;
/// Request fields whose values are credentials: masked in `requests()`.
const SECRET_FIELDS: [&str; 7] =
    ["client_secret", "code", "code_verifier", "access_token", "refresh_token", "token", "upload_token"];
const MASK: &str = "***";

/// A TikTok account the simulated users log in with.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxUser {
    pub open_id: String,
    pub union_id: String,
    pub display_name: String,
    pub username: String,
    pub avatar_url: String,
    pub bio_description: String,
    pub is_verified: bool,
    pub follower_count: u64,
    pub following_count: u64,
    /// A private account posts to followers, not to everyone.
    pub private: bool,
    pub comment_disabled: bool,
    pub duet_disabled: bool,
    pub stitch_disabled: bool,
}

impl SandboxUser {
    pub fn new(open_id: impl Into<String>, display_name: impl Into<String>, username: impl Into<String>) -> Self {
        let (open_id, username) = (open_id.into(), username.into());
        Self {
            union_id: format!("union.{open_id}"),
            avatar_url: format!("https://p16-sign.tiktokcdn-us.com/sim/avatar/{username}.jpeg"),
            bio_description: String::new(),
            is_verified: false,
            follower_count: 1200,
            following_count: 80,
            private: false,
            comment_disabled: false,
            duet_disabled: false,
            stitch_disabled: false,
            open_id,
            display_name: display_name.into(),
            username,
        }
    }
}

impl Default for SandboxUser {
    fn default() -> Self {
        Self::new("sim-open-id-creator", "Sandbox Creator", "sandbox.creator")
    }
}

/// How the simulated app and its sandbox are set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub client_key: String,
    pub client_secret: String,
    /// The user who consents on the authorize page (others: `add_user`, `login_as`).
    pub user: SandboxUser,
    /// The app's registered redirect URIs; empty accepts any (a sim-only leniency).
    pub redirect_uris: Vec<String>,
    /// PULL_FROM_URL URLs must start with one of these.
    pub verified_url_prefixes: Vec<String>,
    /// From the last byte received to PUBLISH_COMPLETE / SEND_TO_USER_INBOX.
    pub processing_delay: Duration,
    /// From PUBLISH_COMPLETE to the post id being public.
    pub moderation_delay: Duration,
    /// Direct posts per creator per 24 h.
    pub daily_post_cap: usize,
    /// Inbox drafts not yet posted, per creator per 24 h.
    pub inbox_pending_cap: usize,
    pub max_video_post_duration_sec: u32,
    /// Unaudited apps may only post SELF_ONLY, for at most 5 creators a day.
    pub audited: bool,
}

impl SimConfig {
    pub fn new(client_key: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self { client_key: client_key.into(), client_secret: client_secret.into(), ..Self::default() }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            client_key: "sim-client-key".into(),
            client_secret: "sim-client-secret".into(),
            user: SandboxUser::default(),
            redirect_uris: Vec::new(),
            verified_url_prefixes: Vec::new(),
            processing_delay: Duration::from_secs(5),
            moderation_delay: Duration::from_secs(60),
            daily_post_cap: 15,
            inbox_pending_cap: 5,
            max_video_post_duration_sec: 600,
            audited: true,
        }
    }
}

/// What the token endpoint would have answered; from `issue_token`.
#[derive(Clone, PartialEq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub open_id: String,
    /// Comma-separated, as on the wire.
    pub scope: String,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &fingerprint(&self.access_token))
            .field("refresh_token", &fingerprint(&self.refresh_token))
            .field("open_id", &self.open_id)
            .field("scope", &self.scope)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostMode {
    /// `video/init`: posted by the API.
    Direct,
    /// `inbox/video/init`: a draft the user posts from the app.
    Inbox,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    FileUpload,
    PullFromUrl,
}

/// One post that really went out: the ledger tests prove exactly-once with.
#[derive(Debug, Clone, PartialEq)]
pub struct PostRecord {
    pub publish_id: String,
    pub open_id: String,
    pub mode: PostMode,
    pub source: Source,
    pub privacy_level: String,
    pub title: String,
    pub video_size: u64,
    /// The video id, for PUBLIC_TO_EVERYONE posts only (whether or not
    /// moderation has passed yet; `publicly_available_at` says when it does).
    pub post_id: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub publicly_available_at: Option<DateTime<Utc>>,
}

/// A publish as the server sees it (any state).
#[derive(Debug, Clone, PartialEq)]
pub struct PublishSummary {
    pub publish_id: String,
    pub open_id: String,
    pub mode: PostMode,
    pub source: Source,
    /// As `status/fetch` would report it now.
    pub status: String,
    pub fail_reason: Option<String>,
    /// Bytes uploaded or downloaded so far.
    pub received_bytes: u64,
    pub created_at: DateTime<Utc>,
}

/// One request as it arrived, with credentials masked.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query as sent, `upload_token` masked.
    pub path: String,
    /// A JSON body as JSON; a form as an object of its fields; binary
    /// (uploads) as `Null`. Secret fields (`client_secret`, `code`,
    /// `code_verifier`, tokens) read `***`.
    pub body: Value,
    pub body_len: usize,
    pub content_type: Option<String>,
    pub content_range: Option<String>,
    /// `fingerprint()` of the bearer token, never the token itself.
    pub bearer: Option<String>,
}

/// A short, stable, non-reversible name for a token (first 12 hex digits of
/// its SHA-256), so tests can tell which token a request used without
/// anything printing the token.
pub fn fingerprint(token: &str) -> String {
    let mut hex = hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
    hex.truncate(12);
    hex
}

/// The simulator. Clones share one server state.
#[derive(Clone)]
pub struct TikTokSimulator {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    config: SimConfig,
    users: BTreeMap<String, SandboxUser>,
    /// Who is "logged in" on the authorize page.
    consenting: String,
    /// Added to the wall clock, so tests age things without sleeping.
    skew: TimeDelta,
    seq: u64,
    codes: HashMap<String, AuthCode>,
    /// Indexed by grant id.
    grants: Vec<Grant>,
    access: HashMap<String, AccessToken>,
    /// The one live refresh token of each grant.
    refresh: HashMap<String, usize>,
    deny_next: bool,
    consent_only: Option<Vec<String>>,
    oauth_errors_200: bool,
    posting_block: Option<String>,
    publishes: Vec<posting::Publish>,
    posts: Vec<Post>,
    windows: HashMap<(String, String), VecDeque<DateTime<Utc>>>,
    faults: HashMap<String, VecDeque<(u16, String)>>,
    hangs: HashMap<String, usize>,
    hang: Duration,
    fail_next_publish: VecDeque<String>,
    /// PULL_FROM_URL downloads to start once the lock is released.
    pulls: Vec<(String, String)>,
    requests: Vec<RecordedRequest>,
}

struct AuthCode {
    open_id: String,
    scopes: Vec<String>,
    redirect_uri: String,
    challenge: Option<String>,
    expires: DateTime<Utc>,
}

struct Grant {
    open_id: String,
    scopes: Vec<String>,
    refresh_expires: DateTime<Utc>,
    revoked: bool,
}

struct AccessToken {
    grant: usize,
    expires: DateTime<Utc>,
}

/// A published video: the ledger entry plus what the Display API shows.
struct Post {
    record: PostRecord,
    video_id: u64,
    duration: u32,
    width: u32,
    height: u32,
}

/// The authenticated caller of an enveloped endpoint.
struct Caller {
    token: String,
    open_id: String,
    scopes: Vec<String>,
}

/// A request, parsed once.
struct Req<'a> {
    method: &'a Method,
    path: &'a str,
    query: HashMap<String, String>,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl Req<'_> {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An enveloped error: HTTP status, `error.code`, `error.message`.
struct Fail(StatusCode, String, String);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        envelope(self.0, json!({}), &self.1, &self.2)
    }
}

type Reply = Result<Response, Fail>;

fn fail(status: u16, code: &str, message: impl Into<String>) -> Fail {
    Fail(status_code(status), code.to_owned(), message.into())
}

fn ok(data: Value) -> Reply {
    Ok(envelope(StatusCode::OK, data, "ok", ""))
}

fn envelope(status: StatusCode, data: Value, code: &str, message: &str) -> Response {
    (status, Json(json!({"data": data, "error": {"code": code, "message": message, "log_id": log_id()}})))
        .into_response()
}

impl TikTokSimulator {
    pub fn new(config: SimConfig) -> Self {
        let user = config.user.clone();
        let inner = Inner {
            users: BTreeMap::from([(user.open_id.clone(), user.clone())]),
            consenting: user.open_id,
            config,
            skew: TimeDelta::zero(),
            seq: 0,
            codes: HashMap::new(),
            grants: Vec::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            deny_next: false,
            consent_only: None,
            oauth_errors_200: false,
            posting_block: None,
            publishes: Vec::new(),
            posts: Vec::new(),
            windows: HashMap::new(),
            faults: HashMap::new(),
            hangs: HashMap::new(),
            hang: DEFAULT_HANG,
            fail_next_publish: VecDeque::new(),
            pulls: Vec::new(),
            requests: Vec::new(),
        };
        Self { inner: Arc::new(Mutex::new(inner)) }
    }

    /// Serves on `addr` (port 0 picks one) in the background; returns the
    /// base URL standing in for both https://open.tiktokapis.com and
    /// https://www.tiktok.com (`http://host:port`, no trailing slash).
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let app = self.router();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(base)
    }

    pub fn router(&self) -> Router {
        Router::new().fallback(handle).layer(DefaultBodyLimit::max(BODY_LIMIT)).with_state(self.clone())
    }

    pub fn client_key(&self) -> String {
        self.lock().config.client_key.clone()
    }

    pub fn client_secret(&self) -> String {
        self.lock().config.client_secret.clone()
    }

    /// The configured sandbox user (the default one who consents), as it is now.
    pub fn user(&self) -> SandboxUser {
        let inner = self.lock();
        inner.users[&inner.config.user.open_id].clone()
    }

    /// Another TikTok account (replaces one with the same open_id).
    pub fn add_user(&self, user: SandboxUser) {
        self.lock().users.insert(user.open_id.clone(), user);
    }

    /// From now on, the authorize page consents as this user.
    pub fn login_as(&self, open_id: &str) {
        let mut inner = self.lock();
        assert!(inner.users.contains_key(open_id), "unknown sandbox user {open_id}");
        inner.consenting = open_id.to_owned();
    }

    /// The next authorization is refused by the user (`error=access_denied`).
    pub fn deny_next_authorization(&self) {
        self.lock().deny_next = true;
    }

    /// The user unticks scopes: the next authorization grants only the
    /// requested scopes that are also in `scopes`.
    pub fn grant_only_next(&self, scopes: &[&str]) {
        self.lock().consent_only = Some(scopes.iter().map(|s| (*s).to_owned()).collect());
    }

    /// Tokens as if `open_id` had just completed the OAuth dance granting
    /// `scopes`, for tests that are not about OAuth.
    pub fn issue_token(&self, open_id: &str, scopes: &[&str]) -> TokenPair {
        let mut inner = self.lock();
        assert!(inner.users.contains_key(open_id), "unknown sandbox user {open_id}");
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        inner.new_grant(open_id, scopes)
    }

    /// Every access token issued so far expires now (refresh tokens live on).
    pub fn expire_access_tokens(&self) {
        let mut inner = self.lock();
        let now = inner.now();
        inner.access.values_mut().for_each(|t| t.expires = t.expires.min(now));
    }

    /// The user removes the app in TikTok's settings: every grant of theirs
    /// dies and their unfinished publishes fail with `auth_removed`.
    pub fn user_removes_authorization(&self, open_id: &str) {
        let mut inner = self.lock();
        inner.revoke_where(|_, g| g.open_id == open_id);
        for p in inner.publishes.iter_mut().filter(|p| p.open_id == open_id) {
            p.fail_unless_done("auth_removed");
        }
    }

    pub fn set_audited(&self, audited: bool) {
        self.lock().config.audited = audited;
    }

    /// Makes every sandbox account private (or public again).
    pub fn set_account_private(&self, private: bool) {
        self.lock().users.values_mut().for_each(|u| u.private = private);
    }

    /// With `Some(code)`, every creator is refused posting with that code
    /// (`spam_risk_too_many_posts`, `spam_risk_user_banned_from_posting`,
    /// `reached_active_user_cap`): HTTP 200 on creator_info, 403 on init.
    pub fn block_posting(&self, code: Option<&str>) {
        self.lock().posting_block = code.map(str::to_owned);
    }

    pub fn set_processing_delay(&self, delay: Duration) {
        self.lock().config.processing_delay = delay;
    }

    /// Applies to posts published from now on.
    pub fn set_moderation_delay(&self, delay: Duration) {
        self.lock().config.moderation_delay = delay;
    }

    /// One sandbox report saw OAuth errors with HTTP 200: make all of them so.
    pub fn set_oauth_errors_http_200(&self, yes: bool) {
        self.lock().oauth_errors_200 = yes;
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: Duration) {
        self.lock().skew += TimeDelta::from_std(by).expect("a sane duration");
    }

    /// The server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }

    /// The next `n` requests to `path` (e.g. `VIDEO_INIT`, `UPLOAD`, `TOKEN`)
    /// fail with `status` and `code` before doing anything: enveloped on the
    /// API, a flat OAuth error on the OAuth paths, counted by no rate limit.
    pub fn fail_next(&self, path: &str, n: usize, status: u16, code: &str) {
        let mut inner = self.lock();
        inner.faults.entry(path.to_owned()).or_default().extend(std::iter::repeat_n((status, code.to_owned()), n));
    }

    /// The next `n` requests to `path` do everything they normally do (create
    /// the publish, accept the chunk, rotate the token) and then keep the
    /// client waiting for `set_hang`'s duration (120 s by default) before
    /// answering, so the client times out not knowing the outcome.
    pub fn timeout_after_side_effect(&self, path: &str, n: usize) {
        *self.lock().hangs.entry(path.to_owned()).or_default() += n;
    }

    pub fn set_hang(&self, hang: Duration) {
        self.lock().hang = hang;
    }

    /// Fails a publish now (unless it was already posted): `status/fetch`
    /// reports FAILED with `reason`, uploads to it get 404.
    pub fn fail_publish(&self, publish_id: &str, reason: &str) -> Result<(), String> {
        let mut inner = self.lock();
        inner.tick();
        let p = inner.publish_mut(publish_id).ok_or_else(|| format!("no publish {publish_id}"))?;
        match p.fail_unless_done(reason) {
            true => Ok(()),
            false => Err(format!("{publish_id} already reached {}", p.status_name())),
        }
    }

    /// The next publish created fails with `reason` once its video is
    /// received and processed (as TikTok's format/duration checks do).
    pub fn fail_next_publish(&self, reason: &str) {
        self.lock().fail_next_publish.push_back(reason.to_owned());
    }

    /// The user opens the inbox notification and posts the draft in the app,
    /// publicly if the account is public, to followers otherwise.
    pub fn user_posts_inbox_draft(&self, publish_id: &str) -> Result<(), String> {
        let mut inner = self.lock();
        let privacy = match inner.owner_is_private(publish_id) {
            true => FOLLOWER_OF_CREATOR,
            false => PUBLIC_TO_EVERYONE,
        };
        inner.post_inbox_draft(publish_id, privacy)
    }

    /// As `user_posts_inbox_draft`, choosing the privacy level in the app.
    pub fn user_posts_inbox_draft_with(&self, publish_id: &str, privacy_level: &str) -> Result<(), String> {
        self.lock().post_inbox_draft(publish_id, privacy_level)
    }

    /// The ledger: every post that went out, in order.
    pub fn posts(&self) -> Vec<PostRecord> {
        let mut inner = self.lock();
        inner.tick();
        inner.posts.iter().map(|p| p.record.clone()).collect()
    }

    /// Every publish created, in order, whatever its state.
    pub fn publishes(&self) -> Vec<PublishSummary> {
        let mut inner = self.lock();
        inner.tick();
        inner.publishes.iter().map(posting::Publish::summary).collect()
    }

    /// The video received for a publish (uploaded or pulled) so far.
    pub fn video_bytes(&self, publish_id: &str) -> Option<Vec<u8>> {
        self.lock().publishes.iter().find(|p| p.id == publish_id).map(|p| p.bytes.clone())
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn handle(
    State(sim): State<TikTokSimulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (response, pulls, hang) = {
        let mut inner = sim.lock();
        inner.record(&method, &uri, &headers, &body);
        inner.tick();
        let query = uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect());
        let req =
            Req { method: &method, path: uri.path(), query: query.unwrap_or_default(), headers: &headers, body: &body };
        let response = match inner.scripted_fault(req.path) {
            Some(fault) => fault,
            None => inner.route(&req),
        };
        let hang = match inner.hangs.get_mut(req.path) {
            Some(n) if *n > 0 => {
                *n -= 1;
                Some(inner.hang)
            }
            _ => None,
        };
        (response, std::mem::take(&mut inner.pulls), hang)
    };
    for (publish_id, url) in pulls {
        tokio::spawn(posting::pull(sim.clone(), publish_id, url));
    }
    if let Some(hang) = hang {
        tokio::time::sleep(hang).await;
    }
    response
}

impl Inner {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.skew
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn route(&mut self, req: &Req) -> Response {
        match (req.method.as_str(), req.path) {
            ("GET", AUTHORIZE) => oauth::authorize(self, req),
            ("POST", TOKEN) => oauth::token(self, req),
            ("POST", REVOKE) => oauth::revoke(self, req),
            ("PUT", UPLOAD) => posting::upload(self, req),
            ("POST", CREATOR_INFO) => self.api(req, &["video.publish"], 20, posting::creator_info),
            ("POST", VIDEO_INIT) => self.api(req, &["video.publish"], 6, posting::init_direct),
            ("POST", INBOX_VIDEO_INIT) => self.api(req, &["video.upload"], 6, posting::init_inbox),
            ("POST", STATUS_FETCH) => self.api(req, &["video.upload", "video.publish"], 30, posting::status),
            ("POST", CANCEL) => self.api(req, &["video.upload", "video.publish"], 30, posting::cancel),
            ("GET", USER_INFO) => self.api(req, &["user.info.basic"], 600, display::user_info),
            ("POST", VIDEO_LIST) => self.api(req, &["video.list"], 600, display::video_list),
            ("POST", VIDEO_QUERY) => self.api(req, &["video.list"], 600, display::video_query),
            ("GET", SANDBOX_POSTS) => self.sandbox_posts(),
            _ => fail(404, "not_found", format!("no route for {} {}", req.method, req.path)).into_response(),
        }
    }

    fn sandbox_posts(&mut self) -> Response {
        self.tick();
        let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let rows: String = self
            .posts
            .iter()
            .map(|p| {
                let r = &p.record;
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&r.title),
                    r.privacy_level,
                    r.mode,
                    r.post_id.map(|id| id.to_string()).unwrap_or_else(|| "-".into()),
                    r.video_size,
                    r.created_at.to_rfc3339(),
                )
            })
            .collect();
        axum::response::Html(format!(
            "<!doctype html><title>TikTok sandbox: posts</title><h1>Posts on the TikTok sandbox ({})</h1>\
             <table border=1 cellpadding=4><tr><th>Title</th><th>Privacy</th><th>Mode</th><th>Post id</th>\
             <th>Bytes</th><th>Posted at</th></tr>{rows}</table>",
            self.posts.len()
        ))
        .into_response()
    }

    /// An enveloped endpoint: bearer token, then one of `scopes`, then the
    /// per-token sliding window of `limit` requests a minute, then `endpoint`.
    fn api(
        &mut self,
        req: &Req,
        scopes: &[&str],
        limit: usize,
        endpoint: fn(&mut Inner, &Caller, &Req) -> Reply,
    ) -> Response {
        let reply = self.authenticate(req).and_then(|caller| {
            if !scopes.iter().any(|s| caller.scopes.iter().any(|c| c == s)) {
                let message = "The user did not authorize the scope required for completing this request.";
                return Err(fail(401, "scope_not_authorized", message));
            }
            self.admit(&caller.token, req.path, limit)?;
            endpoint(self, &caller, req)
        });
        reply.unwrap_or_else(IntoResponse::into_response)
    }

    fn authenticate(&self, req: &Req) -> Result<Caller, Fail> {
        let invalid = || {
            let message = "The access token is invalid or not found in the request.";
            fail(401, "access_token_invalid", message)
        };
        let token = req.header(header::AUTHORIZATION).and_then(|a| a.strip_prefix("Bearer ")).ok_or_else(invalid)?;
        let now = self.now();
        let access = self.access.get(token).filter(|a| a.expires > now).ok_or_else(invalid)?;
        let grant = &self.grants[access.grant];
        if grant.revoked {
            return Err(invalid());
        }
        Ok(Caller { token: token.to_owned(), open_id: grant.open_id.clone(), scopes: grant.scopes.clone() })
    }

    /// Sliding one-minute window per (token, endpoint); refused requests do not count.
    fn admit(&mut self, token: &str, path: &str, limit: usize) -> Result<(), Fail> {
        let now = self.now();
        let window = self.windows.entry((token.to_owned(), path.to_owned())).or_default();
        while window.front().is_some_and(|t| *t <= now - RATE_WINDOW) {
            window.pop_front();
        }
        if window.len() >= limit {
            let message = "API rate limit exceeded, please retry later.";
            return Err(fail(429, "rate_limit_exceeded", message));
        }
        window.push_back(now);
        Ok(())
    }

    fn scripted_fault(&mut self, path: &str) -> Option<Response> {
        let (status, code) = self.faults.get_mut(path)?.pop_front()?;
        let status = status_code(status);
        Some(match path {
            AUTHORIZE | TOKEN | REVOKE => oauth::flat_error(status, &code, "simulated failure"),
            _ => envelope(status, json!({}), &code, "simulated failure"),
        })
    }

    /// A new grant of `scopes` to `open_id`, with its first token pair.
    fn new_grant(&mut self, open_id: &str, scopes: Vec<String>) -> TokenPair {
        let refresh_expires = self.now() + REFRESH_TTL;
        self.grants.push(Grant { open_id: open_id.to_owned(), scopes, refresh_expires, revoked: false });
        self.issue(self.grants.len() - 1)
    }

    /// A fresh access and refresh token for a grant; the grant's previous
    /// refresh token stops working (rotation).
    fn issue(&mut self, grant: usize) -> TokenPair {
        let access_token = format!("act.{}", random_id(48));
        let refresh_token = format!("rft.{}", random_id(48));
        self.refresh.retain(|_, g| *g != grant);
        self.refresh.insert(refresh_token.clone(), grant);
        self.access.insert(access_token.clone(), AccessToken { grant, expires: self.now() + ACCESS_TTL });
        let g = &self.grants[grant];
        TokenPair { access_token, refresh_token, open_id: g.open_id.clone(), scope: g.scopes.join(",") }
    }

    fn revoke_where(&mut self, which: impl Fn(usize, &Grant) -> bool) {
        let dead: Vec<usize> = (0..self.grants.len()).filter(|&g| which(g, &self.grants[g])).collect();
        for &g in &dead {
            self.grants[g].revoked = true;
        }
        self.access.retain(|_, t| !dead.contains(&t.grant));
        self.refresh.retain(|_, g| !dead.contains(g));
    }

    fn record(&mut self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
        let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut path = uri.path().to_owned();
        if let Some(query) = uri.query() {
            let pairs = url::form_urlencoded::parse(query.as_bytes());
            let masked = pairs.map(|(k, v)| match SECRET_FIELDS.contains(&k.as_ref()) {
                true => (k, MASK.into()),
                false => (k, v),
            });
            path.push('?');
            path.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(masked).finish());
        }
        let bearer = header(header::AUTHORIZATION).map(|a| fingerprint(a.strip_prefix("Bearer ").unwrap_or(&a)));
        self.requests.push(RecordedRequest {
            method: method.to_string(),
            path,
            body: masked_body(header(header::CONTENT_TYPE).as_deref(), body),
            body_len: body.len(),
            content_type: header(header::CONTENT_TYPE),
            content_range: header(header::CONTENT_RANGE),
            bearer,
        });
    }

    fn publish_mut(&mut self, publish_id: &str) -> Option<&mut posting::Publish> {
        self.publishes.iter_mut().find(|p| p.id == publish_id)
    }

    fn owner_is_private(&self, publish_id: &str) -> bool {
        let owner = self.publishes.iter().find(|p| p.id == publish_id).map(|p| &p.open_id);
        owner.and_then(|o| self.users.get(o)).is_some_and(|u| u.private)
    }
}

/// A JSON object body (an empty one reads as `{}`); `code` is the endpoint
/// family's spelling of "invalid parameters".
fn json_body(req: &Req, code: &str) -> Result<Value, Fail> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(req.body) {
        Ok(body) if body.is_object() => Ok(body),
        _ => Err(fail(400, code, "The request body must be a JSON object.")),
    }
}

/// The body as recorded: JSON or form fields with secret values masked;
/// anything else (video bytes) as `Null`, since it could hold anything.
fn masked_body(content_type: Option<&str>, body: &[u8]) -> Value {
    let binary = content_type.is_some_and(|t| t.starts_with("video/") || t.starts_with("application/octet-stream"));
    if binary || body.len() > 1_000_000 || body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    let mut value = match serde_json::from_slice::<Value>(body) {
        Ok(v) => v,
        Err(_) => match std::str::from_utf8(body) {
            Ok(text) if text.contains('=') => {
                let fields = url::form_urlencoded::parse(text.as_bytes()).into_owned();
                Value::Object(fields.map(|(k, v)| (k, Value::String(v))).collect())
            }
            _ => Value::Null,
        },
    };
    mask(&mut value);
    value
}

fn mask(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match (SECRET_FIELDS.contains(&k.as_str()), v.is_string()) {
                    (true, true) => *v = Value::String(MASK.into()),
                    _ => mask(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// A TikTok-looking log id: the UTC time then hex.
fn log_id() -> String {
    let mut hex = random_id(20).to_uppercase();
    hex.truncate(20);
    format!("{}{hex}", Utc::now().format("%Y%m%d%H%M%S"))
}

fn random_id(len: usize) -> String {
    let mut id = String::with_capacity(len + 32);
    while id.len() < len {
        id.push_str(&Uuid::new_v4().simple().to_string());
    }
    id.truncate(len);
    id
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests;
