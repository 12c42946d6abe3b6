//! The worker binary: runs the workflows and activities of Reelpilot.

use anyhow::Context;
use platform::Config;
use temporalio_sdk::Runtime;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env().context("reading configuration")?;
    platform::telemetry::init(&config.telemetry);
    let db = platform::db::connect(&config.database).await.context("configuring the database pool")?;
    let client = temporal::runtime::connect(
        &config.temporal.address,
        &config.temporal.namespace,
        "reelpilot-worker",
        config.temporal.connect_timeout,
    )
    .await?;
    let runtime = Runtime::from_current_tokio(Default::default()).context("starting the Temporal runtime")?;
    let deps = activities::worker::Dependencies {
        db,
        llm: std::sync::Arc::new(activities::llm::LlmClient::new(&config.llm)),
        storage: platform::storage::from_config(&config.storage),
        secrets: platform::secrets::from_config(&config.secrets),
        tiktok: std::sync::Arc::new(platform::tiktok::TikTokClient::new(&config.tiktok)),
    };
    let mut worker = activities::worker::Workers::build(&runtime, client, &config, deps)?;
    if let Some(addr) = config.worker.metrics_addr {
        let bound = activities::worker::serve_metrics(addr).await.context("serving the worker's metrics")?;
        tracing::info!(%bound, "Prometheus metrics at /metrics");
    }

    // Finish the tasks in hand on Ctrl-C / SIGTERM instead of dropping them.
    let shutdown = worker.shutdown_handle();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested; draining the worker");
        shutdown();
    });
    let prefix = &config.temporal.task_queue_prefix;
    tracing::info!(
        main_queue = %temporal::queues::Workload::Main.queue(prefix),
        render_queue = %temporal::queues::Workload::Render.queue(prefix),
        renders_at_once = config.render.max_concurrent,
        "worker started"
    );
    worker.run().await.context("worker stopped with an error")?;
    tracing::info!("worker stopped");
    Ok(())
}

async fn wait_for_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
