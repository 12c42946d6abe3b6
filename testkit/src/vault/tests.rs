use super::transit::{NONCE_LEN, TOO_OLD};
use super::*;
use base64::{Engine, engine::general_purpose::STANDARD as B64};

const ROOT: &str = "root-token";

async fn start() -> (VaultSimulator, Vault) {
    let sim = VaultSimulator::new(ROOT);
    let base = sim.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (sim, Vault { base, http: reqwest::Client::new() })
}

/// A bare HTTP client, so the tests pin the wire format, not a library's view of it.
struct Vault {
    base: String,
    http: reqwest::Client,
}

impl Vault {
    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}/v1/{path}", self.base));
        if let Some(token) = token {
            req = req.header("X-Vault-Token", token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    async fn root(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, path, Some(ROOT), body).await
    }
}

fn b64(s: &str) -> String {
    B64.encode(s)
}

#[tokio::test]
async fn refuses_requests_without_a_valid_token() {
    let (sim, vault) = start().await;
    let denied = json!({"errors": ["permission denied"]});
    assert_eq!(vault.call("GET", "secret/data/a", None, None).await, (403, denied.clone()));
    assert_eq!(vault.call("GET", "secret/data/a", Some("hvs.nope"), None).await, (403, denied));
    // Health needs no token.
    assert_eq!(vault.call("GET", "sys/health", None, None).await.0, 200);
    let (status, body) = vault.root("GET", "secret/data/a", None).await;
    assert_eq!((status, body), (404, json!({"errors": []})));
    let seen: Vec<(String, bool)> = sim.requests().into_iter().map(|r| (r.path, r.had_token)).collect();
    assert_eq!(
        seen,
        [
            ("/v1/secret/data/a".to_owned(), false),
            ("/v1/secret/data/a".to_owned(), true),
            ("/v1/sys/health".to_owned(), false),
            ("/v1/secret/data/a".to_owned(), true),
        ]
    );
}

#[tokio::test]
async fn kv_v2_keeps_versions() {
    let (sim, vault) = start().await;
    let (status, v1) = vault.root("POST", "secret/data/org/1/smtp", Some(json!({"data": {"password": "a"}}))).await;
    assert_eq!(status, 200);
    assert_eq!(v1["data"]["version"], 1);
    assert_eq!(v1["data"]["deletion_time"], "");
    for field in ["request_id", "lease_id", "renewable", "lease_duration", "wrap_info", "warnings", "auth"] {
        assert!(v1.get(field).is_some(), "envelope lacks {field}");
    }
    // Check-and-set: a stale version is refused, the current one accepted.
    let stale = json!({"data": {"password": "b"}, "options": {"cas": 0}});
    let (status, body) = vault.root("PUT", "secret/data/org/1/smtp", Some(stale)).await;
    assert_eq!(
        (status, body["errors"][0].as_str()),
        (400, Some("check-and-set parameter did not match the current version"))
    );
    let fresh = json!({"data": {"password": "b"}, "options": {"cas": 1}});
    assert_eq!(vault.root("PUT", "secret/data/org/1/smtp", Some(fresh)).await.1["data"]["version"], 2);
    assert_eq!(sim.requests()[2].body["options"]["cas"], 1);

    let (_, latest) = vault.root("GET", "secret/data/org/1/smtp", None).await;
    assert_eq!(latest["data"]["data"], json!({"password": "b"}));
    assert_eq!(latest["data"]["metadata"]["version"], 2);
    let (_, first) = vault.root("GET", "secret/data/org/1/smtp?version=1", None).await;
    assert_eq!(first["data"]["data"], json!({"password": "a"}));

    let (_, meta) = vault.root("GET", "secret/metadata/org/1/smtp", None).await;
    assert_eq!(meta["data"]["current_version"], 2);
    assert_eq!(meta["data"]["versions"].as_object().unwrap().len(), 2);
    let (_, listed) = vault.root("LIST", "secret/metadata/org", None).await;
    assert_eq!(listed["data"]["keys"], json!(["1/"]));
    let (_, listed) = vault.root("GET", "secret/metadata/org/1?list=true", None).await;
    assert_eq!(listed["data"]["keys"], json!(["smtp"]));

    // A destroyed version is a 404 that still reports its metadata.
    assert_eq!(vault.root("POST", "secret/destroy/org/1/smtp", Some(json!({"versions": [1]}))).await.0, 204);
    let (status, gone) = vault.root("GET", "secret/data/org/1/smtp?version=1", None).await;
    assert_eq!((status, gone["data"]["metadata"]["destroyed"].as_bool()), (404, Some(true)));
    assert_eq!(vault.root("DELETE", "secret/metadata/org/1/smtp", None).await.0, 204);
    assert_eq!(vault.root("GET", "secret/data/org/1/smtp", None).await, (404, json!({"errors": []})));
}

