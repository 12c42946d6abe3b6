use std::time::Duration;
use temporal::plan::{CreateMonthPlanInput, CreateMonthPlanOutput, MarkPlanFailedInput, PlanActivities, PlanRef};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{ActivityOptions, RetryPolicy, WorkflowContext, WorkflowContextView, WorkflowResult};

/// Lays out a project's month: the plan's slot grid (30 days x its daily
/// posting times), each slot at its local posting time. Drafting content
/// into the slots is the LLM's job in a later step.
#[workflow]
#[derive(Default)]
pub struct CreateMonthPlanWorkflow {
    stage: Stage,
}

/// Where a run is, for the `stage` query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    #[default]
    Starting,
    CreatingSlots,
    Done,
    Failed,
}

fn db_activity_options() -> ActivityOptions {
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

#[workflow_methods]
impl CreateMonthPlanWorkflow {
    #[run(name = "CreateMonthPlan")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: CreateMonthPlanInput,
    ) -> WorkflowResult<CreateMonthPlanOutput> {
        let plan = PlanRef { org_id: input.org_id, plan_id: input.plan_id, meta: input.meta };
        ctx.state_mut(|s| s.stage = Stage::CreatingSlots);
        match ctx.execute_activity(PlanActivities::create_slots, plan.clone(), db_activity_options()).await {
            Ok(created) => {
                ctx.state_mut(|s| s.stage = Stage::Done);
                Ok(CreateMonthPlanOutput {
                    plan_id: plan.plan_id,
                    slots_created: created.slots_created,
                    slots_total: created.slots_total,
                })
            }
            Err(err) => {
                ctx.state_mut(|s| s.stage = Stage::Failed);
                let reason = format!("creating the slot grid failed: {err}");
                ctx.execute_activity(
                    PlanActivities::mark_failed,
                    MarkPlanFailedInput { plan, reason },
                    db_activity_options(),
                )
                .await?;
                Err(err.into())
            }
        }
    }

    #[query(name = "stage")]
    pub fn stage(&self, _ctx: &WorkflowContextView) -> Stage {
        self.stage
    }
}
