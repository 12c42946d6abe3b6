//! Connecting TikTok accounts: the OAuth start (admin and owner), TikTok's
//! callback (the person's browser comes back here), the list and
//! disconnecting. Tokens never leave the secret store.

use super::paths::TikTokAccountPath;
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath, ApiQuery},
};
use axum::{extract::State, response::Redirect};
use domain::{credentials::Acting, policy::Action, tiktok::ConnectError};
use entities::tiktok_accounts;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(connect))
        .routes(routes!(callback))
        .routes(routes!(accounts))
        .routes(routes!(disconnect))
        .routes(routes!(refresh_metrics))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConnectView {
    /// Send the person's browser here; TikTok sends them back to the callback.
    authorize_url: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AccountView {
    id: Uuid,
    open_id: String,
    display_name: String,
    scopes: String,
    /// connected, disconnected, or reauthorize (connect again).
    status: String,
    access_expires_at: chrono::DateTime<chrono::FixedOffset>,
    created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<tiktok_accounts::Model> for AccountView {
    fn from(a: tiktok_accounts::Model) -> Self {
        AccountView {
            id: a.id,
            open_id: a.open_id,
            display_name: a.display_name,
            scopes: a.scopes,
            status: a.status,
            access_expires_at: a.access_expires_at,
            created_at: a.created_at,
        }
    }
}

fn from_connect(err: ConnectError) -> ApiError {
    match err {
        ConnectError::BadState => ApiError::bad_request("invalid_state", err.to_string()),
        ConnectError::TikTok(platform::tiktok::TikTokError::NotConfigured) => {
            ApiError::Conflict("TikTok is not configured on this server (TIKTOK_CLIENT_KEY)".into())
        }
        ConnectError::TikTok(e) => ApiError::Unavailable { dependency: "tiktok", cause: e.to_string() },
        ConnectError::Domain(e) => e.into(),
    }
}

/// Starts connecting a TikTok account (admin, owner).
#[utoipa::path(post, path = "/api/orgs/{org_id}/tiktok/connect", tag = "tiktok", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = ConnectView), ErrorResponses))]
async fn connect(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<ConnectView>, ApiError> {
    let scope = ctx.authorize(Action::ManageCredentials)?;
    let authorize_url =
        domain::tiktok::start_connect(&state.db, &*state.secrets, &state.tiktok, &scope, ctx.auth.user_id)
            .await
            .map_err(from_connect)?;
    Ok(ApiJson(ConnectView { authorize_url }))
}

#[derive(Deserialize, IntoParams)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Where TikTok sends the person back: completes the connection and
/// redirects to the web app with the outcome.
#[utoipa::path(get, path = "/api/tiktok/callback", tag = "tiktok", params(CallbackQuery),
    responses((status = 303, description = "Back to the web app"), ErrorResponses))]
async fn callback(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<Redirect, ApiError> {
    let web = &state.config.api.public_web_url;
    let (Some(code), Some(oauth_state)) = (query.code, query.state) else {
        let why = query.error.unwrap_or_else(|| "missing_code".into());
        let why: String = why.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
        return Ok(Redirect::to(&format!("{web}/?tiktok_error={why}")));
    };
    match domain::tiktok::complete_connect(&state.db, &*state.secrets, &state.tiktok, &oauth_state, &code).await {
        Ok(account) => {
            if let Err(e) = crate::runs::ensure_metrics_schedule(&state, account.org_id, account.id, false).await {
                tracing::warn!(error = %e, "could not create the metrics schedule; it is created on the next refresh");
            }
            if let Err(e) = crate::runs::start_token_refresh(&state, account.org_id, account.id).await {
                tracing::warn!(error = %e, "could not start the token refresh run; tokens are refreshed when used");
            }
            Ok(Redirect::to(&format!("{web}/?tiktok_connected={}", account.id)))
        }
        Err(ConnectError::BadState) => Ok(Redirect::to(&format!("{web}/?tiktok_error=expired_link"))),
        Err(e) => {
            tracing::warn!(error = %e, "completing a TikTok connection failed");
            let code = match &e {
                ConnectError::TikTok(t) => t.code().unwrap_or("tiktok_unavailable").to_owned(),
                _ => "connection_failed".to_owned(),
            };
            Ok(Redirect::to(&format!("{web}/?tiktok_error={code}")))
        }
    }
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/tiktok/accounts", tag = "tiktok", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<AccountView>), ErrorResponses))]
async fn accounts(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<AccountView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    Ok(ApiJson(domain::tiktok::list(&state.db, &scope).await?.into_iter().map(Into::into).collect()))
}

/// Disconnects an account (admin, owner): TikTok revokes, the tokens are destroyed.
#[utoipa::path(delete, path = "/api/orgs/{org_id}/tiktok/accounts/{account_id}", tag = "tiktok",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("account_id" = Uuid, Path)),
    responses((status = 200, body = AccountView), ErrorResponses))]
async fn disconnect(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(TikTokAccountPath { account_id }): ApiPath<TikTokAccountPath>,
) -> Result<ApiJson<AccountView>, ApiError> {
    let scope = ctx.authorize(Action::ManageCredentials)?;
    let acting = Acting { user_id: ctx.auth.user_id, request_id: crate::request_id::current() };
    let account = domain::tiktok::disconnect(&state.db, &*state.secrets, &state.tiktok, &scope, &acting, account_id)
        .await
        .map_err(from_connect)?;
    crate::runs::delete_metrics_schedule(&state, account.org_id, account.id).await;
    crate::runs::stop_token_refresh(&state, account.org_id, account.id).await;
    Ok(ApiJson(account.into()))
}

/// Snapshots the account's post metrics now (editor and up), besides its schedule.
#[utoipa::path(post, path = "/api/orgs/{org_id}/tiktok/accounts/{account_id}/refresh-metrics", tag = "tiktok",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("account_id" = Uuid, Path)),
    responses((status = 202, description = "A snapshot run started"), ErrorResponses))]
async fn refresh_metrics(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(TikTokAccountPath { account_id }): ApiPath<TikTokAccountPath>,
) -> Result<http::StatusCode, ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let account = domain::tiktok::get(&state.db, &scope, account_id).await?;
    crate::runs::ensure_metrics_schedule(&state, account.org_id, account.id, true).await?;
    Ok(http::StatusCode::ACCEPTED)
}
