use crate::{
    context::{scope_for, span},
    errors::{from_domain, permanent},
};
use domain::{
    OrgScope,
    planning::drafting::{self, DraftContext, NotesBySlot},
    planning::generation::{self, DraftSlot},
    usage::budgets::{self, Meter, Reservation},
    usage::llm_usage::{self, LlmCall},
};
use platform::llm::{Completion, LlmClient, LlmError};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use std::sync::Arc;
use temporal::plan::{
    CreateSlots, CreateSlotsOutput, DraftBatch, DraftBatchInput, DraftBatchOutput, Finish, ImproveSlot,
    ImproveSlotInput, ImproveSlotOutput, MarkFailed, MarkPlanFailedInput, PlanRef, StartPlanInput,
};
use temporalio_macros::activities;
use temporalio_sdk::{
    ApplicationFailure,
    activities::{ActivityContext, ActivityError},
};
use tracing::Instrument;
use uuid::Uuid;

pub struct PlanActivitiesImpl {
    pub db: DatabaseConnection,
    pub llm: Arc<LlmClient>,
    pub secrets: Arc<dyn platform::secrets::SecretStore>,
    pub budgets: platform::config::BudgetDefaults,
}

/// How long an LLM call's reservation outlives a crashed activity.
const LLM_RESERVATION_TTL_MINUTES: i64 = 15;

/// What an LLM call is about, for its audit record.
struct CallSite<'a> {
    scope: &'a OrgScope,
    project: &'a entities::projects::Model,
    project_id: Uuid,
    plan_id: Uuid,
    slot_id: Option<Uuid>,
    workflow_id: Option<String>,
    attempt: i32,
    prompt_versions: Value,
}

impl<'a> CallSite<'a> {
    fn new(ctx: &ActivityContext, scope: &'a OrgScope, context: &'a DraftContext, slot_id: Option<Uuid>) -> Self {
        CallSite {
            scope,
            project: &context.project,
            project_id: context.project.id,
            plan_id: context.plan_id,
            slot_id,
            workflow_id: ctx.info().workflow_id.clone(),
            attempt: ctx.info().attempt as i32,
            prompt_versions: context.prompts.versions(),
        }
    }
}

/// A model's answer and the budget reservation it drew on, released in the
/// transaction that meters the call.
struct Answer {
    completion: Completion,
    reservation: Reservation,
}

impl PlanActivitiesImpl {
    async fn audit(
        &self,
        site: &CallSite<'_>,
        purpose: &str,
        result: Result<&Answer, &LlmError>,
        outcome: &'static str,
        error: Option<String>,
    ) {
        let (tokens_in, tokens_out, cost_micros, latency_ms, reservation) = match result {
            Ok(Answer { completion: c, reservation }) => {
                (c.tokens_in, c.tokens_out, c.cost_micros, c.latency.as_millis() as i32, Some(*reservation))
            }
            Err(_) => (0, 0, 0, 0, None),
        };
        let call = LlmCall {
            project_id: Some(site.project_id),
            plan_id: Some(site.plan_id),
            slot_id: site.slot_id,
            purpose: purpose.to_owned(),
            prompt_versions: site.prompt_versions.clone(),
            model: self.llm.model().to_owned(),
            tokens_in,
            tokens_out,
            cost_micros,
            latency_ms,
            outcome,
            error,
            workflow_id: site.workflow_id.clone(),
            attempt: site.attempt,
            reservation,
        };
        // A failed audit write must not lose the model's work; it is logged loudly.
        if let Err(e) = llm_usage::record(&self.db, site.scope, call).await {
            tracing::error!(error = %e, "recording an LLM call failed");
        }
    }

