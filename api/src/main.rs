//! `reelpilot-api [serve|migrate|seed|rotate-keys [--retire]]`: the HTTP
//! API, the migration runner, the demo seed and the secret store's key
//! rotation, in one binary so they share configuration.

use anyhow::Context;
use api::{AppState, app};
use migration::{Migrator, MigratorTrait};
use platform::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let config = Config::from_env().context("reading configuration")?;
    platform::telemetry::init(&config.telemetry);
    match command.as_str() {
        "serve" => serve(config).await,
        "migrate" => migrate(&config).await,
        "seed" => api::seed::run(AppState::from_config(config, "reelpilot-seed").await?).await,
        "rotate-keys" => {
            let retire = std::env::args().nth(2).as_deref() == Some("--retire");
            let store = platform::secrets::from_config(&config.secrets);
            let done = platform::secrets::rotate_and_rewrap(&*store, retire).await.context("rotating keys")?;
            tracing::info!(
                backend = store.backend(),
                new_version = done.new_version,
                rewrapped = done.rewrapped,
                min_decryption = done.min_decryption,
                "secret store keys rotated"
            );
            Ok(())
        }
        other => anyhow::bail!("unknown command {other:?}; expected serve, migrate, seed or rotate-keys"),
    }
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = platform::db::connect(&config.database).await?;
    Migrator::up(&db, None).await.context("running migrations")?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.api.listen;
    // Partial files of uploads cut off by a crash are removed hourly.
    let _sweeper = platform::storage::spawn_partial_sweeper(config.storage.clone());
    let state = AppState::from_config(config, "reelpilot-api").await?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    tracing::info!(%listen, "API listening");
    axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("API stopped");
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
