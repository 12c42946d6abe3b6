//! HashiCorp Vault through vaultrs: KV v2 holds the secrets (one path per
//! org and credential, versioned by Vault), Transit encrypts what the
//! database must hold (a derived key with the org as context, so each org
//! has its own key), and the token comes from config or an AppRole login.
//! A background task renews the token before it expires and logs in again
//! when renewal fails; a request refused for an expired token logs in and
//! is retried once.

use super::{KeyVersions, SecretPath, SecretStore, SecretStoreError, Versioned, ciphertext_version};
use crate::config::{VaultAuth, VaultConfig};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::{
    sync::{Arc, Weak},
    time::Duration,
};
use tokio::sync::RwLock;
use uuid::Uuid;
use vaultrs::{
    api::{
        kv2::requests::SetSecretRequestOptions,
        transit::requests::{
            CreateKeyRequest, DecryptDataRequest, EncryptDataRequest, RewrapDataRequest, UpdateKeyConfigurationRequest,
        },
    },
    client::{VaultClient, VaultClientSettingsBuilder},
    error::ClientError,
};

pub struct VaultStore {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: VaultConfig,
    client: RwLock<Option<Arc<VaultClient>>>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    value: String,
}

fn from_client(err: ClientError) -> SecretStoreError {
    match err {
        ClientError::APIError { code: 503, errors } => {
            SecretStoreError::Unavailable(format!("Vault is sealed or in standby ({})", errors.join("; ")))
        }
        ClientError::APIError { code: 403, .. } => SecretStoreError::Denied("permission denied".into()),
        ClientError::APIError { code, errors } if code >= 500 || code == 429 => {
            SecretStoreError::Unavailable(format!("Vault answered {code}: {}", errors.join("; ")))
        }
        ClientError::APIError { code, errors } => {
            let message = errors.join("; ");
            if message.contains("too old") || message.contains("disallowed by policy") {
                SecretStoreError::Undecryptable(format!("the key version is retired: {message}"))
            } else if message.contains("authentication failed") || message.contains("invalid ciphertext") {
                SecretStoreError::Undecryptable(message)
            } else {
                SecretStoreError::Denied(format!("Vault answered {code}: {message}"))
            }
        }
        // Responses without an `errors` body (a sealed health check, a
        // deleted version) arrive as the HTTP layer's error.
        ClientError::RestClientError { source: rustify::errors::ClientError::ServerResponseError { code, .. } } => {
            match code {
                503 => SecretStoreError::Unavailable("Vault is sealed or in standby".into()),
                403 => SecretStoreError::Denied("permission denied".into()),
                code => SecretStoreError::Unavailable(format!("Vault answered {code}")),
            }
        }
        ClientError::RestClientError { source } => {
            SecretStoreError::Unavailable(format!("Vault is unreachable: {}", error_chain(&source)))
        }
        other => SecretStoreError::Unavailable(other.to_string()),
    }
}

/// An error with its causes, for messages that say what really failed.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn is_not_found(err: &ClientError) -> bool {
    matches!(
        err,
        ClientError::APIError { code: 404, .. }
            | ClientError::RestClientError {
                source: rustify::errors::ClientError::ServerResponseError { code: 404, .. }
            }
    )
}

impl VaultStore {
    pub fn new(cfg: VaultConfig) -> Self {
        crate::tls::install_ring_provider();
        VaultStore { inner: Arc::new(Inner { cfg, client: RwLock::new(None) }) }
    }

    /// Runs `op` with a logged-in client; a 403 (an expired or revoked
    /// token) logs in again and retries once.
    async fn with_client<T, F>(&self, op: F) -> Result<T, SecretStoreError>
    where
        F: for<'c> Fn(&'c VaultClient) -> futures::future::BoxFuture<'c, Result<T, ClientError>>,
    {
        let client = self.inner.client().await?;
        match op(&client).await {
            Err(ClientError::APIError { code: 403, .. }) if self.inner.cfg.auth.can_log_in() => {
                let client = self.inner.relog_in().await?;
                op(&client).await.map_err(from_client)
            }
            other => other.map_err(from_client),
        }
    }

    fn kv_path(&self, path: &SecretPath) -> String {
        format!("{}/{}", self.inner.cfg.path_prefix, path.as_str())
    }

    fn context(org_id: Uuid) -> String {
        B64.encode(org_id.to_string())
    }

    async fn ensure_transit_key(&self) -> Result<(), SecretStoreError> {
        let (mount, key) = (self.inner.cfg.transit_mount.clone(), self.inner.cfg.transit_key.clone());
        self.with_client(|c| {
            let (mount, key) = (mount.clone(), key.clone());
            Box::pin(async move {
                match vaultrs::transit::key::read(c, &mount, &key).await {
                    Err(e) if is_not_found(&e) => {
                        let mut opts = CreateKeyRequest::builder();
                        opts.derived(true);
                        vaultrs::transit::key::create(c, &mount, &key, Some(&mut opts)).await
                    }
                    other => other.map(drop),
                }
            })
        })
        .await
    }
}