#[tokio::test]
async fn transit_derived_key_needs_the_same_context() {
    let (_sim, vault) = start().await;
    let created = vault.root("POST", "transit/keys/orgs", Some(json!({"derived": true, "type": "aes256-gcm96"}))).await;
    assert_eq!(created.0, 200);
    let (_, key) = vault.root("GET", "transit/keys/orgs", None).await;
    assert_eq!(key["data"]["derived"], true);
    assert_eq!(key["data"]["type"], "aes256-gcm96");
    assert_eq!(key["data"]["latest_version"], 1);
    assert!(key["data"]["keys"]["1"].is_u64());

    let encrypt = json!({"plaintext": b64("hunter2"), "context": b64("org-a")});
    let (status, sealed) = vault.root("POST", "transit/encrypt/orgs", Some(encrypt)).await;
    assert_eq!(status, 200);
    let ciphertext = sealed["data"]["ciphertext"].as_str().unwrap().to_owned();
    assert!(ciphertext.starts_with("vault:v1:"));
    assert_eq!(sealed["data"]["key_version"], 1);

    let decrypt = |context: Option<&str>, ciphertext: &str| {
        let mut body = json!({"ciphertext": ciphertext});
        if let Some(c) = context {
            body["context"] = json!(b64(c));
        }
        vault.root("POST", "transit/decrypt/orgs", Some(body))
    };
    let (status, opened) = decrypt(Some("org-a"), &ciphertext).await;
    assert_eq!((status, opened["data"]["plaintext"].as_str()), (200, Some(b64("hunter2").as_str())));
    let auth_failed = json!({"errors": ["cipher: message authentication failed"]});
    assert_eq!(decrypt(Some("org-b"), &ciphertext).await, (400, auth_failed.clone()));
    let (status, missing) = decrypt(None, &ciphertext).await;
    assert_eq!(status, 400);
    assert!(missing["errors"][0].as_str().unwrap().starts_with("missing 'context' for key derivation"));
    // Flip one bit of the sealed bytes.
    let mut blob = B64.decode(&ciphertext["vault:v1:".len()..]).unwrap();
    blob[NONCE_LEN] ^= 1;
    let tampered = format!("vault:v1:{}", B64.encode(blob));
    assert_eq!(decrypt(Some("org-a"), &tampered).await, (400, auth_failed));
}

