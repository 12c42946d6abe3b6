//! Object storage behind one trait. The local filesystem backend is the
//! default; the S3-compatible backend joins it with the rendering work.

use crate::config::StorageConfig;
use std::{path::PathBuf, sync::Arc};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage directory {dir} is not usable: {source}")]
    Unusable { dir: String, source: std::io::Error },
}

#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync {
    /// Short name for logs and readiness reports.
    fn backend(&self) -> &'static str;
    /// Proves the backend can be written to right now.
    async fn check(&self) -> Result<(), StorageError>;
}

pub fn from_config(cfg: &StorageConfig) -> Arc<dyn ObjectStore> {
    match cfg {
        StorageConfig::Local { dir } => Arc::new(LocalStore { root: dir.clone() }),
    }
}

pub struct LocalStore {
    root: PathBuf,
}

#[async_trait::async_trait]
impl ObjectStore for LocalStore {
    fn backend(&self) -> &'static str {
        "local"
    }

    async fn check(&self) -> Result<(), StorageError> {
        let unusable = |source| StorageError::Unusable { dir: self.root.display().to_string(), source };
        tokio::fs::create_dir_all(&self.root).await.map_err(unusable)?;
        let probe = self.root.join(format!(".probe-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&probe, b"ok").await.map_err(unusable)?;
        tokio::fs::remove_file(&probe).await.map_err(unusable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_store_reports_a_directory_it_cannot_write() {
        let dir = std::env::temp_dir().join(format!("reelpilot-storage-{}", uuid::Uuid::new_v4()));
        let store = from_config(&StorageConfig::Local { dir: dir.clone() });
        store.check().await.expect("a fresh directory is usable");

        // A regular file where the directory should be cannot hold objects.
        let blocked = dir.join("blocked");
        std::fs::write(&blocked, b"not a directory").unwrap();
        let store = from_config(&StorageConfig::Local { dir: blocked });
        let err = store.check().await.unwrap_err();
        assert!(err.to_string().contains("blocked"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
