use api::{AppState, app};
use migration::{Migrator, MigratorTrait};
use platform::Config;
use sea_orm::{ConnectionTrait, Database};
use std::{collections::BTreeMap, path::PathBuf, sync::Arc, time::Duration};
use temporalio_sdk::Runtime;
use uuid::Uuid;

pub fn required_env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the tests through `make test`"))
}

/// A fresh database, migrated, for one test.
pub async fn fresh_database() -> String {
    let admin_url = required_env("TEST_DATABASE_ADMIN_URL");
    let admin = Database::connect(&admin_url)
        .await
        .expect("connecting to the test PostgreSQL");
    let name = format!("test_{}", Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    let url = admin_url.replacen("/postgres?", &format!("/{name}?"), 1);
    let db = Database::connect(&url).await.unwrap();
    Migrator::up(&db, None)
        .await
        .expect("migrations apply to a fresh database");
    db.close().await.unwrap();
    url
}

pub fn temp_dir(kind: &str) -> PathBuf {
    std::env::temp_dir().join(format!("reelpilot-test-{kind}-{}", Uuid::new_v4()))
}

/// Configuration for one test: its own database, storage, secrets and task
/// queue prefix, so tests run in parallel without meeting.
pub fn test_config(database_url: &str) -> Config {
    let mut vars = BTreeMap::from([
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
        (
            "TEMPORAL_ADDRESS".to_owned(),
            required_env("TEST_TEMPORAL_ADDRESS"),
        ),
        (
            "TEMPORAL_UI_URL".to_owned(),
            required_env("TEST_TEMPORAL_UI_URL"),
        ),
        (
            "TEMPORAL_TASK_QUEUE_PREFIX".to_owned(),
            format!("t{}-", Uuid::new_v4().simple()),
        ),
        ("TEMPORAL_CONNECT_TIMEOUT_SECS".to_owned(), "10".to_owned()),
        (
            "STORAGE_LOCAL_DIR".to_owned(),
            temp_dir("storage").display().to_string(),
        ),
        (
            "SECRETS_DIR".to_owned(),
            temp_dir("secrets").display().to_string(),
        ),
        ("API_PORT".to_owned(), "0".to_owned()),
    ]);
    vars.insert("WORKER_MAX_CONCURRENT_ACTIVITIES".into(), "4".into());
    Config::from_lookup(move |k| vars.get(k).cloned()).expect("test configuration is valid")
}

pub async fn state_for(config: Config) -> AppState {
    let db = platform::db::connect(&config.database).await.unwrap();
    let temporal = temporal::runtime::connect(
        &config.temporal.address,
        &config.temporal.namespace,
        "api-tests",
        config.temporal.connect_timeout,
    )
    .await
    .expect("the test Temporal server is reachable");
    AppState {
        db,
        temporal,
        storage: platform::storage::from_config(&config.storage),
        secrets: platform::secrets::from_config(&config.secrets),
        config: Arc::new(config),
    }
}

/// The API on a real port plus a worker on the test's own task queues.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    stop_worker: Option<Box<dyn Fn() + Send + Sync>>,
    worker_thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let config = test_config(&fresh_database().await);
        let state = state_for(config.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(axum::serve(listener, app(state)).into_future());

        // The SDK's worker future is not Send: it gets a thread and runtime of its own.
        let (tx, rx) = std::sync::mpsc::channel();
        let worker_thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
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
                let mut worker = activities::worker::main_worker(
                    &runtime,
                    client,
                    &config.temporal.task_queue_prefix,
                    config.worker.max_concurrent_activities,
                    activities::worker::Dependencies { db },
                )
                .unwrap();
                tx.send(Box::new(worker.shutdown_handle()) as Box<dyn Fn() + Send + Sync>)
                    .unwrap();
                worker.run().await.unwrap();
            });
        });
        let stop_worker = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("worker started");
        TestApp {
            base,
            http: reqwest::Client::new(),
            stop_worker: Some(stop_worker),
            worker_thread: Some(worker_thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn create_org(&self, name: &str) -> Uuid {
        let res = self
            .post_json("/api/orgs", serde_json::json!({"name": name}))
            .await;
        assert_eq!(res.status(), 201);
        json(res).await["id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn create_project(&self, org: Uuid, body: serde_json::Value) -> Uuid {
        let res = self
            .post_json(&format!("/api/orgs/{org}/projects"), body)
            .await;
        assert_eq!(res.status(), 201);
        json(res).await["id"].as_str().unwrap().parse().unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop_worker.take() {
            stop();
        }
        // Not joined: a worker drains its long polls for up to a minute, and
        // nextest ends the process (and the thread) when the test returns.
        drop(self.worker_thread.take());
    }
}

pub async fn json(res: reqwest::Response) -> serde_json::Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"))
}

/// Asserts the API's error shape and returns the body.
pub async fn assert_error(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status(), status, "unexpected status");
    let header_id = res
        .headers()
        .get("x-request-id")
        .expect("x-request-id on errors")
        .to_str()
        .unwrap()
        .to_owned();
    let body = json(res).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["error"]["request_id"], header_id.as_str(), "{body}");
    body
}
