//! Worker wiring: which workflows and activities run on which task queue.

use crate::{
    analytics::AnalyticsActivitiesImpl,
    import::{ImportActivitiesImpl, speech::Whisper},
    knowledge::KnowledgeActivitiesImpl,
    org::OrgActivitiesImpl,
    pipeline::{PipelineActivitiesImpl, PublishActivitiesImpl},
    plan::PlanActivitiesImpl,
    policy::PolicyActivitiesImpl,
    render::{activity::RenderActivitiesImpl, tts},
};
use platform::{
    config::RenderConfig, llm::LlmClient, secrets::SecretStore, storage::ObjectStore, tiktok::TikTokClient,
};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use temporal::queues::Workload;
use temporalio_client::Client;
use temporalio_sdk::{
    Worker, WorkerOptions,
    runtime::worker_tuner::{FixedSizeSlotSupplier, TunerHolder},
};
use workflows::{
    DeleteOrgWorkflow, GenerateMonthPlanWorkflow, ImportVideoWorkflow, ImproveSlotWorkflow, IndexKnowledgeWorkflow,
    MetricsRefreshWorkflow, PreviewSlotWorkflow, RenderSlotWorkflow, SlotPipelineWorkflow, TokenRefreshWorkflow,
    WeeklyAnalyticsWorkflow,
};

pub struct Dependencies {
    pub db: DatabaseConnection,
    pub llm: Arc<LlmClient>,
    pub storage: Arc<dyn ObjectStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub tiktok: Arc<TikTokClient>,
    pub budgets: platform::config::BudgetDefaults,
    /// The process's Whisper model, loaded on the first transcription.
    pub whisper: Arc<Whisper>,
    /// The process's embedding model, loaded on the first use.
    pub embeddings: Arc<embed::Embeddings>,
}

impl Dependencies {
    /// The worker's clients and stores from config: the one wiring the
    /// binary and the tests share.
    pub fn from_config(config: &platform::Config, db: DatabaseConnection) -> Dependencies {
        Dependencies {
            db,
            llm: Arc::new(LlmClient::new(&config.llm)),
            storage: platform::storage::from_config(&config.storage),
            secrets: platform::secrets::from_config(&config.secrets),
            tiktok: Arc::new(TikTokClient::new(&config.tiktok)),
            budgets: config.budgets,
            whisper: Arc::new(Whisper::new(config.import.whisper_model.clone(), config.import.asr_threads)),
            embeddings: Arc::new(embed::Embeddings::new(
                config.embedding.model_dir.clone(),
                config.embedding.onnxruntime_lib.clone(),
            )),
        }
    }