#[tokio::test]
async fn rotation_retires_old_versions_after_rewrap() {
    let (_sim, vault) = start().await;
    vault.root("POST", "transit/keys/orgs", Some(json!({"derived": true}))).await;
    let context = b64("org-a");
    let (_, v1) =
        vault.root("POST", "transit/encrypt/orgs", Some(json!({"plaintext": b64("s3cret"), "context": context}))).await;
    let old = v1["data"]["ciphertext"].as_str().unwrap().to_owned();

    assert_eq!(vault.root("POST", "transit/keys/orgs/rotate", None).await.0, 200);
    let (_, v2) =
        vault.root("POST", "transit/encrypt/orgs", Some(json!({"plaintext": b64("x"), "context": context}))).await;
    assert!(v2["data"]["ciphertext"].as_str().unwrap().starts_with("vault:v2:"));
    // Pinning an older version for encryption still works until it is retired.
    let pinned = json!({"plaintext": b64("x"), "context": context, "key_version": 1});
    assert_eq!(vault.root("POST", "transit/encrypt/orgs", Some(pinned)).await.1["data"]["key_version"], 1);

    let (_, rewrapped) =
        vault.root("POST", "transit/rewrap/orgs", Some(json!({"ciphertext": old, "context": context}))).await;
    let new = rewrapped["data"]["ciphertext"].as_str().unwrap().to_owned();
    assert!(new.starts_with("vault:v2:"));
    assert_eq!(rewrapped["data"]["key_version"], 2);

    let config = vault.root("POST", "transit/keys/orgs/config", Some(json!({"min_decryption_version": 2}))).await;
    assert_eq!(config.0, 200);
    let (status, refused) =
        vault.root("POST", "transit/decrypt/orgs", Some(json!({"ciphertext": old, "context": context}))).await;
    assert_eq!((status, refused), (400, json!({"errors": [TOO_OLD]})));
    let (_, opened) =
        vault.root("POST", "transit/decrypt/orgs", Some(json!({"ciphertext": new, "context": context}))).await;
    assert_eq!(opened["data"]["plaintext"], b64("s3cret"));
    let (_, key) = vault.root("GET", "transit/keys/orgs", None).await;
    assert_eq!(key["data"]["min_decryption_version"], 2);
    assert_eq!(key["data"]["keys"].as_object().unwrap().keys().collect::<Vec<_>>(), ["2"]);
    let (status, _) = vault.root("POST", "transit/keys/orgs/config", Some(json!({"min_decryption_version": 3}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn sealed_vault_answers_503() {
    let (sim, vault) = start().await;
    sim.seal();
    let (status, health) = vault.call("GET", "sys/health", None, None).await;
    assert_eq!((status, health["sealed"].as_bool()), (503, Some(true)));
    assert_eq!(vault.root("GET", "secret/data/a", None).await, (503, json!({"errors": ["Vault is sealed"]})));
    sim.unseal();
    let (status, health) = vault.call("GET", "sys/health", None, None).await;
    assert_eq!((status, health["sealed"].as_bool(), health["version"].as_str()), (200, Some(false), Some(VERSION)));
}

#[tokio::test]
async fn approle_tokens_expire_and_renew() {
    let (sim, vault) = start().await;
    sim.add_approle("role-1", "secret-1", Duration::from_secs(60));
    let wrong = json!({"role_id": "role-1", "secret_id": "nope"});
    assert_eq!(
        vault.call("POST", "auth/approle/login", None, Some(wrong)).await,
        (400, json!({"errors": ["invalid role or secret ID"]}))
    );
    let login = json!({"role_id": "role-1", "secret_id": "secret-1"});
    let (status, body) = vault.call("POST", "auth/approle/login", None, Some(login.clone())).await;
    assert_eq!(status, 200);
    let auth = &body["auth"];
    assert_eq!((auth["lease_duration"].as_u64(), auth["renewable"].as_bool()), (Some(60), Some(true)));
    let token = auth["client_token"].as_str().unwrap().to_owned();

    let (_, me) = vault.call("GET", "auth/token/lookup-self", Some(&token), None).await;
    assert_eq!(
        (me["data"]["id"].as_str(), me["data"]["path"].as_str()),
        (Some(token.as_str()), Some("auth/approle/login"))
    );
    let (status, renewed) =
        vault.call("POST", "auth/token/renew-self", Some(&token), Some(json!({"increment": "1h"}))).await;
    assert_eq!((status, renewed["auth"]["lease_duration"].as_u64()), (200, Some(3600)));

    sim.advance(Duration::from_secs(3601));
    assert_eq!(vault.call("GET", "secret/data/a", Some(&token), None).await.0, 403);
    // Log in again, then lose every token at once: only root survives.
    let (_, body) = vault.call("POST", "auth/approle/login", None, Some(login)).await;
    let token = body["auth"]["client_token"].as_str().unwrap().to_owned();
    assert_eq!(vault.call("GET", "auth/token/lookup-self", Some(&token), None).await.0, 200);
    sim.expire_tokens();
    assert_eq!(vault.call("GET", "auth/token/lookup-self", Some(&token), None).await.0, 403);
    assert_eq!(vault.root("GET", "auth/token/lookup-self", None).await.0, 200);
    let (status, root) = vault.root("POST", "auth/token/renew-self", None).await;
    assert_eq!((status, root), (400, json!({"errors": ["lease is not renewable"]})));
}

#[test]
fn parses_go_durations() {
    let parsed: Vec<_> = ["3600", "90s", "1h30m", "2d", "", "5x", "h"].map(parse_duration).into();
    assert_eq!(parsed, [Some(3600), Some(90), Some(5400), Some(172_800), Some(0), None, None]);
}

#[tokio::test]
async fn scripted_faults_come_first() {
    let (sim, vault) = start().await;
    sim.fail_next(2, 500);
    assert_eq!(vault.root("GET", "sys/health", None).await.0, 500);
    assert_eq!(vault.root("GET", "auth/token/lookup-self", None).await.0, 500);
    assert_eq!(vault.root("GET", "auth/token/lookup-self", None).await.0, 200);
    assert_eq!(sim.requests().len(), 3);
}

/// The client Reelpilot uses parses every answer it will get.
#[tokio::test]
async fn vaultrs_round_trip() {
    use vaultrs::{api::transit::requests as transit_req, auth::approle, client::Client, kv2, sys, token, transit};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (sim, vault) = start().await;
    sim.add_approle("role-1", "secret-1", Duration::from_secs(600));
    let settings = vaultrs::client::VaultClientSettingsBuilder::default().address(&vault.base).build().unwrap();
    let mut client = vaultrs::client::VaultClient::new(settings).unwrap();

    let auth = approle::login(&client, "approle", "role-1", "secret-1").await.unwrap();
    client.set_token(&auth.client_token);
    assert_eq!(token::lookup_self(&client).await.unwrap().ttl, 600);
    assert_eq!(token::renew_self(&client, Some("20m")).await.unwrap().lease_duration, 1200);
    assert!(!sys::health(&client).await.unwrap().sealed);

    let written = kv2::set(&client, "secret", "org/1/smtp", &json!({"password": "a"})).await.unwrap();
    assert_eq!(written.version, 1);
    kv2::set(&client, "secret", "org/1/smtp", &json!({"password": "b"})).await.unwrap();
    let read: Value = kv2::read_version(&client, "secret", "org/1/smtp", 1).await.unwrap();
    assert_eq!(read, json!({"password": "a"}));
    assert_eq!(kv2::read_metadata(&client, "secret", "org/1/smtp").await.unwrap().current_version, 2);
    assert_eq!(kv2::list(&client, "secret", "org/1").await.unwrap(), ["smtp"]);
    kv2::delete_metadata(&client, "secret", "org/1/smtp").await.unwrap();
    let missing = kv2::read::<Value>(&client, "secret", "org/1/smtp").await.unwrap_err();
    assert!(matches!(missing, vaultrs::error::ClientError::APIError { code: 404, .. }), "{missing:?}");

    let mut create = transit_req::CreateKeyRequest::builder();
    create.derived(true).key_type(vaultrs::api::transit::KeyType::Aes256Gcm96);
    transit::key::create(&client, "transit", "orgs", Some(&mut create)).await.unwrap();
    let ctx = b64("org-a");
    let mut opts = transit_req::EncryptDataRequest::builder();
    opts.context(ctx.clone());
    let sealed = transit::data::encrypt(&client, "transit", "orgs", &b64("x"), Some(&mut opts)).await.unwrap();
    transit::key::rotate(&client, "transit", "orgs").await.unwrap();
    let mut opts = transit_req::RewrapDataRequest::builder();
    opts.context(ctx.clone());
    let rewrapped =
        transit::data::rewrap(&client, "transit", "orgs", &sealed.ciphertext, Some(&mut opts)).await.unwrap();
    let mut config = transit_req::UpdateKeyConfigurationRequest::builder();
    config.min_decryption_version(Some(2));
    transit::key::update(&client, "transit", "orgs", Some(&mut config)).await.unwrap();
    let key = transit::key::read(&client, "transit", "orgs").await.unwrap();
    assert_eq!((key.min_decryption_version, key.derived), (2, true));
    let mut opts = transit_req::DecryptDataRequest::builder();
    opts.context(ctx.clone());
    let opened =
        transit::data::decrypt(&client, "transit", "orgs", &rewrapped.ciphertext, Some(&mut opts)).await.unwrap();
    assert_eq!(opened.plaintext, b64("x"));
    let mut opts = transit_req::DecryptDataRequest::builder();
    opts.context(ctx);
    let too_old = transit::data::decrypt(&client, "transit", "orgs", &sealed.ciphertext, Some(&mut opts)).await;
    assert!(matches!(too_old, Err(vaultrs::error::ClientError::APIError { code: 400, errors }) if errors == [TOO_OLD]));
}
