//! DeleteOrg: one run per org (`{org}:delete`), started once the API has
//! marked the org as being deleted (from then on its members see nothing).
//! The steps run in order, each an idempotent activity retried with
//! backoff until it succeeds, so a worker crash part-way repeats a step and
//! the run still finishes:
//!
//! 1. stop the org's work (metrics schedules deleted, every other run of
//!    the org terminated), so nothing writes while the rest goes;
//! 2. disconnect its TikTok accounts (TikTok revokes, tokens destroyed);
//! 3. destroy its secrets;
//! 4. delete its stored objects;
//! 5. delete its rows (late objects first, under the org row's lock).

use std::time::Duration;
use temporal::org::{DeleteOrgInput, DeletionStatus, DeletionStep, OrgActivities};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{ActivityOptions, RetryPolicy, WorkflowContext, WorkflowContextView, WorkflowResult};

/// A deletion must finish: transient failures (a sealed secret store, an
/// unreachable Temporal or database) are retried for as long as they last,
/// backing off to one attempt every five minutes. Only what retrying cannot
/// fix (the activity says non-retryable) fails the run. The steps heartbeat
/// while they work, so a worker that died is noticed within seconds and the
/// step starts again elsewhere.
fn step_options(timeout: Duration) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timeout)
        .heartbeat_timeout(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(300))
                // 0: no limit.
                .maximum_attempts(0)
                .build(),
        )
        .build()
}

#[workflow]
#[derive(Default)]
pub struct DeleteOrgWorkflow {
    status: DeletionStatus,
}

#[workflow_methods]
impl DeleteOrgWorkflow {
    #[run(name = "DeleteOrg")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: DeleteOrgInput) -> WorkflowResult<DeletionStatus> {
        step(ctx, DeletionStep::StoppingWork);
        let stopped = ctx
            .execute_activity(OrgActivities::stop_work, input.clone(), step_options(Duration::from_secs(300)))
            .await?;
        ctx.state_mut(|s| s.status.stopped = stopped);

        step(ctx, DeletionStep::RevokingTikTok);
        let accounts = ctx
            .execute_activity(OrgActivities::revoke_tiktok, input.clone(), step_options(Duration::from_secs(300)))
            .await?;
        ctx.state_mut(|s| s.status.tiktok_accounts = accounts);

        step(ctx, DeletionStep::DeletingSecrets);
        let secrets = ctx
            .execute_activity(OrgActivities::delete_secrets, input.clone(), step_options(Duration::from_secs(300)))
            .await?;
        ctx.state_mut(|s| s.status.secrets = secrets);

        step(ctx, DeletionStep::DeletingObjects);
        let objects = ctx
            .execute_activity(OrgActivities::delete_objects, input.clone(), step_options(Duration::from_secs(30 * 60)))
            .await?;
        ctx.state_mut(|s| s.status.objects = objects);

        step(ctx, DeletionStep::DeletingRows);
        let late = ctx
            .execute_activity(OrgActivities::delete_rows, input.clone(), step_options(Duration::from_secs(300)))
            .await?;
        ctx.state_mut(|s| s.status.objects += late);

        step(ctx, DeletionStep::Done);
        Ok(ctx.state(|s| s.status.clone()))
    }

    #[query(name = "status")]
    pub fn status(&self, _ctx: &WorkflowContextView) -> DeletionStatus {
        self.status.clone()
    }
}

fn step(ctx: &mut WorkflowContext<DeleteOrgWorkflow>, step: DeletionStep) {
    ctx.state_mut(|s| s.status.step = step);
}
