use super::*;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use url::Url;

const REDIRECT: &str = "https://app.example.com/tiktok/callback";
const SMALL: u64 = 1_234_567;

async fn start(config: SimConfig) -> (TikTokSimulator, Tk) {
    let sim = TikTokSimulator::new(config);
    let base = sim.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    (sim, Tk { base, http })
}

/// A bare HTTP client, so the tests pin the wire format.
struct Tk {
    base: String,
    http: reqwest::Client,
}

impl Tk {
    async fn answer(resp: reqwest::Response) -> (u16, Value) {
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    async fn post(&self, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json; charset=UTF-8");
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        Self::answer(req.send().await.unwrap()).await
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        Self::answer(self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap()).await
    }

    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Value) {
        Self::answer(self.http.post(format!("{}{path}", self.base)).form(fields).send().await.unwrap()).await
    }

    /// The authorize page; the redirect's query, or the status of a refusal.
    async fn authorize(&self, query: &[(&str, &str)]) -> Result<HashMap<String, String>, u16> {
        let resp = self.http.get(format!("{}{AUTHORIZE}", self.base)).query(query).send().await.unwrap();
        if resp.status() != StatusCode::FOUND {
            return Err(resp.status().as_u16());
        }
        let location = Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(REDIRECT));
        Ok(location.query_pairs().into_owned().collect())
    }

    async fn put(&self, url: &str, first: u64, bytes: &[u8], total: u64) -> (u16, Option<String>) {
        let range = format!("bytes {first}-{}/{total}", first + bytes.len() as u64 - 1);
        let resp = self
            .http
            .put(url)
            .header("content-type", "video/mp4")
            .header("content-range", range)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        let range = resp.headers().get("content-range").map(|v| v.to_str().unwrap().to_owned());
        (resp.status().as_u16(), range)
    }

    async fn status(&self, token: &str, publish_id: &str) -> Value {
        let (status, body) = self.post(STATUS_FETCH, token, Some(json!({"publish_id": publish_id}))).await;
        assert_eq!((status, code(&body)), (200, "ok"), "{body}");
        body["data"].clone()
    }

    /// A direct FILE_UPLOAD init of a small file; (publish_id, upload_url).
    async fn init_small(&self, token: &str, privacy: &str, title: &str) -> (String, String) {
        let body = json!({
            "post_info": {"title": title, "privacy_level": privacy, "disable_comment": true, "is_aigc": true},
            "source_info": {"source": "FILE_UPLOAD", "video_size": SMALL, "chunk_size": SMALL, "total_chunk_count": 1},
        });
        let (status, answer) = self.post(VIDEO_INIT, token, Some(body)).await;
        assert_eq!((status, code(&answer)), (200, "ok"), "{answer}");
        let data = &answer["data"];
        (data["publish_id"].as_str().unwrap().to_owned(), data["upload_url"].as_str().unwrap().to_owned())
    }

    /// Init and upload a small file in one chunk; the publish id.
    async fn post_small(&self, token: &str, privacy: &str, title: &str) -> String {
        let (publish_id, upload_url) = self.init_small(token, privacy, title).await;
        assert_eq!(self.put(&upload_url, 0, &video(SMALL as usize), SMALL).await.0, 201);
        publish_id
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code in {body}"))
}

fn video(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sha256(data: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data.as_bytes()).as_ref().to_vec()
}

fn verifier() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

fn authorize_query<'a>(key: &'a str, scope: &'a str, challenge: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut query = vec![
        ("client_key", key),
        ("response_type", "code"),
        ("scope", scope),
        ("redirect_uri", REDIRECT),
        ("state", "csrf-42"),
    ];
    if let Some(challenge) = challenge {
        query.extend([("code_challenge", challenge), ("code_challenge_method", "S256")]);
    }
    query
}

fn exchange<'a>(
    sim_secret: &'a str,
    key: &'a str,
    code: &'a str,
    verifier: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("client_key", key),
        ("client_secret", sim_secret),
        ("code", code),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
    ];
    form.extend(verifier.map(|v| ("code_verifier", v)));
    form
}

#[tokio::test]
async fn the_oauth_dance_with_a_hex_pkce_challenge() {
    let (sim, tk) = start(SimConfig::default()).await;
    let (key, secret) = (sim.client_key(), sim.client_secret());
    let verifier = verifier();
    let challenge = hex(&sha256(&verifier));
    let scope = "user.info.basic,video.publish,video.list";
    let callback = tk.authorize(&authorize_query(&key, scope, Some(&challenge))).await.unwrap();
    assert_eq!((callback["state"].as_str(), callback["scopes"].as_str()), ("csrf-42", scope));
    let code_value = callback["code"].clone();
    // The code needs URL-decoding (it has a `!`), as TikTok's does.
    assert!(code_value.contains('!'));

    let (status, tokens) = tk.form(TOKEN, &exchange(&secret, &key, &code_value, Some(&verifier))).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("act.") && refresh.starts_with("rft."));
    assert_eq!(tokens["expires_in"], 86400);
    assert_eq!(tokens["refresh_expires_in"], 31_536_000);
    assert_eq!(tokens["open_id"], sim.user().open_id);
    assert_eq!(tokens["scope"], scope);
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens.get("data").is_none(), "OAuth answers are flat");

    // Single use.
    let (status, again) = tk.form(TOKEN, &exchange(&secret, &key, &code_value, Some(&verifier))).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
    assert!(again["error_description"].is_string() && again["log_id"].is_string());

    let (status, me) = tk.get(&format!("{USER_INFO}?fields=open_id,union_id,display_name,avatar_url"), &access).await;
    assert_eq!((status, code(&me)), (200, "ok"));
    assert_eq!(me["data"]["user"]["display_name"], "Sandbox Creator");
    assert_eq!(me["error"]["message"], "");
    assert!(me["error"]["log_id"].is_string());

    // The record keeps the shape of every request and none of the secrets.
    let requests = sim.requests();
    let token_request = requests.iter().find(|r| r.path == TOKEN).unwrap();
    assert_eq!(token_request.body["client_secret"], "***");
    assert_eq!(token_request.body["code_verifier"], "***");
    assert_eq!(token_request.body["grant_type"], "authorization_code");
    assert_eq!(requests.last().unwrap().bearer, Some(fingerprint(&access)));
    let recorded = format!("{requests:?}");
    for secret in [secret.as_str(), &verifier, &code_value, &access, &refresh] {
        assert!(!recorded.contains(secret), "the record leaks a secret");
    }
}

