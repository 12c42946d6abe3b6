//! Imports: the workflow that brings a long video in (yt-dlp or an upload),
//! transcribes it with Whisper, translates it and finds its highlights. Fetching and recognition
//! run on the `asr` task queue (low concurrency, heavy CPU and network);
//! the bookkeeping runs on `main`.

use crate::RunMeta;
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityError;
use temporalio_macros::activity_definitions;
use uuid::Uuid;

pub const IMPORT_VIDEO_WORKFLOW: &str = "ImportVideo";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportVideoInput {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub import_id: Uuid,
    pub meta: RunMeta,
}

/// The import one step works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRef {
    pub org_id: Uuid,
    pub import_id: Uuid,
    pub meta: RunMeta,
}

/// How a step ended that did not fail: it did its work, or the import was
/// refused (too long, too big, a private address, a used-up budget ...),
/// which the step recorded on the import with its code; nothing follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepOutcome<T> {
    Done(T),
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetched {
    pub duration_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcribed {
    /// The language Whisper detected.
    pub language: String,
    pub segments: u32,
    /// Languages still to translate into (the spoken one left out).
    pub translate_to: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranslateInput {
    pub import: ImportRef,
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportVideoOutput {
    Ready {
        language: String,
        segments: u32,
        translations: Vec<String>,
        highlights: u32,
        /// Highlights autopilot put into slots.
        placed: u32,
    },
    /// Refused by a step; the import says why.
    Refused,
}

/// A step's heartbeat: how far it is, for the import's progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportProgress {
    /// 0 to 1.
    pub fraction: f32,
}

/// How a run ended, for the import's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportEnding {
    Ready,
    Cancelled,
    /// A step failed for good; the reason is its own words.
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinishImportInput {
    pub import: ImportRef,
    pub ending: ImportEnding,
}

pub struct ImportActivities;

// Definitions only: the SDK requires `unimplemented!()` bodies here.
#[allow(clippy::unimplemented)]
#[activity_definitions]
impl ImportActivities {
    /// Learns the source's duration and size (yt-dlp's metadata, or the
    /// upload's probe), refuses what is too long, too big, unreachable or
    /// over the transcription budget, then downloads it through the
    /// address-checking proxy and stores it. Heartbeats [`ImportProgress`];
    /// cancelling it kills yt-dlp.
    #[activity(name = "import.fetch")]
    pub fn fetch(input: ImportRef) -> Result<StepOutcome<Fetched>, ActivityError> {
        unimplemented!()
    }

    /// Recognises the stored source with Whisper (language detection, word
    /// timings), stores the spoken transcript and meters its seconds once.
    /// Heartbeats [`ImportProgress`]; cancelling it stops Whisper.
    #[activity(name = "import.transcribe")]
    pub fn transcribe(input: ImportRef) -> Result<StepOutcome<Transcribed>, ActivityError> {
        unimplemented!()
    }

    /// Stores the transcript in another language: English with Whisper's
    /// translate mode; other languages through the LLM, segment by segment,
    /// keeping the timings.
    #[activity(name = "import.translate")]
    pub fn translate(input: TranslateInput) -> Result<StepOutcome<()>, ActivityError> {
        unimplemented!()
    }

    /// Asks the LLM for the moments worth a short (runs of whole segments,
    /// 15 to 60 s), checks them against the transcript and stores them;
    /// returns how many.
    #[activity(name = "import.find_highlights")]
    pub fn find_highlights(input: ImportRef) -> Result<StepOutcome<u32>, ActivityError> {
        unimplemented!()
    }

    /// Cuts each highlight out of the source into a 1080x1920 clip with the
    /// speech normalised and word-timed captions, and stores it; returns how
    /// many. Heartbeats [`ImportProgress`]; cancelling it kills FFmpeg.
    #[activity(name = "import.cut_clips")]
    pub fn cut_clips(input: ImportRef) -> Result<StepOutcome<u32>, ActivityError> {
        unimplemented!()
    }

    /// Under the project's autopilot, puts every clipped highlight into a
    /// free slot of the project's newest ready plan (a person picks
    /// otherwise); returns how many were placed. Idempotent.
    #[activity(name = "import.place_highlights")]
    pub fn place_highlights(input: ImportRef) -> Result<u32, ActivityError> {
        unimplemented!()
    }

    /// Records how the run ended (ready, cancelled, failed with the reason).
    #[activity(name = "import.finish")]
    pub fn finish(input: FinishImportInput) -> Result<(), ActivityError> {
        unimplemented!()
    }
}

// The activity markers the implementations in the `activities` crate bind to.
pub use import_activities::{CutClips, Fetch, FindHighlights, Finish, PlaceHighlights, Transcribe, Translate};
