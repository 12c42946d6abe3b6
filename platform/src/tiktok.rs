//! TikTok's official APIs: Login Kit v2 (OAuth with PKCE), the Content
//! Posting API (creator info, direct post and inbox init, chunked upload,
//! status) and the Display API (video metrics). The same client talks to
//! TikTok and to the local sandbox; only the base URL differs. Lives here
//! because both the API (the OAuth callback) and the worker (publishing)
//! need it, and it is only HTTP.
//!
//! Errors say whether a retry is safe: a refusal proves nothing happened,
//! a timeout or a 5xx after the request was sent leaves the outcome
//! unknown (the caller reconciles before trying again). No error carries a
//! URL: an upload URL is a capability (its `upload_token`), and errors end
//! up in logs, in Temporal's activity failures and on the slot.

use crate::config::TikTokConfig;
use crate::storage::{ObjectStore, StorageError, StorageKey};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum TikTokError {
    #[error("TikTok is not configured: set TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET")]
    NotConfigured,
    /// A 4xx with TikTok's code: nothing happened; retrying the same request will not help.
    #[error("TikTok refused the request ({status} {code}): {message}")]
    Refused { status: u16, code: String, message: String },
    #[error("the TikTok access token is invalid or expired")]
    TokenInvalid,
    #[error("TikTok rate limited the call")]
    RateLimited,
    /// 5xx: TikTok may or may not have acted.
    #[error("TikTok failed with {status} {code}")]
    Server { status: u16, code: String },
    /// Sent, no answer: TikTok may have acted.
    #[error("TikTok did not answer in time")]
    Timeout,
    /// Not sent (connection refused, DNS): nothing happened.
    #[error("TikTok is unreachable: {0}")]
    Unreachable(String),
    #[error("TikTok's answer is unreadable: {0}")]
    Unreadable(String),
    #[error("TikTok's OAuth refused: {error}: {description}")]
    OAuth { error: String, description: String },
}

