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
    Rejected,
    AlreadyPublished,
}

/// The approval signal: who approved (the API checked their role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub by: Uuid,
}

/// The publish-gate signal: the API validated the choices against a fresh
/// creator_info and stored them on the publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishDecision {
    pub by: Uuid,
    /// Post as soon as the video is ready instead of at the slot's time.
    #[serde(default)]
    pub post_now: bool,
}

/// Where the pipeline is, for the API and the Temporal UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineStatus {
    /// loading, waiting_for_approval, rendering, waiting_for_publish_approval,
    /// waiting_for_slot_time, publishing, waiting_for_post_id, done, failed.
    pub stage: String,
    pub publish_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotRef {
    pub org_id: Uuid,
    pub slot_id: Uuid,
    pub meta: RunMeta,
}

/// What the workflow needs to decide, read once at the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineContext {
    pub slot_status: String,
    /// The approval gate applies (gate on, autopilot off).
    pub needs_approval: bool,
    /// The publish gate applies (gate on, autopilot off).
    pub needs_publish_approval: bool,
    /// Unix seconds of the slot's posting time.
    pub scheduled_at: i64,
    /// A publish-gate decision is already stored (a retried run).
    pub decided: bool,
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageInput {
    pub slot: SlotRef,
    /// The slot status to record: publish_approved, publishing, published.
    pub slot_status: String,
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

    /// Starts the slot's render (the next render version); returns it.
    #[activity(name = "pipeline.start_render")]
    pub fn start_render(input: SlotRef) -> Result<i32, ActivityError> {
        unimplemented!()
    }

    /// Prepares the publication: under autopilot from the project's saved
    /// choices, checked against a fresh creator_info.
    #[activity(name = "pipeline.prepare_publication")]
    pub fn prepare_publication(input: SlotRef) -> Result<(), ActivityError> {
        unimplemented!()
    }

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

    /// Uploads the video in chunks, resuming from what TikTok holds.
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
pub use pipeline_activities::{Fail, Load, PreparePublication, SetStage, StartRender};
pub use publish_activities::{CheckStatus, FetchMetrics, Init, RefreshDue, RefreshNow, Upload};
