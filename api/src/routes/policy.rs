//! The org's content policy: the rules admins write, and an admin's
//! override of a block on a slot.

use crate::routes::{paths::SlotPath, planning::slots::SlotView};
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
    runs,
};
use axum::extract::State;
use chrono::{DateTime, FixedOffset};
use domain::{
    identity::policy::Action,
    policy::{
        RuleTest, Severity, gate,
        rules::{self, Acting, RuleChange},
    },
};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(change_rule, remove_rule))
        .routes(routes!(override_block))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RuleView {
    id: Uuid,
    name: String,
    test: RuleTest,
    severity: Severity,
    enabled: bool,
    created_by: Option<Uuid>,
    created_at: DateTime<FixedOffset>,
    updated_at: DateTime<FixedOffset>,
}

impl From<entities::policy_rules::Model> for RuleView {
    fn from(r: entities::policy_rules::Model) -> Self {
        RuleView {
            id: r.id,
            // Written through `RuleTest` only, so it reads back.
            test: serde_json::from_value(r.test).unwrap_or(RuleTest::Terms { terms: Vec::new() }),
            name: r.name,
            severity: r.severity,
            enabled: r.enabled,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRule {
    /// 1 to 100 characters, unique in the org.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    test: RuleTest,
    /// `block` stops the slot's pipeline; `warn` leaves a note on the slot.
    severity: Severity,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulePatch {
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    test: Option<RuleTest>,
    severity: Option<Severity>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct RulePath {
    rule_id: Uuid,
}

fn acting(ctx: &OrgCtx) -> Acting {
    Acting { user_id: ctx.auth.user_id, request_id: crate::request_id::current() }
}

/// The org's own rules, oldest first (the built-in TikTok guideline
/// categories always run besides them).
#[utoipa::path(get, path = "/api/orgs/{org_id}/policy/rules", tag = "policy", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    responses((status = 200, body = Vec<RuleView>), ErrorResponses))]
async fn list_rules(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<RuleView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    Ok(ApiJson(rules::list(&state.db, &scope).await?.into_iter().map(RuleView::from).collect()))
}

/// Adds a rule (admins; audited). It runs on every draft from now on, and
/// at the gates before render and before publish of every slot.
#[utoipa::path(post, path = "/api/orgs/{org_id}/policy/rules", tag = "policy", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = NewRule,
    responses((status = 201, body = RuleView), ErrorResponses))]
async fn create_rule(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<NewRule>,
) -> Result<(StatusCode, ApiJson<RuleView>), ApiError> {
    let scope = ctx.authorize(Action::ManagePolicy)?;
    let rule = rules::create(&state.db, &scope, &acting(&ctx), &body.name, body.test, body.severity).await?;
    Ok((StatusCode::CREATED, ApiJson(rule.into())))
}

/// Changes a rule: its name, test, severity, or turns it off (admins; audited).
#[utoipa::path(patch, path = "/api/orgs/{org_id}/policy/rules/{rule_id}", tag = "policy", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("rule_id" = Uuid, Path)), request_body = RulePatch,
    responses((status = 200, body = RuleView), ErrorResponses))]
async fn change_rule(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(RulePath { rule_id }): ApiPath<RulePath>,
    ApiJson(body): ApiJson<RulePatch>,
) -> Result<ApiJson<RuleView>, ApiError> {
    let scope = ctx.authorize(Action::ManagePolicy)?;
    let change = RuleChange { name: body.name, test: body.test, severity: body.severity, enabled: body.enabled };
    Ok(ApiJson(rules::update(&state.db, &scope, &acting(&ctx), rule_id, change).await?.into()))
}

/// Removes a rule (admins; audited).
#[utoipa::path(delete, path = "/api/orgs/{org_id}/policy/rules/{rule_id}", tag = "policy", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("rule_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), ErrorResponses))]
async fn remove_rule(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(RulePath { rule_id }): ApiPath<RulePath>,
) -> Result<StatusCode, ApiError> {
    let scope = ctx.authorize(Action::ManagePolicy)?;
    rules::remove(&state.db, &scope, &acting(&ctx), rule_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OverrideInput {
    /// Why this version may go out anyway (3 to 500 characters; audited).
    #[schema(min_length = 3, max_length = 500)]
    reason: String,
}

/// Lets the slot's current version through the rules that block it
/// (admins; audited with the reason). Its pipeline goes on; an edit
/// afterwards is checked afresh. 409 when nothing blocks the slot.
#[utoipa::path(post, path = "/api/orgs/{org_id}/slots/{slot_id}/policy-override", tag = "policy",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("slot_id" = Uuid, Path)), request_body = OverrideInput,
    responses((status = 200, body = SlotView), ErrorResponses))]
async fn override_block(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(SlotPath { slot_id }): ApiPath<SlotPath>,
    ApiJson(body): ApiJson<OverrideInput>,
) -> Result<ApiJson<SlotView>, ApiError> {
    let scope = ctx.authorize(Action::ManagePolicy)?;
    let slot =
        gate::override_block(&state.db, &scope, slot_id, ctx.auth.user_id, &body.reason, crate::request_id::current())
            .await?;
    runs::signal_policy_review(&state, &slot, ctx.auth.user_id).await;
    Ok(ApiJson(slot.into()))
}
