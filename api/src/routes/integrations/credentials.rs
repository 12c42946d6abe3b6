//! Provider credentials (admin and owner): add, list (fingerprint and last
//! four characters only), rotate, confirm the rotation, revoke. Secrets go
//! to the secret store and never come back out through the API.

use crate::routes::paths::CredentialPath;
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
};
use axum::extract::State;
use domain::{identity::policy::Action, integrations::credentials::Acting};
use entities::credentials;
use http::StatusCode;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
        .routes(routes!(rotate))
        .routes(routes!(confirm))
}

/// A stored credential as people may see it: never the secret.
#[derive(Serialize, ToSchema)]
pub(crate) struct CredentialView {
    id: Uuid,
    /// `llm` (the org's own key for the LLM API, used instead of the
    /// platform's) or `tiktok`.
    provider: String,
    label: String,
    /// `active` or `revoked`.
    status: String,
    version: i32,
    /// `sha256:` and 12 hex digits of the secret's SHA-256.
    fingerprint: String,
    last4: String,
    /// A rotated-in version waiting for confirmation; the current one stays in use until then.
    pending: Option<PendingView>,
    created_by: Option<Uuid>,
    created_at: chrono::DateTime<chrono::FixedOffset>,
    updated_at: chrono::DateTime<chrono::FixedOffset>,
    revoked_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PendingView {
    version: i32,
    fingerprint: String,
    last4: String,
}

impl From<credentials::Model> for CredentialView {
    fn from(c: credentials::Model) -> Self {
        let pending = match (c.pending_version, c.pending_fingerprint, c.pending_last4) {
            (Some(version), Some(fingerprint), Some(last4)) => Some(PendingView { version, fingerprint, last4 }),
            _ => None,
        };
        CredentialView {
            id: c.id,
            provider: c.provider,
            label: c.label,
            status: c.status,
            version: c.current_version,
            fingerprint: c.fingerprint,
            last4: c.last4,
            pending,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            revoked_at: c.revoked_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialInput {
    /// `llm` (the org's own key for the LLM API) or `tiktok`.
    #[schema(value_type = crate::routes::schemas::CredentialProvider, inline)]
    provider: String,
    /// 1 to 80 characters.
    #[schema(min_length = 1, max_length = 80)]
    label: String,
    /// The key itself, 8 to 4096 characters without spaces; stored in the
    /// secret store, never returned.
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 4096)]
    secret: SecretString,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotateInput {
    /// The new key, 8 to 4096 characters without spaces; it waits for
    /// confirmation while the current one stays in use.
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 4096)]
    secret: SecretString,
}

fn acting(ctx: &OrgCtx) -> Acting {
    Acting { user_id: ctx.auth.user_id, request_id: crate::request_id::current() }
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/credentials", tag = "credentials", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<CredentialView>), ErrorResponses))]
async fn list(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<CredentialView>>, ApiError> {
    let scope = ctx.authorize(Action::ManageCredentials)?;
    Ok(ApiJson(domain::integrations::credentials::list(&state.db, &scope).await?.into_iter().map(Into::into).collect()))
}

/// Stores a credential (admin, owner). An org has at most one active `llm` key.
#[utoipa::path(post, path = "/api/orgs/{org_id}/credentials", tag = "credentials", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = CredentialInput,
    responses((status = 201, body = CredentialView), ErrorResponses))]
async fn create(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<CredentialInput>,
) -> Result<(StatusCode, ApiJson<CredentialView>), ApiError> {
    let scope = ctx.authorize(Action::ManageCredentials)?;
    let created = domain::integrations::credentials::create(
        &state.db,
        &*state.secrets,
        &scope,
        &acting(&ctx),
        &body.provider,
        &body.label,
        &body.secret,
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(created.into())))
}

/// Stores a new version of the credential, pending confirmation.
#[utoipa::path(post, path = "/api/orgs/{org_id}/credentials/{credential_id}/rotate", tag = "credentials",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("credential_id" = Uuid, Path)), request_body = RotateInput,
    responses((status = 200, body = CredentialView), ErrorResponses))]
async fn rotate(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(CredentialPath { credential_id }): ApiPath<CredentialPath>,
    ApiJson(body): ApiJson<RotateInput>,
) -> Result<ApiJson<CredentialView>, ApiError> {
    let scope = ctx.authorize(Action::ManageCredentials)?;
    let rotated = domain::integrations::credentials::rotate(
        &state.db,
        &*state.secrets,
        &scope,
        &acting(&ctx),
        credential_id,
        &body.secret,
    )
    .await?;
    Ok(ApiJson(rotated.into()))
}

/// Puts the rotated-in version in use (the old one stays in the store's history).
#[utoipa::path(post, path = "/api/orgs/{org_id}/credentials/{credential_id}/confirm", tag = "credentials",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("credential_id" = Uuid, Path)),
    responses((status = 200, body = CredentialView), ErrorResponses))]
async fn confirm(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(CredentialPath { credential_id }): ApiPath<CredentialPath>,
) -> Result<ApiJson<CredentialView>, ApiError> {
    let scope = ctx.authorize(Action::ManageCredentials)?;
    Ok(ApiJson(
        domain::integrations::credentials::confirm(&state.db, &scope, &acting(&ctx), credential_id).await?.into(),
    ))
}

/// Revokes a credential: every stored version is destroyed.
#[utoipa::path(delete, path = "/api/orgs/{org_id}/credentials/{credential_id}", tag = "credentials",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("credential_id" = Uuid, Path)),
    responses((status = 200, body = CredentialView), ErrorResponses))]
async fn revoke(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(CredentialPath { credential_id }): ApiPath<CredentialPath>,
) -> Result<ApiJson<CredentialView>, ApiError> {
    let scope = ctx.authorize(Action::ManageCredentials)?;
    let revoked =
        domain::integrations::credentials::revoke(&state.db, &*state.secrets, &scope, &acting(&ctx), credential_id)
            .await?;
    Ok(ApiJson(revoked.into()))
}
