//! The worker binary: runs the workflows and activities of Reelpilot.

use anyhow::Context;
use platform::Config;
use temporalio_common::telemetry::{
    PrometheusExporterOptions, TelemetryOptions, metrics::CoreMeter, start_prometheus_metric_exporter,
};
use temporalio_sdk::{Runtime, runtime::RuntimeOptions};

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
    let runtime = Runtime::from_current_tokio(runtime_options(&config)?).context("starting the Temporal runtime")?;
    let deps = activities::worker::Dependencies::from_config(&config, db);
    // S3 uploads stage on local disk; what a crash left there is removed hourly.
    let _sweeper = platform::storage::spawn_partial_sweeper(config.storage.clone());
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

/// The SDK runtime, exporting the SDK's own metrics (task latencies, polls,
/// slots) when `TEMPORAL_SDK_METRICS_ADDR` is set.
fn runtime_options(config: &Config) -> anyhow::Result<RuntimeOptions> {
    let telemetry = match config.worker.sdk_metrics_addr {
        Some(addr) => {
            let exporter = PrometheusExporterOptions::builder()
                .socket_addr(addr)
                .counters_total_suffix(true)
                .use_seconds_for_durations(true)
                .build();
            let started = start_prometheus_metric_exporter(exporter).context("serving the SDK's metrics")?;
            tracing::info!(bound = %started.bound_addr, "Temporal SDK metrics at /metrics");
            TelemetryOptions::builder().metrics(started.meter as std::sync::Arc<dyn CoreMeter>).build()
        }
        None => TelemetryOptions::default(),
    };
    RuntimeOptions::builder().telemetry_options(telemetry).build().map_err(anyhow::Error::msg)
}
