//! The secret store. The embedded backend keeps a master key in a file
//! only its owner may read; encryption, versioned data keys, the Vault
//! backend and rotation arrive with the credentials work.

use crate::config::SecretStoreConfig;
use std::{
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::PathBuf,
    sync::Arc,
};

pub const MASTER_KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    #[error("secret store at {path} is not usable: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("master key {path} is invalid: {reason}")]
    InvalidKey { path: String, reason: String },
}

#[async_trait::async_trait]
pub trait SecretStore: Send + Sync {
    fn backend(&self) -> &'static str;
    /// Proves the store can serve secrets right now.
    async fn check(&self) -> Result<(), SecretStoreError>;
    /// A 32-byte key for one purpose (e.g. signing media URLs), derived from
    /// the store's root secret: stable across restarts, never stored.
    async fn derive_key(&self, purpose: &str) -> Result<[u8; 32], SecretStoreError>;
}

pub fn from_config(cfg: &SecretStoreConfig) -> Arc<dyn SecretStore> {
    match cfg {
        SecretStoreConfig::Embedded { dir } => Arc::new(EmbeddedStore { dir: dir.clone() }),
    }
}

pub struct EmbeddedStore {
    dir: PathBuf,
}

impl EmbeddedStore {
    fn key_path(&self) -> PathBuf {
        self.dir.join("master.key")
    }

    /// Loads the master key, creating it (0600, random) on first use.
    fn load_or_create_master_key(&self) -> Result<Vec<u8>, SecretStoreError> {
        let path = self.key_path();
        let io = |source| SecretStoreError::Io { path: path.display().to_string(), source };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
            Ok(mut file) => {
                let mut key = vec![0u8; MASTER_KEY_LEN];
                getrandom::getrandom(&mut key).map_err(|e| io(std::io::Error::other(e)))?;
                std::io::Write::write_all(&mut file, &key).map_err(io)?;
                file.sync_all().map_err(io)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        let invalid = |reason: String| SecretStoreError::InvalidKey { path: path.display().to_string(), reason };
        let mode = std::fs::metadata(&path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(invalid(format!("permissions {mode:o} let others read it; expected 600")));
        }
        let key = std::fs::read(&path).map_err(io)?;
        if key.len() != MASTER_KEY_LEN {
            return Err(invalid(format!("expected {MASTER_KEY_LEN} bytes, found {}", key.len())));
        }
        Ok(key)
    }
}

#[async_trait::async_trait]
impl SecretStore for EmbeddedStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn check(&self) -> Result<(), SecretStoreError> {
        self.load_or_create_master_key().map(drop)
    }

    async fn derive_key(&self, purpose: &str) -> Result<[u8; 32], SecretStoreError> {
        use hmac::{Hmac, Mac};
        let master = self.load_or_create_master_key()?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&master).expect("HMAC takes any key length");
        mac.update(b"reelpilot derived key\n");
        mac.update(purpose.as_bytes());
        Ok(mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("reelpilot-secrets-{}", uuid::Uuid::new_v4()))
    }

    #[tokio::test]
    async fn creates_a_private_master_key_once_and_keeps_it() {
        let dir = temp_dir();
        let store = EmbeddedStore { dir: dir.clone() };
        store.check().await.unwrap();
        let first = std::fs::read(store.key_path()).unwrap();
        assert_eq!(first.len(), MASTER_KEY_LEN);
        let mode = std::fs::metadata(store.key_path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        store.check().await.unwrap();
        assert_eq!(std::fs::read(store.key_path()).unwrap(), first, "the key must never be regenerated");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn derived_keys_are_stable_per_purpose_and_differ_between_purposes_and_stores() {
        let (a, b) = (temp_dir(), temp_dir());
        let store = EmbeddedStore { dir: a.clone() };
        let first = store.derive_key("media-urls").await.unwrap();
        assert_eq!(store.derive_key("media-urls").await.unwrap(), first);
        assert_ne!(store.derive_key("webhooks").await.unwrap(), first);
        let elsewhere = EmbeddedStore { dir: b.clone() };
        assert_ne!(elsewhere.derive_key("media-urls").await.unwrap(), first, "another master key, another derived key");
        std::fs::remove_dir_all(a).unwrap();
        std::fs::remove_dir_all(b).unwrap();
    }

    #[tokio::test]
    async fn refuses_a_key_others_can_read_or_of_the_wrong_size() {
        let dir = temp_dir();
        let store = EmbeddedStore { dir: dir.clone() };
        store.check().await.unwrap();
        std::fs::set_permissions(store.key_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.check().await.unwrap_err();
        assert!(err.to_string().contains("expected 600"), "{err}");

        std::fs::set_permissions(store.key_path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(store.key_path(), b"short").unwrap();
        let err = store.check().await.unwrap_err();
        assert!(err.to_string().contains("expected 32 bytes"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
