//! Worker wiring: which workflows and activities run on which task queue.

use crate::{llm::LlmClient, plan::PlanActivitiesImpl};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use temporal::queues::Workload;
use temporalio_client::Client;
use temporalio_sdk::{
    Worker, WorkerOptions,
    runtime::worker_tuner::{FixedSizeSlotSupplier, TunerHolder},
};
use workflows::{GenerateMonthPlanWorkflow, ImproveSlotWorkflow};

pub struct Dependencies {
    pub db: DatabaseConnection,
    pub llm: Arc<LlmClient>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("registering workflows failed: {0}")]
    Register(String),
    #[error("creating the worker failed: {0}")]
    Create(String),
}

/// The worker of the `main` queue: every workflow and the light activities.
pub fn main_worker(
    runtime: &temporalio_sdk::Runtime,
    client: Client,
    task_queue_prefix: &str,
    max_concurrent_activities: usize,
    deps: Dependencies,
) -> Result<Worker, BuildError> {
    let options = WorkerOptions::new(Workload::Main.queue(task_queue_prefix))
        .register_workflow::<GenerateMonthPlanWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_workflow::<ImproveSlotWorkflow>()
        .map_err(|e| BuildError::Register(e.to_string()))?
        .register_activities(PlanActivitiesImpl { db: deps.db, llm: deps.llm })
        .tuner(
            TunerHolder::builder()
                .workflow_task_slot_supplier(FixedSizeSlotSupplier::new(100))
                .activity_task_slot_supplier(FixedSizeSlotSupplier::new(max_concurrent_activities.max(1)))
                .local_activity_task_slot_supplier(FixedSizeSlotSupplier::new(max_concurrent_activities.max(1)))
                .nexus_task_slot_supplier(FixedSizeSlotSupplier::new(1))
                .build(),
        )
        .build();
    Worker::new(runtime, client, options).map_err(|e| BuildError::Create(e.to_string()))
}
