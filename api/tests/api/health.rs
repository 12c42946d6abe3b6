use crate::helpers::{TestApp, json_body, state_for, test_config};
use axum::body::Body;
use http::Request;
use tower::ServiceExt;

#[tokio::test]
async fn healthz_answers_and_every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "generated ids are UUIDs: {generated}");

    let res = app.http.get(app.url("/healthz")).header("x-request-id", "trace-abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-abc-123", "a caller's id is kept");

    // An id that would pollute logs is replaced, not echoed.
    let res = app.http.get(app.url("/healthz")).header("x-request-id", "a b\tc").send().await.unwrap();
    assert_ne!(res.headers()["x-request-id"], "a b\tc");
}

#[tokio::test]
async fn readyz_is_200_when_every_dependency_answers() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body = json_body(res).await;
    assert_eq!(body["ready"], true, "{body}");
    for dep in ["postgres", "temporal", "storage", "secret_store"] {
        assert_eq!(body["checks"][dep]["ok"], true, "{dep}: {body}");
    }
}

#[tokio::test]
async fn readyz_is_503_naming_postgres_when_it_is_down() {
    // A port nobody listens on: the pool is lazy, so the API starts and
    // reports PostgreSQL as the failing dependency.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = test_config(&format!("postgres://postgres:pw@127.0.0.1:{closed}/nowhere?sslmode=disable"));
    let state = state_for(config).await;
    let res = api::app(state).oneshot(Request::get("/readyz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), 503);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["failed"], serde_json::json!(["postgres"]), "{body}");
    assert_eq!(body["checks"]["temporal"]["ok"], true);
    assert!(!body.to_string().contains(":pw@"), "the database password must not leak: {body}");
}

#[tokio::test]
async fn readyz_is_503_naming_the_secret_store_when_vault_is_sealed() {
    let vault = testkit::vault::VaultSimulator::new("hvs.readiness-root-token");
    let address = vault.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut config = test_config(&crate::helpers::fresh_database().await);
    config.secrets = platform::config::SecretStoreConfig::Vault(platform::config::VaultConfig {
        address,
        auth: platform::config::VaultAuth::Token("hvs.readiness-root-token".to_owned().into()),
        kv_mount: "secret".into(),
        transit_mount: "transit".into(),
        transit_key: "reelpilot".into(),
        path_prefix: "reelpilot".into(),
    });
    let app = api::app(state_for(config).await);
    let ready = |app: axum::Router| async move {
        let res = app.oneshot(Request::get("/readyz").body(Body::empty()).unwrap()).await.unwrap();
        let status = res.status().as_u16();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap())
    };
    assert_eq!(ready(app.clone()).await.0, 200);
    vault.seal();
    let (status, body) = ready(app.clone()).await;
    assert_eq!(status, 503);
    assert_eq!(body["failed"], serde_json::json!(["secret_store"]), "{body}");
    assert!(body["checks"]["secret_store"]["error"].as_str().unwrap().contains("sealed"), "{body}");
    assert!(!body.to_string().contains("readiness-root-token"), "{body}");
    vault.unseal();
    assert_eq!(ready(app).await.0, 200);
}
