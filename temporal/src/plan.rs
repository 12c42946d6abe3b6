//! Month plans: the workflow that lays out a project's 30 x 3 slot grid.

use crate::RunMeta;
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityError;
use temporalio_macros::activity_definitions;
use uuid::Uuid;

pub const CREATE_MONTH_PLAN_WORKFLOW: &str = "CreateMonthPlan";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateMonthPlanInput {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub plan_id: Uuid,
    pub meta: RunMeta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateMonthPlanOutput {
    pub plan_id: Uuid,
    /// Slots this run inserted (0 when an earlier attempt already did).
    pub slots_created: u32,
    pub slots_total: u32,
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

/// Activities of plan workflows, implemented in the `activities` crate.
pub struct PlanActivities;

// Definitions only: the SDK requires `unimplemented!()` bodies here.
#[allow(clippy::unimplemented)]
#[activity_definitions]
impl PlanActivities {
    /// Inserts the plan's slot grid (idempotent) and marks the plan ready.
    #[activity(name = "plan.create_slots")]
    pub fn create_slots(input: PlanRef) -> Result<CreateSlotsOutput, ActivityError> {
        unimplemented!()
    }

    /// Records a failed plan with the step and reason.
    #[activity(name = "plan.mark_failed")]
    pub fn mark_failed(input: MarkPlanFailedInput) -> Result<(), ActivityError> {
        unimplemented!()
    }
}

pub use plan_activities::{CreateSlots, MarkFailed};
