//! IndexKnowledge: one run per document upload (`{org}:knowledge:{document}`)
//! that embeds what the org's knowledge is missing. The pass is idempotent
//! (it embeds what has no embedding yet), so retries just continue it.

use std::time::Duration;
use temporal::knowledge::{IndexKnowledgeInput, IndexedKnowledge, KnowledgeActivities};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{ActivityOptions, RetryPolicy, WorkflowContext, WorkflowResult};

#[workflow]
#[derive(Default)]
pub struct IndexKnowledgeWorkflow;

#[workflow_methods]
impl IndexKnowledgeWorkflow {
    #[run(name = "IndexKnowledge")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: IndexKnowledgeInput) -> WorkflowResult<IndexedKnowledge> {
        let options = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30 * 60))
            .heartbeat_timeout(Duration::from_secs(30))
            .retry_policy(
                RetryPolicy::builder()
                    .initial_interval(Duration::from_secs(2))
                    .backoff_coefficient(2.0)
                    .maximum_interval(Duration::from_secs(120))
                    .maximum_attempts(20)
                    .build(),
            )
            .build();
        Ok(ctx.execute_activity(KnowledgeActivities::index, input, options).await?)
    }
}
