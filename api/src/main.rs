//! `reelpilot-api [serve|migrate|seed]`: the HTTP API, the migration
//! runner and the demo seed, in one binary so they share configuration.

use anyhow::Context;
use api::{AppState, app};
use migration::{Migrator, MigratorTrait};
use platform::Config;
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let config = Config::from_env().context("reading configuration")?;
    platform::telemetry::init(&config.telemetry);
    match command.as_str() {
        "serve" => serve(config).await,
        "migrate" => migrate(&config).await,
        "seed" => api::seed::run(state(config).await?).await,
        other => anyhow::bail!("unknown command {other:?}; expected serve, migrate or seed"),
    }
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = platform::db::connect(&config.database).await?;
    Migrator::up(&db, None).await.context("running migrations")?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn state(config: Config) -> anyhow::Result<AppState> {
    let db = platform::db::connect(&config.database).await.context("configuring the database pool")?;
    let temporal = temporal::runtime::connect(
        &config.temporal.address,
        &config.temporal.namespace,
        "reelpilot-api",
        config.temporal.connect_timeout,
    )
    .await?;
    let secrets = platform::secrets::from_config(&config.secrets);
    let media_key = Arc::new(secrets.derive_key(api::routes::MEDIA_KEY_PURPOSE).await?);
    Ok(AppState {
        db,
        temporal,
        storage: platform::storage::from_config(&config.storage),
        secrets,
        mailer: platform::mail::Mailer::new(&config.mail)?,
        media_key,
        config: Arc::new(config),
    })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.api.listen;
    let state = state(config).await?;
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
