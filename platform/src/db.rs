//! The PostgreSQL connection pool.

use crate::config::DatabaseConfig;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Connects lazily: the pool opens connections on first use, so a process
/// starts (and reports "not ready" on /readyz) while PostgreSQL is down
/// instead of crashing.
pub async fn connect(cfg: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(cfg.url().to_owned());
    opts.max_connections(cfg.max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(true)
        .sqlx_logging(false);
    Database::connect(opts).await
}
