use api::{AppState, app};
use migration::{Migrator, MigratorTrait};
use platform::Config;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use std::{collections::BTreeMap, path::PathBuf, time::Duration};
use temporalio_sdk::Runtime;
use uuid::Uuid;

pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests through `make test`"))
}

/// A fresh database, migrated, for one test.
pub async fn fresh_database() -> String {
    let admin_url = required_env("TEST_DATABASE_ADMIN_URL");
    let admin = Database::connect(&admin_url).await.expect("connecting to the test PostgreSQL");
    let name = format!("test_{}", Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    admin.close().await.unwrap();
    let url = admin_url.replacen("/postgres?", &format!("/{name}?"), 1);
    let db = Database::connect(&url).await.unwrap();
    Migrator::up(&db, None).await.expect("migrations apply to a fresh database");
    db.close().await.unwrap();
    url
}

pub fn temp_dir(kind: &str) -> PathBuf {
    std::env::temp_dir().join(format!("reelpilot-test-{kind}-{}", Uuid::new_v4()))
}

/// Configuration for one test: its own database, storage, secrets and task
/// queue prefix, so tests run in parallel without meeting.
pub fn test_config(database_url: &str) -> Config {
    test_config_with(database_url, "http://127.0.0.1:9/v1")
}

/// Where a test app keeps its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Local,
    /// The S3-compatible server `make test` runs, in a bucket of its own.
    S3,
}

pub fn test_config_with(database_url: &str, llm_base_url: &str) -> Config {
    test_config_on(database_url, llm_base_url, Storage::Local)
}

pub fn test_config_on(database_url: &str, llm_base_url: &str, storage: Storage) -> Config {
    let mut vars = BTreeMap::from([
        ("LLM_BASE_URL".to_owned(), llm_base_url.to_owned()),
        ("LLM_API_KEY".to_owned(), "sk-test-key".to_owned()),
        ("LLM_MODEL".to_owned(), "sim/planner".to_owned()),
        ("LLM_TIMEOUT_SECS".to_owned(), "5".to_owned()),
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
        ("TEMPORAL_ADDRESS".to_owned(), required_env("TEST_TEMPORAL_ADDRESS")),
        ("TEMPORAL_UI_URL".to_owned(), required_env("TEST_TEMPORAL_UI_URL")),
        ("TEMPORAL_TASK_QUEUE_PREFIX".to_owned(), format!("t{}-", Uuid::new_v4().simple())),
        ("TEMPORAL_CONNECT_TIMEOUT_SECS".to_owned(), "10".to_owned()),
        ("STORAGE_LOCAL_DIR".to_owned(), temp_dir("storage").display().to_string()),
        ("SECRETS_DIR".to_owned(), temp_dir("secrets").display().to_string()),
        ("API_PORT".to_owned(), "0".to_owned()),
        ("SMTP_URL".to_owned(), required_env("TEST_SMTP_URL")),
        ("PUBLIC_WEB_URL".to_owned(), "http://web.test".to_owned()),
    ]);
    vars.insert("WORKER_MAX_CONCURRENT_ACTIVITIES".into(), "4".into());
    vars.insert("RENDER_WORK_DIR".into(), temp_dir("render").display().to_string());
    vars.insert("PIPER_PYTHON".into(), required_env("TEST_PIPER_PYTHON"));
    vars.insert("YT_DLP".into(), required_env("TEST_YT_DLP"));
    vars.insert("WHISPER_MODEL".into(), required_env("TEST_WHISPER_MODEL"));
    vars.insert("EMBEDDING_MODEL_DIR".into(), required_env("TEST_EMBEDDING_MODEL_DIR"));
    vars.insert("ONNXRUNTIME_LIB".into(), required_env("TEST_ONNXRUNTIME_LIB"));
    vars.insert("IMPORT_WORK_DIR".into(), temp_dir("imports").display().to_string());
    if storage == Storage::S3 {
        vars.extend([
            ("STORAGE_BACKEND".to_owned(), "s3".to_owned()),
            ("S3_ENDPOINT".to_owned(), required_env("TEST_S3_ENDPOINT")),
            ("S3_BUCKET".to_owned(), format!("test-{}", Uuid::new_v4().simple())),
            ("S3_ACCESS_KEY_ID".to_owned(), required_env("TEST_S3_ACCESS_KEY_ID")),
            ("S3_SECRET_ACCESS_KEY".to_owned(), required_env("TEST_S3_SECRET_ACCESS_KEY")),
        ]);
    }
    Config::from_lookup(move |k| vars.get(k).cloned()).expect("test configuration is valid")
}

pub async fn state_for(config: Config) -> AppState {
    AppState::from_config(config, "api-tests").await.expect("the test servers are reachable")
}