    fn import_activities(&self, config: &platform::config::ImportConfig) -> ImportActivitiesImpl {
        ImportActivitiesImpl {
            db: self.db.clone(),
            storage: self.storage.clone(),
            config: config.clone(),
            budgets: self.budgets,
            whisper: self.whisper.clone(),
            llm: self.llm.clone(),
            secrets: self.secrets.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("registering workflows failed: {0}")]
    Register(String),
    #[error("creating the worker failed: {0}")]
    Create(String),
}

/// The worker of the `main` queue: every workflow and the light activities.
fn main_worker(
    runtime: &temporalio_sdk::Runtime,
    client: Client,
    task_queue_prefix: &str,
    max_concurrent_activities: usize,
    render: &RenderConfig,
    import: &platform::config::ImportConfig,
    deps: Dependencies,
) -> Result<Worker, BuildError> {
    // An import's bookkeeping (how it ended) runs here.
    let imports = deps.import_activities(import);
    let options = WorkerOptions::new(Workload::Main.queue(task_queue_prefix))
        .register_workflow::<GenerateMonthPlanWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<ImproveSlotWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<RenderSlotWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<PreviewSlotWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<SlotPipelineWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<MetricsRefreshWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<TokenRefreshWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<DeleteOrgWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<ImportVideoWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<IndexKnowledgeWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<WeeklyAnalyticsWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_activities(imports)
        .register_activities(AnalyticsActivitiesImpl {
            db: deps.db.clone(),
            llm: deps.llm.clone(),
            secrets: deps.secrets.clone(),
            budgets: deps.budgets,
        })
        .register_activities(KnowledgeActivitiesImpl { db: deps.db.clone(), embeddings: deps.embeddings.clone() })
        // Deleting an org stops its runs and schedules, hence the client.
        .register_activities(OrgActivitiesImpl {
            db: deps.db.clone(),
            temporal: client.clone(),
            secrets: deps.secrets.clone(),
            storage: deps.storage.clone(),
            tiktok: deps.tiktok.clone(),
        })
        .register_activities(PolicyActivitiesImpl {
            db: deps.db.clone(),
            llm: deps.llm.clone(),
            secrets: deps.secrets.clone(),
            budgets: deps.budgets,
        })
        .register_activities(PlanActivitiesImpl {
            db: deps.db.clone(),
            llm: deps.llm,
            secrets: deps.secrets.clone(),
            budgets: deps.budgets,
            embeddings: deps.embeddings,
        })
        .register_activities(PipelineActivitiesImpl { db: deps.db.clone(), secrets: deps.secrets, tiktok: deps.tiktok })
        // The render workflow's bookkeeping (releasing a slot) runs here.
        .register_activities(render_activities(deps.db, deps.storage, render, deps.budgets))
        .tuner(tuner(100, max_concurrent_activities))
        .build();
    Worker::new(runtime, client, options).map_err(|e| BuildError::Create(e.to_string()))
}

/// The worker of the `render` queue: FFmpeg renders only, `max_concurrent` at a time.
fn render_worker(
    runtime: &temporalio_sdk::Runtime,
    client: Client,
    task_queue_prefix: &str,
    render: &RenderConfig,
    db: DatabaseConnection,
    storage: Arc<dyn ObjectStore>,
    budgets: platform::config::BudgetDefaults,
) -> Result<Worker, BuildError> {
    let options = WorkerOptions::new(Workload::Render.queue(task_queue_prefix))
        .register_activities(render_activities(db, storage, render, budgets))
        .tuner(tuner(1, render.max_concurrent))
        .build();
    Worker::new(runtime, client, options).map_err(|e| BuildError::Create(e.to_string()))
}

fn render_activities(
    db: DatabaseConnection,
    storage: Arc<dyn ObjectStore>,
    cfg: &RenderConfig,
    budgets: platform::config::BudgetDefaults,
) -> RenderActivitiesImpl {
    RenderActivitiesImpl { db, storage, tts: tts::from_config(&cfg.voice), work_dir: cfg.work_dir.clone(), budgets }
}

fn tuner(workflow_slots: usize, activity_slots: usize) -> TunerHolder {
    TunerHolder::builder()
        .workflow_task_slot_supplier(FixedSizeSlotSupplier::new(workflow_slots))
        .activity_task_slot_supplier(FixedSizeSlotSupplier::new(activity_slots.max(1)))
        .local_activity_task_slot_supplier(FixedSizeSlotSupplier::new(activity_slots.max(1)))
        .nexus_task_slot_supplier(FixedSizeSlotSupplier::new(1))
        .build()
}

/// The worker of the `asr` queue: downloads and Whisper, `max_concurrent`
/// at a time (each recognition uses `ASR_THREADS` cores).
fn asr_worker(
    runtime: &temporalio_sdk::Runtime,
    client: Client,
    task_queue_prefix: &str,
    activities: ImportActivitiesImpl,
) -> Result<Worker, BuildError> {
    let max_concurrent = activities.config.max_concurrent;
    let options = WorkerOptions::new(Workload::Asr.queue(task_queue_prefix))
        .register_activities(activities)
        .tuner(tuner(1, max_concurrent))
        .build();
    Worker::new(runtime, client, options).map_err(|e| BuildError::Create(e.to_string()))
}

/// The worker of the `publish` queue: TikTok calls.
fn publish_worker(
    runtime: &temporalio_sdk::Runtime,
    client: Client,
    task_queue_prefix: &str,
    activities: PublishActivitiesImpl,
) -> Result<Worker, BuildError> {
    let options = WorkerOptions::new(Workload::Publish.queue(task_queue_prefix))
        .register_activities(activities)
        .tuner(tuner(1, 8))
        .build();
    Worker::new(runtime, client, options).map_err(|e| BuildError::Create(e.to_string()))
}

/// The workers of one worker process: `main`, `render`, `publish` and `asr`.
pub struct Workers {
    main: Worker,
    render: Worker,
    publish: Worker,
    asr: Worker,
}

impl Workers {
    pub fn build(
        runtime: &temporalio_sdk::Runtime,
        client: Client,
        config: &platform::Config,
        deps: Dependencies,
    ) -> Result<Workers, BuildError> {
        let prefix = &config.temporal.task_queue_prefix;
        let render = render_worker(
            runtime,
            client.clone(),
            prefix,
            &config.render,
            deps.db.clone(),
            deps.storage.clone(),
            deps.budgets,
        )?;
        let publishing = PublishActivitiesImpl {
            db: deps.db.clone(),
            secrets: deps.secrets.clone(),
            storage: deps.storage.clone(),
            tiktok: deps.tiktok.clone(),
            budgets: deps.budgets,
        };
        let publish = publish_worker(runtime, client.clone(), prefix, publishing)?;
        let asr = asr_worker(runtime, client.clone(), prefix, deps.import_activities(&config.import))?;
        let main = main_worker(
            runtime,
            client,
            prefix,
            config.worker.max_concurrent_activities,
            &config.render,
            &config.import,
            deps,
        )?;
        Ok(Workers { main, render, publish, asr })
    }

    /// Asks every worker to finish the tasks in hand and stop.
    pub fn shutdown_handle(&self) -> impl Fn() + Send + Sync + 'static {
        let handles = [
            self.main.shutdown_handle(),
            self.render.shutdown_handle(),
            self.publish.shutdown_handle(),
            self.asr.shutdown_handle(),
        ];
        move || handles.iter().for_each(|stop| stop())
    }

    /// Runs them all until shutdown; the first failure stops the process.
    pub async fn run(&mut self) -> Result<(), temporalio_sdk::WorkerRunError> {
        let (main, render, publish, asr) =
            futures::join!(self.main.run(), self.render.run(), self.publish.run(), self.asr.run());
        main.and(render).and(publish).and(asr)
    }
}

/// Serves this process's Prometheus metrics at `http://{addr}/metrics` in
/// the background; returns the address bound (for port 0).
pub async fn serve_metrics(addr: std::net::SocketAddr) -> std::io::Result<std::net::SocketAddr> {
    use axum::{Router, http::header::CONTENT_TYPE, routing::get};
    let app = Router::new().route(
        "/metrics",
        get(|| async { ([(CONTENT_TYPE, platform::metrics::CONTENT_TYPE)], platform::metrics::render()) }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_worker_serves_its_metrics_in_prometheus_text() {
        platform::metrics::RENDERS.with_label_values(&["rendered"]).inc();
        let addr = super::serve_metrics("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let response = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = response.text().await.unwrap();
        assert!(text.contains("reelpilot_renders_total{outcome=\"rendered\"} 1"), "{text}");
    }
}
