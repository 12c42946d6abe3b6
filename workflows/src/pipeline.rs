//! SlotPipeline: one run per slot (`{org}:slot:{slot}`), from approval to a
//! public TikTok post.
//!
//! Publishing is at most once: `publish.init` reuses a recorded
//! `publish_id` and records a new one before it returns; a post only
//! happens once its single upload completes; every later step is a
//! read-only status check polled on workflow timers (never a long activity
//! loop), so a crash anywhere resumes without a second post.

use crate::plan::{cause, db_activity_options, llm_activity_options};
use std::time::{Duration, UNIX_EPOCH};
use temporal::{
    ids,
    pipeline::{
        AccountRef, Approval, FailInput, GateInput, PipelineActivities, PipelineStage, PipelineStatus,
        PolicyActivities, PolicyCheck, PolicyMoment, PolicyVerdict, PublishActivities, PublishDecision, PublishState,
        RenderStart, Resume, SlotPipelineInput, SlotPipelineOutput, SlotRef, SlotStep, StageInput, TokenRefreshInput,
    },
    queues::Workload,
    render::{RenderSlotInput, RenderSlotOutput},
};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ActivityOptions, ChildWorkflowOptions, ContinueAsNewOptions, RetryPolicy, SyncWorkflowContext, WorkflowContext,
    WorkflowContextView, WorkflowResult, WorkflowTermination,
};

/// TikTok calls: exponential backoff for transient failures (the activity
/// sets a jittered delay for each retry); a permanent TikTok error fails at
/// once (non-retryable).
fn tiktok_retry() -> RetryPolicy {
    RetryPolicy::builder()
        .initial_interval(Duration::from_secs(1))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(60))
        .maximum_attempts(12)
        .build()
}

fn tiktok_call(queue: &str, timeout: Duration) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timeout)
        .task_queue(queue.to_owned())
        .retry_policy(tiktok_retry())
        .build()
}

/// The upload heartbeats after every chunk, so a worker that died
/// mid-upload is noticed within the heartbeat timeout (longer than one
/// chunk of at most 64 MB takes) and the retry resumes from the bytes
/// TikTok holds.
fn upload_call(queue: &str) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30 * 60))
        .task_queue(queue.to_owned())
        .heartbeat_timeout(Duration::from_secs(120))
        .retry_policy(tiktok_retry())
        .build()
}

#[workflow]
#[derive(Default)]
pub struct SlotPipelineWorkflow {
    status: PipelineStatus,
    approved_by: Option<String>,
    rejected: bool,
    decision: Option<PublishDecision>,
    /// An admin's override or a new approval (after an edit) since the
    /// policy last blocked the slot: check it again.
    recheck_policy: bool,
}

#[workflow_methods]
impl SlotPipelineWorkflow {
    #[run(name = "SlotPipeline")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: SlotPipelineInput) -> WorkflowResult<SlotPipelineOutput> {
        let slot = SlotRef { org_id: input.org_id, slot_id: input.slot_id, meta: input.meta.clone() };
        let publish_queue = Workload::Publish.beside(ctx.task_queue());
        stage(ctx, PipelineStage::Loading);
        let context = ctx.execute_activity(PipelineActivities::load, slot.clone(), db_activity_options()).await?;
        if context.resume == Resume::Done {
            stage(ctx, PipelineStage::Done);
            return Ok(SlotPipelineOutput::AlreadyPublished);
        }

        // 1. The approval gate (skipped under autopilot, or when already approved).
        if context.resume == Resume::Approval && context.needs_approval {
            stage(ctx, PipelineStage::WaitingForApproval);
            ctx.wait_condition(|s| s.approved_by.is_some() || s.rejected).await?;
            if ctx.state(|s| s.rejected) {
                stage(ctx, PipelineStage::Done);
                return Ok(SlotPipelineOutput::Rejected);
            }
        }

