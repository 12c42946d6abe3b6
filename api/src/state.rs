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
}
