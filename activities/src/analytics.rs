//! The analytics agent's activity: a project's week summed up by the model
//! (`domain::insights::weekly`), audited as `analytics`.

use crate::{
    context::{scope_for, span},
    errors::from_domain,
    model_calls::{CallSite, ModelAccess},
};
use domain::{DomainError, insights::weekly};
use platform::llm::LlmClient;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use temporal::{
    RunMeta,
    analytics::{SummarizeWeek, WeekSummarized, WeeklyAnalyticsInput},
};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::Instrument;

pub struct AnalyticsActivitiesImpl {
    pub db: DatabaseConnection,
    pub llm: Arc<LlmClient>,
    pub secrets: Arc<dyn platform::secrets::SecretStore>,
    pub budgets: platform::config::BudgetDefaults,
}

#[activities]
impl AnalyticsActivitiesImpl {
    #[activity(definition = SummarizeWeek)]
    pub async fn summarize_week(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: WeeklyAnalyticsInput,
    ) -> Result<WeekSummarized, ActivityError> {
        let span = span(&ctx, input.org_id, &RunMeta::default());
        async move {
            let scope = scope_for(&ctx, input.org_id)?;
            let step = "analytics.summarize_week";
            let now = chrono::Utc::now().fixed_offset();
            let context = match weekly::context(&self.db, &scope, input.project_id, now).await {
                Ok(context) => context,
                Err(DomainError::NotFound(_)) => return Ok(WeekSummarized::ProjectGone),
                Err(e) => return Err(from_domain(step, e)),
            };
            if !context.has_results() {
                return Ok(WeekSummarized::NothingMeasured);
            }
            let site = CallSite::of_run(&ctx, &scope, &context.project, (None, None), context.prompt_versions());
            let models = ModelAccess { db: &self.db, llm: &self.llm, secrets: &*self.secrets, budgets: &self.budgets };
            let (messages, schema) = context.request();
            let summary = models.valid_answer(&site, "analytics", messages, &schema, |a| context.validate(a)).await?;
            weekly::store(&self.db, &scope, &context, &summary).await.map_err(|e| from_domain(step, e))?;
            tracing::info!(project_id = %input.project_id, week = %context.week_start, "weekly summary stored");
            Ok(WeekSummarized::Stored)
        }
        .instrument(span)
        .await
    }
}
