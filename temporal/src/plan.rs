//! Month plans: the workflow that lays out a project's 30 x 3 slot grid and
//! drafts it with a language model, batch by batch; and the one that
//! redrafts a single slot ("AI improve").

use crate::RunMeta;
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityError;
use temporalio_macros::activity_definitions;
use uuid::Uuid;

pub const GENERATE_MONTH_PLAN_WORKFLOW: &str = "GenerateMonthPlan";
pub const IMPROVE_SLOT_WORKFLOW: &str = "ImproveSlot";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateMonthPlanInput {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub plan_id: Uuid,
    /// Days drafted per LLM call.
    pub batch_days: u32,
    pub meta: RunMeta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateMonthPlanOutput {
    pub plan_id: Uuid,
    pub slots_total: u32,
    /// Slots the model drafted (locked and approved slots are left alone).
    pub slots_drafted: u32,
    /// Repair rounds the model needed, over all batches.
    pub repairs: u32,
    /// What the prompt engineering agent did; `None` when it failed (the
    /// plan stays ready; its failure is in the run's history).
    #[serde(default)]
    pub prompt_review: Option<PromptReviewed>,
}

/// How the prompt engineering agent's review of a drafted month ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PromptReviewed {
    /// A revised version of the instructions waits for a person.
    Proposed,
    /// The drafts left no findings: nothing to revise, no model call.
    NothingFound,
    /// The plan has its proposal from an earlier run.
    Kept,
}

/// Where a plan run is, for the `progress` query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanProgress {
    pub batches_done: u32,
    pub batches_total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartPlanInput {
    pub plan: PlanRef,
    pub batches_total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftBatchInput {
    pub plan: PlanRef,
    pub first_day: u32,
    pub days: u32,
    /// 0-based; progress counts batches done.
    pub batch_index: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftBatchOutput {
    pub written: u32,
    pub repairs: u32,
    /// Slots kept with policy or similarity notes for a person to review.
    pub flagged: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImproveSlotInput {
    pub org_id: Uuid,
    pub slot_id: Uuid,
    pub instruction: Option<String>,
    pub meta: RunMeta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImproveSlotOutput {
    pub slot_id: Uuid,
    pub written: bool,
    pub repairs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRef {
    pub org_id: Uuid,
    pub plan_id: Uuid,
    pub meta: RunMeta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSlotsOutput {
    pub slots_created: u32,
    pub slots_total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkPlanFailedInput {
    pub plan: PlanRef,
    /// Which step failed and why, shown to the user as is.
    pub reason: String,
}

/// What the creative agent planned for the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesPlanned {
    pub series: u32,
    /// Choices rising in the project's own results it built on.
    pub rising: u32,
    /// The plan had its brief already (a rerun or a regeneration keeps it).
    pub kept: bool,
}

/// Activities of plan workflows, implemented in the `activities` crate.
pub struct PlanActivities;

// Definitions only: the SDK requires `unimplemented!()` bodies here.
#[allow(clippy::unimplemented)]
#[activity_definitions]
impl PlanActivities {
    /// Inserts the plan's slot grid (idempotent) and marks it drafting.
    #[activity(name = "plan.create_slots")]
    pub fn create_slots(input: StartPlanInput) -> Result<CreateSlotsOutput, ActivityError> {
        unimplemented!()
    }

    /// The creative agent: plans the month's series from the project, what
    /// worked and what rises in its results, and stores them on the plan.
    #[activity(name = "plan.creative")]
    pub fn plan_series(input: PlanRef) -> Result<SeriesPlanned, ActivityError> {
        unimplemented!()
    }

    /// Drafts a batch of days with the model, repairs invalid answers,
    /// reviews them (policy, similarity) and writes the drafts.
    #[activity(name = "plan.draft_batch")]
    pub fn draft_batch(input: DraftBatchInput) -> Result<DraftBatchOutput, ActivityError> {
        unimplemented!()
    }

    /// The prompt engineering agent: from the findings drafting left on
    /// the plan's slots and the project's results, proposes revised
    /// instructions for a person to accept.
    #[activity(name = "plan.prompt_review")]
    pub fn review_prompts(input: PlanRef) -> Result<PromptReviewed, ActivityError> {
        unimplemented!()
    }

    /// Marks the plan ready.
    #[activity(name = "plan.finish")]
    pub fn finish(input: PlanRef) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Redrafts one slot, with an optional instruction.
    #[activity(name = "slot.improve")]
    pub fn improve_slot(input: ImproveSlotInput) -> Result<ImproveSlotOutput, ActivityError> {
        unimplemented!()
    }

    /// Records a failed plan with the step and reason.
    #[activity(name = "plan.mark_failed")]
    pub fn mark_failed(input: MarkPlanFailedInput) -> Result<(), ActivityError> {
        unimplemented!()
    }
}

pub use plan_activities::{CreateSlots, DraftBatch, Finish, ImproveSlot, MarkFailed, PlanSeries, ReviewPrompts};

/// The batches of a plan: `(first_day, days)` for each, in order.
pub fn batches(total_days: u32, batch_days: u32) -> Vec<(u32, u32)> {
    let size = batch_days.max(1);
    (0..total_days).step_by(size as usize).map(|first| (first, size.min(total_days - first))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_splits_into_weeks_and_a_remainder() {
        assert_eq!(batches(30, 7), vec![(0, 7), (7, 7), (14, 7), (21, 7), (28, 2)]);
        assert_eq!(batches(30, 30), vec![(0, 30)]);
        assert_eq!(batches(3, 0), vec![(0, 1), (1, 1), (2, 1)]);
    }
}
