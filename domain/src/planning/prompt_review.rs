//! The prompt engineering agent: after a month is drafted, when drafting
//! left findings on its slots (the QA agent's, the policy's, the guards'),
//! the model reads them with the project's results and the standing
//! instructions in force, and proposes a revised version. A person accepts
//! it (it becomes the project's next instructions version, audited) or
//! dismisses it; nothing changes until then.

use crate::{
    DomainError, OrgScope,
    identity::audit::{self, Actor, Entry},
    insights::performance::{self, Performance},
    planning::{
        generation::ReviewNote,
        projects,
        prompts::{self, INSTRUCTIONS},
    },
};
use chrono::Utc;
use entities::{
    plans,
    prompt_proposals::{self, ProposalStatus},
    prompts as prompt_rows, slots,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::OnConflict,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The version of the prompt engineering agent's prompt, recorded with its calls and proposals.
pub const PROMPT_ENGINEER_VERSION: i32 = 1;
const PROMPT_ENGINEER_PROMPT: &str = "You improve the standing instructions a drafting model follows to plan short \
TikTok videos. You get the instructions in force, the problems a reviewer kept finding in this month's drafts (with \
how many slots had each) and how the channel's posts did. Rewrite the instructions so the next month avoids those \
problems and leans on what worked: keep what is good, add short, concrete rules, stay under 2000 characters. Say \
in one or two sentences why. Answer with JSON only.";
/// The kinds of findings the agent is shown, most frequent first.
const FINDINGS_SHOWN: usize = 8;
/// Proposals a project page lists.
const PROPOSALS_SHOWN: u64 = 20;

/// What the agent reads about a drafted month.
pub struct ReviewContext {
    pub project: entities::projects::Model,
    pub plan_id: Uuid,
    pub instructions: (i32, String),
    /// Kinds of findings ("qa: the script repeats itself") and the slots that had each.
    pub findings: Vec<(String, usize)>,
    pub what_worked: Option<Value>,
}

/// A finding's kind: its check and its reason without the figures that
/// vary from slot to slot ("the script is about 4 s" and "... 9 s" alike).
fn kind_of(note: &ReviewNote) -> String {
    let reason: String = note.reason.chars().filter(|c| !c.is_ascii_digit()).collect();
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let reason: String = reason.chars().take(120).collect();
    format!("{}: {reason}", note.check)
}

pub async fn context(db: &DatabaseConnection, scope: &OrgScope, plan_id: Uuid) -> Result<ReviewContext, DomainError> {
    let tx = scope.begin(db).await?;
    let plan = tx.find_by_id::<plans::Entity>(plan_id).one(&*tx).await?.ok_or(DomainError::NotFound("plan"))?;
    let project = projects::get_in(&tx, plan.project_id).await?;
    let noted: Vec<slots::Model> =
        tx.find::<slots::Entity>().filter(slots::Column::PlanId.eq(plan_id)).all(&*tx).await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for slot in &noted {
        let notes: Vec<ReviewNote> = serde_json::from_value(slot.review_notes.clone()).unwrap_or_default();
        let mut kinds: Vec<String> = notes.iter().map(kind_of).collect();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            *counts.entry(kind).or_default() += 1;
        }
    }
    let mut findings: Vec<(String, usize)> = counts.into_iter().collect();
    findings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    findings.truncate(FINDINGS_SHOWN);
    let measured = performance::measured_posts_in(&tx, project.id, &project.timezone).await?;
    Ok(ReviewContext {
        instructions: prompts::current_in(&tx, project.id).await?.instructions,
        what_worked: Performance::from_results(measured).for_prompt(),
        findings,
        plan_id,
        project,
    })
}

/// A revision the model proposed.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub body: String,
    pub rationale: String,
}

impl ReviewContext {
    /// Nothing was found in the month's drafts: nothing to revise, no call.
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }

    pub fn prompt_versions(&self) -> Value {
        json!({"prompt_engineer": PROMPT_ENGINEER_VERSION, INSTRUCTIONS: self.instructions.0})
    }

    pub fn request(&self) -> (Vec<Value>, Value) {
        let mut task = json!({
            "task": "prompt_review",
            "project": self.project.name,
            "niche": self.project.niche,
            "instructions": self.instructions.1,
            "findings": self.findings.iter().map(|(kind, slots)| json!({"finding": kind, "slots": slots})).collect::<Vec<_>>(),
            "answer_format": "JSON object {\"instructions\": the complete revised instructions, \"rationale\": why}",
        });
        if let Some(what_worked) = &self.what_worked {
            task["what_worked"] = what_worked.clone();
        }
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["instructions", "rationale"],
            "properties": {
                "instructions": {"type": "string", "minLength": 100, "maxLength": 2000},
                "rationale": {"type": "string", "minLength": 10, "maxLength": 400},
            },
        });
        let messages = vec![
            json!({"role": "system", "content": PROMPT_ENGINEER_PROMPT}),
            json!({"role": "user", "content": task.to_string()}),
        ];
        (messages, schema)
    }

    /// The proposal in an answer: complete instructions that differ from
    /// the ones in force.
    pub fn validate(&self, answer: &str) -> Result<Proposal, Vec<String>> {
        #[derive(Deserialize)]
        struct Answer {
            instructions: String,
            rationale: String,
        }
        let a: Answer = serde_json::from_str(answer).map_err(|e| vec![format!("not the asked JSON: {e}")])?;
        let (body, rationale) = (a.instructions.trim().to_owned(), a.rationale.trim().to_owned());
        let mut problems = Vec::new();
        if body.chars().count() < 100 || body.chars().count() > 2000 {
            problems.push("the instructions must be complete, 100 to 2000 characters".to_owned());
        }
        if body == self.instructions.1.trim() {
            problems.push("the instructions are unchanged; revise them for the findings".to_owned());
        }
        if rationale.is_empty() {
            problems.push("say why in the rationale".to_owned());
        }
        if problems.is_empty() { Ok(Proposal { body, rationale }) } else { Err(problems) }
    }
}