impl Inner {
    /// The current client, logging in first if there is none (and then
    /// keeping an AppRole token renewed in the background).
    async fn client(self: &Arc<Self>) -> Result<Arc<VaultClient>, SecretStoreError> {
        if let Some(client) = self.client.read().await.as_ref() {
            return Ok(client.clone());
        }
        let mut slot = self.client.write().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let (client, lease) = self.log_in().await?;
        *slot = Some(client.clone());
        if let Some(lease) = lease {
            tokio::spawn(renew_loop(Arc::downgrade(self), lease));
        }
        Ok(client)
    }

    /// Replaces the client after its token was refused.
    async fn relog_in(&self) -> Result<Arc<VaultClient>, SecretStoreError> {
        let (client, _) = self.log_in().await?;
        *self.client.write().await = Some(client.clone());
        Ok(client)
    }

    fn new_client(&self, token: &str) -> Result<VaultClient, SecretStoreError> {
        let settings = VaultClientSettingsBuilder::default()
            .address(&self.cfg.address)
            .token(token)
            .timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| SecretStoreError::Unavailable(format!("Vault client settings: {e}")))?;
        VaultClient::new(settings).map_err(from_client)
    }

    /// A client with the configured token or a fresh AppRole login, and the
    /// login's lease when it has one.
    async fn log_in(&self) -> Result<(Arc<VaultClient>, Option<Duration>), SecretStoreError> {
        match &self.cfg.auth {
            VaultAuth::Token(token) => Ok((Arc::new(self.new_client(token.expose_secret())?), None)),
            VaultAuth::AppRole { mount, role_id, secret_id } => {
                let anonymous = self.new_client("")?;
                let auth = vaultrs::auth::approle::login(&anonymous, mount, role_id, secret_id.expose_secret())
                    .await
                    .map_err(from_client)?;
                tracing::info!(lease_secs = auth.lease_duration, "logged in to Vault with AppRole");
                let lease = Some(Duration::from_secs(auth.lease_duration)).filter(|l| !l.is_zero());
                Ok((Arc::new(self.new_client(&auth.client_token)?), lease))
            }
        }
    }
}

/// Renews the token at two thirds of its lease; when renewal fails, logs in
/// again. Stops when the store is dropped.
async fn renew_loop(store: Weak<Inner>, mut lease: Duration) {
    loop {
        tokio::time::sleep(lease * 2 / 3).await;
        let Some(inner) = store.upgrade() else { return };
        let Some(client) = inner.client.read().await.clone() else { return };
        lease = match vaultrs::token::renew_self(&*client, None).await {
            Ok(auth) if auth.lease_duration > 0 => {
                tracing::debug!(lease_secs = auth.lease_duration, "renewed the Vault token");
                Duration::from_secs(auth.lease_duration)
            }
            result => {
                let why = result.err().map(|e| from_client(e).to_string()).unwrap_or_else(|| "no lease".into());
                tracing::warn!(error = %why, "could not renew the Vault token; logging in again");
                match inner.log_in().await {
                    Ok((client, lease)) => {
                        *inner.client.write().await = Some(client);
                        lease.unwrap_or(Duration::from_secs(60))
                    }
                    Err(error) => {
                        tracing::error!(%error, "could not log in to Vault; trying again shortly");
                        Duration::from_secs(15)
                    }
                }
            }
        };
    }
}

