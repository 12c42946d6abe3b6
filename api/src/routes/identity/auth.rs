//! Accounts: register, verify, login, refresh, logout, password reset.

use crate::{
    ApiError, AppState,
    auth::{AuthUser, Client},
    error::ErrorResponses,
    extract::ApiJson,
    notify,
};
use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::{
    identity::auth::{Registration, TokenPair},
    identity::ratelimit,
};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    #[schema(format = "email", max_length = 254)]
    email: String,
    /// 10 to 128 characters, not a common password, not containing the email.
    #[schema(format = Password, min_length = 10, max_length = 128)]
    password: String,
    #[serde(default)]
    #[schema(max_length = 80)]
    display_name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Accepted {
    message: &'static str,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRequest {
    token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    email: String,
    #[schema(format = Password)]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshRequest {
    refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForgotRequest {
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetRequest {
    token: String,
    /// The new password: 10 to 128 characters, not a common password, not
    /// containing the email.
    #[schema(format = Password, min_length = 10, max_length = 128)]
    password: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserView {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) display_name: String,
    pub(crate) email_verified: bool,
}

impl From<entities::users::Model> for UserView {
    fn from(u: entities::users::Model) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            email_verified: u.email_verified_at.is_some(),
        }
    }
}

/// A short-lived access token and a single-use refresh token.
#[derive(Serialize, ToSchema)]
pub(crate) struct Tokens {
    token_type: &'static str,
    access_token: String,
    access_expires_at: DateTime<Utc>,
    /// Exchange it at /api/auth/refresh before it expires; each one works once.
    refresh_token: String,
    refresh_expires_at: DateTime<Utc>,
    session_id: Uuid,
}

impl From<TokenPair> for Tokens {
    fn from(p: TokenPair) -> Self {
        Tokens {
            token_type: "Bearer",
            access_token: p.access_token,
            access_expires_at: p.access_expires_at,
            refresh_token: p.refresh_token,
            refresh_expires_at: p.refresh_expires_at,
            session_id: p.session_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    #[serde(flatten)]
    tokens: Tokens,
    user: UserView,
}

const CHECK_INBOX: Accepted = Accepted { message: "Check your inbox: we sent a link to confirm the address." };

/// Creates an account. The answer is the same whether or not the address
/// already had one; the mail differs.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 202, body = Accepted), ErrorResponses))]
async fn register(
    State(state): State<AppState>,
    Client(device): Client,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, ApiJson<Accepted>), ApiError> {
    ratelimit::hit(&state.db, ratelimit::REGISTER_PER_IP, &device.ip).await?;
    ratelimit::hit(&state.db, ratelimit::REGISTER_PER_ACCOUNT, body.email.trim()).await?;
    match domain::identity::auth::register(&state.db, &body.email, &body.password, &body.display_name).await? {
        Registration::Created { user, verify_token } => notify::verify_email(&state, &user.email, &verify_token).await,
        Registration::AlreadyRegistered { user } => notify::already_registered(&state, &user.email).await,
    }
    Ok((StatusCode::ACCEPTED, ApiJson(CHECK_INBOX)))
}

/// Confirms an email address with the token from the link (once).
#[utoipa::path(post, path = "/api/auth/verify-email", tag = "auth", request_body = TokenRequest,
    responses((status = 204, description = "Address confirmed"), ErrorResponses))]
async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<StatusCode, ApiError> {
    domain::identity::auth::verify_email(&state.db, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a new confirmation link to the signed-in user, if not yet confirmed.
#[utoipa::path(post, path = "/api/auth/verify-email/resend", tag = "auth", security(("bearer" = [])),
    responses((status = 202, body = Accepted), ErrorResponses))]
async fn resend_verification(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
) -> Result<(StatusCode, ApiJson<Accepted>), ApiError> {
    ratelimit::hit(&state.db, ratelimit::RESET_PER_ACCOUNT, &auth.user_id.to_string()).await?;
    if let Some((user, token)) = domain::identity::auth::resend_verification(&state.db, auth.user_id).await? {
        notify::verify_email(&state, &user.email, &token).await;
    }
    Ok((StatusCode::ACCEPTED, ApiJson(CHECK_INBOX)))
}

/// Signs in and starts a session on this device.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), ErrorResponses))]
async fn login(
    State(state): State<AppState>,
    Client(device): Client,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<ApiJson<LoginResponse>, ApiError> {
    ratelimit::hit(&state.db, ratelimit::LOGIN_PER_IP, &device.ip).await?;
    ratelimit::hit(&state.db, ratelimit::LOGIN_PER_ACCOUNT, body.email.trim()).await?;
    let (user, pair) = domain::identity::auth::login(&state.db, &body.email, &body.password, device).await?;
    Ok(ApiJson(LoginResponse { tokens: pair.into(), user: user.into() }))
}

/// Exchanges a refresh token for a new pair. Presenting a refresh token a
/// second time revokes its whole session.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = Tokens), ErrorResponses))]
async fn refresh(
    State(state): State<AppState>,
    Client(device): Client,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<ApiJson<Tokens>, ApiError> {
    ratelimit::hit(&state.db, ratelimit::REFRESH_PER_IP, &device.ip).await?;
    Ok(ApiJson(domain::identity::auth::refresh(&state.db, &body.refresh_token).await?.into()))
}

/// Ends the current session at once.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"), ErrorResponses))]
async fn logout(State(state): State<AppState>, AuthUser(auth): AuthUser) -> Result<StatusCode, ApiError> {
    domain::identity::auth::logout(&state.db, auth).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails a reset link if the address has an account; answers the same
/// either way.
#[utoipa::path(post, path = "/api/auth/password/forgot", tag = "auth", request_body = ForgotRequest,
    responses((status = 202, body = Accepted), ErrorResponses))]
async fn forgot_password(
    State(state): State<AppState>,
    Client(device): Client,
    ApiJson(body): ApiJson<ForgotRequest>,
) -> Result<(StatusCode, ApiJson<Accepted>), ApiError> {
    ratelimit::hit(&state.db, ratelimit::RESET_PER_IP, &device.ip).await?;
    ratelimit::hit(&state.db, ratelimit::RESET_PER_ACCOUNT, body.email.trim()).await?;
    if let Some((user, token)) = domain::identity::auth::request_password_reset(&state.db, &body.email).await? {
        notify::password_reset(&state, &user.email, &token).await;
    }
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(Accepted { message: "If the address has an account, a reset link is on its way." }),
    ))
}

/// Sets a new password with the emailed token (once) and signs out every
/// session.
#[utoipa::path(post, path = "/api/auth/password/reset", tag = "auth", request_body = ResetRequest,
    responses((status = 204, description = "Password changed; all sessions ended"), ErrorResponses))]
async fn reset_password(
    State(state): State<AppState>,
    Client(device): Client,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    ratelimit::hit(&state.db, ratelimit::RESET_PER_IP, &device.ip).await?;
    domain::identity::auth::reset_password(&state.db, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
