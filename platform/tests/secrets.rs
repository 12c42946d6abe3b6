//! One behaviour suite for both secret stores: the embedded store, and the
//! Vault backend against a Vault-API server (no real Vault can be installed
//! on this machine: `testkit::vault` speaks Vault's documented HTTP API, and
//! the contract tests below pin the exact requests our client sends).

use platform::{
    config::{VaultAuth, VaultConfig},
    secrets::{EmbeddedStore, SecretPath, SecretStore, SecretStoreError, VaultStore},
};
use secrecy::{ExposeSecret, SecretString};
use std::{sync::Arc, time::Duration};
use testkit::vault::VaultSimulator;
use uuid::Uuid;

const ROOT_TOKEN: &str = "hvs.root-token-for-tests-only";

fn embedded() -> Arc<dyn SecretStore> {
    let dir = std::env::temp_dir().join(format!("reelpilot-secret-suite-{}", Uuid::new_v4()));
    Arc::new(EmbeddedStore::new(dir, None))
}

fn vault_config(address: String, auth: VaultAuth) -> VaultConfig {
    VaultConfig {
        address,
        auth,
        kv_mount: "secret".into(),
        transit_mount: "transit".into(),
        transit_key: "reelpilot".into(),
        path_prefix: "reelpilot".into(),
    }
}

async fn vault_server() -> (VaultSimulator, String) {
    let sim = VaultSimulator::new(ROOT_TOKEN);
    sim.enable_kv("secret");
    sim.enable_transit("transit");
    let address = sim.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (sim, address)
}

async fn vault() -> (VaultSimulator, Arc<dyn SecretStore>) {
    let (sim, address) = vault_server().await;
    let store = VaultStore::new(vault_config(address, VaultAuth::Token(ROOT_TOKEN.into())));
    (sim, Arc::new(store))
}

