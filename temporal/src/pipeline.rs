//! The pipeline of one slot: approval -> render -> publish gate -> the
//! slot's time -> publish to TikTok -> status until done -> public post id.
//! Bookkeeping activities run on `main`; TikTok calls on `publish`.

use crate::RunMeta;
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityError;
use temporalio_macros::activity_definitions;
use uuid::Uuid;

pub const SLOT_PIPELINE_WORKFLOW: &str = "SlotPipeline";
pub const APPROVE_SIGNAL: &str = "approve";
pub const REJECT_SIGNAL: &str = "reject";
pub const PUBLISH_SIGNAL: &str = "publish";
/// An admin overrode the policy block: check the slot again.
pub const POLICY_REVIEW_SIGNAL: &str = "policy_review";

/// How often TikTok is asked (tests shorten these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollSettings {
    /// First status check after the upload; doubles up to `status_max_secs`.
    pub status_first_secs: u64,
    pub status_max_secs: u64,
    /// Give up waiting for PUBLISH_COMPLETE after this long.
    pub status_deadline_secs: u64,
    /// Between checks for the public post id, and for how long.
    pub post_id_every_secs: u64,
    pub post_id_for_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotPipelineInput {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub slot_id: Uuid,
    pub poll: PollSettings,
    pub meta: RunMeta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotPipelineOutput {
    Published {
        publish_id: String,
        post_id: Option<String>,
    },
    /// Direct posts are done at PUBLISH_COMPLETE; inbox drafts wait in the
    /// creator's app and are done when delivered there.
    SentToInbox {
        publish_id: String,
    },
    /// A person rejected the slot, or took its approval back before the
    /// render: nothing was posted.
    Rejected,
    AlreadyPublished,
}

/// The approval signal: who approved (the API checked their role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub by: Uuid,
}

/// What a person chose at the publish gate (TikTok's required choices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateChoice {
    pub privacy_level: String,
    pub allow_comment: bool,
    pub allow_duet: bool,
    pub allow_stitch: bool,
    pub brand_organic: bool,
    pub branded_content: bool,
}

/// The publish-gate signal: a person's choices, which the API checked
/// against a fresh creator_info. Nothing is stored before the pipeline
/// takes them at its gate (`pipeline.pass_publish_gate`), so a decision no
/// pipeline waits for changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishDecision {
    pub by: Uuid,
    pub choice: GateChoice,
    /// Post as soon as the video is ready instead of at the slot's time.
    #[serde(default)]
    pub post_now: bool,
    /// The API request that decided, for the audit entry.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Where a run is, for the API and the Temporal UI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineStage {
    #[default]
    Loading,
    WaitingForApproval,
    /// A policy rule blocks the slot: it waits for an edit or an admin's override.
    BlockedByPolicy,
    Rendering,
    WaitingForPublishApproval,
    WaitingForSlotTime,
    Publishing,
    /// An inbox draft waits for the creator to post it from the app.
    WaitingInInbox,
    WaitingForPostId,
    Done,
    Failed,
}

impl PipelineStage {
    pub const ALL: [PipelineStage; 11] = [
        PipelineStage::Loading,
        PipelineStage::WaitingForApproval,
        PipelineStage::BlockedByPolicy,
        PipelineStage::Rendering,
        PipelineStage::WaitingForPublishApproval,
        PipelineStage::WaitingForSlotTime,
        PipelineStage::Publishing,
        PipelineStage::WaitingInInbox,
        PipelineStage::WaitingForPostId,
        PipelineStage::Done,
        PipelineStage::Failed,
    ];

