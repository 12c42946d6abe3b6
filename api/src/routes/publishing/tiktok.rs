//! Connecting TikTok accounts: the OAuth start (admin and owner), TikTok's
//! callback (the person's browser comes back here), the list and
//! disconnecting. Tokens never leave the secret store.

use crate::routes::paths::TikTokAccountPath;
use crate::{
    ApiError, AppState,
    auth::{AuthUser, OrgCtx},
    error::ErrorResponses,
    extract::{ApiJson, ApiPath, ApiQuery},
};
use axum::{extract::State, response::Redirect};
use domain::{identity::policy::Action, integrations::credentials::Acting, publishing::tiktok::ConnectError};
use entities::tiktok_accounts;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(connect))
        .routes(routes!(callback))
        .routes(routes!(exchange))
        .routes(routes!(confirm))
        .routes(routes!(cancel))
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
        ConnectError::NotYours => ApiError::Refused { code: "not_your_connection", message: err.to_string() },
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
        domain::publishing::tiktok::start_connect(&state.db, &*state.secrets, &state.tiktok, &scope, ctx.auth.user_id)
            .await
            .map_err(from_connect)?;
    Ok(ApiJson(ConnectView { authorize_url }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Keeps only what can safely travel in a URL we build.
fn url_safe(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*' | '!')).take(512).collect()
}

/// Where TikTok sends the person back. Nothing is linked here: the browser
/// goes on to the web app, which completes the connection with the
/// signed-in person's own token, so a link opened by someone else links
/// nothing.
#[utoipa::path(get, path = "/api/tiktok/callback", tag = "tiktok", params(CallbackQuery),
    responses((status = 303, description = "On to the web app's confirmation page"), ErrorResponses))]
async fn callback(State(state): State<AppState>, ApiQuery(query): ApiQuery<CallbackQuery>) -> Redirect {
    let web = &state.config.api.public_web_url;
    match (query.code, query.state) {
        (Some(code), Some(oauth_state)) => {
            Redirect::to(&format!("{web}/tiktok/callback?code={}&state={}", url_safe(&code), url_safe(&oauth_state)))
        }
        _ => {
            let why = query.error.as_deref().map(url_safe).unwrap_or_else(|| "missing_code".into());
            Redirect::to(&format!("{web}/tiktok/callback?error={}", &why[..why.len().min(64)]))
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExchangeRequest {
    #[schema(max_length = 512)]
    state: String,
    #[schema(max_length = 512)]
    code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HandshakeRef {
    #[schema(max_length = 512)]
    state: String,
}

/// The TikTok account that consented, for the person to confirm.
#[derive(Serialize, ToSchema)]
pub(crate) struct PendingConnectionView {
    org_id: Uuid,
    org_name: String,
    open_id: String,
    display_name: String,
    scopes: String,
    /// Set when this TikTok account is already linked: confirming reconnects it.
    reconnects_account_id: Option<Uuid>,
}

/// Hands TikTok's code over (the person who started the connection only)
/// and answers which TikTok account consented; nothing is linked yet.
#[utoipa::path(post, path = "/api/tiktok/connections/exchange", tag = "tiktok", security(("bearer" = [])),
    request_body = ExchangeRequest, responses((status = 200, body = PendingConnectionView), ErrorResponses))]
async fn exchange(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    ApiJson(body): ApiJson<ExchangeRequest>,
) -> Result<ApiJson<PendingConnectionView>, ApiError> {
    let pending = domain::publishing::tiktok::exchange_code(
        &state.db,
        &*state.secrets,
        &state.tiktok,
        auth.user_id,
        &body.state,
        &body.code,
    )
    .await
    .map_err(from_connect)?;
    let org = domain::identity::orgs::get(&state.db, &domain::OrgScope::new(pending.org_id)).await?;
    Ok(ApiJson(PendingConnectionView {
        org_id: pending.org_id,
        org_name: org.name,
        open_id: pending.open_id,
        display_name: pending.display_name,
        scopes: pending.scopes,
        reconnects_account_id: pending.reconnects,
    }))
}

/// Links the account the exchange showed (the person who started it only).
#[utoipa::path(post, path = "/api/tiktok/connections/confirm", tag = "tiktok", security(("bearer" = [])),
    request_body = HandshakeRef, responses((status = 200, body = AccountView), ErrorResponses))]
async fn confirm(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    ApiJson(body): ApiJson<HandshakeRef>,
) -> Result<ApiJson<AccountView>, ApiError> {
    let request_id = crate::request_id::current();
    let account =
        domain::publishing::tiktok::confirm_connect(&state.db, &*state.secrets, auth.user_id, &body.state, request_id)
            .await
            .map_err(from_connect)?;
    if let Err(e) = crate::runs::ensure_metrics_schedule(&state, account.org_id, account.id, false).await {
        tracing::warn!(error = %e, "could not create the metrics schedule; it is created on the next refresh");
    }
    if let Err(e) = crate::runs::start_token_refresh(&state, account.org_id, account.id).await {
        tracing::warn!(error = %e, "could not start the token refresh run; tokens are refreshed when used");
    }
    Ok(ApiJson(account.into()))
}

/// Declines the account the exchange showed: nothing is linked and TikTok
/// is asked to revoke what it granted.
#[utoipa::path(post, path = "/api/tiktok/connections/cancel", tag = "tiktok", security(("bearer" = [])),
    request_body = HandshakeRef, responses((status = 204, description = "Declined"), ErrorResponses))]
async fn cancel(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    ApiJson(body): ApiJson<HandshakeRef>,
) -> Result<http::StatusCode, ApiError> {
    domain::publishing::tiktok::cancel_connect(&state.db, &*state.secrets, &state.tiktok, auth.user_id, &body.state)
        .await
        .map_err(from_connect)?;
    Ok(http::StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/tiktok/accounts", tag = "tiktok", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<AccountView>), ErrorResponses))]
async fn accounts(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<AccountView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    Ok(ApiJson(domain::publishing::tiktok::list(&state.db, &scope).await?.into_iter().map(Into::into).collect()))
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
    let account =
        domain::publishing::tiktok::disconnect(&state.db, &*state.secrets, &state.tiktok, &scope, &acting, account_id)
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
    let account = domain::publishing::tiktok::get(&state.db, &scope, account_id).await?;
    crate::runs::ensure_metrics_schedule(&state, account.org_id, account.id, true).await?;
    Ok(http::StatusCode::ACCEPTED)
}
