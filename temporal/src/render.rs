//! Rendering: the workflow that turns an approved slot into a video. The
//! render itself runs on the `render` task queue (FFmpeg-heavy, its own
//! concurrency); the bookkeeping runs on `main`.

use crate::RunMeta;
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityError;
use temporalio_macros::activity_definitions;
use uuid::Uuid;

pub const RENDER_SLOT_WORKFLOW: &str = "RenderSlot";
pub const PREVIEW_SLOT_WORKFLOW: &str = "PreviewSlot";

/// A fast low-resolution preview of one content version of a slot, with
/// the final render's timeline; the slot's status does not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewSlotInput {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub slot_id: Uuid,
    /// The slot's content version the preview shows.
    pub version: i32,
    pub meta: RunMeta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PreviewSlotOutput {
    Previewed {
        video_asset_id: Uuid,
        duration_ms: i32,
    },
    /// The slot's content changed since (or it became a clip); nothing was made.
    Superseded,
}

/// One render of one slot, at one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderSlotInput {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub slot_id: Uuid,
    /// The slot's render version this run produces.
    pub version: i32,
    pub meta: RunMeta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenderSlotOutput {
    Rendered {
        video_asset_id: Uuid,
        thumbnail_asset_id: Uuid,
        duration_ms: i32,
    },
    /// The slot no longer waits for this version (a newer render started,
    /// or it was cancelled); nothing was rendered.
    Superseded,
}

/// The render's heartbeat details: how far it is, for progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RenderProgress {
    /// 0 to 1.
    pub fraction: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbandonRenderInput {
    pub org_id: Uuid,
    pub slot_id: Uuid,
    pub version: i32,
    pub reason: String,
}

pub struct RenderActivities;

// Definitions only: the SDK requires `unimplemented!()` bodies here.
#[allow(clippy::unimplemented)]
#[activity_definitions]
impl RenderActivities {
    /// Speaks, captions and encodes the slot, checks the output, stores the
    /// video and thumbnail under the version's keys and records them.
    /// Heartbeats [`RenderProgress`]; cancelling it kills FFmpeg.
    #[activity(name = "render.render_slot")]
    pub fn render_slot(input: RenderSlotInput) -> Result<RenderSlotOutput, ActivityError> {
        unimplemented!()
    }

    /// Speaks and composes the slot's current content at 540x960 with a
    /// fast encode, stores it under the content version's preview key and
    /// records it. Heartbeats [`RenderProgress`].
    #[activity(name = "render.preview_slot")]
    pub fn preview_slot(input: PreviewSlotInput) -> Result<PreviewSlotOutput, ActivityError> {
        unimplemented!()
    }

    /// Puts a slot whose render failed or was cancelled back to approved,
    /// with the reason.
    #[activity(name = "render.abandon")]
    pub fn abandon(input: AbandonRenderInput) -> Result<(), ActivityError> {
        unimplemented!()
    }
}

// The activity markers the implementations in the `activities` crate bind to.
pub use render_activities::{Abandon, PreviewSlot, RenderSlot};