    /// The name on the wire (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            PipelineStage::Loading => "loading",
            PipelineStage::WaitingForApproval => "waiting_for_approval",
            PipelineStage::BlockedByPolicy => "blocked_by_policy",
            PipelineStage::Rendering => "rendering",
            PipelineStage::WaitingForPublishApproval => "waiting_for_publish_approval",
            PipelineStage::WaitingForSlotTime => "waiting_for_slot_time",
            PipelineStage::Publishing => "publishing",
            PipelineStage::WaitingInInbox => "waiting_in_inbox",
            PipelineStage::WaitingForPostId => "waiting_for_post_id",
            PipelineStage::Done => "done",
            PipelineStage::Failed => "failed",
        }
    }

    /// The run waits at a gate for a person.
    pub fn waits_for_a_person(self) -> bool {
        matches!(
            self,
            PipelineStage::WaitingForApproval
                | PipelineStage::BlockedByPolicy
                | PipelineStage::WaitingForPublishApproval
        )
    }
}

/// Where the pipeline is, for the API and the Temporal UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineStatus {
    pub stage: PipelineStage,
    pub publish_id: Option<String>,
    /// Which rules stop the slot, while it is blocked by policy.
    #[serde(default)]
    pub policy_block: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotRef {
    pub org_id: Uuid,
    pub slot_id: Uuid,
    pub meta: RunMeta,
}

/// Where a run picks the slot up (`domain::publishing::ResumeAt`), in the
/// order a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resume {
    /// A draft: the approval gate (or, without it, autopilot approves).
    Approval,
    /// Approved, or a render under way: render.
    Render,
    /// Rendered: the publish gate, unless a decision stands.
    PublishGate,
    /// Publishing: TikTok (a recorded `publish_id` is reused).
    Publish,
    /// Posted, or sent to the creator's inbox: nothing left to do.
    Done,
}

/// What the workflow needs to decide, read once at the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineContext {
    pub resume: Resume,
    /// The approval gate applies (gate on, autopilot off).
    pub needs_approval: bool,
    /// The publish gate applies (gate on, autopilot off).
    pub needs_publish_approval: bool,
    /// Unix seconds of the slot's posting time.
    pub scheduled_at: i64,
    /// A publish-gate decision is already stored (a retried run).
    pub decided: bool,
}

/// The slot statuses the pipeline records on its way (each a named
/// transition in `domain::publishing::publication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotStep {
    PublishApproved,
    Publishing,
    Published,
    /// The run ends with the draft in the creator's inbox.
    SentToInbox,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageInput {
    pub slot: SlotRef,
    pub step: SlotStep,
}

/// How the render step began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenderStart {
    /// The render of this version runs.
    Started { version: i32 },
    /// The slot is not approved (a person rejected it or took the approval
    /// back): nothing is rendered, and nothing will be posted.
    NotApproved,
}

/// The publish gate's input: a person's decision, or none for autopilot
/// (the project's saved choices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateInput {
    pub slot: SlotRef,
    pub decision: Option<PublishDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailInput {
    pub slot: SlotRef,
    pub reason: String,
}

/// What a status check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PublishState {
    Processing,
    SentToInbox,
    /// `public`: the post is public, so a public post id will follow moderation.
    Complete {
        post_id: Option<String>,
        public: bool,
    },
    Failed {
        reason: String,
    },
}

/// Where the policy gate runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyMoment {
    BeforeRender,
    BeforePublish,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyCheck {
    pub slot: SlotRef,
    pub moment: PolicyMoment,
}

/// What the org's content policy says about the slot now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyVerdict {
    Clear,
    /// Which rules block it and why (also on the slot, for people).
    Blocked {
        reason: String,
    },
}

pub struct PolicyActivities;

#[allow(clippy::unimplemented)]
#[activity_definitions]
impl PolicyActivities {
    /// Runs the org's rules on the slot's current text (the language model
    /// judges the classifier rules) and records a block or clears it.
    #[activity(name = "policy.check")]
    pub fn check(input: PolicyCheck) -> Result<PolicyVerdict, ActivityError> {
        unimplemented!()
    }
}

pub struct PipelineActivities;

// Definitions only: the SDK requires `unimplemented!()` bodies here.
#[allow(clippy::unimplemented)]
#[activity_definitions]
impl PipelineActivities {
    /// Reads the slot, its project's gates and autopilot and what is stored.
    #[activity(name = "pipeline.load")]
    pub fn load(input: SlotRef) -> Result<PipelineContext, ActivityError> {
        unimplemented!()
    }

