//! The secret store: provider credentials and every other secret Reelpilot
//! holds live here and nowhere else. One trait, two backends with the same
//! semantics (and one test suite):
//!
//! - **embedded** (default; `embedded.rs`): AES-256-GCM under versioned
//!   data keys, themselves encrypted under a master key from config or a
//!   0600 key file; a versioned key/value store on disk;
//! - **vault** (`vault.rs`): HashiCorp Vault through vaultrs: KV v2 for the
//!   key/value store, Transit (a derived key, the org as context) for
//!   encryption, token or AppRole auth renewed in the background.
//!
//! Both give each org its own encryption key (derived with the org as
//! context), version every secret, and rotate: after `rotate` new
//! encryptions use the new key version and old data still decrypts; after
//! `rewrap` of everything, `retire_below` makes older versions unusable.

mod crypto;
mod embedded;
mod vault;

pub use embedded::EmbeddedStore;
pub use vault::VaultStore;

use crate::config::SecretStoreConfig;
use secrecy::SecretString;
use std::sync::Arc;
use uuid::Uuid;

pub const MASTER_KEY_LEN: usize = 32;

/// Seals `plaintext` under a key derived from `bearer`, a high-entropy
/// token its holder will present again (a refresh token): only that holder
/// can open it, and nothing needs storing but the result.
pub fn seal_for_bearer(bearer: &str, purpose: &[u8], plaintext: &[u8]) -> Vec<u8> {
    crypto::seal(&bearer_key(bearer, purpose), purpose, plaintext)
}

/// Opens what [`seal_for_bearer`] sealed for the same token and purpose.
pub fn open_for_bearer(bearer: &str, purpose: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    crypto::open(&bearer_key(bearer, purpose), purpose, sealed)
}

fn bearer_key(bearer: &str, purpose: &[u8]) -> [u8; crypto::KEY_LEN] {
    use sha2::Digest;
    crypto::derive(&sha2::Sha256::digest(bearer.as_bytes()).into(), b"reelpilot.bearer", purpose)
}

#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    #[error("secret store at {path} is not usable: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("master key {path} is invalid: {reason}")]
    InvalidKey { path: String, reason: String },
    /// Unreachable, sealed or overloaded: worth retrying later.
    #[error("the secret store is unavailable: {0}")]
    Unavailable(String),
    /// The store refused our credentials or the operation.
    #[error("the secret store refused the request: {0}")]
    Denied(String),
    /// The ciphertext was made with a key version that has been retired.
    #[error("the ciphertext uses key version {version}, which has been retired")]
    Retired { version: u32 },
    /// Tampered, truncated, or encrypted for another org.
    #[error("the ciphertext cannot be decrypted: {0}")]
    Undecryptable(String),
    #[error("invalid secret path {0:?}")]
    InvalidPath(String),
}

impl SecretStoreError {
    /// Whether a later attempt may succeed (a workflow should retry).
    pub fn is_retryable(&self) -> bool {
        matches!(self, SecretStoreError::Unavailable(_) | SecretStoreError::Io { .. })
    }
}

/// Where a secret lives: `org/{org_id}/` then segments of `[a-z0-9._-]`,
/// so one org's secrets can never be addressed through another's path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretPath(String);

