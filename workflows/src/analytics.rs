//! WeeklyAnalytics: the analytics agent's run for one project, started by
//! the project's weekly schedule (or "summarise now"). The activity is
//! idempotent per week (a rerun replaces the week's summary).

use crate::plan::llm_activity_options;
use temporal::analytics::{AnalyticsActivities, WeekSummarized, WeeklyAnalyticsInput};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{WorkflowContext, WorkflowResult};

#[workflow]
#[derive(Default)]
pub struct WeeklyAnalyticsWorkflow;

#[workflow_methods]
impl WeeklyAnalyticsWorkflow {
    #[run(name = "WeeklyAnalytics")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: WeeklyAnalyticsInput) -> WorkflowResult<WeekSummarized> {
        Ok(ctx.execute_activity(AnalyticsActivities::summarize_week, input, llm_activity_options()).await?)
    }
}