        // 2. Render (a child run per render version), once the policy allows it.
        if context.resume <= Resume::Render {
            if let Some(stopped) = pass_policy(ctx, &slot, PolicyMoment::BeforeRender).await? {
                return Ok(stopped);
            }
            stage(ctx, PipelineStage::Rendering);
            let version =
                match ctx.execute_activity(PipelineActivities::start_render, slot.clone(), db_activity_options()).await
                {
                    Ok(RenderStart::Started { version }) => version,
                    // Rejected or unapproved after the gate: the slot stays the person's draft.
                    Ok(RenderStart::NotApproved) => {
                        stage(ctx, PipelineStage::Done);
                        return Ok(SlotPipelineOutput::Rejected);
                    }
                    Err(err) => return fail(ctx, slot, format!("the render could not start: {}", cause(&err))).await,
                };
            let render = RenderSlotInput {
                org_id: input.org_id,
                project_id: input.project_id,
                slot_id: input.slot_id,
                version,
                meta: input.meta.clone(),
            };
            let child_id = ids::slot_render_workflow_id(input.org_id, input.slot_id, version);
            let started = ctx
                .start_child_workflow(
                    crate::RenderSlotWorkflow::run,
                    render,
                    ChildWorkflowOptions::workflow_id(child_id),
                )
                .await?;
            match started.result().await {
                Ok(RenderSlotOutput::Rendered { .. }) => {}
                Ok(RenderSlotOutput::Superseded) => {
                    return fail(ctx, slot, "the render was superseded by a newer one".into()).await;
                }
                Err(err) => return fail(ctx, slot, format!("rendering failed: {err}")).await,
            }
        }

        // 3. The publish gate: a person's choices, or autopilot's saved ones;
        //    then 4. the slot's time, on a durable timer.
        if context.resume <= Resume::PublishGate {
            if !context.decided {
                let decision = if context.needs_publish_approval {
                    stage(ctx, PipelineStage::WaitingForPublishApproval);
                    ctx.wait_condition(|s| s.decision.is_some()).await?;
                    ctx.state(|s| s.decision.clone())
                } else {
                    None
                };
                let gate = GateInput { slot: slot.clone(), decision };
                if let Err(err) =
                    ctx.execute_activity(PipelineActivities::pass_publish_gate, gate, db_activity_options()).await
                {
                    return fail(ctx, slot, format!("the publish choices were refused: {}", cause(&err))).await;
                }
            }
            set_stage(ctx, &slot, SlotStep::PublishApproved).await?;
            let now = ctx.workflow_time().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
            let at = Duration::from_secs(context.scheduled_at.max(0) as u64);
            let post_now = ctx.state(|s| s.decision.as_ref().is_some_and(|d| d.post_now));
            if at > now && !post_now {
                stage(ctx, PipelineStage::WaitingForSlotTime);
                ctx.timer(at - now).await;
            }
            // The rules may have changed since the render: check once more.
            if let Some(stopped) = pass_policy(ctx, &slot, PolicyMoment::BeforePublish).await? {
                return Ok(stopped);
            }
        }

