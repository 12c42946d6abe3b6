use platform::{Config, mail::Mailer, secrets::SecretStore, storage::ObjectStore, tiktok::TikTokClient};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use temporalio_client::Client;

/// What handlers need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub temporal: Client,
    pub storage: Arc<dyn ObjectStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub mailer: Mailer,
    pub tiktok: Arc<TikTokClient>,
    /// Signs and checks media links; derived from the secret store.
    pub media_key: Arc<[u8; 32]>,
    pub config: Arc<Config>,
    /// The embedding model that reads search queries, loaded on first use.
    pub embeddings: Arc<embed::Embeddings>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("configuring the database pool: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("connecting to Temporal: {0}")]
    Temporal(String),
    #[error("deriving the media-link key from the secret store: {0}")]
    SecretStore(#[from] platform::secrets::SecretStoreError),
    #[error("configuring mail: {0}")]
    Mail(String),
}

impl AppState {
    /// Everything the handlers need, from config: the one wiring `main`
    /// and the tests share. `client_name` is how Temporal sees this API.
    pub async fn from_config(config: Config, client_name: &str) -> Result<AppState, StateError> {
        let db = platform::db::connect(&config.database).await?;
        let temporal = temporal::runtime::connect(
            &config.temporal.address,
            &config.temporal.namespace,
            client_name,
            config.temporal.connect_timeout,
        )
        .await
        .map_err(|e| StateError::Temporal(e.to_string()))?;
        let secrets = platform::secrets::from_config(&config.secrets);
        let media_key = Arc::new(media_key(&*secrets).await?);
        Ok(AppState {
            db,
            temporal,
            storage: platform::storage::from_config(&config.storage),
            secrets,
            mailer: Mailer::new(&config.mail).map_err(|e| StateError::Mail(e.to_string()))?,
            tiktok: Arc::new(TikTokClient::new(&config.tiktok)),
            media_key,
            embeddings: Arc::new(embed::Embeddings::new(
                config.embedding.model_dir.clone(),
                config.embedding.onnxruntime_lib.clone(),
            )),
            config: Arc::new(config),
        })
    }
}

/// The media-link key; a sealed or starting Vault is waited for (a minute)
/// rather than failing the start.
async fn media_key(secrets: &dyn SecretStore) -> Result<[u8; 32], platform::secrets::SecretStoreError> {
    let mut attempt = 0;
    loop {
        match secrets.derive_key(crate::routes::MEDIA_KEY_PURPOSE).await {
            Ok(key) => return Ok(key),
            Err(e) if e.is_retryable() && attempt < 30 => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "the secret store is not ready; waiting");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            Err(e) => return Err(e),
        }
    }
}