fn text(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// What both backends must do.
async fn suite(store: Arc<dyn SecretStore>) {
    store.check().await.expect("the store is ready");
    let (org, other_org) = (Uuid::new_v4(), Uuid::new_v4());

    // Versioned key/value.
    let path = SecretPath::new(org, "credentials/llm-key").unwrap();
    assert!(store.read(&path, None).await.unwrap().is_none());
    assert_eq!(store.write(&path, &text("sk-first-version")).await.unwrap(), 1);
    assert_eq!(store.write(&path, &text("sk-second-version")).await.unwrap(), 2);
    let latest = store.read(&path, None).await.unwrap().unwrap();
    assert_eq!((latest.version, latest.value.expose_secret()), (2, "sk-second-version"));
    let first = store.read(&path, Some(1)).await.unwrap().unwrap();
    assert_eq!(first.value.expose_secret(), "sk-first-version");
    let elsewhere = SecretPath::new(other_org, "credentials/llm-key").unwrap();
    assert!(store.read(&elsewhere, None).await.unwrap().is_none(), "another org's path is another secret");

    // Encryption with the org's own key.
    let sealed = store.encrypt(org, &text("act.token-for-org")).await.unwrap();
    assert!(!sealed.contains("token-for-org"));
    assert_eq!(store.decrypt(org, &sealed).await.unwrap().expose_secret(), "act.token-for-org");
    assert!(matches!(store.decrypt(other_org, &sealed).await, Err(SecretStoreError::Undecryptable(_))));
    let mut tampered = sealed.clone();
    tampered.replace_range(tampered.len() - 6..tampered.len() - 2, "AAAA");
    assert!(store.decrypt(org, &tampered).await.is_err());

    // Rotation: new encryptions use the new version, old data still decrypts.
    let before = store.key_versions().await.unwrap();
    let rotated = store.rotate().await.unwrap();
    assert_eq!(rotated, before.latest + 1);
    let newer = store.encrypt(org, &text("act.after-rotation")).await.unwrap();
    assert!(newer.contains(&format!(":v{rotated}:")), "{newer}");
    assert!(sealed.contains(&format!(":v{}:", before.latest)));
    assert_eq!(store.decrypt(org, &sealed).await.unwrap().expose_secret(), "act.token-for-org");
    // Rewrap, then retire the old version.
    let rewrapped = store.rewrap(org, &sealed).await.unwrap();
    assert!(rewrapped.contains(&format!(":v{rotated}:")));
    store.rewrap_stored().await.unwrap();
    store.retire_below(rotated).await.unwrap();
    assert_eq!(store.key_versions().await.unwrap().min_decryption, rotated);
    let refused = store.decrypt(org, &sealed).await.unwrap_err();
    assert!(matches!(refused, SecretStoreError::Retired { .. } | SecretStoreError::Undecryptable(_)), "{refused}");
    assert_eq!(store.decrypt(org, &rewrapped).await.unwrap().expose_secret(), "act.token-for-org");
    assert_eq!(store.read(&path, None).await.unwrap().unwrap().value.expose_secret(), "sk-second-version");

    // Derived keys are stable; revocation destroys every version.
    assert_eq!(store.derive_key("media-urls").await.unwrap(), store.derive_key("media-urls").await.unwrap());
    assert_ne!(store.derive_key("media-urls").await.unwrap(), store.derive_key("webhooks").await.unwrap());
    store.delete(&path).await.unwrap();
    assert!(store.read(&path, None).await.unwrap().is_none());
    assert!(store.read(&path, Some(1)).await.unwrap().is_none());
    store.delete(&path).await.expect("deleting nothing is fine");
}

#[tokio::test]
async fn embedded_store_passes_the_suite() {
    suite(embedded()).await;
}

#[tokio::test]
async fn vault_store_passes_the_suite() {
    let (_sim, store) = vault().await;
    suite(store).await;
}

#[tokio::test]
async fn the_embedded_store_refuses_to_retire_a_version_stored_secrets_still_use() {
    let store = embedded();
    let path = SecretPath::new(Uuid::new_v4(), "credentials/x").unwrap();
    store.write(&path, &text("sk-old-version-secret")).await.unwrap();
    let new = store.rotate().await.unwrap();
    let err = store.retire_below(new).await.unwrap_err();
    assert!(err.to_string().contains("rewrap"), "{err}");
    assert_eq!(store.rewrap_stored().await.unwrap(), 1);
    store.retire_below(new).await.unwrap();
    assert_eq!(store.read(&path, None).await.unwrap().unwrap().value.expose_secret(), "sk-old-version-secret");
}

#[tokio::test]
async fn the_operator_rotation_rewraps_stored_secrets_and_can_retire_the_old_key() {
    let store = embedded();
    let path = SecretPath::new(Uuid::new_v4(), "credentials/y").unwrap();
    store.write(&path, &text("sk-before-rotation")).await.unwrap();
    let kept = platform::secrets::rotate_and_rewrap(&*store, false).await.unwrap();
    assert_eq!((kept.new_version, kept.rewrapped, kept.min_decryption), (2, 1, 1));
    let retired = platform::secrets::rotate_and_rewrap(&*store, true).await.unwrap();
    assert_eq!((retired.new_version, retired.min_decryption), (3, 3));
    assert_eq!(store.read(&path, None).await.unwrap().unwrap().value.expose_secret(), "sk-before-rotation");
}

#[tokio::test]
async fn a_sealed_or_unreachable_vault_is_a_clear_retryable_error() {
    let (sim, store) = vault().await;
    store.check().await.unwrap();
    sim.seal();
    let err = store.check().await.unwrap_err();
    assert!(err.to_string().contains("sealed"), "{err}");
    assert!(err.is_retryable());
    let path = SecretPath::new(Uuid::new_v4(), "credentials/x").unwrap();
    let err = store.read(&path, None).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    sim.unseal();
    store.check().await.unwrap();

    let nowhere = VaultStore::new(vault_config("http://127.0.0.1:9".into(), VaultAuth::Token(ROOT_TOKEN.into())));
    let err = nowhere.check().await.unwrap_err();
    assert!(err.is_retryable() && err.to_string().contains("unreachable"), "{err}");
}

#[tokio::test]
async fn approle_logins_are_renewed_and_replaced_when_the_token_dies() {
    let (sim, address) = vault_server().await;
    sim.add_approle("reelpilot-role", "secret-id-123", Duration::from_secs(3));
    let auth = VaultAuth::AppRole {
        mount: "approle".into(),
        role_id: "reelpilot-role".into(),
        secret_id: "secret-id-123".to_owned().into(),
    };
    let store = VaultStore::new(vault_config(address.clone(), auth));
    let path = SecretPath::new(Uuid::new_v4(), "credentials/x").unwrap();
    store.write(&path, &text("sk-via-approle")).await.unwrap();

    // The background task renews before the 3 s lease runs out.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let renewals = sim.requests().iter().filter(|r| r.path.ends_with("/auth/token/renew-self")).count();
    assert!(renewals >= 1, "the token was renewed");
    assert_eq!(store.read(&path, None).await.unwrap().unwrap().value.expose_secret(), "sk-via-approle");

    // A revoked token: the next request logs in again and succeeds.
    sim.expire_tokens();
    assert_eq!(store.read(&path, None).await.unwrap().unwrap().value.expose_secret(), "sk-via-approle");
    let logins = sim.requests().iter().filter(|r| r.path.ends_with("/auth/approle/login")).count();
    assert!(logins >= 2, "logged in again after the token died ({logins} logins)");

    let wrong = VaultAuth::AppRole {
        mount: "approle".into(),
        role_id: "reelpilot-role".into(),
        secret_id: "not-the-secret-id".to_owned().into(),
    };
    let err = VaultStore::new(vault_config(address, wrong)).check().await.unwrap_err();
    assert!(!err.to_string().contains("not-the-secret-id"), "errors never repeat credentials: {err}");
}

/// The requests our client sends are the ones Vault documents.
#[tokio::test]
async fn the_vault_client_speaks_the_documented_api() {
    let (sim, store) = vault().await;
    let org = Uuid::new_v4();
    let path = SecretPath::new(org, "credentials/abc").unwrap();
    store.write(&path, &text("sk-contract")).await.unwrap();
    let sealed = store.encrypt(org, &text("act.contract")).await.unwrap();
    store.decrypt(org, &sealed).await.unwrap();
    store.rotate().await.unwrap();

    let requests = sim.requests();
    let find = |method: &str, path: &str| {
        requests.iter().find(|r| r.method == method && r.path.split('?').next() == Some(path)).unwrap_or_else(|| {
            panic!("no {method} {path} in {:#?}", requests.iter().map(|r| &r.path).collect::<Vec<_>>())
        })
    };
    let kv = find("POST", &format!("/v1/secret/data/reelpilot/org/{org}/credentials/abc"));
    assert_eq!(kv.body["data"]["value"], "sk-contract");
    assert!(kv.had_token);
    let context = base64_of(&org.to_string());
    let encrypt = find("POST", "/v1/transit/encrypt/reelpilot");
    assert_eq!(encrypt.body["context"], context);
    assert_eq!(encrypt.body["plaintext"], base64_of("act.contract"));
    assert_eq!(find("POST", "/v1/transit/decrypt/reelpilot").body["context"], context);
    find("POST", "/v1/transit/keys/reelpilot/rotate");
    let created = requests.iter().find(|r| r.method == "POST" && r.path == "/v1/transit/keys/reelpilot");
    assert_eq!(created.map(|r| r.body["derived"].clone()), Some(serde_json::json!(true)), "a derived key per org");
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
