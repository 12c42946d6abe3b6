use crate::{
    context::{scope_for, span},
    errors::{from_domain, permanent, retryable},
    knowledge::index_org,
    model_calls::{CallSite, ModelAccess},
    policy::{classifier_prompt, classify},
};
use domain::{
    OrgScope,
    planning::creative::{self, Brief},
    planning::drafting::{self, DraftContext, NotesBySlot},
    planning::generation::{self, DraftSlot},
    planning::prompt_review,
};
use platform::llm::LlmClient;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use temporal::plan::{
    CreateSlots, CreateSlotsOutput, DraftBatch, DraftBatchInput, DraftBatchOutput, Finish, ImproveSlot,
    ImproveSlotInput, ImproveSlotOutput, MarkFailed, MarkPlanFailedInput, PlanRef, PlanSeries, PromptReviewed,
    ReviewPrompts, SeriesPlanned, StartPlanInput,
};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::Instrument;
use uuid::Uuid;

pub struct PlanActivitiesImpl {
    pub db: DatabaseConnection,
    pub llm: Arc<LlmClient>,
    pub secrets: Arc<dyn platform::secrets::SecretStore>,
    pub budgets: platform::config::BudgetDefaults,
    pub embeddings: Arc<embed::Embeddings>,
}

/// The audit context of a drafting call.
fn call_site<'a>(
    ctx: &ActivityContext,
    scope: &'a OrgScope,
    context: &'a DraftContext,
    slot_id: Option<Uuid>,
) -> CallSite<'a> {
    CallSite::of_run(ctx, scope, &context.project, (Some(context.plan_id), slot_id), context.prompts.versions())
}

impl PlanActivitiesImpl {
    fn models(&self) -> ModelAccess<'_> {
        ModelAccess { db: &self.db, llm: &self.llm, secrets: &*self.secrets, budgets: &self.budgets }
    }

    /// Indexes the org's latest content, then gives the context what its
    /// knowledge says about the project (research and earlier meanings).
    async fn with_knowledge(
        &self,
        ctx: &ActivityContext,
        scope: &OrgScope,
        context: DraftContext,
    ) -> Result<DraftContext, ActivityError> {
        let step = "plan.knowledge";
        index_org(ctx, &self.db, scope, &self.embeddings).await?;
        let topic = self
            .embeddings
            .embed_one(&context.topic_text())
            .await
            .map_err(|e| retryable("embedding the project's topic", e))?;
        context.with_knowledge(&self.db, scope, topic).await.map_err(|e| from_domain(step, e))
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
        let bounds = context.bounds();
        let schema = generation::batch_schema(&expected, &bounds);
        let mut messages = context.messages(instruction);
        let repairs = self.llm.repair_attempts();
        for round in 0..=repairs {
            let purpose = if round == 0 { "draft" } else { "repair" };
            let answer = self.models().answer(site, purpose, &messages, &schema).await?;
            match generation::validate_batch(&answer.completion.content, &expected, &bounds) {
                Ok(drafts) => {
                    self.models().audit(site, purpose, Ok(&answer), "ok", None).await;
                    let meanings = self
                        .embeddings
                        .embed(drafts.iter().map(DraftContext::draft_text).collect())
                        .await
                        .map_err(|e| retryable("embedding the drafts", e))?;
                    let classified = match context.classifier_request(&drafts) {
                        Some(request) => {
                            let site = CallSite { prompt_versions: classifier_prompt(), ..site.clone() };
                            classify(&self.models(), &site, &context.rules, request).await?
                        }
                        None => Default::default(),
                    };
                    let (problems, notes) = context.review(&drafts, &meanings, &classified);
                    if problems.is_empty() || round == repairs {
                        return Ok((drafts, notes, round));
                    }
                    DraftContext::repair(&mut messages, &answer.completion.content, &problems);
                }
                Err(errors) => {
                    let summary = errors.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
                    self.models().audit(site, purpose, Ok(&answer), "invalid_output", Some(summary.clone())).await;
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

    #[activity(definition = PlanSeries)]
    pub async fn plan_series(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PlanRef,
    ) -> Result<SeriesPlanned, ActivityError> {
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let scope = scope_for(&ctx, input.org_id)?;
            let step = "plan.creative";
            let plan = domain::planning::plans::get(&self.db, &scope, input.plan_id)
                .await
                .map_err(|e| from_domain(step, e))?;
            if let Some(brief) = Brief::of(&plan) {
                let rising = brief.trends.rising.len() as u32;
                return Ok(SeriesPlanned { series: brief.series.len() as u32, rising, kept: true });
            }
            let context = creative::context(&self.db, &scope, input.plan_id).await.map_err(|e| from_domain(step, e))?;
            let site = CallSite::of_run(
                &ctx,
                &scope,
                &context.project,
                (Some(input.plan_id), None),
                context.prompt_versions(),
            );
            let (messages, schema) = context.request();
            let series = self.models().valid_answer(&site, "creative", messages, &schema, creative::validate).await?;
            let brief =
                Brief { prompt_version: creative::CREATIVE_PROMPT_VERSION, series, trends: context.trends.clone() };
            creative::store(&self.db, &scope, input.plan_id, &brief).await.map_err(|e| from_domain(step, e))?;
            tracing::info!(series = brief.series.len(), rising = brief.trends.rising.len(), "month's series planned");
            Ok(SeriesPlanned {
                series: brief.series.len() as u32,
                rising: brief.trends.rising.len() as u32,
                kept: false,
            })
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
                let context = self.with_knowledge(&ctx, &scope, context).await?;
                let site = call_site(&ctx, &scope, &context, None);
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

    #[activity(definition = ReviewPrompts)]
    pub async fn review_prompts(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PlanRef,
    ) -> Result<PromptReviewed, ActivityError> {
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let scope = scope_for(&ctx, input.org_id)?;
            let step = "plan.prompt_review";
            let fail = |e| from_domain(step, e);
            if prompt_review::proposed_for(&self.db, &scope, input.plan_id).await.map_err(fail)? {
                return Ok(PromptReviewed::Kept);
            }
            let context = prompt_review::context(&self.db, &scope, input.plan_id).await.map_err(fail)?;
            if !context.has_findings() {
                return Ok(PromptReviewed::NothingFound);
            }
            let site = CallSite::of_run(
                &ctx,
                &scope,
                &context.project,
                (Some(input.plan_id), None),
                context.prompt_versions(),
            );
            let (messages, schema) = context.request();
            let proposal =
                self.models().valid_answer(&site, "prompt_review", messages, &schema, |a| context.validate(a)).await?;
            prompt_review::store(&self.db, &scope, &context, &proposal).await.map_err(fail)?;
            tracing::info!(findings = context.findings.len(), "revised instructions proposed");
            Ok(PromptReviewed::Proposed)
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
            let context = self.with_knowledge(&ctx, &scope, context).await?;
            let site = call_site(&ctx, &scope, &context, Some(input.slot_id));
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