impl TikTokError {
    /// Whether the request certainly had no effect (safe to send again).
    pub fn nothing_happened(&self) -> bool {
        matches!(
            self,
            TikTokError::Refused { .. }
                | TikTokError::TokenInvalid
                | TikTokError::RateLimited
                | TikTokError::Unreachable(_)
                | TikTokError::NotConfigured
                | TikTokError::OAuth { .. }
        )
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            TikTokError::RateLimited
                | TikTokError::Server { .. }
                | TikTokError::Timeout
                | TikTokError::Unreachable(_)
                | TikTokError::TokenInvalid
        )
    }

    /// TikTok's error code, when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            TikTokError::Refused { code, .. } | TikTokError::Server { code, .. } => Some(code),
            TikTokError::OAuth { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// An HTTP failure in words, without the request's URL (reqwest's own
/// message names it, and an upload URL carries its token): the error and
/// the causes under it.
pub fn describe_http_error(err: http_client::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A failed chunked upload: reading the video from storage, or TikTok.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("reading the video: {0}")]
    Storage(#[from] StorageError),
    #[error(transparent)]
    TikTok(#[from] TikTokError),
}

/// Tokens from the token endpoint.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub open_id: String,
    pub scope: String,
    pub expires_in_secs: i64,
    pub refresh_expires_in_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatorInfo {
    pub creator_username: String,
    pub creator_nickname: String,
    pub privacy_level_options: Vec<String>,
    pub comment_disabled: bool,
    pub duet_disabled: bool,
    pub stitch_disabled: bool,
    pub max_video_post_duration_sec: i64,
}

/// What a person chose at the publish gate (TikTok's required UX).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostInfo {
    pub title: String,
    pub privacy_level: String,
    pub disable_comment: bool,
    pub disable_duet: bool,
    pub disable_stitch: bool,
    pub video_cover_timestamp_ms: i64,
    pub brand_content_toggle: bool,
    pub brand_organic_toggle: bool,
    pub is_aigc: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Init {
    pub publish_id: String,
    pub upload_url: Option<String>,
}

/// Where TikTok is with a publish (`status/fetch`'s `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TikTokPublishStatus {
    /// FILE_UPLOAD: receiving chunks, then processing them.
    ProcessingUpload,
    /// PULL_FROM_URL: downloading, then processing.
    ProcessingDownload,
    /// Inbox: the draft waits in the creator's app.
    SendToUserInbox,
    /// Direct: posted; inbox: the creator posted the draft.
    PublishComplete,
    Failed,
}

impl TikTokPublishStatus {
    fn parse(raw: &str) -> Result<Self, TikTokError> {
        serde_json::from_value(Value::String(raw.to_owned()))
            .map_err(|_| TikTokError::Unreadable(format!("unknown publish status {raw:?}")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishStatus {
    pub status: TikTokPublishStatus,
    pub fail_reason: Option<String>,
    /// Public post ids (19 digits: kept as text).
    pub post_ids: Vec<String>,
    pub uploaded_bytes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoStats {
    pub id: String,
    pub view_count: i64,
    pub like_count: i64,
    pub comment_count: i64,
    pub share_count: i64,
}

/// How a file is cut for FILE_UPLOAD: `floor(size / chunk)` chunks, the
/// last one absorbing the remainder; files under 5 MB go whole.
pub fn chunk_plan(size: u64, chunk: u64) -> Vec<(u64, u64)> {
    const MIN_CHUNK: u64 = 5_000_000;
    if size == 0 {
        return Vec::new();
    }
    if size < MIN_CHUNK || size <= chunk {
        return vec![(0, size - 1)];
    }
    let count = size / chunk;
    (0..count).map(|i| (i * chunk, if i + 1 == count { size - 1 } else { (i + 1) * chunk - 1 })).collect()
}

/// A PKCE pair as TikTok wants it: the challenge is the hex SHA-256 of
/// the verifier (not base64url).
pub fn pkce_pair() -> (SecretString, String) {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the system random source works");
    let verifier = crate::hex(&bytes);
    let challenge = crate::hex(&Sha256::digest(verifier.as_bytes()));
    (SecretString::from(verifier), challenge)
}

pub struct TikTokClient {
    http: http_client::Client,
    cfg: TikTokConfig,
}

impl TikTokClient {
    pub fn new(cfg: &TikTokConfig) -> Self {
        crate::tls::install_ring_provider();
        let http = http_client::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(std::time::Duration::from_secs(10))
            // PULL_FROM_URL forbids redirects; nothing of ours needs them.
            .redirect(http_client::redirect::Policy::none())
            .build()
            .expect("the HTTP client builds");
        TikTokClient { http, cfg: cfg.clone() }
    }

    /// The upload chunk size (5 to 64 MB).
    pub fn chunk_bytes(&self) -> u64 {
        self.cfg.chunk_bytes
    }

    pub fn is_configured(&self) -> bool {
        self.cfg.client_key.is_some() && self.cfg.client_secret.is_some()
    }

    fn app(&self) -> Result<(&str, &SecretString), TikTokError> {
        match (&self.cfg.client_key, &self.cfg.client_secret) {
            (Some(key), Some(secret)) => Ok((key, secret)),
            _ => Err(TikTokError::NotConfigured),
        }
    }

    /// The page the person is sent to, to let Reelpilot post for them.
    pub fn authorize_url(&self, state: &str, code_challenge: &str) -> Result<String, TikTokError> {
        let (key, _) = self.app()?;
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_key", key)
            .append_pair("response_type", "code")
            .append_pair("scope", &self.cfg.scopes)
            .append_pair("redirect_uri", &self.cfg.redirect_uri)
            .append_pair("state", state)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        Ok(format!("{}?{query}", self.cfg.auth_url))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.cfg.api_base)
    }

    async fn send(&self, request: http_client::RequestBuilder) -> Result<(u16, String), TikTokError> {
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                TikTokError::Timeout
            } else if e.is_connect() {
                TikTokError::Unreachable(describe_http_error(e))
            } else {
                TikTokError::Timeout
            }
        })?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|_| TikTokError::Timeout)?;
        Ok((status, body))
    }

    /// The OAuth endpoints answer flat JSON; errors may even come with 200.
    async fn oauth(&self, form: &[(&str, &str)]) -> Result<Value, TikTokError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let request = self
            .http
            .post(self.url("/v2/oauth/token/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let (status, text) = self.send(request).await?;
        let json: Value = serde_json::from_str(&text).map_err(|e| TikTokError::Unreadable(e.to_string()))?;
        if let Some(error) = json["error"].as_str().filter(|e| !e.is_empty()) {
            return Err(TikTokError::OAuth {
                error: error.to_owned(),
                description: json["error_description"].as_str().unwrap_or("").to_owned(),
            });
        }
        if status >= 500 {
            return Err(TikTokError::Server { status, code: "server_error".into() });
        }
        Ok(json)
    }

    fn tokens(json: &Value) -> Result<Tokens, TikTokError> {
        let text = |k: &str| {
            json[k]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| TikTokError::Unreadable(format!("no {k} in the token answer")))
        };
        Ok(Tokens {
            access_token: SecretString::from(text("access_token")?),
            refresh_token: SecretString::from(text("refresh_token")?),
            open_id: text("open_id")?,
            scope: json["scope"].as_str().unwrap_or("").to_owned(),
            expires_in_secs: json["expires_in"].as_i64().unwrap_or(86_400),
            refresh_expires_in_secs: json["refresh_expires_in"].as_i64().unwrap_or(31_536_000),
        })
    }

    pub async fn exchange_code(&self, code: &str, verifier: &SecretString) -> Result<Tokens, TikTokError> {
        let (key, secret) = self.app()?;
        let json = self
            .oauth(&[
                ("client_key", key),
                ("client_secret", secret.expose_secret()),
                ("code", code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", &self.cfg.redirect_uri),
                ("code_verifier", verifier.expose_secret()),
            ])
            .await?;
        Self::tokens(&json)
    }

    /// New tokens; TikTok rotates the refresh token, so the old one is dead after this.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<Tokens, TikTokError> {
        let (key, secret) = self.app()?;
        let json = self
            .oauth(&[
                ("client_key", key),
                ("client_secret", secret.expose_secret()),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ])
            .await?;
        Self::tokens(&json)
    }

    pub async fn revoke(&self, token: &SecretString) -> Result<(), TikTokError> {
        let (key, secret) = self.app()?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_key", key),
                ("client_secret", secret.expose_secret()),
                ("token", token.expose_secret()),
            ])
            .finish();
        let request = self
            .http
            .post(self.url("/v2/oauth/revoke/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let (status, text) = self.send(request).await?;
        if status >= 400 {
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            return Err(TikTokError::OAuth {
                error: json["error"].as_str().unwrap_or("revoke_failed").to_owned(),
                description: json["error_description"].as_str().unwrap_or("").to_owned(),
            });
        }
        Ok(())
    }

    /// A call of the enveloped API, counted by path and outcome.
    async fn call(&self, token: &SecretString, path: &str, body: Option<Value>) -> Result<Value, TikTokError> {
        let result = self.call_enveloped(token, path, body).await;
        count_call(path, &result);
        result
    }

    /// A call of the enveloped API: `{data, error: {code, message, log_id}}`.
    async fn call_enveloped(
        &self,
        token: &SecretString,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, TikTokError> {
        let mut request = self
            .http
            .post(self.url(path))
            .bearer_auth(token.expose_secret())
            .header("content-type", "application/json; charset=UTF-8");
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let (status, text) = self.send(request).await?;
        let json: Value = match serde_json::from_str(&text) {
            Ok(json) => json,
            Err(_) if status >= 500 => return Err(TikTokError::Server { status, code: "internal_error".into() }),
            Err(e) => return Err(TikTokError::Unreadable(e.to_string())),
        };
        let code = json["error"]["code"].as_str().unwrap_or("ok").to_owned();
        if code == "ok" && status < 400 {
            return Ok(json["data"].clone());
        }
        let message = json["error"]["message"].as_str().unwrap_or("").to_owned();
        Err(match (status, code.as_str()) {
            (_, "access_token_invalid") | (401, _) => TikTokError::TokenInvalid,
            (429, _) | (_, "rate_limit_exceeded") => TikTokError::RateLimited,
            (s, _) if s >= 500 => TikTokError::Server { status: s, code },
            // Some refusals (spam risk on creator_info) arrive with HTTP 200.
            (s, _) => TikTokError::Refused { status: s, code, message },
        })
    }

    pub async fn user_info(&self, token: &SecretString) -> Result<(String, String), TikTokError> {
        let path = "/v2/user/info/?fields=open_id,union_id,avatar_url,display_name";
        let response = self.http.get(self.url(path)).bearer_auth(token.expose_secret());
        let (status, text) = self.send(response).await?;
        let json: Value = serde_json::from_str(&text).map_err(|e| TikTokError::Unreadable(e.to_string()))?;
        if status >= 400 || json["error"]["code"].as_str().is_some_and(|c| c != "ok") {
            return Err(if status == 401 {
                TikTokError::TokenInvalid
            } else {
                TikTokError::Server { status, code: "user_info".into() }
            });
        }
        let user = &json["data"]["user"];
        Ok((user["open_id"].as_str().unwrap_or("").to_owned(), user["display_name"].as_str().unwrap_or("").to_owned()))
    }

    pub async fn creator_info(&self, token: &SecretString) -> Result<CreatorInfo, TikTokError> {
        let data = self.call(token, "/v2/post/publish/creator_info/query/", None).await?;
        serde_json::from_value(data).map_err(|e| TikTokError::Unreadable(e.to_string()))
    }

    fn source_info(&self, video_size: u64) -> Value {
        let chunks = chunk_plan(video_size, self.cfg.chunk_bytes);
        let chunk_size = chunks.first().map_or(video_size, |(first, last)| last - first + 1);
        json!({"source": "FILE_UPLOAD", "video_size": video_size, "chunk_size": chunk_size, "total_chunk_count": chunks.len()})
    }

    /// Direct post init (FILE_UPLOAD); the post happens once the upload completes.
    pub async fn init_direct(
        &self,
        token: &SecretString,
        post: &PostInfo,
        video_size: u64,
    ) -> Result<Init, TikTokError> {
        let body = json!({"post_info": post, "source_info": self.source_info(video_size)});
        let data = self.call(token, "/v2/post/publish/video/init/", Some(body)).await?;
        serde_json::from_value(data).map_err(|e| TikTokError::Unreadable(e.to_string()))
    }

    /// Inbox (draft) init: the creator finishes the post in the app.
    pub async fn init_inbox(&self, token: &SecretString, video_size: u64) -> Result<Init, TikTokError> {
        let body = json!({"source_info": self.source_info(video_size)});
        let data = self.call(token, "/v2/post/publish/inbox/video/init/", Some(body)).await?;
        serde_json::from_value(data).map_err(|e| TikTokError::Unreadable(e.to_string()))
    }

    /// PUTs one chunk; returns the bytes TikTok holds afterwards and whether
    /// the upload is complete (201).
    pub async fn upload_chunk(
        &self,
        upload_url: &str,
        bytes: Vec<u8>,
        first: u64,
        total: u64,
    ) -> Result<(u64, bool), TikTokError> {
        let last = first + bytes.len() as u64 - 1;
        let request = self
            .http
            .put(upload_url)
            .header("content-type", "video/mp4")
            .header("content-range", format!("bytes {first}-{last}/{total}"))
            .body(bytes);
        let response = request.send().await.map_err(|e| {
            if e.is_connect() { TikTokError::Unreachable(describe_http_error(e)) } else { TikTokError::Timeout }
        })?;
        let status = response.status().as_u16();
        let held = response
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("bytes 0-")?.split('/').next()?.parse::<u64>().ok())
            .map(|last_held| last_held + 1);
        match status {
            201 => Ok((total, true)),
            206 => Ok((held.unwrap_or(last + 1), false)),
            416 => Err(TikTokError::Refused {
                status,
                code: "range_mismatch".into(),
                message: format!("TikTok holds {held:?} bytes"),
            }),
            s if s >= 500 => Err(TikTokError::Server { status: s, code: "upload_failed".into() }),
            s => Err(TikTokError::Refused {
                status: s,
                code: "upload_refused".into(),
                message: "the upload was refused".into(),
            }),
        }
    }

    /// Uploads the stored video `key` (`total` bytes) through `upload_url`
    /// from the first chunk TikTok does not hold yet (`held` bytes, as its
    /// status reported them). Each chunk is read from storage with a ranged
    /// read just before it is sent, so at most one chunk is in memory.
    /// `on_chunk` runs with the bytes TikTok holds after every accepted
    /// chunk (the activity heartbeats there). Returns the bytes held.
    pub async fn upload_stored<F, Fut>(
        &self,
        store: &dyn ObjectStore,
        key: &StorageKey,
        upload_url: &SecretString,
        total: u64,
        held: u64,
        mut on_chunk: F,
    ) -> Result<u64, UploadError>
    where
        F: FnMut(u64) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut held = held;
        for (first, last) in chunk_plan(total, self.cfg.chunk_bytes) {
            if last < held {
                continue;
            }
            let chunk = read_part(store, key, first, last).await?;
            let (now_held, done) = self.upload_chunk(upload_url.expose_secret(), chunk, first, total).await?;
            held = now_held;
            on_chunk(held).await;
            if done {
                break;
            }
        }
        Ok(held)
    }

    pub async fn status(&self, token: &SecretString, publish_id: &str) -> Result<PublishStatus, TikTokError> {
        let data = self.call(token, "/v2/post/publish/status/fetch/", Some(json!({"publish_id": publish_id}))).await?;
        let post_ids = data["publicaly_available_post_id"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|v| v.as_u64().map(|n| n.to_string()).or_else(|| v.as_str().map(str::to_owned)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(PublishStatus {
            status: TikTokPublishStatus::parse(data["status"].as_str().unwrap_or(""))?,
            fail_reason: data["fail_reason"].as_str().filter(|r| !r.is_empty()).map(str::to_owned),
            post_ids,
            uploaded_bytes: data["uploaded_bytes"].as_i64(),
        })
    }

    /// Counters of up to 20 of the creator's videos.
    pub async fn query_videos(&self, token: &SecretString, ids: &[String]) -> Result<Vec<VideoStats>, TikTokError> {
        let path = "/v2/video/query/?fields=id,view_count,like_count,comment_count,share_count";
        let data = self.call(token, path, Some(json!({"filters": {"video_ids": ids}}))).await?;
        let videos = data["videos"].as_array().cloned().unwrap_or_default();
        Ok(videos
            .iter()
            .map(|v| VideoStats {
                id: v["id"].as_str().map(str::to_owned).unwrap_or_else(|| v["id"].to_string()),
                view_count: v["view_count"].as_i64().unwrap_or(0),
                like_count: v["like_count"].as_i64().unwrap_or(0),
                comment_count: v["comment_count"].as_i64().unwrap_or(0),
                share_count: v["share_count"].as_i64().unwrap_or(0),
            })
            .collect())
    }
}

/// Bytes `first..=last` of a stored object, read with a ranged read.
async fn read_part(store: &dyn ObjectStore, key: &StorageKey, first: u64, last: u64) -> Result<Vec<u8>, StorageError> {
    use tokio::io::AsyncReadExt;
    let len = last - first + 1;
    let read = store.read(key, Some((first, last))).await?;
    let mut chunk = Vec::with_capacity(len as usize);
    read.body.take(len).read_to_end(&mut chunk).await?;
    if chunk.len() as u64 != len {
        return Err(StorageError::Backend(format!(
            "the stored video ends at byte {} of the {len} bytes from {first}",
            chunk.len()
        )));
    }
    Ok(chunk)
}

/// Counts a TikTok call by operation and outcome for `/metrics`.
fn count_call<T>(operation: &str, result: &Result<T, TikTokError>) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(e) if e.is_transient() => "transient",
        Err(_) => "permanent",
    };
    crate::metrics::TIKTOK_CALLS.with_label_values(&[operation, outcome]).inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_tiktoks_floor_rule() {
        assert_eq!(chunk_plan(1_000, 10_000_000), [(0, 999)]);
        assert_eq!(chunk_plan(4_999_999, 10_000_000), [(0, 4_999_998)]);
        let plan = chunk_plan(50_000_123, 10_000_000);
        assert_eq!(plan.len(), 5);
        assert_eq!(plan[4], (40_000_000, 50_000_122), "the last chunk absorbs the remainder");
        assert!(plan.windows(2).all(|w| w[0].1 + 1 == w[1].0));
        assert!(chunk_plan(0, 10).is_empty());
    }

    #[test]
    fn the_pkce_challenge_is_the_hex_sha256_of_the_verifier() {
        let (verifier, challenge) = pkce_pair();
        assert_eq!(challenge, crate::hex(&Sha256::digest(verifier.expose_secret().as_bytes())));
        assert_eq!(challenge.len(), 64);
        assert!(verifier.expose_secret().len() >= 43, "RFC 7636 minimum length");
    }

    /// A store that remembers every read it served, to prove the upload
    /// reads one chunk at a time.
    struct Recording {
        inner: crate::storage::LocalStore,
        reads: std::sync::Mutex<Vec<Option<(u64, u64)>>>,
    }

    #[async_trait::async_trait]
    impl ObjectStore for Recording {
        fn backend(&self) -> &'static str {
            "recording"
        }
        async fn check(&self) -> Result<(), StorageError> {
            self.inner.check().await
        }
        async fn put(&self, key: &StorageKey, reader: crate::storage::Reader, limit: u64) -> Result<u64, StorageError> {
            self.inner.put(key, reader, limit).await
        }
        async fn size(&self, key: &StorageKey) -> Result<Option<u64>, StorageError> {
            self.inner.size(key).await
        }
        async fn read(
            &self,
            key: &StorageKey,
            part: Option<(u64, u64)>,
        ) -> Result<crate::storage::ObjectRead, StorageError> {
            self.reads.lock().unwrap().push(part);
            self.inner.read(key, part).await
        }
        async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
            self.inner.delete(key).await
        }
        async fn presigned_get(
            &self,
            key: &StorageKey,
            ttl: std::time::Duration,
        ) -> Result<Option<String>, StorageError> {
            self.inner.presigned_get(key, ttl).await
        }
    }

    fn config(api_base: String) -> TikTokConfig {
        TikTokConfig {
            api_base,
            auth_url: String::new(),
            client_key: Some("k".into()),
            client_secret: Some(SecretString::from("s")),
            redirect_uri: String::new(),
            scopes: String::new(),
            chunk_bytes: 5_000_000,
            timeout: std::time::Duration::from_secs(10),
            poll: crate::config::PollIntervals {
                status_first_secs: 1,
                status_max_secs: 1,
                status_deadline_secs: 60,
                post_id_every_secs: 1,
                post_id_for_secs: 1,
            },
            metrics_every: std::time::Duration::from_secs(60),
            refresh_before: std::time::Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn a_multi_chunk_upload_streams_ranged_reads_and_resumes_from_the_bytes_tiktok_holds() {
        use testkit::tiktok::{SimConfig, TikTokSimulator, UPLOAD};
        let sim = TikTokSimulator::new(SimConfig {
            processing_delay: std::time::Duration::from_millis(200),
            ..SimConfig::default()
        });
        let base = sim.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let client = TikTokClient::new(&config(base));
        let token = SecretString::from(sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token);

        // 16 MB in chunks of 5 MB: three chunks, the last one 6 MB.
        let total: u64 = 16_000_000;
        let video: Vec<u8> = (0..total).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let root = std::env::temp_dir().join(format!("reelpilot-upload-{}", uuid::Uuid::new_v4()));
        let store = Recording { inner: crate::storage::LocalStore::new(root.clone()), reads: Default::default() };
        let key = StorageKey::new(uuid::Uuid::new_v4(), "slots/s/v1/video.mp4").unwrap();
        store.put(&key, Box::pin(std::io::Cursor::new(video.clone())), total).await.unwrap();

        let post = PostInfo {
            title: "t".into(),
            privacy_level: "SELF_ONLY".into(),
            disable_comment: true,
            disable_duet: true,
            disable_stitch: true,
            video_cover_timestamp_ms: 0,
            brand_content_toggle: false,
            brand_organic_toggle: false,
            is_aigc: true,
        };
        let init = client.init_direct(&token, &post, total).await.unwrap();
        let url = SecretString::from(init.upload_url.unwrap());

        // The connection breaks after the first chunk.
        let mut progress = Vec::new();
        let interrupted = client
            .upload_stored(&store, &key, &url, total, 0, |held| {
                progress.push(held);
                sim.fail_next(UPLOAD, 1, 503, "internal_error");
                async {}
            })
            .await;
        assert!(matches!(interrupted, Err(UploadError::TikTok(TikTokError::Server { .. }))), "{interrupted:?}");
        assert_eq!(progress, [5_000_000]);
        let held = client.status(&token, &init.publish_id).await.unwrap();
        assert_eq!(held.status, TikTokPublishStatus::ProcessingUpload);
        assert_eq!(held.uploaded_bytes, Some(5_000_000));

        // The retry starts from TikTok's offset, not from the start.
        sim.clear_requests();
        let mut progress = Vec::new();
        let done = client
            .upload_stored(&store, &key, &url, total, 5_000_000, |held| {
                progress.push(held);
                async {}
            })
            .await
            .unwrap();
        assert_eq!(done, total);
        assert_eq!(progress, [10_000_000, total]);
        let ranges: Vec<String> =
            sim.requests().into_iter().filter(|r| r.path.starts_with(UPLOAD)).filter_map(|r| r.content_range).collect();
        assert_eq!(ranges, ["bytes 5000000-9999999/16000000", "bytes 10000000-15999999/16000000"]);

        let uploaded = sim.video_bytes(&init.publish_id).unwrap();
        assert_eq!(Sha256::digest(&uploaded), Sha256::digest(&video), "TikTok holds exactly the stored bytes");
        // And posts them, once.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while client.status(&token, &init.publish_id).await.unwrap().status != TikTokPublishStatus::PublishComplete {
            assert!(std::time::Instant::now() < deadline, "never posted");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let posts = sim.posts();
        assert_eq!(posts.len(), 1);
        assert_eq!((posts[0].publish_id.as_str(), posts[0].video_size), (init.publish_id.as_str(), total));
        // Every read was one chunk's range, never the whole file.
        let reads = store.reads.lock().unwrap().clone();
        assert_eq!(
            reads,
            [
                Some((0, 4_999_999)),
                Some((5_000_000, 9_999_999)),
                Some((5_000_000, 9_999_999)),
                Some((10_000_000, 15_999_999))
            ]
        );
        std::fs::remove_dir_all(root).ok();
    }

    #[tokio::test]
    async fn an_unreachable_upload_url_fails_without_naming_the_url() {
        let client = TikTokClient::new(&config("http://127.0.0.1:9".into()));
        // A port nothing listens on: the connection is refused.
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let url = format!("http://{dead}/upload/?upload_id=abc&upload_token=secret-upload-token");
        let err = client.upload_chunk(&url, vec![0; 10], 0, 10).await.unwrap_err();
        assert!(matches!(err, TikTokError::Unreachable(_)), "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(!text.contains("secret-upload-token") && !text.contains("/upload/"), "{text}");
        let err = client.creator_info(&SecretString::from("t")).await.unwrap_err();
        assert!(!format!("{err} {err:?}").contains("creator_info"), "{err}");
    }
}
