//! Activity options the workflows share, by the kind of step.

use std::time::Duration;
use temporalio_workflow::{ActivityCancellationType, ActivityOptions, RetryPolicy, WorkflowCancellationToken};

/// A long step on its own queue (a render, a download, a transcription):
/// its heartbeats show a dead worker within `heartbeat`, so a crash costs
/// one attempt rather than the whole timeout; a cancellation waits until
/// the step has stopped its processes.
pub(crate) fn heartbeating(
    task_queue: String,
    start_to_close: Duration,
    heartbeat: Duration,
    attempts: u32,
) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(start_to_close)
        .task_queue(task_queue)
        .heartbeat_timeout(heartbeat)
        .cancellation_type(ActivityCancellationType::WaitCancellationCompleted)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(2))
                .backoff_coefficient(3.0)
                .maximum_interval(Duration::from_secs(60))
                .maximum_attempts(attempts)
                .build(),
        )
        .build()
}

/// Bookkeeping after a run failed or was cancelled: detached from the
/// workflow's cancellation, since it must run after one.
pub(crate) fn cleanup() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        .cancellation_token(WorkflowCancellationToken::new())
        .retry_policy(RetryPolicy::builder().initial_interval(Duration::from_millis(500)).maximum_attempts(10).build())
        .build()
}
