//! One way to ask the language model from an activity: with the org's own
//! key when it stored one, the call's worst case reserved from the LLM
//! budget before it is made, every call audited (tokens, cost, latency,
//! outcome) and metered with its reservation released, and failures split
//! into retryable (left to Temporal) and permanent.

use crate::errors::{from_domain, permanent};
use domain::{
    OrgScope,
    usage::budgets::{self, Meter, Reservation},
    usage::llm_usage::{self, LlmCall},
};
use platform::llm::{Completion, LlmClient, LlmError};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use temporalio_sdk::{ApplicationFailure, activities::ActivityError};
use uuid::Uuid;

/// How long an LLM call's reservation outlives a crashed activity.
const LLM_RESERVATION_TTL_MINUTES: i64 = 15;

/// What an LLM call is about, for its audit record.
#[derive(Clone)]
pub(crate) struct CallSite<'a> {
    pub scope: &'a OrgScope,
    pub project: &'a entities::projects::Model,
    pub plan_id: Option<Uuid>,
    pub slot_id: Option<Uuid>,
    pub workflow_id: Option<String>,
    pub attempt: i32,
    pub prompt_versions: Value,
}

impl<'a> CallSite<'a> {
    /// The call of the activity run `ctx` for `project`, with the prompt
    /// versions it uses; `plan_id` and `slot_id` say what it is about.
    pub(crate) fn of_run(
        ctx: &temporalio_sdk::activities::ActivityContext,
        scope: &'a OrgScope,
        project: &'a entities::projects::Model,
        (plan_id, slot_id): (Option<Uuid>, Option<Uuid>),
        prompt_versions: Value,
    ) -> CallSite<'a> {
        CallSite {
            scope,
            project,
            plan_id,
            slot_id,
            workflow_id: ctx.info().workflow_id.clone(),
            attempt: ctx.info().attempt as i32,
            prompt_versions,
        }
    }
}

/// A model's answer and the budget reservation it drew on, released in the
/// transaction that meters the call.
pub(crate) struct Answer {
    pub completion: Completion,
    pub reservation: Reservation,
}

/// What an activity needs to call the model.
pub(crate) struct ModelAccess<'a> {
    pub db: &'a DatabaseConnection,
    pub llm: &'a LlmClient,
    pub secrets: &'a dyn platform::secrets::SecretStore,
    pub budgets: &'a platform::config::BudgetDefaults,
}

impl ModelAccess<'_> {
    /// Records the call (and, for an answer, meters it and drops its
    /// reservation). A failed audit write must not lose the model's work;
    /// it is logged loudly.
    pub(crate) async fn audit(
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
            project_id: Some(site.project.id),
            plan_id: site.plan_id,
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
        if let Err(e) = llm_usage::record(self.db, site.scope, call).await {
            tracing::error!(error = %e, "recording an LLM call failed");
        }
    }

    /// One model answer. A failed call is audited; a transient failure (still
    /// failing after the client's own retries) is left to Temporal's retry
    /// policy, a permanent one (a refused request) fails at once.
    pub(crate) async fn answer(
        &self,
        site: &CallSite<'_>,
        purpose: &str,
        messages: &[Value],
        schema: &Value,
    ) -> Result<Answer, ActivityError> {
        // The org's own key when it has stored one, else the platform's.
        let org_key = domain::integrations::credentials::active_secret(self.db, self.secrets, site.scope, "llm")
            .await
            .map_err(|e| from_domain("reading the org's LLM key", e))?;
        let with_org_key;
        let llm = match &org_key {
            Some(key) => {
                with_org_key = self.llm.with_api_key(key);
                &with_org_key
            }
            None => self.llm,
        };
        // The call's worst case is taken from the budget before it is made
        // (atomically, so concurrent calls cannot overshoot) and given back
        // when its real cost is metered.
        let reservation = budgets::reserve(
            self.db,
            site.scope,
            Meter::LlmMicros,
            Some(site.project),
            self.budgets,
            llm.worst_case_cost_micros(messages, schema),
            chrono::Duration::minutes(LLM_RESERVATION_TTL_MINUTES),
        )
        .await
        .map_err(|e| from_domain("reserving the LLM budget", e))?;
        match llm.complete(messages, schema).await {
            Ok(completion) => Ok(Answer { completion, reservation }),
            Err(err) => {
                if let Err(e) = budgets::release(self.db, site.scope, reservation).await {
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

    /// An answer `validate` accepts: what it finds wrong is sent back to
    /// the model for up to `repairs` more rounds (each call audited), then
    /// the step fails for good with the last problems.
    pub(crate) async fn valid_answer<T>(
        &self,
        site: &CallSite<'_>,
        purpose: &str,
        mut messages: Vec<Value>,
        schema: &Value,
        validate: impl Fn(&str) -> Result<T, Vec<String>>,
    ) -> Result<T, ActivityError> {
        let repairs = self.llm.repair_attempts();
        let mut round = 0;
        loop {
            let purpose = if round == 0 { purpose } else { "repair" };
            let answer = self.answer(site, purpose, &messages, schema).await?;
            match validate(&answer.completion.content) {
                Ok(valid) => {
                    self.audit(site, purpose, Ok(&answer), "ok", None).await;
                    return Ok(valid);
                }
                Err(errors) => {
                    let summary = errors.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
                    self.audit(site, purpose, Ok(&answer), "invalid_output", Some(summary.clone())).await;
                    if round == repairs {
                        return Err(permanent(format!(
                            "{purpose}: the model's answer was still invalid after {repairs} repairs: {summary}"
                        )));
                    }
                    messages.push(serde_json::json!({"role": "assistant", "content": answer.completion.content}));
                    messages.push(serde_json::json!({"role": "user", "content": format!(
                        "That answer cannot be used: {}. Answer again, fixing exactly these problems.",
                        errors.join("; ")
                    )}));
                    round += 1;
                }
            }
        }
    }
}