        // 5. Publish: init (at most once), upload, then status on timers.
        stage(ctx, PipelineStage::Publishing);
        set_stage(ctx, &slot, SlotStep::Publishing).await?;
        let publish_id = match ctx
            .execute_activity(
                PublishActivities::init,
                slot.clone(),
                tiktok_call(&publish_queue, Duration::from_secs(60)),
            )
            .await
        {
            Ok(id) => id,
            Err(err) => return fail(ctx, slot, format!("TikTok refused the post: {}", cause(&err))).await,
        };
        ctx.state_mut(|s| s.status.publish_id = Some(publish_id.clone()));
        if let Err(err) =
            ctx.execute_activity(PublishActivities::upload, slot.clone(), upload_call(&publish_queue)).await
        {
            return fail(ctx, slot, format!("uploading to TikTok failed: {}", cause(&err))).await;
        }
        let mut wait = Duration::from_secs(input.poll.status_first_secs.max(1));
        let mut waited = Duration::ZERO;
        let (post_id, public) = loop {
            ctx.timer(wait).await;
            waited += wait;
            match ctx
                .execute_activity(
                    PublishActivities::check_status,
                    slot.clone(),
                    tiktok_call(&publish_queue, Duration::from_secs(60)),
                )
                .await
            {
                Ok(PublishState::Complete { post_id, public }) => break (post_id, public),
                Ok(PublishState::SentToInbox) => {
                    // The draft waits in the creator's app; keep checking
                    // (slowly) until they post it, for as long as a post id
                    // is awaited; then the slot rests in its own final state.
                    stage(ctx, PipelineStage::WaitingInInbox);
                    if waited.as_secs() > input.poll.post_id_for_secs {
                        set_stage(ctx, &slot, SlotStep::SentToInbox).await?;
                        stage(ctx, PipelineStage::Done);
                        return Ok(SlotPipelineOutput::SentToInbox { publish_id });
                    }
                    wait = Duration::from_secs(input.poll.status_max_secs.max(1));
                    continue;
                }
                Ok(PublishState::Failed { reason }) => {
                    return fail(ctx, slot, format!("TikTok could not publish: {reason}")).await;
                }
                Ok(PublishState::Processing) => {}
                Err(err) => return fail(ctx, slot, format!("checking the post failed: {}", cause(&err))).await,
            }
            if waited.as_secs() > input.poll.status_deadline_secs {
                return fail(
                    ctx,
                    slot,
                    "TikTok did not finish processing in time; check the account before posting again".into(),
                )
                .await;
            }
            wait = (wait * 2).min(Duration::from_secs(input.poll.status_max_secs.max(1)));
        };
        set_stage(ctx, &slot, SlotStep::Published).await?;

        // 6. The public post id appears after moderation (never for private posts).
        let mut post_id = post_id;
        let mut waited = Duration::ZERO;
        while public && post_id.is_none() && waited.as_secs() < input.poll.post_id_for_secs {
            stage(ctx, PipelineStage::WaitingForPostId);
            let every = Duration::from_secs(input.poll.post_id_every_secs.max(1));
            ctx.timer(every).await;
            waited += every;
            if let Ok(PublishState::Complete { post_id: found, .. }) = ctx
                .execute_activity(
                    PublishActivities::check_status,
                    slot.clone(),
                    tiktok_call(&publish_queue, Duration::from_secs(60)),
                )
                .await
            {
                post_id = found;
            }
        }
        stage(ctx, PipelineStage::Done);
        Ok(SlotPipelineOutput::Published { publish_id, post_id })
    }

    #[signal(name = "approve")]
    pub fn approve(&mut self, _ctx: &mut SyncWorkflowContext<Self>, approval: Approval) {
        self.approved_by = Some(approval.by.to_string());
        self.recheck_policy = true;
    }

    #[signal(name = "reject")]
    pub fn reject(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _by: Approval) {
        self.rejected = true;
    }

    /// A person's choices at the publish gate; the first one counts.
    #[signal(name = "publish")]
    pub fn publish(&mut self, _ctx: &mut SyncWorkflowContext<Self>, decision: PublishDecision) {
        if self.decision.is_none() {
            self.decision = Some(decision);
        }
    }

    /// An admin overrode the policy block (the API checked their role and
    /// recorded the override): check the slot again.
    #[signal(name = "policy_review")]
    pub fn policy_review(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _by: Approval) {
        self.recheck_policy = true;
    }

    #[query(name = "status")]
    pub fn status(&self, _ctx: &WorkflowContextView) -> PipelineStatus {
        self.status.clone()
    }
}

fn stage(ctx: &mut WorkflowContext<SlotPipelineWorkflow>, stage: PipelineStage) {
    ctx.state_mut(|s| s.status.stage = stage);
}

