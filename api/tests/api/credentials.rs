//! Provider credentials through the API: stored only in the secret store,
//! shown by fingerprint, rotated with confirmation, revoked, audited, used
//! by the planner instead of the platform's key; and a canary run proving
//! no secret reaches logs, responses, the database or files.

use crate::helpers::{TestApp, User, assert_error, json_body};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use serde_json::{Value, json};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};
use uuid::Uuid;

async fn create(app: &TestApp, user: &User, org: Uuid, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/orgs/{org}/credentials"), user, body).await
}

/// Generates a plan and returns the Authorization headers the model saw.
async fn plan_and_keys(app: &TestApp, user: &User, org: Uuid, project: Uuid, start: &str) -> Vec<Option<String>> {
    let before = app.llm.authorizations().len();
    let res =
        app.post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), user, json!({"start_date": start})).await;
    assert_eq!(res.status(), 202);
    let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), user).await).await;
        if view["status"] == "ready" {
            break;
        }
        assert!(Instant::now() < deadline, "plan never ready: {view}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    app.llm.authorizations()[before..].to_vec()
}

async fn audit_actions(app: &TestApp, org: Uuid) -> Vec<(String, Option<Uuid>)> {
    let db = Database::connect(&app.database_url).await.unwrap();
    db.query_all(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT action, actor_user_id FROM audit_log WHERE org_id = $1 ORDER BY created_at",
        [org.into()],
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.try_get("", "action").unwrap(), r.try_get("", "actor_user_id").unwrap()))
    .collect()
}

#[tokio::test]
async fn an_org_key_is_stored_rotated_with_confirmation_revoked_and_used_by_the_planner() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Keys Inc").await;
    let project = app.create_project(&owner, org, json!({"name": "Keys"})).await;

    let old_key = "sk-or-v1-first-org-key-0001";
    let res = create(&app, &owner, org, json!({"provider": "llm", "label": "OpenRouter", "secret": old_key})).await;
    assert_eq!(res.status(), 201);
    let created = json_body(res).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!((created["last4"].as_str(), created["version"].as_i64()), (Some("0001"), Some(1)));
    assert!(created["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    assert!(!created.to_string().contains(old_key));
    let second =
        create(&app, &owner, org, json!({"provider": "llm", "label": "Again", "secret": "sk-another-key-9"})).await;
    assert_error(second, 409, "conflict").await;

    assert_eq!(
        plan_and_keys(&app, &owner, org, project, "2031-01-05").await.last().unwrap().as_deref(),
        Some(&*format!("Bearer {old_key}"))
    );

    // Rotation: the new version waits; the old key stays in use until confirmed.
    let new_key = "sk-or-v1-second-org-key-0002";
    let res =
        app.post_json(&format!("/api/orgs/{org}/credentials/{id}/rotate"), &owner, json!({"secret": new_key})).await;
    let rotated = json_body(res).await;
    assert_eq!((rotated["version"].as_i64(), rotated["pending"]["last4"].as_str()), (Some(1), Some("0002")));
    let keys = plan_and_keys(&app, &owner, org, project, "2031-02-05").await;
    assert!(keys.iter().all(|k| k.as_deref() == Some(&*format!("Bearer {old_key}"))), "{keys:?}");
    let res = app.post_json(&format!("/api/orgs/{org}/credentials/{id}/confirm"), &owner, json!({})).await;
    let confirmed = json_body(res).await;
    assert_eq!((confirmed["version"].as_i64(), confirmed["pending"].is_null()), (Some(2), true));
    let keys = plan_and_keys(&app, &owner, org, project, "2031-03-05").await;
    assert!(keys.iter().all(|k| k.as_deref() == Some(&*format!("Bearer {new_key}"))), "{keys:?}");

    // Revoked: the platform's key applies again, and the stored versions are gone.
    let res = app.call("DELETE", &format!("/api/orgs/{org}/credentials/{id}"), Some(&owner), None).await;
    assert_eq!(json_body(res).await["status"], "revoked");
    let keys = plan_and_keys(&app, &owner, org, project, "2031-04-05").await;
    assert!(keys.iter().all(|k| k.as_deref() == Some("Bearer sk-test-key")), "{keys:?}");
    let store = platform::secrets::from_config(&app.config.secrets);
    let path = platform::secrets::SecretPath::new(org, &format!("credentials/{id}")).unwrap();
    assert!(store.read(&path, None).await.unwrap().is_none());

    let actions = audit_actions(&app, org).await;
    let credential_actions: Vec<&str> =
        actions.iter().filter(|(a, _)| a.starts_with("credential.")).map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        credential_actions,
        ["credential.created", "credential.rotated", "credential.confirmed", "credential.revoked"]
    );
    assert!(actions.iter().all(|(_, actor)| *actor == Some(owner.id)));

    let list = json_body(app.get(&format!("/api/orgs/{org}/credentials"), &owner).await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let editor = app.member(org, &owner, "editor").await;
    assert_error(app.get(&format!("/api/orgs/{org}/credentials"), &editor).await, 403, "forbidden").await;
    let bad = create(&app, &owner, org, json!({"provider": "llm", "label": "x", "secret": "short"})).await;
    let body = assert_error(bad, 422, "validation_failed").await;
    assert!(!body.to_string().contains("short"), "{body}");
}

/// Log lines the process writes, through the production formatter.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn every_row_as_text(database_url: &str) -> String {
    let db = Database::connect(database_url).await.unwrap();
    let tables = db
        .query_all(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
        ))
        .await
        .unwrap();
    let mut all = String::new();
    for t in tables {
        let table: String = t.try_get("", "tablename").unwrap();
        let rows = db
            .query_all(Statement::from_string(
                DatabaseBackend::Postgres,
                format!("SELECT row_to_json(t)::text AS j FROM \"{table}\" t"),
            ))
            .await
            .unwrap();
        for r in rows {
            all.push_str(&r.try_get::<String>("", "j").unwrap());
            all.push('\n');
        }
    }
    all
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flat_map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() { files_under(&path) } else { vec![path] }
        })
        .collect()
}

