//! RenderSlot: one render of one slot version. The render activity runs on
//! the `render` queue with heartbeats (progress, and the channel through
//! which a cancellation reaches it); a failure or cancellation puts the
//! slot back to approved with the reason.

use crate::plan::cause;
use std::time::Duration;
use temporal::{
    queues::Workload,
    render::{AbandonRenderInput, RenderActivities, RenderSlotInput, RenderSlotOutput},
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ActivityCancellationType, ActivityExecutionError, ActivityOptions, RetryPolicy, WorkflowCancellationToken,
    WorkflowContext, WorkflowResult, WorkflowTermination,
};

fn render_options(task_queue: String) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30 * 60))
        .task_queue(task_queue)
        .heartbeat_timeout(Duration::from_secs(5))
        // Wait for FFmpeg to be gone before the slot is released.
        .cancellation_type(ActivityCancellationType::WaitCancellationCompleted)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(2))
                .backoff_coefficient(3.0)
                .maximum_interval(Duration::from_secs(60))
                // An invalid output fails non-retryable from the activity itself.
                .maximum_attempts(3)
                .build(),
        )
        .build()
}

fn cleanup_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        // Detached from the workflow's cancellation: it must run after one.
        .cancellation_token(WorkflowCancellationToken::new())
        .retry_policy(RetryPolicy::builder().initial_interval(Duration::from_millis(500)).maximum_attempts(10).build())
        .build()
}

#[workflow]
#[derive(Default)]
pub struct RenderSlotWorkflow;

#[workflow_methods]
impl RenderSlotWorkflow {
    #[run(name = "RenderSlot")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: RenderSlotInput) -> WorkflowResult<RenderSlotOutput> {
        let queue = Workload::Render.beside(ctx.task_queue());
        let result = ctx.execute_activity(RenderActivities::render_slot, input.clone(), render_options(queue)).await;
        let (reason, termination) = match result {
            Ok(output) => return Ok(output),
            Err(ActivityExecutionError::Cancelled(_)) => {
                ("the render was cancelled".to_owned(), WorkflowTermination::cancelled())
            }
            Err(err) => (format!("the render failed: {}", cause(&err)), err.into()),
        };
        let abandon =
            AbandonRenderInput { org_id: input.org_id, slot_id: input.slot_id, version: input.version, reason };
        ctx.execute_activity(RenderActivities::abandon, abandon, cleanup_options()).await?;
        Err(termination)
    }
}
