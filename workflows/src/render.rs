//! RenderSlot: one render of one slot version. The render activity runs on
//! the `render` queue with heartbeats (progress, and the channel through
//! which a cancellation reaches it); a failure or cancellation puts the
//! slot back to approved with the reason.

use crate::{
    options::{cleanup, heartbeating},
    plan::cause,
};
use std::time::Duration;
use temporal::{
    queues::Workload,
    render::{
        AbandonRenderInput, PreviewSlotInput, PreviewSlotOutput, RenderActivities, RenderSlotInput, RenderSlotOutput,
    },
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{ActivityExecutionError, WorkflowContext, WorkflowResult, WorkflowTermination};

#[workflow]
#[derive(Default)]
pub struct RenderSlotWorkflow;

#[workflow_methods]
impl RenderSlotWorkflow {
    #[run(name = "RenderSlot")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: RenderSlotInput) -> WorkflowResult<RenderSlotOutput> {
        let queue = Workload::Render.beside(ctx.task_queue());
        let result = ctx
            .execute_activity(
                RenderActivities::render_slot,
                input.clone(),
                heartbeating(queue, Duration::from_secs(30 * 60), Duration::from_secs(5), 3),
            )
            .await;
        let (reason, termination) = match result {
            Ok(output) => return Ok(output),
            Err(ActivityExecutionError::Cancelled(_)) => {
                ("the render was cancelled".to_owned(), WorkflowTermination::cancelled())
            }
            Err(err) => (format!("the render failed: {}", cause(&err)), err.into()),
        };
        let abandon =
            AbandonRenderInput { org_id: input.org_id, slot_id: input.slot_id, version: input.version, reason };
        ctx.execute_activity(RenderActivities::abandon, abandon, cleanup()).await?;
        Err(termination)
    }
}

/// PreviewSlot: a 540x960 preview of one content version, on the `render`
/// queue like a render; a failure fails the run (shown on the slot page)
/// and changes nothing about the slot.
#[workflow]
#[derive(Default)]
pub struct PreviewSlotWorkflow;

#[workflow_methods]
impl PreviewSlotWorkflow {
    #[run(name = "PreviewSlot")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: PreviewSlotInput) -> WorkflowResult<PreviewSlotOutput> {
        let queue = Workload::Render.beside(ctx.task_queue());
        Ok(ctx
            .execute_activity(
                RenderActivities::preview_slot,
                input,
                heartbeating(queue, Duration::from_secs(10 * 60), Duration::from_secs(5), 3),
            )
            .await?)
    }
}