/// Stands between the app and TikTok's API: forwards every call, notes the
/// upload URL tokens TikTok hands out and, once `break_uploads` is set,
/// points new upload URLs at a port nothing listens on (TikTok's upload
/// host unreachable), so the upload fails with an error whose text used to
/// carry the URL and its token.
#[derive(Clone)]
struct TikTokFront {
    upstream: String,
    http: reqwest::Client,
    break_uploads: Arc<AtomicBool>,
    upload_tokens: Arc<Mutex<Vec<String>>>,
}

impl TikTokFront {
    /// Starts in front of `upstream`; returns its base URL.
    fn start(upstream: String) -> (TikTokFront, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let front = TikTokFront {
            upstream,
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            break_uploads: Arc::default(),
            upload_tokens: Arc::default(),
        };
        let router = axum::Router::new().fallback(forward_to_tiktok).with_state(front.clone());
        tokio::spawn(async move {
            axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), router).await.unwrap();
        });
        (front, base)
    }
}

async fn forward_to_tiktok(
    axum::extract::State(front): axum::extract::State<TikTokFront>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outbound = front.http.request(parts.method.clone(), format!("{}{path}", front.upstream));
    for (name, value) in &parts.headers {
        if name != HOST && name != CONTENT_LENGTH {
            outbound = outbound.header(name, value);
        }
    }
    let answer = outbound.body(body).send().await.unwrap();
    let (status, headers) = (answer.status(), answer.headers().clone());
    let mut bytes = answer.bytes().await.unwrap().to_vec();
    if let Ok(mut json) = serde_json::from_slice::<Value>(&bytes)
        && let Some(url) = json["data"]["upload_url"].as_str().map(str::to_owned)
    {
        let token = url.split("upload_token=").nth(1).expect("upload URLs carry a token").to_owned();
        front.upload_tokens.lock().unwrap().push(token);
        if front.break_uploads.load(Ordering::SeqCst) {
            let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            let (_, rest) = url.split_once("/upload/").unwrap();
            json["data"]["upload_url"] = json!(format!("http://{dead}/upload/{rest}"));
            bytes = json.to_string().into_bytes();
        }
    }
    let mut response = axum::response::Response::builder().status(status);
    for (name, value) in &headers {
        if name != CONTENT_LENGTH && name != TRANSFER_ENCODING {
            response = response.header(name, value);
        }
    }
    response.body(axum::body::Body::from(bytes)).unwrap()
}

