//! The analytics agent's weekly schedule per project (`WeeklyAnalytics`).

use super::unavailable;
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
    use temporalio_client::schedules::{CreateScheduleOptions, ScheduleAction, ScheduleOverlapPolicy, ScheduleSpec};
    let id = temporal::analytics::analytics_schedule_id(org_id, project_id);
    let options = CreateScheduleOptions::builder()
        .action(ScheduleAction::start_workflow(
            WeeklyAnalyticsWorkflow::run,
            WeeklyAnalyticsInput { org_id, project_id },
            Workload::Main.queue(&state.config.temporal.task_queue_prefix),
            id.clone(),
        ))
        .spec(ScheduleSpec::from_interval(EVERY))
        .overlap_policy(ScheduleOverlapPolicy::Skip)
        .note("The analytics agent's weekly summary of one project".to_owned())
        .build();
    match state.temporal.create_schedule(&id, options).await {
        Ok(_) => tracing::info!(schedule_id = %id, "analytics schedule created"),
        Err(e) if e.to_string().to_lowercase().contains("already") => {}
        Err(e) => return Err(unavailable(e)),
    }
    if now {
        let handle = state.temporal.get_schedule_handle(&id);
        handle.trigger(ScheduleOverlapPolicy::AllowAll, Default::default()).await.map_err(unavailable)?;
    }
    Ok(())
}

pub async fn delete_analytics_schedule(state: &AppState, org_id: Uuid, project_id: Uuid) {
    let id = temporal::analytics::analytics_schedule_id(org_id, project_id);
    if let Err(e) = state.temporal.get_schedule_handle(&id).delete(Default::default()).await {
        tracing::debug!(schedule_id = %id, error = %e, "no analytics schedule to delete");
    }
}
