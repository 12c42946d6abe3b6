use crate::errors::{from_domain, permanent};
use domain::OrgScope;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use temporal::{
    ids::org_of_workflow_id,
    plan::{CreateSlots, CreateSlotsOutput, MarkFailed, MarkPlanFailedInput, PlanRef},
};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::Instrument;

pub struct PlanActivitiesImpl {
    pub db: DatabaseConnection,
}

/// The org an activity acts for, re-checked against the workflow id it
/// runs under: a workflow input naming another org is refused.
fn scope_for(ctx: &ActivityContext, plan: &PlanRef) -> Result<OrgScope, ActivityError> {
    let workflow_org = ctx.info().workflow_id.as_deref().and_then(org_of_workflow_id);
    if workflow_org != Some(plan.org_id) {
        return Err(permanent(format!(
            "activity input names org {} but runs under workflow {:?}",
            plan.org_id,
            ctx.info().workflow_id
        )));
    }
    Ok(OrgScope::new(plan.org_id))
}

fn span(ctx: &ActivityContext, plan: &PlanRef) -> tracing::Span {
    let info = ctx.info();
    tracing::info_span!(
        "activity",
        activity_type = %info.activity_type,
        activity_id = %info.activity_id,
        attempt = info.attempt,
        workflow_id = info.workflow_id.as_deref().unwrap_or(""),
        request_id = plan.meta.request_id.as_deref().unwrap_or(""),
        org_id = %plan.org_id,
        plan_id = %plan.plan_id,
    )
}

#[activities]
impl PlanActivitiesImpl {
    #[activity(definition = CreateSlots)]
    pub async fn create_slots(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PlanRef,
    ) -> Result<CreateSlotsOutput, ActivityError> {
        let span = span(&ctx, &input);
        async move {
            let scope = scope_for(&ctx, &input)?;
            let (created, total) = domain::plans::create_slot_grid(&self.db, &scope, input.plan_id)
                .await
                .map_err(|e| from_domain("plan.create_slots", e))?;
            tracing::info!(slots_created = created, slots_total = total, "slot grid ready");
            Ok(CreateSlotsOutput { slots_created: created, slots_total: total })
        }
        .instrument(span)
        .await
    }

    #[activity(definition = MarkFailed)]
    pub async fn mark_failed(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: MarkPlanFailedInput,
    ) -> Result<(), ActivityError> {
        let span = span(&ctx, &input.plan);
        async move {
            let scope = scope_for(&ctx, &input.plan)?;
            domain::plans::mark_failed(&self.db, &scope, input.plan.plan_id, &input.reason)
                .await
                .map_err(|e| from_domain("plan.mark_failed", e))?;
            tracing::warn!(reason = %input.reason, "plan marked failed");
            Ok(())
        }
        .instrument(span)
        .await
    }
}