/// The Temporal history of a run as JSON text (what the Temporal UI shows).
fn history(app: &TestApp, workflow_id: &str) -> String {
    let cli = std::env::var("TEST_TEMPORAL_CLI")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../.reelpilot/venv/bin/temporal").to_owned());
    let address = std::env::var("TEST_TEMPORAL_ADDRESS").unwrap().replace("http://", "");
    let out = std::process::Command::new(cli)
        .args(["workflow", "show", "--output", "json", "--address", &address])
        .args(["--namespace", &app.config.temporal.namespace, "-w", workflow_id])
        .output()
        .expect("the Temporal CLI runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn canary_secrets_never_leave_the_secret_store() {
    let logs = Captured::default();
    let sink = logs.clone();
    let telemetry = platform::config::TelemetryConfig {
        format: platform::config::LogFormat::Json,
        filter: "debug,h2=info,hyper=info,tower=info".into(),
    };
    platform::telemetry::init_with_writer(&telemetry, move || sink.clone());

    let mut front = None;
    let app = TestApp::spawn_with(crate::helpers::Storage::Local, |config| {
        let (started, base) = TikTokFront::start(config.tiktok.api_base.clone());
        config.tiktok.api_base = base;
        front = Some(started);
    })
    .await;
    let front = front.unwrap();
    let canary = format!("canary{}", Uuid::new_v4().simple());
    let password = format!("{canary}-password");
    let llm_key = format!("sk-or-v1-{canary}-llmkey");
    let mut responses = String::new();

    let email = crate::helpers::unique_email("canary");
    let res = app.register(&email, &password).await;
    responses.push_str(&res.text().await.unwrap());
    let login = json_body(app.login(&email, &password).await).await;
    responses.push_str(&login.to_string());
    let user = User {
        id: login["user"]["id"].as_str().unwrap().parse().unwrap(),
        email,
        token: login["access_token"].as_str().unwrap().to_owned(),
        refresh: login["refresh_token"].as_str().unwrap().to_owned(),
    };
    // As after following the mailed link: spending needs a confirmed address.
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared(&format!("UPDATE users SET email_verified_at = now() WHERE id = '{}'", user.id))
        .await
        .unwrap();
    let org = app.create_org(&user, "Canary Org").await;
    let project = app.create_project(&user, org, json!({"name": "Canary"})).await;
    for body in [
        json!({"provider": "llm", "label": "own key", "secret": llm_key}),
        // A secret sent in the wrong field, and malformed bodies around one.
        json!({"provider": llm_key, "label": "x", "secret": "sk-placeholder-1"}),
        json!({"provider": "llm", "label": 7, "secret": llm_key}),
        json!({"provider": "llm", "label": "x", "secret": llm_key, "extra": llm_key}),
    ] {
        responses.push_str(&create(&app, &user, org, body).await.text().await.unwrap());
    }
    let keys = plan_and_keys(&app, &user, org, project, "2031-05-04").await;
    assert!(keys.iter().all(|k| k.as_deref() == Some(&*format!("Bearer {llm_key}"))), "the org key was used");

    // Connect TikTok and publish one slot on autopilot: TikTok's tokens and
    // the app's client secret join the canaries.
    let account = crate::publishing::connect(&app, &user, org).await;
    let patch =
        json!({"tiktok_account_id": account, "autopilot": true, "publish_defaults": {"privacy_level": "SELF_ONLY"}});
    let res = app.call("PATCH", &format!("/api/orgs/{org}/projects/{project}"), Some(&user), Some(patch)).await;
    responses.push_str(&res.text().await.unwrap());
    let plans = json_body(app.get(&format!("/api/orgs/{org}/projects/{project}/plans"), &user).await).await;
    let plan = plans[0]["id"].as_str().unwrap().to_owned();
    let slots = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}/slots"), &user).await).await;
    let slot = slots[0]["id"].as_str().unwrap().to_owned();
    db.execute(Statement::from_string(
        DatabaseBackend::Postgres,
        format!("UPDATE slots SET scheduled_at = now(), script = 'Salt the water. Stir once.' WHERE id = '{slot}'"),
    ))
    .await
    .unwrap();
    responses.push_str(
        &app.post_json(&format!("/api/orgs/{org}/slots/{slot}/schedule"), &user, json!({})).await.text().await.unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/slots/{slot}/pipeline"), &user).await).await;
        responses.push_str(&view.to_string());
        if view["stage"] == "done" {
            break;
        }
        assert!(view["stage"] != "failed" && Instant::now() < deadline, "{view}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(app.tiktok.posts().len(), 1);

    // A second slot whose upload URL cannot be reached: the upload fails
    // for good, and its URL (a capability: the upload token) must not ride
    // along in the failure (logs, the activity failure in Temporal, the
    // slot's pipeline_error, API answers).
    front.break_uploads.store(true, Ordering::SeqCst);
    let broken = slots[1]["id"].as_str().unwrap().to_owned();
    db.execute(Statement::from_string(
        DatabaseBackend::Postgres,
        format!(
            "UPDATE slots SET scheduled_at = now(), script = 'Stir the pot. Taste the water.' WHERE id = '{broken}'"
        ),
    ))
    .await
    .unwrap();
    responses.push_str(
        &app.post_json(&format!("/api/orgs/{org}/slots/{broken}/schedule"), &user, json!({}))
            .await
            .text()
            .await
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(180);
    let failed = loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/slots/{broken}/pipeline"), &user).await).await;
        responses.push_str(&view.to_string());
        if view["error"].is_string() && view["run"]["status"] != "running" {
            break view;
        }
        assert!(view["stage"] != "done" && Instant::now() < deadline, "{view}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let reason = failed["error"].as_str().unwrap();
    assert!(reason.contains("uploading to TikTok failed") && reason.contains("unreachable"), "{failed}");
    responses.push_str(&app.get(&format!("/api/orgs/{org}/dead-letters"), &user).await.text().await.unwrap());
    responses.push_str(&app.get(&format!("/api/orgs/{org}/queue"), &user).await.text().await.unwrap());
    let upload_tokens = front.upload_tokens.lock().unwrap().clone();
    assert_eq!(upload_tokens.len(), 2, "both inits handed out an upload URL");
    let histories =
        [&slot, &broken].map(|id| history(&app, &temporal::ids::slot_workflow_id(org, id.parse().unwrap())));
    assert!(histories[1].contains("uploading to TikTok failed"), "the failure is in the run's history");

    let store = platform::secrets::from_config(&app.config.secrets);
    let tokens = store
        .read(&platform::secrets::SecretPath::new(org, &format!("tiktok/{account}")).unwrap(), None)
        .await
        .unwrap()
        .expect("the TikTok tokens are in the secret store");
    let tokens: Value = serde_json::from_str(secrecy::ExposeSecret::expose_secret(&tokens.value)).unwrap();
    let tiktok_secrets = [
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
        "test-client-secret".to_owned(),
    ];
    for path in [
        format!("/api/orgs/{org}/credentials"),
        format!("/api/orgs/{org}/projects/{project}/plans"),
        "/api/me".to_owned(),
        "/api/me/sessions".to_owned(),
        "/readyz".to_owned(),
    ] {
        responses.push_str(&app.get(&path, &user).await.text().await.unwrap());
    }
    let res = app
        .call("POST", "/api/auth/login", None, Some(json!({"email": user.email, "password": format!("{password}x")})))
        .await;
    responses.push_str(&res.text().await.unwrap());
    let spec = app.http.get(app.url("/api/openapi.json")).send().await.unwrap().text().await.unwrap();
    responses.push_str(&spec);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logged.lines().count() > 20, "logs were captured ({} lines)", logged.lines().count());
    let rows = every_row_as_text(&app.database_url).await;
    assert!(!logged.contains(&canary), "a canary reached the logs");
    assert!(!responses.contains(&canary), "a canary reached an API response");
    assert!(!rows.contains(&canary), "a canary reached the database");
    for token in &upload_tokens {
        assert!(!logged.contains(token.as_str()), "an upload token reached the logs");
        assert!(!responses.contains(token.as_str()), "an upload token reached an API response");
        assert!(!rows.contains(token.as_str()), "an upload token reached the database (pipeline_error?)");
        assert!(histories.iter().all(|h| !h.contains(token.as_str())), "an upload token reached Temporal");
    }
    for secret in &tiktok_secrets {
        assert!(!logged.contains(secret.as_str()), "a TikTok secret reached the logs");
        assert!(!responses.contains(secret.as_str()), "a TikTok secret reached an API response");
        assert!(!rows.contains(secret.as_str()), "a TikTok secret reached the database");
    }
    let platform::config::StorageConfig::Local { dir } = &app.config.storage else { unreachable!() };
    let platform::config::SecretStoreConfig::Embedded { dir: secrets_dir, .. } = &app.config.secrets else {
        unreachable!()
    };
    for file in files_under(dir).into_iter().chain(files_under(secrets_dir)) {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&canary), "{} holds a canary in clear", file.display());
        assert!(
            tiktok_secrets.iter().all(|s| !text.contains(s.as_str())),
            "{} holds a TikTok token in clear",
            file.display()
        );
    }
}

#[tokio::test]
async fn a_plan_waits_out_a_sealed_vault_instead_of_failing() {
    let vault = testkit::vault::VaultSimulator::new("hvs.plan-test-root-token");
    let address = vault.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let app = crate::helpers::TestApp::spawn_with(crate::helpers::Storage::Local, |config| {
        config.secrets = platform::config::SecretStoreConfig::Vault(platform::config::VaultConfig {
            address,
            auth: platform::config::VaultAuth::Token("hvs.plan-test-root-token".to_owned().into()),
            kv_mount: "secret".into(),
            transit_mount: "transit".into(),
            transit_key: "reelpilot".into(),
            path_prefix: "reelpilot".into(),
        })
    })
    .await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Vaulted").await;
    let project = app.create_project(&owner, org, json!({"name": "Vaulted"})).await;
    let key = "sk-or-v1-kept-in-vault-1234";
    let res = create(&app, &owner, org, json!({"provider": "llm", "label": "own", "secret": key})).await;
    assert_eq!(res.status(), 201);

    vault.seal();
    let res = app
        .post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), &owner, json!({"start_date": "2031-06-01"}))
        .await;
    let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let view = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), &owner).await).await;
    assert_eq!(view["status"], "drafting", "the plan waits for the secret store: {view}");
    assert!(app.llm.authorizations().is_empty(), "no model call without the key");
    vault.unseal();

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), &owner).await).await;
        if view["status"] == "ready" {
            break;
        }
        assert!(view["status"] != "failed" && Instant::now() < deadline, "{view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(app.llm.authorizations().iter().all(|a| a.as_deref() == Some(&*format!("Bearer {key}"))));
}