/// The API on a real port plus a worker on the test's own task queues.
pub struct TestApp {
    pub base: String,
    /// The OpenAI-compatible simulator the worker's LLM client talks to.
    pub llm: testkit::llm::LlmSimulator,
    /// The TikTok the worker and API talk to.
    pub tiktok: testkit::tiktok::TikTokSimulator,
    pub http: reqwest::Client,
    pub database_url: String,
    pub config: Config,
    /// The worker's configuration (for restarting it).
    worker_config: Config,
    worker: std::sync::Mutex<Option<WorkerHandle>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_on(Storage::Local).await
    }

    pub async fn spawn_on(storage: Storage) -> TestApp {
        Self::spawn_with(storage, |_| {}).await
    }

    /// A test app whose configuration `adjust` changes first (another
    /// secret store, say).
    pub async fn spawn_with(storage: Storage, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let database_url = fresh_database().await;
        let llm = testkit::llm::LlmSimulator::new();
        let llm_base = llm.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = test_config_on(&database_url, &llm_base, storage);
        let mut sim_config = testkit::tiktok::SimConfig::new("test-client-key", "test-client-secret");
        sim_config.processing_delay = Duration::from_secs(1);
        sim_config.moderation_delay = Duration::from_secs(2);
        let tiktok = testkit::tiktok::TikTokSimulator::new(sim_config);
        let tiktok_base = tiktok.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
        config.tiktok.api_base = tiktok_base.clone();
        config.tiktok.auth_url = format!("{tiktok_base}/v2/auth/authorize/");
        config.tiktok.client_key = Some("test-client-key".into());
        config.tiktok.client_secret = Some("test-client-secret".to_owned().into());
        config.tiktok.redirect_uri = format!("{base}/api/tiktok/callback");
        config.tiktok.timeout = Duration::from_secs(3);
        config.tiktok.poll.status_first_secs = 1;
        config.tiktok.poll.status_max_secs = 2;
        config.tiktok.poll.post_id_every_secs = 1;
        adjust(&mut config);
        if let platform::config::StorageConfig::S3(s3) = &config.storage {
            platform::storage::S3Store::new(s3).ensure_bucket().await.expect("the test S3 server creates buckets");
        }
        // Links the API hands out (signed media URLs) point at this server.
        config.api.public_base_url = base.clone();
        let state = state_for(config.clone()).await;
        let app_config = config.clone();
        let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(axum::serve(listener, service).into_future());

        let worker_config = config.clone();
        let worker = start_worker(config);
        TestApp {
            base,
            // Redirects are answers to check (the OAuth callback's), not to follow.
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            llm,
            tiktok,
            database_url,
            config: app_config,
            worker_config,
            worker: std::sync::Mutex::new(Some(worker)),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request as `user` (or anonymous), with an optional JSON body.
    pub async fn call(&self, method: &str, path: &str, user: Option<&User>, body: Option<Value>) -> reqwest::Response {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(user) = user {
            req = req.bearer_auth(&user.token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, user: &User, body: Value) -> reqwest::Response {
        self.call("POST", path, Some(user), Some(body)).await
    }

    pub async fn get(&self, path: &str, user: &User) -> reqwest::Response {
        self.call("GET", path, Some(user), None).await
    }

    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.call("POST", "/api/auth/register", None, Some(json!({"email": email, "password": password}))).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.call("POST", "/api/auth/login", None, Some(json!({"email": email, "password": password}))).await
    }

    /// A new account, signed in.
    /// A signed-in user whose address is confirmed (as after following the
    /// mailed link), so everything their role allows works.
    pub async fn user(&self, label: &str) -> User {
        let user = self.unverified_user(label).await;
        let db = sea_orm::Database::connect(&self.database_url).await.unwrap();
        let sql = format!("UPDATE users SET email_verified_at = now() WHERE id = '{}'", user.id);
        db.execute_unprepared(&sql).await.unwrap();
        db.close().await.unwrap();
        user
    }

    /// A signed-in user who has not confirmed their address yet.
    pub async fn unverified_user(&self, label: &str) -> User {
        let email = unique_email(label);
        assert_eq!(self.register(&email, PASSWORD).await.status(), 202);
        let res = self.login(&email, PASSWORD).await;
        assert_eq!(res.status(), 200);
        let body = json_body(res).await;
        User {
            id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            email,
            token: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn create_org(&self, owner: &User, name: &str) -> Uuid {
        let res = self.post_json("/api/orgs", owner, json!({"name": name})).await;
        assert_eq!(res.status(), 201);
        json_body(res).await["id"].as_str().unwrap().parse().unwrap()
    }

    /// A new account that joined `org` with `role` through an emailed invitation.
    pub async fn member(&self, org: Uuid, inviter: &User, role: &str) -> User {
        let user = self.user(role).await;
        let res = self
            .post_json(&format!("/api/orgs/{org}/invitations"), inviter, json!({"email": user.email, "role": role}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let token = token_in(&mail_to(&user.email, "Join").await);
        let res = self.post_json("/api/invitations/accept", &user, json!({"token": token})).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        user
    }

    /// Approves the slot at `slot_path` as `user` saw it just now (its
    /// current version).
    pub async fn approve(&self, slot_path: &str, user: &User) -> reqwest::Response {
        let slot = json_body(self.get(slot_path, user).await).await;
        let version = slot["version"].as_i64().unwrap_or(0);
        self.post_json(&format!("{slot_path}/approve"), user, json!({"version": version})).await
    }

    pub async fn create_project(&self, user: &User, org: Uuid, body: Value) -> Uuid {
        let res = self.post_json(&format!("/api/orgs/{org}/projects"), user, body).await;
        assert_eq!(res.status(), 201);
        json_body(res).await["id"].as_str().unwrap().parse().unwrap()
    }
}

pub const PASSWORD: &str = "correct horse battery 42";

#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub token: String,
    pub refresh: String,
}

pub fn unique_email(label: &str) -> String {
    format!("{label}-{}@example.test", Uuid::new_v4().simple())
}

/// The body of the newest mail to `to` whose subject contains `subject`,
/// waiting briefly for it to arrive at the catcher.
pub async fn mail_to(to: &str, subject: &str) -> String {
    try_mail_to(to, subject, Duration::from_secs(10)).await.unwrap_or_else(|| panic!("no mail {subject:?} to {to}"))
}

pub async fn try_mail_to(to: &str, subject: &str, wait: Duration) -> Option<String> {
    let api = required_env("TEST_MAIL_API_URL");
    let deadline = std::time::Instant::now() + wait;
    loop {
        let mails: Value = reqwest::get(format!("{api}/email")).await.unwrap().json().await.unwrap();
        let found = mails.as_array().unwrap().iter().rev().find(|m| {
            m["to"].as_array().is_some_and(|t| t.iter().any(|a| a["address"] == to))
                && m["subject"].as_str().is_some_and(|s| s.contains(subject))
        });
        if let Some(mail) = found {
            return Some(mail["text"].as_str().unwrap().to_owned());
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The token of the link in a mail body.
pub fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("the mail has a link with a token") + "token=".len();
    body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.lock().unwrap().take() {
            (worker.stop)();
            drop(worker.thread);
        }
    }
}

/// A worker (main, render and publish queues) on a thread and runtime of its
/// own (the SDK's worker future is not Send).
pub struct WorkerHandle {
    stop: Box<dyn Fn() + Send + Sync>,
    crash: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

pub fn start_worker(config: Config) -> WorkerHandle {
    let (tx, rx) = std::sync::mpsc::channel();
    let (crash, crashed) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
            let db = platform::db::connect(&config.database).await.unwrap();
            let client = temporal::runtime::connect(
                &config.temporal.address,
                &config.temporal.namespace,
                "worker-tests",
                config.temporal.connect_timeout,
            )
            .await
            .unwrap();
            let deps = activities::worker::Dependencies::from_config(&config, db);
            let mut worker = activities::worker::Workers::build(&runtime, client, &config, deps).unwrap();
            tx.send(Box::new(worker.shutdown_handle()) as Box<dyn Fn() + Send + Sync>).unwrap();
            tokio::select! {
                result = worker.run() => result.unwrap(),
                _ = crashed => {}
            }
        });
        // A crash: whatever the worker was doing is dropped, nothing is reported.
        rt.shutdown_background();
    });
    let stop = rx.recv_timeout(Duration::from_secs(30)).expect("worker started");
    WorkerHandle { stop, crash, thread }
}

impl TestApp {
    /// Kills the worker as a crash would: activities in flight vanish.
    pub fn crash_worker(&self) {
        let worker = self.worker.lock().unwrap().take().expect("a worker runs");
        let _ = worker.crash.send(());
        worker.thread.join().unwrap();
    }

    pub fn start_worker(&self) {
        let mut slot = self.worker.lock().unwrap();
        assert!(slot.is_none(), "a worker already runs");
        *slot = Some(start_worker(self.worker_config.clone()));
    }
}

pub async fn json_body(res: reqwest::Response) -> serde_json::Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"))
}

/// Asserts the API's error shape and returns the body.
pub async fn assert_error(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status(), status, "unexpected status");
    let header_id = res.headers().get("x-request-id").expect("x-request-id on errors").to_str().unwrap().to_owned();
    let body = json_body(res).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body["error"]["request_id"], header_id.as_str(), "{body}");
    body
}