    /// Starts the slot's render (the next render version), unless the slot
    /// is not approved.
    #[activity(name = "pipeline.start_render")]
    pub fn start_render(input: SlotRef) -> Result<RenderStart, ActivityError> {
        unimplemented!()
    }

    /// The publish gate's one decision (a person's choices, or autopilot's
    /// saved ones) against a fresh creator_info, recorded on the publication.
    #[activity(name = "pipeline.pass_publish_gate")]
    pub fn pass_publish_gate(input: GateInput) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Records the slot's step (a named transition checked against its table).
    #[activity(name = "pipeline.set_stage")]
    pub fn set_stage(input: StageInput) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Records the failure on the slot (the dead-letter list shows it).
    #[activity(name = "pipeline.fail")]
    pub fn fail(input: FailInput) -> Result<(), ActivityError> {
        unimplemented!()
    }
}

/// One connected account (metrics, token refresh).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    pub org_id: Uuid,
    pub account_id: Uuid,
}

/// The token refresh run of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRefreshInput {
    pub account: AccountRef,
    /// Refresh this long before the access token expires.
    pub refresh_before_secs: u64,
}

pub struct PublishActivities;

#[allow(clippy::unimplemented)]
#[activity_definitions]
impl PublishActivities {
    /// Inits the post unless a `publish_id` is already recorded, and records
    /// the new one before returning. Returns the `publish_id`.
    #[activity(name = "publish.init")]
    pub fn init(input: SlotRef) -> Result<String, ActivityError> {
        unimplemented!()
    }

    /// Uploads the video in chunks read from storage one at a time,
    /// resuming from what TikTok holds; heartbeats after every chunk.
    #[activity(name = "publish.upload")]
    pub fn upload(input: SlotRef) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// One status check (read-only), recorded on the publication.
    #[activity(name = "publish.check_status")]
    pub fn check_status(input: SlotRef) -> Result<PublishState, ActivityError> {
        unimplemented!()
    }

    /// Seconds until the account's token should be refreshed; `None` once
    /// the account is not connected (the refresh run ends).
    #[activity(name = "tiktok.refresh_due")]
    pub fn refresh_due(input: TokenRefreshInput) -> Result<Option<u64>, ActivityError> {
        unimplemented!()
    }

    /// Refreshes the account's tokens now (single flight per account).
    #[activity(name = "tiktok.refresh_now")]
    pub fn refresh_now(input: AccountRef) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Snapshots the counters of the account's public posts (batches of 20
    /// through `video/query`); returns how many were recorded.
    #[activity(name = "publish.fetch_metrics")]
    pub fn fetch_metrics(input: AccountRef) -> Result<u32, ActivityError> {
        unimplemented!()
    }
}

// The activity markers the implementations in the `activities` crate bind to.
pub use pipeline_activities::{Fail, Load, PassPublishGate, SetStage, StartRender};
pub use policy_activities::Check as CheckPolicy;
pub use publish_activities::{CheckStatus, FetchMetrics, Init, RefreshDue, RefreshNow, Upload};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_is_listed_once_and_named_as_it_is_serialized() {
        let names: std::collections::BTreeSet<&str> = PipelineStage::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), PipelineStage::ALL.len());
        for stage in PipelineStage::ALL {
            assert_eq!(serde_json::to_value(stage).unwrap(), serde_json::json!(stage.as_str()));
            // No wildcard: a new variant breaks this match; add it to ALL as well.
            match stage {
                PipelineStage::Loading
                | PipelineStage::WaitingForApproval
                | PipelineStage::BlockedByPolicy
                | PipelineStage::Rendering
                | PipelineStage::WaitingForPublishApproval
                | PipelineStage::WaitingForSlotTime
                | PipelineStage::Publishing
                | PipelineStage::WaitingInInbox
                | PipelineStage::WaitingForPostId
                | PipelineStage::Done
                | PipelineStage::Failed => {}
            }
        }
        assert!(Resume::Approval < Resume::Render && Resume::PublishGate < Resume::Publish);
    }
}
