//! The analytics agent's weekly run per project: a Temporal Schedule
//! (`{org}:analytics:{project}`) starts `WeeklyAnalytics`, whose activity
//! asks the model what worked and what to try (`domain::insights::weekly`).

use serde::{Deserialize, Serialize};
use temporalio_common::ActivityError;
use temporalio_macros::activity_definitions;
use uuid::Uuid;

pub const WEEKLY_ANALYTICS_WORKFLOW: &str = "WeeklyAnalytics";

/// The schedule of a project's weekly summary (its runs get this id plus a timestamp).
pub fn analytics_schedule_id(org_id: Uuid, project_id: Uuid) -> String {
    format!("{org_id}:analytics:{project_id}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyAnalyticsInput {
    pub org_id: Uuid,
    pub project_id: Uuid,
}

/// How a weekly run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeekSummarized {
    /// The summary of the week is stored.
    Stored,
    /// No post has results yet: nothing to sum up, no model call.
    NothingMeasured,
    /// The project is gone (its schedule is being removed).
    ProjectGone,
}

pub struct AnalyticsActivities;

// Definitions only: the SDK requires `unimplemented!()` bodies here.
#[allow(clippy::unimplemented)]
#[activity_definitions]
impl AnalyticsActivities {
    /// Sums up the project's week with the model and stores it.
    #[activity(name = "analytics.summarize_week")]
    pub fn summarize_week(input: WeeklyAnalyticsInput) -> Result<WeekSummarized, ActivityError> {
        unimplemented!()
    }
}

pub use analytics_activities::SummarizeWeek;
