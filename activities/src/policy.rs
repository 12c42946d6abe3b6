//! The policy gate of a slot's pipeline (`policy.check`) and the
//! classifier: the org's model-judged rules asked of the language model,
//! one call for every text of a check or a drafting round.

use crate::{
    context::{scope_for, span},
    errors::{from_domain, retryable},
    model_calls::{CallSite, ModelAccess},
};
use domain::policy::{
    self, Finding, RuleSet,
    gate::{self, Moment, Verdict},
};
use platform::llm::LlmClient;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use std::{collections::BTreeMap, sync::Arc};
use temporal::pipeline::{CheckPolicy, PolicyCheck, PolicyMoment, PolicyVerdict};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::Instrument;

/// Times a check starts over when the slot changes under it.
const CHANGED_ATTEMPTS: usize = 3;

/// The prompt versions of a classifier call.
pub(crate) fn classifier_prompt() -> Value {
    json!({"policy_classifier": policy::CLASSIFIER_PROMPT_VERSION})
}

/// What the model finds for each item of a classifier request (see
/// `policy::classifier_request`), by key; its call is audited as `policy`.
pub(crate) async fn classify(
    models: &ModelAccess<'_>,
    site: &CallSite<'_>,
    rules: &RuleSet,
    (messages, schema): (Vec<Value>, Value),
) -> Result<BTreeMap<String, Vec<Finding>>, ActivityError> {
    let answer = models.answer(site, "policy", &messages, &schema).await?;
    match policy::classifier_findings(rules, &answer.completion.content) {
        Ok(found) => {
            models.audit(site, "policy", Ok(&answer), "ok", None).await;
            Ok(found)
        }
        Err(e) => {
            models.audit(site, "policy", Ok(&answer), "invalid_output", Some(e.clone())).await;
            Err(retryable("the policy classifier", e))
        }
    }
}

pub struct PolicyActivitiesImpl {
    pub db: DatabaseConnection,
    pub llm: Arc<LlmClient>,
    pub secrets: Arc<dyn platform::secrets::SecretStore>,
    pub budgets: platform::config::BudgetDefaults,
}

#[activities]
impl PolicyActivitiesImpl {
    #[activity(definition = CheckPolicy)]
    pub async fn check(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PolicyCheck,
    ) -> Result<PolicyVerdict, ActivityError> {
        let span = span(&ctx, input.slot.org_id, &input.slot.meta);
        async move {
            let scope = scope_for(&ctx, input.slot.org_id)?;
            let step = "policy.check";
            let moment = match input.moment {
                PolicyMoment::BeforeRender => Moment::BeforeRender,
                PolicyMoment::BeforePublish => Moment::BeforePublish,
            };
            let models = ModelAccess { db: &self.db, llm: &self.llm, secrets: &*self.secrets, budgets: &self.budgets };
            for _ in 0..CHANGED_ATTEMPTS {
                let review =
                    gate::prepare(&self.db, &scope, input.slot.slot_id).await.map_err(|e| from_domain(step, e))?;
                let request = policy::classifier_request(&review.rules, &[("slot".to_owned(), review.text.clone())]);
                let classified = match request {
                    Some(request) => {
                        let about = (None, Some(review.slot_id));
                        let site = CallSite::of_run(&ctx, &scope, &review.project, about, classifier_prompt());
                        classify(&models, &site, &review.rules, request).await?.remove("slot").unwrap_or_default()
                    }
                    None => Vec::new(),
                };
                match gate::decide(&self.db, &scope, &review, moment, classified)
                    .await
                    .map_err(|e| from_domain(step, e))?
                {
                    Verdict::Clear => return Ok(PolicyVerdict::Clear),
                    Verdict::Blocked(block) => {
                        let reason = block.summary();
                        tracing::warn!(slot_id = %review.slot_id, %reason, "a policy rule blocks the slot");
                        return Ok(PolicyVerdict::Blocked { reason });
                    }
                    Verdict::Changed => continue,
                }
            }
            Err(retryable(step, "the slot kept changing while its policy was checked"))
        }
        .instrument(span)
        .await
    }
}