#[async_trait::async_trait]
impl SecretStore for VaultStore {
    fn backend(&self) -> &'static str {
        "vault"
    }

    async fn check(&self) -> Result<(), SecretStoreError> {
        let probe = self.inner.new_client("")?;
        let health = vaultrs::sys::health(&probe).await.map_err(from_client)?;
        if health.sealed {
            return Err(SecretStoreError::Unavailable("Vault is sealed".into()));
        }
        self.with_client(|c| Box::pin(async move { vaultrs::token::lookup_self(c).await.map(drop) })).await?;
        self.ensure_transit_key().await
    }

    async fn derive_key(&self, purpose: &str) -> Result<[u8; 32], SecretStoreError> {
        // A random key kept in KV, created once (check-and-set 0 makes a race
        // between processes end with one key).
        let path = format!("{}/system/derived-keys/{purpose}", self.inner.cfg.path_prefix);
        let mount = self.inner.cfg.kv_mount.clone();
        let read = |mount: String, path: String| {
            self.with_client(move |c| {
                let (mount, path) = (mount.clone(), path.clone());
                Box::pin(async move {
                    match vaultrs::kv2::read::<Stored>(c, &mount, &path).await {
                        Err(e) if is_not_found(&e) => Ok(None),
                        other => other.map(Some),
                    }
                })
            })
        };
        if read(mount.clone(), path.clone()).await?.is_none() {
            let fresh = Stored { value: B64.encode(super::crypto::random_key()) };
            let (m, p) = (mount.clone(), path.clone());
            let created = self
                .with_client(move |c| {
                    let (m, p, fresh) = (m.clone(), p.clone(), Stored { value: fresh.value.clone() });
                    Box::pin(async move {
                        vaultrs::kv2::set_with_options(c, &m, &p, &fresh, SetSecretRequestOptions { cas: 0 }).await
                    })
                })
                .await;
            if let Err(e) = created {
                tracing::debug!(error = %e, "another process created the derived key first");
            }
        }
        let stored =
            read(mount, path).await?.ok_or_else(|| SecretStoreError::Unavailable("derived key vanished".into()))?;
        let bytes = B64.decode(stored.value).map_err(|e| SecretStoreError::Undecryptable(e.to_string()))?;
        bytes.try_into().map_err(|_| SecretStoreError::Undecryptable("a derived key is not 32 bytes".into()))
    }

    async fn write(&self, path: &SecretPath, value: &SecretString) -> Result<u32, SecretStoreError> {
        let (mount, kv_path) = (self.inner.cfg.kv_mount.clone(), self.kv_path(path));
        let value = value.expose_secret().to_owned();
        let meta = self
            .with_client(|c| {
                let (mount, kv_path, stored) = (mount.clone(), kv_path.clone(), Stored { value: value.clone() });
                Box::pin(async move { vaultrs::kv2::set(c, &mount, &kv_path, &stored).await })
            })
            .await?;
        Ok(meta.version as u32)
    }

    async fn read(&self, path: &SecretPath, version: Option<u32>) -> Result<Option<Versioned>, SecretStoreError> {
        let (mount, kv_path) = (self.inner.cfg.kv_mount.clone(), self.kv_path(path));
        self.with_client(|c| {
            let (mount, kv_path) = (mount.clone(), kv_path.clone());
            Box::pin(async move {
                let metadata = match vaultrs::kv2::read_metadata(c, &mount, &kv_path).await {
                    Err(e) if is_not_found(&e) => return Ok(None),
                    other => other?,
                };
                let wanted = version.map_or(metadata.current_version, u64::from);
                match vaultrs::kv2::read_version::<Stored>(c, &mount, &kv_path, wanted).await {
                    Err(e) if is_not_found(&e) => Ok(None),
                    Err(e) => Err(e),
                    Ok(stored) => {
                        Ok(Some(Versioned { version: wanted as u32, value: SecretString::from(stored.value) }))
                    }
                }
            })
        })
        .await
    }

    async fn delete(&self, path: &SecretPath) -> Result<(), SecretStoreError> {
        let (mount, kv_path) = (self.inner.cfg.kv_mount.clone(), self.kv_path(path));
        self.with_client(|c| {
            let (mount, kv_path) = (mount.clone(), kv_path.clone());
            Box::pin(async move {
                match vaultrs::kv2::delete_metadata(c, &mount, &kv_path).await {
                    Err(e) if is_not_found(&e) => Ok(()),
                    other => other,
                }
            })
        })
        .await
    }

    async fn encrypt(&self, org_id: Uuid, plaintext: &SecretString) -> Result<String, SecretStoreError> {
        self.ensure_transit_key().await?;
        let (mount, key) = (self.inner.cfg.transit_mount.clone(), self.inner.cfg.transit_key.clone());
        let plain = B64.encode(plaintext.expose_secret());
        let out = self
            .with_client(|c| {
                let (mount, key, plain) = (mount.clone(), key.clone(), plain.clone());
                Box::pin(async move {
                    let mut opts = EncryptDataRequest::builder();
                    opts.context(Self::context(org_id));
                    vaultrs::transit::data::encrypt(c, &mount, &key, &plain, Some(&mut opts)).await
                })
            })
            .await?;
        Ok(out.ciphertext)
    }

    async fn decrypt(&self, org_id: Uuid, ciphertext: &str) -> Result<SecretString, SecretStoreError> {
        let version = ciphertext_version(ciphertext)?;
        let (mount, key) = (self.inner.cfg.transit_mount.clone(), self.inner.cfg.transit_key.clone());
        let ciphertext = ciphertext.to_owned();
        let out = self
            .with_client(|c| {
                let (mount, key, ciphertext) = (mount.clone(), key.clone(), ciphertext.clone());
                Box::pin(async move {
                    let mut opts = DecryptDataRequest::builder();
                    opts.context(Self::context(org_id));
                    vaultrs::transit::data::decrypt(c, &mount, &key, &ciphertext, Some(&mut opts)).await
                })
            })
            .await
            .map_err(|e| match e {
                SecretStoreError::Undecryptable(m) if m.contains("retired") => SecretStoreError::Retired { version },
                other => other,
            })?;
        let bytes = B64.decode(out.plaintext).map_err(|e| SecretStoreError::Undecryptable(e.to_string()))?;
        String::from_utf8(bytes)
            .map(SecretString::from)
            .map_err(|_| SecretStoreError::Undecryptable("the secret is not text".into()))
    }

    async fn rewrap(&self, org_id: Uuid, ciphertext: &str) -> Result<String, SecretStoreError> {
        let (mount, key) = (self.inner.cfg.transit_mount.clone(), self.inner.cfg.transit_key.clone());
        let ciphertext = ciphertext.to_owned();
        let out = self
            .with_client(|c| {
                let (mount, key, ciphertext) = (mount.clone(), key.clone(), ciphertext.clone());
                Box::pin(async move {
                    let mut opts = RewrapDataRequest::builder();
                    opts.context(Self::context(org_id));
                    vaultrs::transit::data::rewrap(c, &mount, &key, &ciphertext, Some(&mut opts)).await
                })
            })
            .await?;
        Ok(out.ciphertext)
    }

    async fn rotate(&self) -> Result<u32, SecretStoreError> {
        self.ensure_transit_key().await?;
        let (mount, key) = (self.inner.cfg.transit_mount.clone(), self.inner.cfg.transit_key.clone());
        self.with_client(|c| {
            let (mount, key) = (mount.clone(), key.clone());
            Box::pin(async move { vaultrs::transit::key::rotate(c, &mount, &key).await })
        })
        .await?;
        Ok(self.key_versions().await?.latest)
    }

    async fn key_versions(&self) -> Result<KeyVersions, SecretStoreError> {
        self.ensure_transit_key().await?;
        let (mount, key) = (self.inner.cfg.transit_mount.clone(), self.inner.cfg.transit_key.clone());
        let read = self
            .with_client(|c| {
                let (mount, key) = (mount.clone(), key.clone());
                Box::pin(async move { vaultrs::transit::key::read(c, &mount, &key).await })
            })
            .await?;
        let latest = match &read.keys {
            vaultrs::api::transit::responses::ReadKeyData::Symmetric(keys) => {
                keys.keys().filter_map(|k| k.parse::<u32>().ok()).max().unwrap_or(1)
            }
            vaultrs::api::transit::responses::ReadKeyData::Asymmetric(keys) => {
                keys.keys().filter_map(|k| k.parse::<u32>().ok()).max().unwrap_or(1)
            }
        };
        Ok(KeyVersions { latest, min_decryption: read.min_decryption_version as u32 })
    }

    async fn rewrap_stored(&self) -> Result<u64, SecretStoreError> {
        // Vault encrypts KV itself (its barrier); nothing of ours to rewrap.
        Ok(0)
    }

    async fn retire_below(&self, version: u32) -> Result<(), SecretStoreError> {
        let (mount, key) = (self.inner.cfg.transit_mount.clone(), self.inner.cfg.transit_key.clone());
        self.with_client(|c| {
            let (mount, key) = (mount.clone(), key.clone());
            Box::pin(async move {
                let mut opts = UpdateKeyConfigurationRequest::builder();
                opts.min_decryption_version(u64::from(version));
                vaultrs::transit::key::update(c, &mount, &key, Some(&mut opts)).await
            })
        })
        .await
    }
}
