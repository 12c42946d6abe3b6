//! The prompt engineering agent's proposals: revised instructions a person
//! accepts (they become the project's next version) or dismisses.

use crate::routes::{
    paths::{ProjectPath, ProposalPath},
    planning::projects::PromptView,
};
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
};
use axum::extract::State;
use chrono::{DateTime, FixedOffset};
use domain::{
    identity::policy::Action,
    planning::prompt_review::{self, Decision},
};
use entities::prompt_proposals::ProposalStatus;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_proposals)).routes(routes!(accept)).routes(routes!(dismiss))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProposalView {
    id: Uuid,
    /// The plan whose drafting it learned from.
    plan_id: Uuid,
    /// `instructions`.
    kind: String,
    body: String,
    rationale: String,
    /// The instructions version it revises.
    based_on_version: i32,
    /// The prompt engineering agent's prompt version.
    prompt_version: i32,
    status: ProposalStatus,
    decided_by: Option<Uuid>,
    decided_at: Option<DateTime<FixedOffset>>,
    created_at: DateTime<FixedOffset>,
}

impl From<entities::prompt_proposals::Model> for ProposalView {
    fn from(p: entities::prompt_proposals::Model) -> Self {
        ProposalView {
            id: p.id,
            plan_id: p.plan_id,
            kind: p.kind,
            body: p.body,
            rationale: p.rationale,
            based_on_version: p.based_on_version,
            prompt_version: p.prompt_version,
            status: p.status,
            decided_by: p.decided_by,
            decided_at: p.decided_at,
            created_at: p.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DecidedProposal {
    proposal: ProposalView,
    /// The new instructions version, when accepted.
    prompt: Option<PromptView>,
}

/// The prompt engineering agent's proposals for the project, newest first
/// (at most 20). One comes after a month whose drafts left findings.
#[utoipa::path(get, path = "/api/orgs/{org_id}/projects/{project_id}/prompt-proposals", tag = "projects",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses((status = 200, body = Vec<ProposalView>), ErrorResponses))]
async fn list_proposals(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProjectPath { project_id, .. }): ApiPath<ProjectPath>,
) -> Result<ApiJson<Vec<ProposalView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    Ok(ApiJson(prompt_review::list(&state.db, &scope, project_id).await?.into_iter().map(Into::into).collect()))
}

async fn decide(state: &AppState, ctx: &OrgCtx, id: Uuid, decision: Decision) -> Result<DecidedProposal, ApiError> {
    let scope = ctx.authorize(Action::ManageProjects)?;
    let (proposal, prompt) =
        prompt_review::decide(&state.db, &scope, id, decision, ctx.auth.user_id, crate::request_id::current()).await?;
    Ok(DecidedProposal { proposal: proposal.into(), prompt: prompt.map(Into::into) })
}

/// Accepts a pending proposal (admin, owner; audited): it becomes the
/// project's next instructions version, which the next drafting uses.
#[utoipa::path(post, path = "/api/orgs/{org_id}/prompt-proposals/{proposal_id}/accept", tag = "projects",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("proposal_id" = Uuid, Path)),
    responses((status = 200, body = DecidedProposal), ErrorResponses))]
async fn accept(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProposalPath { proposal_id }): ApiPath<ProposalPath>,
) -> Result<ApiJson<DecidedProposal>, ApiError> {
    Ok(ApiJson(decide(&state, &ctx, proposal_id, Decision::Accept).await?))
}

/// Dismisses a pending proposal (admin, owner; audited); nothing changes.
#[utoipa::path(post, path = "/api/orgs/{org_id}/prompt-proposals/{proposal_id}/dismiss", tag = "projects",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("proposal_id" = Uuid, Path)),
    responses((status = 200, body = DecidedProposal), ErrorResponses))]
async fn dismiss(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(ProposalPath { proposal_id }): ApiPath<ProposalPath>,
) -> Result<ApiJson<DecidedProposal>, ApiError> {
    Ok(ApiJson(decide(&state, &ctx, proposal_id, Decision::Dismiss).await?))
}