impl SecretPath {
    pub fn new(org_id: Uuid, rest: &str) -> Result<SecretPath, SecretStoreError> {
        let ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.len() <= 128
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        };
        if rest.split('/').all(ok) {
            Ok(SecretPath(format!("org/{org_id}/{rest}")))
        } else {
            Err(SecretStoreError::InvalidPath(rest.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn org_id(&self) -> Uuid {
        self.0.split('/').nth(1).and_then(|o| o.parse().ok()).expect("checked on construction")
    }
}

/// One version of a stored secret.
#[derive(Debug)]
pub struct Versioned {
    pub version: u32,
    pub value: SecretString,
}

/// The encryption key's versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyVersions {
    /// New encryptions use this version.
    pub latest: u32,
    /// Ciphertexts of older versions are refused.
    pub min_decryption: u32,
}

#[async_trait::async_trait]
pub trait SecretStore: Send + Sync {
    /// Short name for logs and readiness reports.
    fn backend(&self) -> &'static str;
    /// Proves the store can serve secrets right now (reachable, unsealed,
    /// our credentials valid).
    async fn check(&self) -> Result<(), SecretStoreError>;
    /// A 32-byte key for one purpose (e.g. signing media URLs): stable
    /// across restarts and processes.
    async fn derive_key(&self, purpose: &str) -> Result<[u8; 32], SecretStoreError>;

    /// Stores a new version of the secret at `path`; returns its number.
    async fn write(&self, path: &SecretPath, value: &SecretString) -> Result<u32, SecretStoreError>;
    /// The latest (or a given) version, `None` if there is none.
    async fn read(&self, path: &SecretPath, version: Option<u32>) -> Result<Option<Versioned>, SecretStoreError>;
    /// Removes every version at `path` (revocation). Removing nothing is fine.
    async fn delete(&self, path: &SecretPath) -> Result<(), SecretStoreError>;

    /// Encrypts a value the database must hold, with the org's own key.
    async fn encrypt(&self, org_id: Uuid, plaintext: &SecretString) -> Result<String, SecretStoreError>;
    async fn decrypt(&self, org_id: Uuid, ciphertext: &str) -> Result<SecretString, SecretStoreError>;
    /// Re-encrypts a ciphertext with the latest key version.
    async fn rewrap(&self, org_id: Uuid, ciphertext: &str) -> Result<String, SecretStoreError>;
    /// Starts a new key version; returns it.
    async fn rotate(&self) -> Result<u32, SecretStoreError>;
    async fn key_versions(&self) -> Result<KeyVersions, SecretStoreError>;
    /// Re-encrypts every stored secret with the latest key version (what the
    /// embedded store holds; Vault's KV is encrypted by Vault itself).
    async fn rewrap_stored(&self) -> Result<u64, SecretStoreError>;
    /// Refuses ciphertexts older than `version` from now on.
    async fn retire_below(&self, version: u32) -> Result<(), SecretStoreError>;
}

pub fn from_config(cfg: &SecretStoreConfig) -> Arc<dyn SecretStore> {
    match cfg.clone() {
        SecretStoreConfig::Embedded { dir, master_key } => Arc::new(EmbeddedStore::new(dir, master_key)),
        SecretStoreConfig::Vault(vault) => Arc::new(VaultStore::new(vault)),
    }
}

/// What [`rotate_and_rewrap`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    pub new_version: u32,
    pub rewrapped: u64,
    /// The lowest version still accepted afterwards.
    pub min_decryption: u32,
}

/// The operator's key rotation: a new key version, every stored secret
/// re-encrypted with it, and (with `retire`) older versions refused from now
/// on. `reelpilot-api rotate-keys [--retire]` runs it.
pub async fn rotate_and_rewrap(store: &dyn SecretStore, retire: bool) -> Result<Rotation, SecretStoreError> {
    let new_version = store.rotate().await?;
    let rewrapped = store.rewrap_stored().await?;
    if retire {
        store.retire_below(new_version).await?;
    }
    let min_decryption = store.key_versions().await?.min_decryption;
    Ok(Rotation { new_version, rewrapped, min_decryption })
}

/// The ciphertext format of both backends: `{prefix}:v{version}:{base64}`
/// (`vault:v1:...` is Vault's own). Returns the version.
pub(crate) fn ciphertext_version(ciphertext: &str) -> Result<u32, SecretStoreError> {
    let mut parts = ciphertext.splitn(3, ':');
    let (_, version, body) = (parts.next(), parts.next(), parts.next());
    version
        .and_then(|v| v.strip_prefix('v'))
        .and_then(|v| v.parse().ok())
        .filter(|_| body.is_some_and(|b| !b.is_empty()))
        .ok_or_else(|| SecretStoreError::Undecryptable("not a ciphertext of this store".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_paths_are_org_scoped_and_cannot_escape() {
        let org = Uuid::from_u128(9);
        let path = SecretPath::new(org, "credentials/openrouter").unwrap();
        assert_eq!(path.as_str(), format!("org/{org}/credentials/openrouter"));
        assert_eq!(path.org_id(), org);
        for bad in ["../x", "a//b", "A", "a b", "", "a/.."] {
            assert!(SecretPath::new(org, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ciphertexts_name_their_key_version() {
        assert_eq!(ciphertext_version("rp:v3:AAAA").unwrap(), 3);
        assert_eq!(ciphertext_version("vault:v12:AAAA").unwrap(), 12);
        for bad in ["", "rp:3:AA", "rp:v3:", "plain text"] {
            assert!(ciphertext_version(bad).is_err(), "{bad:?}");
        }
    }
}