    /// One model answer. A failed call is audited; a transient failure (still
    /// failing after the client's own retries) is left to Temporal's retry
    /// policy, a permanent one (a refused request) fails at once.
    async fn answer(
        &self,
        site: &CallSite<'_>,
        purpose: &str,
        messages: &[Value],
        schema: &Value,
    ) -> Result<Answer, ActivityError> {
        // The org's own key when it has stored one, else the platform's.
        let org_key = domain::integrations::credentials::active_secret(&self.db, &*self.secrets, site.scope, "llm")
            .await
            .map_err(|e| from_domain("reading the org's LLM key", e))?;
        let with_org_key;
        let llm = match &org_key {
            Some(key) => {
                with_org_key = self.llm.with_api_key(key);
                &with_org_key
            }
            None => &*self.llm,
        };
        // The call's worst case is taken from the budget before it is made
        // (atomically, so concurrent drafts cannot overshoot) and given back
        // when its real cost is metered.
        let reservation = budgets::reserve(
            &self.db,
            site.scope,
            Meter::LlmMicros,
            Some(site.project),
            &self.budgets,
            llm.worst_case_cost_micros(messages, schema),
            chrono::Duration::minutes(LLM_RESERVATION_TTL_MINUTES),
        )
        .await
        .map_err(|e| from_domain("reserving the LLM budget", e))?;
        match llm.complete(messages, schema).await {
            Ok(completion) => Ok(Answer { completion, reservation }),
            Err(err) => {
                if let Err(e) = budgets::release(&self.db, site.scope, reservation).await {
                    tracing::warn!(error = %e, "releasing an LLM reservation failed; it expires by itself");
                }
                self.audit(site, purpose, Err(&err), err.outcome(), Some(err.to_string())).await;
                let message = format!("{purpose}: {err}");
                if err.is_transient() {
                    tracing::warn!(error = %err, "LLM call failed; the activity will be retried");
                    Err(ActivityError::Application(Box::new(ApplicationFailure::new(message))))
                } else {
                    Err(permanent(message))
                }
            }
        }
    }

    /// Drafts the context's slots: asks the model, validates the answer
    /// against the schema, reviews it (policy, similarity) and, while there
    /// are problems and repairs left, sends them back to the model.
    async fn draft(
        &self,
        site: &CallSite<'_>,
        context: &DraftContext,
        instruction: Option<&str>,
    ) -> Result<(Vec<DraftSlot>, NotesBySlot, u32), ActivityError> {
        let expected = context.expected();
        let schema = generation::batch_schema(&expected);
        let mut messages = context.messages(instruction);
        let repairs = self.llm.repair_attempts();
        for round in 0..=repairs {
            let purpose = if round == 0 { "draft" } else { "repair" };
            let answer = self.answer(site, purpose, &messages, &schema).await?;
            match generation::validate_batch(&answer.completion.content, &expected) {
                Ok(drafts) => {
                    self.audit(site, purpose, Ok(&answer), "ok", None).await;
                    let (problems, notes) = context.review(&drafts);
                    if problems.is_empty() || round == repairs {
                        return Ok((drafts, notes, round));
                    }
                    DraftContext::repair(&mut messages, &answer.completion.content, &problems);
                }
                Err(errors) => {
                    let summary = errors.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
                    self.audit(site, purpose, Ok(&answer), "invalid_output", Some(summary.clone())).await;
                    if round == repairs {
                        return Err(permanent(format!(
                            "the model's answer was still invalid after {repairs} repairs: {summary}"
                        )));
                    }
                    DraftContext::repair(&mut messages, &answer.completion.content, &errors);
                }
            }
        }
        unreachable!("the last round returns")
    }
}