#[tokio::test]
async fn pkce_refuses_a_base64url_challenge_and_a_wrong_verifier() {
    let (sim, tk) = start(SimConfig::default()).await;
    let (key, secret) = (sim.client_key(), sim.client_secret());
    let verifier = verifier();
    let pkce_refused = (400, Some("invalid_request"), Some("Code verifier or code challenge is invalid."));
    let refusal = |body: &Value| {
        (body["error"].as_str().map(str::to_owned), body["error_description"].as_str().map(str::to_owned))
    };

    // RFC 7636's base64url form is not what TikTok hashes to.
    let b64 = URL_SAFE_NO_PAD.encode(sha256(&verifier));
    let callback = tk.authorize(&authorize_query(&key, "user.info.basic", Some(&b64))).await.unwrap();
    let (status, body) = tk.form(TOKEN, &exchange(&secret, &key, &callback["code"], Some(&verifier))).await;
    let (error, description) = refusal(&body);
    assert_eq!((status, error.as_deref(), description.as_deref()), pkce_refused);

    let hex_challenge = hex(&sha256(&verifier));
    for wrong in [Some("another-verifier-entirely"), None] {
        let callback = tk.authorize(&authorize_query(&key, "user.info.basic", Some(&hex_challenge))).await.unwrap();
        let (status, body) = tk.form(TOKEN, &exchange(&secret, &key, &callback["code"], wrong)).await;
        let (error, description) = refusal(&body);
        assert_eq!((status, error.as_deref(), description.as_deref()), pkce_refused);
    }
    // An uppercase hex challenge is not TikTok's either.
    let upper = hex_challenge.to_uppercase();
    let callback = tk.authorize(&authorize_query(&key, "user.info.basic", Some(&upper))).await.unwrap();
    let (status, _) = tk.form(TOKEN, &exchange(&secret, &key, &callback["code"], Some(&verifier))).await;
    assert_eq!(status, 400);
    // A challenge method other than S256 is refused on the authorize page.
    let mut plain = authorize_query(&key, "user.info.basic", Some(&verifier));
    plain.last_mut().unwrap().1 = "plain";
    assert_eq!(tk.authorize(&plain).await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn authorization_refusals_and_code_rules() {
    let config = SimConfig { redirect_uris: vec![REDIRECT.into()], ..SimConfig::default() };
    let (sim, tk) = start(config).await;
    let (key, secret) = (sim.client_key(), sim.client_secret());

    assert_eq!(tk.authorize(&authorize_query("not-our-app", "user.info.basic", None)).await, Err(400));
    let mut elsewhere = authorize_query(&key, "user.info.basic", None);
    elsewhere[3].1 = "https://evil.example.com/cb";
    assert_eq!(tk.authorize(&elsewhere).await, Err(400));
    let callback = tk.authorize(&authorize_query(&key, "user.info.basic,video.nope", None)).await.unwrap();
    assert_eq!(callback["error"], "invalid_scope");

    sim.deny_next_authorization();
    let denied = tk.authorize(&authorize_query(&key, "user.info.basic", None)).await.unwrap();
    assert_eq!((denied["error"].as_str(), denied["state"].as_str()), ("access_denied", "csrf-42"));
    assert!(!denied.contains_key("code"));

    // The user unticks a scope.
    sim.grant_only_next(&["user.info.basic"]);
    let callback = tk.authorize(&authorize_query(&key, "user.info.basic,video.publish", None)).await.unwrap();
    assert_eq!(callback["scopes"], "user.info.basic");
    let (status, tokens) = tk.form(TOKEN, &exchange(&secret, &key, &callback["code"], None)).await;
    assert_eq!((status, tokens["scope"].as_str()), (200, Some("user.info.basic")));
    let (status, body) = tk.post(CREATOR_INFO, tokens["access_token"].as_str().unwrap(), None).await;
    assert_eq!((status, code(&body)), (401, "scope_not_authorized"));

    let plain_query = authorize_query(&key, "user.info.basic", None);
    let fresh = || tk.authorize(&plain_query);
    let callback = fresh().await.unwrap();
    let (status, body) = tk.form(TOKEN, &exchange("wrong-secret", &key, &callback["code"], None)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));

    let callback = fresh().await.unwrap();
    let mut form = exchange(&secret, &key, &callback["code"], None);
    form[4].1 = "https://app.example.com/other";
    let (status, body) = tk.form(TOKEN, &form).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    // A client that forgets to URL-decode the code sends `%21` for `!`.
    let callback = fresh().await.unwrap();
    let undecoded = callback["code"].replace('!', "%21");
    let (status, body) = tk.form(TOKEN, &exchange(&secret, &key, &undecoded, None)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    // Codes live ten minutes.
    let callback = fresh().await.unwrap();
    sim.advance(Duration::from_secs(11 * 60));
    let (status, body) = tk.form(TOKEN, &exchange(&secret, &key, &callback["code"], None)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    let mut form = exchange(&secret, &key, "x", None);
    form[3].1 = "client_credentials";
    assert_eq!(tk.form(TOKEN, &form).await.1["error"], "unsupported_grant_type");

    // Some sandboxes answer OAuth errors with HTTP 200.
    sim.set_oauth_errors_http_200(true);
    let (status, body) = tk.form(TOKEN, &exchange(&secret, &key, "spent", None)).await;
    assert_eq!((status, body["error"].as_str()), (200, Some("invalid_grant")));
}

#[tokio::test]
async fn refresh_rotates_and_revoke_kills_the_grant() {
    let (sim, tk) = start(SimConfig::default()).await;
    let (key, secret) = (sim.client_key(), sim.client_secret());
    let first = sim.issue_token(&sim.user().open_id, &["user.info.basic", "video.publish"]);
    let refresh = |token: String| {
        let (key, secret) = (key.clone(), secret.clone());
        let tk = &tk;
        async move {
            let form = [
                ("client_key", key.as_str()),
                ("client_secret", &secret),
                ("grant_type", "refresh_token"),
                ("refresh_token", &token),
            ];
            tk.form(TOKEN, &form).await
        }
    };

    sim.advance(Duration::from_secs(10 * 86400));
    let (status, body) = tk.get(&format!("{USER_INFO}?fields=open_id"), &first.access_token).await;
    assert_eq!((status, code(&body)), (401, "access_token_invalid"));

    let (status, second) = refresh(first.refresh_token.clone()).await;
    assert_eq!(status, 200, "{second}");
    let (access, rotated) = (second["access_token"].as_str().unwrap(), second["refresh_token"].as_str().unwrap());
    assert_ne!(access, first.access_token);
    assert_ne!(rotated, first.refresh_token);
    assert_eq!(second["scope"], "user.info.basic,video.publish");
    // The refresh token's life counts from the first issue.
    let left = second["refresh_expires_in"].as_i64().unwrap();
    assert!((355 * 86400 - 5..=355 * 86400).contains(&left), "{left}");

    let (status, old) = refresh(first.refresh_token.clone()).await;
    assert_eq!((status, old["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(tk.get(&format!("{USER_INFO}?fields=open_id"), access).await.0, 200);

    let revoke = [("client_key", key.as_str()), ("client_secret", &secret), ("token", access)];
    let resp = tk.http.post(format!("{}{REVOKE}", tk.base)).form(&revoke).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.unwrap().is_empty());
    assert_eq!(tk.get(&format!("{USER_INFO}?fields=open_id"), access).await.0, 401);
    assert_eq!(refresh(rotated.to_owned()).await.1["error"], "invalid_grant");
}

#[tokio::test]
async fn creator_info_follows_the_account_and_the_audit() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    let info = || tk.post(CREATOR_INFO, &token, None);

    let (status, body) = info().await;
    assert_eq!((status, code(&body)), (200, "ok"));
    let data = &body["data"];
    assert_eq!(data["privacy_level_options"], json!(["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]));
    assert_eq!(
        (data["creator_nickname"].as_str(), data["creator_username"].as_str()),
        (Some("Sandbox Creator"), Some("sandbox.creator"))
    );
    assert_eq!(data["max_video_post_duration_sec"], 600);
    assert_eq!(data["comment_disabled"], false);
    assert!(data["creator_avatar_url"].is_string());

    sim.set_account_private(true);
    let options = info().await.1["data"]["privacy_level_options"].clone();
    assert_eq!(options, json!(["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]));
    let public = json!({"post_info": {"privacy_level": "PUBLIC_TO_EVERYONE"},
        "source_info": {"source": "FILE_UPLOAD", "video_size": 1000, "chunk_size": 1000, "total_chunk_count": 1}});
    let (status, body) = tk.post(VIDEO_INIT, &token, Some(public.clone())).await;
    assert_eq!((status, code(&body)), (403, "privacy_level_option_mismatch"));
    assert_eq!(body["data"], json!({}));

    sim.set_account_private(false);
    sim.set_audited(false);
    assert_eq!(info().await.1["data"]["privacy_level_options"], json!(["SELF_ONLY"]));
    let (status, body) = tk.post(VIDEO_INIT, &token, Some(public.clone())).await;
    assert_eq!((status, code(&body)), (403, "unaudited_client_can_only_post_to_private_accounts"));
    let mut private = public.clone();
    private["post_info"]["privacy_level"] = json!("SELF_ONLY");
    assert_eq!(tk.post(VIDEO_INIT, &token, Some(private)).await.0, 200);

    // TikTok answers these with HTTP 200 on creator_info, 403 on init.
    sim.block_posting(Some("spam_risk_user_banned_from_posting"));
    let (status, body) = info().await;
    assert_eq!((status, code(&body)), (200, "spam_risk_user_banned_from_posting"));
    let (status, body) = tk.post(VIDEO_INIT, &token, Some(public)).await;
    assert_eq!((status, code(&body)), (403, "spam_risk_user_banned_from_posting"));
}

#[tokio::test]
async fn a_small_file_is_posted_once_and_its_id_appears_after_moderation() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish", "video.list"]).access_token;
    let (publish_id, upload_url) = tk.init_small(&token, PUBLIC_TO_EVERYONE, "first #cat @tiktok").await;
    assert!(publish_id.starts_with("v_pub_file~v2-1.") && publish_id.len() <= 64, "{publish_id}");
    assert!(upload_url.starts_with(&format!("{}/upload/?upload_id=", tk.base)), "{upload_url}");

    let status = tk.status(&token, &publish_id).await;
    assert_eq!(status, json!({"status": "PROCESSING_UPLOAD", "uploaded_bytes": 0}));
    let bytes = video(SMALL as usize);
    let (code, range) = tk.put(&upload_url, 0, &bytes, SMALL).await;
    assert_eq!((code, range.as_deref()), (201, Some("bytes 0-1234566/1234567")));
    let status = tk.status(&token, &publish_id).await;
    assert_eq!(status, json!({"status": "PROCESSING_UPLOAD", "uploaded_bytes": SMALL}));
    assert!(sim.posts().is_empty());

    sim.advance(Duration::from_secs(5));
    let status = tk.status(&token, &publish_id).await;
    assert_eq!(status["status"], "PUBLISH_COMPLETE");
    assert_eq!(status["publicaly_available_post_id"], json!([]));
    let posts = sim.posts();
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(
        (post.publish_id.as_str(), post.mode, post.source),
        (publish_id.as_str(), PostMode::Direct, Source::FileUpload)
    );
    assert_eq!(
        (post.privacy_level.as_str(), post.title.as_str(), post.video_size),
        (PUBLIC_TO_EVERYONE, "first #cat @tiktok", SMALL)
    );
    let post_id = post.post_id.unwrap();
    assert_eq!(post_id.to_string().len(), 19);
    let (_, listed) = tk.post(&format!("{VIDEO_LIST}?fields=id"), &token, Some(json!({}))).await;
    assert_eq!(listed["data"]["videos"], json!([]), "not public before moderation");

    sim.advance(Duration::from_secs(60));
    let (_, raw) = tk.post(STATUS_FETCH, &token, Some(json!({"publish_id": publish_id}))).await;
    assert_eq!(raw["data"]["publicaly_available_post_id"], json!([post_id]));
    assert!(raw["data"]["publicaly_available_post_id"][0].is_u64(), "an int64, not a string");
    let (_, listed) = tk.post(&format!("{VIDEO_LIST}?fields=id,title"), &token, Some(json!({}))).await;
    assert_eq!(listed["data"]["videos"], json!([{"id": post_id.to_string(), "title": "first #cat @tiktok"}]));
    assert_eq!(sim.video_bytes(&publish_id), Some(bytes));
    assert_eq!(sim.posts().len(), 1, "exactly one post however often the status is read");
}

#[tokio::test]
async fn chunks_follow_the_rules_in_order() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    let (size, chunk) = (12_000_123u64, 5_000_000u64);
    let init = |source: Value, post_info: Value| {
        tk.post(VIDEO_INIT, &token, Some(json!({"post_info": post_info, "source_info": source})))
    };
    let file = |size: u64, chunk: u64, count: u64| json!({"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk, "total_chunk_count": count});
    let public = json!({"privacy_level": "PUBLIC_TO_EVERYONE"});

    for (source, post_info) in [
        (file(size, chunk, 3), public.clone()),             // count is floor(size / chunk)
        (file(size, 4_000_000, 3), public.clone()),         // chunks are at least 5 MB
        (file(200_000_000, 65_000_000, 3), public.clone()), // and at most 64 MB
        (file(4_000_000, 1_000_000, 4), public.clone()),    // under 5 MB goes as one chunk
        (json!({"source": "FTP"}), public.clone()),
        (file(size, chunk, 2), json!({"privacy_level": "FRIENDS"})),
        (file(size, chunk, 2), json!({"title": "no privacy"})),
        (file(size, chunk, 2), json!({"privacy_level": "SELF_ONLY", "title": "😀".repeat(1101)})),
        (file(size, chunk, 2), json!({"privacy_level": "SELF_ONLY", "disable_duet": "no"})),
    ] {
        let (status, body) = init(source.clone(), post_info).await;
        assert_eq!((status, code(&body)), (400, "invalid_param"), "{source}");
        sim.advance(Duration::from_secs(11)); // stay under 6 inits a minute
    }
    sim.advance(Duration::from_secs(61));
    // 2200 UTF-16 units is the limit, not 2200 characters.
    let (status, _) =
        init(file(size, chunk, 2), json!({"privacy_level": "SELF_ONLY", "title": "😀".repeat(1100)})).await;
    assert_eq!(status, 200);

    let (status, body) = init(file(size, chunk, 2), public).await;
    assert_eq!(status, 200);
    let (publish_id, url) =
        (body["data"]["publish_id"].as_str().unwrap(), body["data"]["upload_url"].as_str().unwrap());
    let bytes = video(size as usize);
    let (head, tail) = bytes.split_at(chunk as usize);

    assert_eq!(tk.put(url, chunk, tail, size).await, (416, Some("bytes */12000123".into())), "out of order");
    assert_eq!(tk.put(url, 0, head, size).await, (206, Some("bytes 0-4999999/12000123".into())));
    // A re-sent chunk (its answer was lost) gets the same answer again.
    assert_eq!(tk.put(url, 0, head, size).await, (206, Some("bytes 0-4999999/12000123".into())));
    // The last chunk absorbs the remainder: 5,000,000 bytes is not it.
    assert_eq!(tk.put(url, chunk, &tail[..chunk as usize], size).await.0, 400);
    let wrong_type = tk
        .http
        .put(url)
        .header("content-type", "text/plain")
        .header("content-range", "bytes 5000000-12000122/12000123");
    assert_eq!(wrong_type.body(tail.to_vec()).send().await.unwrap().status(), 400);
    assert_eq!(tk.status(&token, publish_id).await["uploaded_bytes"], chunk);

    assert_eq!(tk.put(url, chunk, tail, size).await, (201, Some("bytes 0-12000122/12000123".into())));
    assert_eq!(tk.put(url, chunk, tail, size).await.0, 201);
    assert_eq!(tk.put(url, 0, head, size).await.0, 416);
    assert_eq!(sim.video_bytes(publish_id).unwrap(), bytes);
    let unknown = format!("{}/upload/?upload_id=nope&upload_token=nope", tk.base);
    assert_eq!(tk.put(&unknown, 0, head, size).await, (404, None));

    // Decimal megabytes: a 2^20-byte reading of the rules is not accepted.
    let mib = 1u64 << 20;
    sim.advance(Duration::from_secs(61));
    let (status, _) = init(file(70 * mib, 64 * mib + 1, 1), json!({"privacy_level": "SELF_ONLY"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_sandbox_page_lists_what_went_out_escaped() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    tk.post_small(&token, SELF_ONLY, "<b>pasta</b> night").await;
    sim.advance(Duration::from_secs(3600));
    let page = tk.http.get(format!("{}{SANDBOX_POSTS}", tk.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Posts on the TikTok sandbox (1)"), "{page}");
    assert!(page.contains("&lt;b&gt;pasta&lt;/b&gt; night") && page.contains(SELF_ONLY), "{page}");
}

#[tokio::test]
async fn private_posts_never_get_a_public_id() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish", "video.list"]).access_token;
    let self_only = tk.post_small(&token, SELF_ONLY, "just me").await;
    let friends = tk.post_small(&token, MUTUAL_FOLLOW_FRIENDS, "friends").await;
    sim.advance(Duration::from_secs(20 * 3600));
    for publish_id in [&self_only, &friends] {
        let status = tk.status(&token, publish_id).await;
        assert_eq!(status["status"], "PUBLISH_COMPLETE");
        assert_eq!(status["publicaly_available_post_id"], json!([]));
    }
    let posts = sim.posts();
    assert_eq!(
        posts.iter().map(|p| (p.privacy_level.as_str(), p.post_id)).collect::<Vec<_>>(),
        [(SELF_ONLY, None), (MUTUAL_FOLLOW_FRIENDS, None)]
    );
    let (_, listed) = tk.post(&format!("{VIDEO_LIST}?fields=id"), &token, None).await;
    assert_eq!((listed["data"]["videos"].clone(), listed["data"]["has_more"].clone()), (json!([]), json!(false)));
}

#[tokio::test]
async fn inbox_drafts_wait_for_the_user() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.upload", "video.list"]).access_token;
    let source = json!({"source_info": {"source": "FILE_UPLOAD", "video_size": SMALL, "chunk_size": SMALL, "total_chunk_count": 1}});
    let (status, body) = tk.post(VIDEO_INIT, &token, Some(source.clone())).await;
    assert_eq!((status, code(&body)), (401, "scope_not_authorized"), "direct posting needs video.publish");

    let (status, body) = tk.post(INBOX_VIDEO_INIT, &token, Some(source.clone())).await;
    assert_eq!((status, code(&body)), (200, "ok"), "{body}");
    let publish_id = body["data"]["publish_id"].as_str().unwrap().to_owned();
    assert!(publish_id.starts_with("v_inbox_file~v2."));
    let url = body["data"]["upload_url"].as_str().unwrap();
    assert_eq!(tk.put(url, 0, &video(SMALL as usize), SMALL).await.0, 201);
    assert!(sim.user_posts_inbox_draft(&publish_id).is_err(), "still processing");
    sim.advance(Duration::from_secs(5));
    assert_eq!(tk.status(&token, &publish_id).await, json!({"status": "SEND_TO_USER_INBOX", "uploaded_bytes": SMALL}));
    sim.advance(Duration::from_secs(3600));
    assert_eq!(tk.status(&token, &publish_id).await["status"], "SEND_TO_USER_INBOX", "waits for the user");
    assert!(sim.posts().is_empty());

    sim.user_posts_inbox_draft(&publish_id).unwrap();
    let status = tk.status(&token, &publish_id).await;
    assert_eq!(
        (status["status"].as_str(), status["publicaly_available_post_id"].clone()),
        (Some("PUBLISH_COMPLETE"), json!([]))
    );
    let posts = sim.posts();
    assert_eq!((posts.len(), posts[0].mode, posts[0].privacy_level.as_str()), (1, PostMode::Inbox, PUBLIC_TO_EVERYONE));
    sim.advance(Duration::from_secs(60));
    assert_eq!(tk.status(&token, &publish_id).await["publicaly_available_post_id"], json!([posts[0].post_id.unwrap()]));
    assert!(sim.user_posts_inbox_draft(&publish_id).is_err(), "already posted");

    // At most 5 drafts waiting in the inbox.
    for _ in 0..5 {
        assert_eq!(tk.post(INBOX_VIDEO_INIT, &token, Some(source.clone())).await.0, 200);
    }
    sim.advance(Duration::from_secs(61));
    let (status, body) = tk.post(INBOX_VIDEO_INIT, &token, Some(source)).await;
    assert_eq!((status, code(&body)), (403, "spam_risk_too_many_pending_share"));
}

#[tokio::test]
async fn the_seventh_init_in_a_minute_is_throttled() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    for _ in 0..6 {
        tk.init_small(&token, SELF_ONLY, "").await;
    }
    let body = json!({"post_info": {"privacy_level": "SELF_ONLY"},
        "source_info": {"source": "FILE_UPLOAD", "video_size": SMALL, "chunk_size": SMALL, "total_chunk_count": 1}});
    let (status, answer) = tk.post(VIDEO_INIT, &token, Some(body.clone())).await;
    assert_eq!((status, code(&answer)), (429, "rate_limit_exceeded"));
    assert_eq!(answer["data"], json!({}));
    assert_eq!(sim.publishes().len(), 6);
    // Per endpoint and per token.
    assert_eq!(tk.post(CREATOR_INFO, &token, None).await.0, 200);
    let other = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    assert_eq!(tk.post(VIDEO_INIT, &other, Some(body.clone())).await.0, 200);
    sim.advance(Duration::from_secs(60));
    assert_eq!(tk.post(VIDEO_INIT, &token, Some(body)).await.0, 200);
}

#[tokio::test]
async fn the_daily_cap_stops_direct_posts_for_a_day() {
    let (sim, tk) = start(SimConfig { daily_post_cap: 2, ..SimConfig::default() }).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    tk.init_small(&token, SELF_ONLY, "").await;
    tk.init_small(&token, SELF_ONLY, "").await;
    let (status, body) = tk.post(CREATOR_INFO, &token, None).await;
    assert_eq!((status, code(&body)), (200, "spam_risk_too_many_posts"));
    let body = json!({"post_info": {"privacy_level": "SELF_ONLY"},
        "source_info": {"source": "FILE_UPLOAD", "video_size": SMALL, "chunk_size": SMALL, "total_chunk_count": 1}});
    let (status, answer) = tk.post(VIDEO_INIT, &token, Some(body.clone())).await;
    assert_eq!((status, code(&answer)), (403, "spam_risk_too_many_posts"));
    sim.advance(Duration::from_secs(86400));
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    assert_eq!(tk.post(VIDEO_INIT, &token, Some(body)).await.0, 200);
}

#[tokio::test]
async fn expired_and_missing_tokens_are_refused() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    assert_eq!(tk.post(CREATOR_INFO, &token, None).await.0, 200);
    sim.expire_access_tokens();
    let (status, body) = tk.post(CREATOR_INFO, &token, None).await;
    assert_eq!((status, code(&body)), (401, "access_token_invalid"));
    let resp = tk.http.post(format!("{}{CREATOR_INFO}", tk.base)).send().await.unwrap();
    assert_eq!(resp.status(), 401);

    // Tokens issued later live their 24 hours.
    let fresh = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    sim.advance(Duration::from_secs(86400 - 60));
    assert_eq!(tk.post(CREATOR_INFO, &fresh, None).await.0, 200);
    sim.advance(Duration::from_secs(61));
    assert_eq!(tk.post(CREATOR_INFO, &fresh, None).await.0, 401);
}

#[tokio::test]
async fn faults_are_injected_where_asked() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    let body = json!({"post_info": {"privacy_level": "SELF_ONLY"},
        "source_info": {"source": "FILE_UPLOAD", "video_size": SMALL, "chunk_size": SMALL, "total_chunk_count": 1}});

    sim.fail_next(VIDEO_INIT, 1, 500, "internal_error");
    let (status, answer) = tk.post(VIDEO_INIT, &token, Some(body.clone())).await;
    assert_eq!((status, code(&answer)), (500, "internal_error"));
    assert!(sim.publishes().is_empty(), "a scripted failure has no side effect");
    sim.fail_next(TOKEN, 1, 503, "temporarily_unavailable");
    let (status, answer) = tk.form(TOKEN, &[("grant_type", "refresh_token")]).await;
    assert_eq!((status, answer["error"].as_str()), (503, Some("temporarily_unavailable")));

    // A publish failed by TikTok: still `"code":"ok"`.
    let (failed, _) = tk.init_small(&token, SELF_ONLY, "").await;
    sim.fail_publish(&failed, "file_format_check_failed").unwrap();
    let status = tk.status(&token, &failed).await;
    assert_eq!(status, json!({"status": "FAILED", "fail_reason": "file_format_check_failed", "uploaded_bytes": 0}));

    // A failure after processing, with a 500 on the first upload attempt.
    sim.fail_next_publish("picture_size_check_failed");
    let (publish_id, url) = tk.init_small(&token, SELF_ONLY, "").await;
    sim.fail_next(UPLOAD, 1, 500, "internal_error");
    let bytes = video(SMALL as usize);
    assert_eq!(tk.put(&url, 0, &bytes, SMALL).await.0, 500);
    assert_eq!(tk.put(&url, 0, &bytes, SMALL).await.0, 201);
    sim.advance(Duration::from_secs(5));
    let status = tk.status(&token, &publish_id).await;
    assert_eq!(
        (status["status"].as_str(), status["fail_reason"].as_str()),
        (Some("FAILED"), Some("picture_size_check_failed"))
    );
    assert!(sim.posts().is_empty());
    assert!(sim.fail_publish("v_pub_file~v2-1.0", "internal").is_err());
}

#[tokio::test]
async fn a_timeout_after_the_side_effect_leaves_it_done() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    sim.set_hang(Duration::from_secs(30));
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let body = json!({"post_info": {"privacy_level": "SELF_ONLY"},
        "source_info": {"source": "FILE_UPLOAD", "video_size": SMALL, "chunk_size": SMALL, "total_chunk_count": 1}});

    sim.timeout_after_side_effect(VIDEO_INIT, 1);
    let sent = impatient.post(format!("{}{VIDEO_INIT}", tk.base)).bearer_auth(&token).json(&body).send().await;
    assert!(sent.unwrap_err().is_timeout());
    let publishes = sim.publishes();
    assert_eq!(publishes.len(), 1, "the publish exists although the client never heard of it");
    assert_eq!(tk.status(&token, &publishes[0].publish_id).await["status"], "PROCESSING_UPLOAD");

    // A chunk accepted without an answer: sending it again is answered as the first time.
    let (publish_id, url) = tk.init_small(&token, SELF_ONLY, "").await;
    sim.timeout_after_side_effect(UPLOAD, 1);
    let bytes = video(SMALL as usize);
    let put =
        impatient.put(&url).header("content-type", "video/mp4").header("content-range", "bytes 0-1234566/1234567");
    assert!(put.body(bytes.clone()).send().await.unwrap_err().is_timeout());
    assert_eq!(tk.status(&token, &publish_id).await["uploaded_bytes"], SMALL);
    assert_eq!(tk.put(&url, 0, &bytes, SMALL).await.0, 201);
}

#[tokio::test]
async fn display_counters_grow_and_only_own_public_videos_show() {
    let (sim, tk) = start(SimConfig::default()).await;
    let alice = sim.issue_token(&sim.user().open_id, &["video.publish", "video.list", "user.info.basic"]).access_token;
    sim.add_user(SandboxUser::new("sim-open-id-bob", "Bob", "bob"));
    let bob = sim.issue_token("sim-open-id-bob", &["video.publish", "video.list", "user.info.basic"]).access_token;
    let first = tk.post_small(&alice, PUBLIC_TO_EVERYONE, "one").await;
    sim.advance(Duration::from_secs(1));
    tk.post_small(&alice, PUBLIC_TO_EVERYONE, "two").await;
    sim.advance(Duration::from_secs(1));
    tk.post_small(&alice, PUBLIC_TO_EVERYONE, "three").await;
    sim.advance(Duration::from_secs(65));
    let ids: Vec<String> = sim.posts().iter().map(|p| p.post_id.unwrap().to_string()).collect();

    // Newest first, two at a time.
    let (tk, alice_token) = (&tk, alice.clone());
    let list = move |cursor: Option<i64>| {
        let body = json!({"max_count": 2, "cursor": cursor});
        let token = alice_token.clone();
        async move { tk.post(&format!("{VIDEO_LIST}?fields=id,create_time"), &token, Some(body)).await }
    };
    let (status, page) = list(None).await;
    assert_eq!(status, 200);
    let page_ids: Vec<&str> =
        page["data"]["videos"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!((page_ids, page["data"]["has_more"].as_bool()), (vec![ids[2].as_str(), ids[1].as_str()], Some(true)));
    let (_, rest) = list(page["data"]["cursor"].as_i64()).await;
    assert_eq!(rest["data"]["videos"], json!([{"id": ids[0], "create_time": sim.posts()[0].created_at.timestamp()}]));
    assert_eq!(rest["data"]["has_more"], false);
    let (status, body) = tk.post(&format!("{VIDEO_LIST}?fields=id"), &alice, Some(json!({"max_count": 21}))).await;
    assert_eq!((status, code(&body)), (400, "invalid_params"));

    let fields = "id,title,view_count,like_count,comment_count,share_count,share_url,duration";
    let query = |token: &str, ids: Vec<String>| {
        let (path, token) = (format!("{VIDEO_QUERY}?fields={fields}"), token.to_owned());
        async move { tk.post(&path, &token, Some(json!({"filters": {"video_ids": ids}}))).await }
    };
    let (status, before) = query(&alice, vec![ids[0].clone()]).await;
    assert_eq!((status, code(&before)), (200, "ok"));
    let before = before["data"]["videos"][0].clone();
    assert_eq!((before["id"].as_str(), before["title"].as_str()), (Some(ids[0].as_str()), Some("one")));
    assert_eq!(before["share_url"], format!("https://www.tiktok.com/@sandbox.creator/video/{}", ids[0]));
    sim.advance(Duration::from_secs(3 * 3600));
    let after = query(&alice, vec![ids[0].clone()]).await.1["data"]["videos"][0].clone();
    for counter in ["view_count", "like_count", "comment_count", "share_count"] {
        assert!(after[counter].as_u64() > before[counter].as_u64(), "{counter}: {before} then {after}");
    }

    let (status, body) = query(&alice, vec![ids[0].clone(); 21]).await;
    assert_eq!((status, code(&body)), (400, "invalid_params"));
    assert_eq!(query(&bob, ids.clone()).await.1["data"]["videos"], json!([]), "not Bob's videos");
    let (status, body) = tk.post(STATUS_FETCH, &bob, Some(json!({"publish_id": first}))).await;
    assert_eq!((status, code(&body)), (400, "token_not_authorized_for_specified_publish_id"));
    let (status, body) = tk.post(STATUS_FETCH, &bob, Some(json!({"publish_id": "v_pub_file~v2-1.1"}))).await;
    assert_eq!((status, code(&body)), (400, "invalid_publish_id"));

    let (status, me) = tk.get(&format!("{USER_INFO}?fields=open_id,display_name"), &bob).await;
    assert_eq!(
        (status, me["data"]["user"].clone()),
        (200, json!({"open_id": "sim-open-id-bob", "display_name": "Bob"}))
    );
    let (status, body) = tk.get(&format!("{USER_INFO}?fields=open_id,follower_count"), &bob).await;
    assert_eq!((status, code(&body)), (401, "scope_not_authorized"), "stats need user.info.stats");
}

#[tokio::test]
async fn videos_are_pulled_from_verified_urls_without_following_redirects() {
    use axum::{response::Redirect, routing::get};
    let clip = video(300_000);
    let served = clip.clone();
    let app = Router::new()
        .route("/v.mp4", get(move || async move { served }))
        .route("/moved", get(|| async { Redirect::temporary("/v.mp4") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = SimConfig { verified_url_prefixes: vec![format!("https://{origin}/")], ..SimConfig::default() };
    let (sim, tk) = start(config).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    let pull = |url: String| {
        let body = json!({"post_info": {"privacy_level": "SELF_ONLY"}, "source_info": {"source": "PULL_FROM_URL", "video_url": url}});
        tk.post(VIDEO_INIT, &token, Some(body))
    };

    for unverified in [format!("http://{origin}/v.mp4"), "https://elsewhere.example.com/v.mp4".into()] {
        let (status, body) = pull(unverified).await;
        assert_eq!((status, code(&body)), (403, "url_ownership_unverified"));
    }
    let (status, body) = pull(format!("https://{origin}/v.mp4")).await;
    assert_eq!(status, 200, "{body}");
    let publish_id = body["data"]["publish_id"].as_str().unwrap().to_owned();
    assert!(publish_id.starts_with("v_pub_url~v2."));
    assert!(body["data"].get("upload_url").is_none());
    let (_, moved) = pull(format!("https://{origin}/moved")).await;
    let moved = moved["data"]["publish_id"].as_str().unwrap().to_owned();

    // The download runs in real time; everything after it on the simulated clock.
    // (Waiting on the accessor, not on status/fetch and its 30 calls a minute.)
    let downloaded = || sim.publishes().iter().filter(|p| p.received_bytes > 0 || p.fail_reason.is_some()).count();
    for _ in 0..500 {
        if downloaded() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = tk.status(&token, &publish_id).await;
    assert_eq!(status, json!({"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": clip.len()}));
    sim.advance(Duration::from_secs(5));
    assert_eq!(tk.status(&token, &publish_id).await["status"], "PUBLISH_COMPLETE");
    assert_eq!(sim.video_bytes(&publish_id), Some(clip));
    assert_eq!(sim.posts()[0].source, Source::PullFromUrl);
    let status = tk.status(&token, &moved).await;
    assert_eq!(
        (status["status"].as_str(), status["fail_reason"].as_str()),
        (Some("FAILED"), Some("video_pull_failed"))
    );
    let (status, body) = tk.post(CANCEL, &token, Some(json!({"publish_id": publish_id}))).await;
    assert_eq!((status, code(&body)), (400, "publish_not_cancellable"));
}

#[tokio::test]
async fn upload_urls_expire_after_an_hour() {
    let (sim, tk) = start(SimConfig::default()).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish"]).access_token;
    let (publish_id, url) = tk.init_small(&token, SELF_ONLY, "").await;
    sim.advance(Duration::from_secs(3601));
    let (status, range) = tk.put(&url, 0, &video(SMALL as usize), SMALL).await;
    assert_eq!((status, range.as_deref()), (403, Some("bytes */1234567")));
    let status = tk.status(&token, &publish_id).await;
    assert_eq!((status["status"].as_str(), status["fail_reason"].as_str()), (Some("FAILED"), Some("internal")));
}

/// A minimal MP4: `ftyp`, `moov` with `mvhd` (ms timescale) and a 1080x1920 `tkhd`, `mdat`.
fn mp4(duration_ms: u32) -> Vec<u8> {
    fn boxed(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        [&(content.len() as u32 + 8).to_be_bytes()[..], kind, content].concat()
    }
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&duration_ms.to_be_bytes());
    let mut tkhd = vec![0u8; 84];
    tkhd[76..80].copy_from_slice(&(1080u32 << 16).to_be_bytes());
    tkhd[80..84].copy_from_slice(&(1920u32 << 16).to_be_bytes());
    let moov = boxed(b"moov", &[boxed(b"mvhd", &mvhd), boxed(b"trak", &boxed(b"tkhd", &tkhd))].concat());
    [boxed(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41"), moov, boxed(b"mdat", &[7u8; 4096])].concat()
}

#[tokio::test]
async fn the_duration_check_reads_the_mp4_header() {
    let (sim, tk) = start(SimConfig { max_video_post_duration_sec: 60, ..SimConfig::default() }).await;
    let token = sim.issue_token(&sim.user().open_id, &["video.publish", "video.list"]).access_token;
    let mut published = Vec::new();
    for duration_ms in [61_500, 18_500] {
        let bytes = mp4(duration_ms);
        let size = bytes.len() as u64;
        let source = json!({"source": "FILE_UPLOAD", "video_size": size, "chunk_size": size, "total_chunk_count": 1});
        let body = json!({"post_info": {"privacy_level": "PUBLIC_TO_EVERYONE"}, "source_info": source});
        let (_, answer) = tk.post(VIDEO_INIT, &token, Some(body)).await;
        assert_eq!(tk.put(answer["data"]["upload_url"].as_str().unwrap(), 0, &bytes, size).await.0, 201);
        published.push(answer["data"]["publish_id"].as_str().unwrap().to_owned());
    }
    sim.advance(Duration::from_secs(65));
    let too_long = tk.status(&token, &published[0]).await;
    assert_eq!(too_long["fail_reason"], "duration_check_failed");
    let id = sim.posts()[0].post_id.unwrap().to_string();
    let (_, found) = tk
        .post(
            &format!("{VIDEO_QUERY}?fields=duration,width,height"),
            &token,
            Some(json!({"filters": {"video_ids": [id]}})),
        )
        .await;
    assert_eq!(found["data"]["videos"], json!([{"duration": 19, "width": 1080, "height": 1920}]));
}
