//! Runs that draft: the month plan and "AI improve" of one slot.

use super::{RunView, meta_and_memo, slot_attributes, start_options, started, unavailable};
use crate::{ApiError, AppState};
use entities::plans;
use temporal::{
    plan::{GenerateMonthPlanInput, ImproveSlotInput},
    search::{ORG_ID, PROJECT_ID},
};
use temporalio_common::search_attributes::SearchAttributes;
use workflows::{GenerateMonthPlanWorkflow, ImproveSlotWorkflow};

/// Starts (or joins) the run that lays out and drafts the plan.
pub async fn start_month_plan(state: &AppState, plan: &plans::Model) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let attributes = SearchAttributes::new([
        ORG_ID.value_set(plan.org_id.to_string()),
        PROJECT_ID.value_set(plan.project_id.to_string()),
    ]);
    let options =
        start_options(state, &plan.workflow_id, attributes, memo, format!("Month plan starting {}", plan.start_date));
    let input = GenerateMonthPlanInput {
        org_id: plan.org_id,
        project_id: plan.project_id,
        plan_id: plan.id,
        batch_days: state.config.llm.batch_days,
        meta,
    };
    state.temporal.start_workflow(GenerateMonthPlanWorkflow::run, input, options).await.map_err(unavailable)?;
    tracing::info!(workflow_id = %plan.workflow_id, "month plan workflow started");
    Ok(started(state, &plan.workflow_id))
}

/// Starts (or joins) the "AI improve" run of a slot.
pub async fn start_improve(
    state: &AppState,
    slot: &entities::slots::Model,
    instruction: Option<String>,
) -> Result<RunView, ApiError> {
    let (meta, memo) = meta_and_memo();
    let workflow_id = temporal::ids::slot_improve_workflow_id(slot.org_id, slot.id);
    let options = start_options(state, &workflow_id, slot_attributes(slot), memo, "Improve one slot".into());
    let input = ImproveSlotInput { org_id: slot.org_id, slot_id: slot.id, instruction, meta };
    state.temporal.start_workflow(ImproveSlotWorkflow::run, input, options).await.map_err(unavailable)?;
    Ok(started(state, &workflow_id))
}