#[activities]
impl PlanActivitiesImpl {
    #[activity(definition = CreateSlots)]
    pub async fn create_slots(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: StartPlanInput,
    ) -> Result<CreateSlotsOutput, ActivityError> {
        let span = span(&ctx, input.plan.org_id, &input.plan.meta);
        async move {
            let scope = scope_for(&ctx, input.plan.org_id)?;
            let plan_id = input.plan.plan_id;
            let fail = |e| from_domain("plan.create_slots", e);
            let (created, total) =
                domain::planning::plans::create_slot_grid(&self.db, &scope, plan_id).await.map_err(fail)?;
            let plan = domain::planning::plans::get(&self.db, &scope, plan_id).await.map_err(fail)?;
            let prompts = domain::planning::prompts::current(&self.db, &scope, plan.project_id).await.map_err(fail)?;
            drafting::start(&self.db, &scope, plan_id, input.batches_total as i32, &prompts.versions())
                .await
                .map_err(fail)?;
            tracing::info!(slots_created = created, slots_total = total, "slot grid ready");
            Ok(CreateSlotsOutput { slots_created: created, slots_total: total })
        }
        .instrument(span)
        .await
    }

    #[activity(definition = DraftBatch)]
    pub async fn draft_batch(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: DraftBatchInput,
    ) -> Result<DraftBatchOutput, ActivityError> {
        let span = span(&ctx, input.plan.org_id, &input.plan.meta);
        async move {
            let scope = scope_for(&ctx, input.plan.org_id)?;
            let plan_id = input.plan.plan_id;
            let step = "plan.draft_batch";
            let context = drafting::batch_context(&self.db, &scope, plan_id, input.first_day as i32, input.days as i32)
                .await
                .map_err(|e| from_domain(step, e))?;
            let (written, repairs, flagged) = if context.targets.is_empty() {
                (0, 0, 0)
            } else {
                let site = CallSite::new(&ctx, &scope, &context, None);
                let (drafts, notes, repairs) = self.draft(&site, &context, None).await?;
                let written = drafting::write_drafts(&self.db, &scope, plan_id, &drafts, &notes, &site.prompt_versions)
                    .await
                    .map_err(|e| from_domain(step, e))?;
                (written, repairs, notes.len() as u32)
            };
            drafting::batch_done(&self.db, &scope, plan_id, input.batch_index as i32 + 1)
                .await
                .map_err(|e| from_domain(step, e))?;
            tracing::info!(written, repairs, flagged, first_day = input.first_day, "batch drafted");
            Ok(DraftBatchOutput { written, repairs, flagged })
        }
        .instrument(span)
        .await
    }

    #[activity(definition = Finish)]
    pub async fn finish(self: Arc<Self>, ctx: ActivityContext, input: PlanRef) -> Result<(), ActivityError> {
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let scope = scope_for(&ctx, input.org_id)?;
            drafting::finish(&self.db, &scope, input.plan_id).await.map_err(|e| from_domain("plan.finish", e))?;
            tracing::info!(plan_id = %input.plan_id, "plan ready");
            Ok(())
        }
        .instrument(span)
        .await
    }

    #[activity(definition = ImproveSlot)]
    pub async fn improve_slot(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ImproveSlotInput,
    ) -> Result<ImproveSlotOutput, ActivityError> {
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let scope = scope_for(&ctx, input.org_id)?;
            let step = "slot.improve";
            let context =
                drafting::slot_context(&self.db, &scope, input.slot_id).await.map_err(|e| from_domain(step, e))?;
            let site = CallSite::new(&ctx, &scope, &context, Some(input.slot_id));
            let (drafts, notes, repairs) = self.draft(&site, &context, input.instruction.as_deref()).await?;
            let written =
                drafting::write_drafts(&self.db, &scope, context.plan_id, &drafts, &notes, &site.prompt_versions)
                    .await
                    .map_err(|e| from_domain(step, e))?;
            Ok(ImproveSlotOutput { slot_id: input.slot_id, written: written == 1, repairs })
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
        let span = span(&ctx, input.plan.org_id, &input.plan.meta);
        async move {
            let scope = scope_for(&ctx, input.plan.org_id)?;
            domain::planning::plans::mark_failed(&self.db, &scope, input.plan.plan_id, &input.reason)
                .await
                .map_err(|e| from_domain("plan.mark_failed", e))?;
            tracing::warn!(reason = %input.reason, "plan marked failed");
            Ok(())
        }
        .instrument(span)
        .await
    }
}
