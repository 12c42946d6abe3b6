use std::time::Duration;
use temporal::plan::{
    DraftBatchInput, GenerateMonthPlanInput, GenerateMonthPlanOutput, ImproveSlotInput, ImproveSlotOutput,
    MarkPlanFailedInput, PlanActivities, PlanProgress, PlanRef, StartPlanInput, batches,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ActivityExecutionError, ActivityOptions, RetryPolicy, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// Days in a month plan.
pub const PLAN_DAYS: u32 = 30;

/// Database bookkeeping: quick, retried with backoff.
pub(crate) fn db_activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(30))
                .maximum_attempts(8)
                .build(),
        )
        .build()
}

/// An LLM batch makes several HTTP attempts itself; Temporal retries the
/// whole batch a few times more, with a growing pause, for outages.
pub(crate) fn llm_activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(15 * 60))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(2))
                .backoff_coefficient(3.0)
                .maximum_interval(Duration::from_secs(120))
                .maximum_attempts(4)
                .build(),
        )
        .build()
}

/// Lays out a project's month (30 days x its daily posting times) and drafts
/// it with the language model a batch of days at a time. Locked and approved
/// slots are never redrafted; re-running it redrafts the rest in place.
#[workflow]
#[derive(Default)]
pub struct GenerateMonthPlanWorkflow {
    progress: PlanProgress,
}

#[workflow_methods]
impl GenerateMonthPlanWorkflow {
    #[run(name = "GenerateMonthPlan")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: GenerateMonthPlanInput,
    ) -> WorkflowResult<GenerateMonthPlanOutput> {
        let plan = PlanRef { org_id: input.org_id, plan_id: input.plan_id, meta: input.meta };
        let batches = batches(PLAN_DAYS, input.batch_days);
        let batches_total = batches.len() as u32;
        ctx.state_mut(|s| s.progress.batches_total = batches_total);

        let start = StartPlanInput { plan: plan.clone(), batches_total };
        let grid = match ctx.execute_activity(PlanActivities::create_slots, start, db_activity_options()).await {
            Ok(grid) => grid,
            Err(err) => {
                return fail(ctx, plan, format!("laying out the slots failed: {}", cause(&err)), err.into()).await;
            }
        };

        // The creative agent plans the month's series before the script agent drafts.
        if let Err(err) = ctx.execute_activity(PlanActivities::plan_series, plan.clone(), llm_activity_options()).await
        {
            return fail(ctx, plan, format!("planning the month's series failed: {}", cause(&err)), err.into()).await;
        }

        let (mut drafted, mut repairs) = (0, 0);
        for (index, (first_day, days)) in batches.into_iter().enumerate() {
            let batch = DraftBatchInput { plan: plan.clone(), first_day, days, batch_index: index as u32 };
            match ctx.execute_activity(PlanActivities::draft_batch, batch, llm_activity_options()).await {
                Ok(out) => {
                    drafted += out.written;
                    repairs += out.repairs;
                    ctx.state_mut(|s| s.progress.batches_done = index as u32 + 1);
                }
                Err(err) => {
                    let reason =
                        format!("drafting days {} to {} failed: {}", first_day + 1, first_day + days, cause(&err));
                    return fail(ctx, plan, reason, err.into()).await;
                }
            }
        }
        if let Err(err) = ctx.execute_activity(PlanActivities::finish, plan.clone(), db_activity_options()).await {
            return fail(ctx, plan, format!("finishing the plan failed: {}", cause(&err)), err.into()).await;
        }
        // The prompt engineering agent learns from the month; the plan is
        // ready whatever it finds.
        let prompt_review =
            ctx.execute_activity(PlanActivities::review_prompts, plan.clone(), llm_activity_options()).await.ok();
        Ok(GenerateMonthPlanOutput {
            plan_id: plan.plan_id,
            slots_total: grid.slots_total,
            slots_drafted: drafted,
            repairs,
            prompt_review,
        })
    }

    #[query(name = "progress")]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> PlanProgress {
        self.progress
    }
}

/// The root cause of an activity failure, as its activity reported it.
/// The innermost failure message of an activity error: the activity's own words.
pub(crate) fn cause(err: &ActivityExecutionError) -> String {
    let Some(mut failure) = err.failure() else { return err.to_string() };
    while let Some(inner) = failure.cause.as_deref() {
        failure = inner;
    }
    failure.message.clone()
}

/// Records the failed step and its cause on the plan, then fails the run.
async fn fail<T>(
    ctx: &mut WorkflowContext<GenerateMonthPlanWorkflow>,
    plan: PlanRef,
    reason: String,
    cause: temporalio_workflow::WorkflowTermination,
) -> WorkflowResult<T> {
    ctx.execute_activity(PlanActivities::mark_failed, MarkPlanFailedInput { plan, reason }, db_activity_options())
        .await?;
    Err(cause)
}

/// Redrafts one slot with an optional instruction ("AI improve").
#[workflow]
#[derive(Default)]
pub struct ImproveSlotWorkflow;

#[workflow_methods]
impl ImproveSlotWorkflow {
    #[run(name = "ImproveSlot")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: ImproveSlotInput) -> WorkflowResult<ImproveSlotOutput> {
        Ok(ctx.execute_activity(PlanActivities::improve_slot, input, llm_activity_options()).await?)
    }
}
