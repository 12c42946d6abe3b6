//! The analytics agent's weekly schedule per project (`WeeklyAnalytics`).

use super::ensure_schedule;
use crate::{ApiError, AppState};
use temporal::{analytics::WeeklyAnalyticsInput, queues::Workload};
use uuid::Uuid;
use workflows::WeeklyAnalyticsWorkflow;

/// How often a project's week is summed up.
const EVERY: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Creates the project's weekly analytics schedule unless it exists; `now`
/// also runs it at once.
pub async fn ensure_analytics_schedule(
    state: &AppState,
    org_id: Uuid,
    project_id: Uuid,
    now: bool,
) -> Result<(), ApiError> {
    let id = temporal::analytics::analytics_schedule_id(org_id, project_id);
    let action = temporalio_client::schedules::ScheduleAction::start_workflow(
        WeeklyAnalyticsWorkflow::run,
        WeeklyAnalyticsInput { org_id, project_id },
        Workload::Main.queue(&state.config.temporal.task_queue_prefix),
        id.clone(),
    );
    ensure_schedule(state, &id, action, EVERY, "The analytics agent's weekly summary of one project", now).await
}

pub async fn delete_analytics_schedule(state: &AppState, org_id: Uuid, project_id: Uuid) {
    let id = temporal::analytics::analytics_schedule_id(org_id, project_id);
    if let Err(e) = state.temporal.get_schedule_handle(&id).delete(Default::default()).await {
        tracing::debug!(schedule_id = %id, error = %e, "no analytics schedule to delete");
    }
}