async fn set_stage(
    ctx: &mut WorkflowContext<SlotPipelineWorkflow>,
    slot: &SlotRef,
    step: SlotStep,
) -> WorkflowResult<()> {
    let input = StageInput { slot: slot.clone(), step };
    ctx.execute_activity(PipelineActivities::set_stage, input, db_activity_options()).await?;
    Ok(())
}

/// The policy gate: passes when the org's rules allow the slot; while a
/// rule blocks it, waits for an admin's override or a new approval of an
/// edited slot (then checks again) or a rejection (then ends, posting
/// nothing).
async fn pass_policy(
    ctx: &mut WorkflowContext<SlotPipelineWorkflow>,
    slot: &SlotRef,
    moment: PolicyMoment,
) -> WorkflowResult<Option<SlotPipelineOutput>> {
    loop {
        let check = PolicyCheck { slot: slot.clone(), moment };
        match ctx.execute_activity(PolicyActivities::check, check, llm_activity_options()).await {
            Ok(PolicyVerdict::Clear) => {
                ctx.state_mut(|s| s.status.policy_block = None);
                return Ok(None);
            }
            Ok(PolicyVerdict::Blocked { reason }) => {
                ctx.state_mut(|s| {
                    s.status.stage = PipelineStage::BlockedByPolicy;
                    s.status.policy_block = Some(reason);
                    s.recheck_policy = false;
                });
                ctx.wait_condition(|s| s.recheck_policy || s.rejected).await?;
                if ctx.state(|s| s.rejected) {
                    stage(ctx, PipelineStage::Done);
                    return Ok(Some(SlotPipelineOutput::Rejected));
                }
            }
            Err(err) => {
                return fail(ctx, slot.clone(), format!("the policy check failed: {}", cause(&err))).await;
            }
        }
    }
}

async fn fail<T>(ctx: &mut WorkflowContext<SlotPipelineWorkflow>, slot: SlotRef, reason: String) -> WorkflowResult<T> {
    stage(ctx, PipelineStage::Failed);
    ctx.execute_activity(PipelineActivities::fail, FailInput { slot, reason: reason.clone() }, db_activity_options())
        .await?;
    Err(WorkflowTermination::failed_application(ApplicationFailure::non_retryable(reason)))
}

/// Snapshots one account's post metrics; run by a Temporal Schedule per
/// account (overlap: skip).
#[workflow]
#[derive(Default)]
pub struct MetricsRefreshWorkflow;

#[workflow_methods]
impl MetricsRefreshWorkflow {
    #[run(name = "MetricsRefresh")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: AccountRef) -> WorkflowResult<u32> {
        let queue = Workload::Publish.beside(ctx.task_queue());
        Ok(ctx
            .execute_activity(PublishActivities::fetch_metrics, input, tiktok_call(&queue, Duration::from_secs(120)))
            .await?)
    }
}

/// Keeps one account's tokens fresh: sleeps until shortly before the access
/// token expires, refreshes (one at a time per account: one run per account
/// id, and the refresh itself holds the account's row lock), then continues
/// as new so its history stays short. Ends when the account is disconnected.
#[workflow]
#[derive(Default)]
pub struct TokenRefreshWorkflow;

#[workflow_methods]
impl TokenRefreshWorkflow {
    #[run(name = "TokenRefresh")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: TokenRefreshInput) -> WorkflowResult<()> {
        let queue = Workload::Publish.beside(ctx.task_queue());
        let due = ctx
            .execute_activity(
                PublishActivities::refresh_due,
                input.clone(),
                tiktok_call(&queue, Duration::from_secs(60)),
            )
            .await?;
        let Some(due) = due else { return Ok(()) };
        ctx.timer(Duration::from_secs(due)).await;
        ctx.execute_activity(
            PublishActivities::refresh_now,
            input.account.clone(),
            tiktok_call(&queue, Duration::from_secs(60)),
        )
        .await?;
        ctx.continue_as_new(input, ContinueAsNewOptions::default())?;
        Ok(())
    }
}