/// Stores the proposal (once per plan: a rerun keeps the first).
pub async fn store(
    db: &DatabaseConnection,
    scope: &OrgScope,
    context: &ReviewContext,
    proposal: &Proposal,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    prompt_proposals::Entity::insert(prompt_proposals::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        project_id: Set(context.project.id),
        plan_id: Set(context.plan_id),
        kind: Set(INSTRUCTIONS.to_owned()),
        body: Set(proposal.body.clone()),
        rationale: Set(proposal.rationale.clone()),
        based_on_version: Set(context.instructions.0),
        prompt_version: Set(PROMPT_ENGINEER_VERSION),
        status: Set(ProposalStatus::Pending),
        decided_by: Set(None),
        decided_at: Set(None),
        created_at: Set(Utc::now().fixed_offset()),
    })
    .on_conflict(
        OnConflict::columns([prompt_proposals::Column::PlanId, prompt_proposals::Column::Kind]).do_nothing().to_owned(),
    )
    .exec_without_returning(&*tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the plan has its proposal already (a rerun asks no model).
pub async fn proposed_for(db: &DatabaseConnection, scope: &OrgScope, plan_id: Uuid) -> Result<bool, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<prompt_proposals::Entity>()
        .filter(prompt_proposals::Column::PlanId.eq(plan_id))
        .one(&*tx)
        .await?
        .is_some())
}

/// The project's proposals, newest first.
pub async fn list(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
) -> Result<Vec<prompt_proposals::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    projects::get_in(&tx, project_id).await?;
    Ok(tx
        .find::<prompt_proposals::Entity>()
        .filter(prompt_proposals::Column::ProjectId.eq(project_id))
        .order_by_desc(prompt_proposals::Column::CreatedAt)
        .limit(PROPOSALS_SHOWN)
        .all(&*tx)
        .await?)
}

/// What a person decides about a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It becomes the project's next instructions version.
    Accept,
    Dismiss,
}

/// Decides a pending proposal (audited with the request); accepting adds
/// it as the next instructions version, which the next drafting uses.
pub async fn decide(
    db: &DatabaseConnection,
    scope: &OrgScope,
    proposal_id: Uuid,
    decision: Decision,
    by: Uuid,
    request_id: Option<String>,
) -> Result<(prompt_proposals::Model, Option<prompt_rows::Model>), DomainError> {
    let tx = scope.begin(db).await?;
    let proposal = tx
        .find_by_id::<prompt_proposals::Entity>(proposal_id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("prompt proposal"))?;
    if proposal.status != ProposalStatus::Pending {
        return Err(DomainError::Conflict(format!("the proposal was {:?} already", proposal.status).to_lowercase()));
    }
    let prompt = match decision {
        Decision::Accept => {
            Some(prompts::add_version_in(&tx, proposal.project_id, &proposal.kind, &proposal.body, Some(by)).await?)
        }
        Decision::Dismiss => None,
    };
    let (status, action) = match decision {
        Decision::Accept => (ProposalStatus::Accepted, "prompt.proposal_accepted"),
        Decision::Dismiss => (ProposalStatus::Dismissed, "prompt.proposal_dismissed"),
    };
    audit::record(
        &tx,
        Entry {
            actor: Actor::User(by),
            action,
            target_kind: "prompt_proposal",
            target_id: Some(proposal.id.to_string()),
            request_id,
            details: json!({"project_id": proposal.project_id, "plan_id": proposal.plan_id,
                "based_on_version": proposal.based_on_version, "new_version": prompt.as_ref().map(|p| p.version)}),
        },
    )
    .await?;
    let mut row: prompt_proposals::ActiveModel = proposal.into();
    row.status = Set(status);
    row.decided_by = Set(Some(by));
    row.decided_at = Set(Some(Utc::now().fixed_offset()));
    let proposal = row.update(&*tx).await?;
    tx.commit().await?;
    Ok((proposal, prompt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_of_one_kind_count_together_whatever_their_figures() {
        let note = |check: &str, reason: &str| ReviewNote { check: check.into(), reason: reason.into() };
        assert_eq!(kind_of(&note("qa", "the script is about 4 s")), kind_of(&note("qa", "the script is about 19 s")));
        assert_ne!(
            kind_of(&note("qa", "the script repeats itself")),
            kind_of(&note("policy", "the script repeats itself"))
        );
    }
}
