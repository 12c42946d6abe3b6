//! The signed-in user and their sessions (devices).

use crate::{
    ApiError, AppState,
    auth::AuthUser,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
    routes::identity::auth::UserView,
};
use axum::extract::State;
use chrono::{DateTime, FixedOffset};
use entities::memberships::Role;
use http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(revoke_other_sessions))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MembershipView {
    org_id: Uuid,
    name: String,
    slug: String,
    role: Role,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MeView {
    #[serde(flatten)]
    user: UserView,
    /// The organisations this user belongs to, for the org switcher.
    orgs: Vec<MembershipView>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SessionView {
    id: Uuid,
    user_agent: String,
    ip: String,
    created_at: DateTime<FixedOffset>,
    last_seen_at: DateTime<FixedOffset>,
    /// This is the session making the request.
    current: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Revoked {
    revoked: u64,
}

/// The signed-in user and their organisations.
#[utoipa::path(get, path = "/api/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MeView), ErrorResponses))]
async fn me(State(state): State<AppState>, AuthUser(auth): AuthUser) -> Result<ApiJson<MeView>, ApiError> {
    let user = domain::identity::auth::me(&state.db, auth.user_id).await?;
    let orgs = domain::identity::orgs::list_for_user(&state.db, auth.user_id)
        .await?
        .into_iter()
        .map(|(o, role)| MembershipView { org_id: o.id, name: o.name, slug: o.slug, role })
        .collect();
    Ok(ApiJson(MeView { user: user.into(), orgs }))
}

/// The user's live sessions, newest activity first.
#[utoipa::path(get, path = "/api/me/sessions", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionView>), ErrorResponses))]
async fn sessions(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
) -> Result<ApiJson<Vec<SessionView>>, ApiError> {
    let sessions = domain::identity::auth::sessions(&state.db, auth.user_id).await?;
    Ok(ApiJson(
        sessions
            .into_iter()
            .map(|s| SessionView {
                current: s.id == auth.session_id,
                id: s.id,
                user_agent: s.user_agent,
                ip: s.ip,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
            })
            .collect(),
    ))
}

/// Ends one of the user's sessions at once.
#[utoipa::path(delete, path = "/api/me/sessions/{session_id}", tag = "me", security(("bearer" = [])),
    params(("session_id" = Uuid, Path)),
    responses((status = 204, description = "Session ended"), ErrorResponses))]
async fn revoke_session(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    ApiPath(session_id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    domain::identity::auth::revoke_session(&state.db, auth.user_id, session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the user except this one.
#[utoipa::path(post, path = "/api/me/sessions/revoke-others", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Revoked), ErrorResponses))]
async fn revoke_other_sessions(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
) -> Result<ApiJson<Revoked>, ApiError> {
    Ok(ApiJson(Revoked { revoked: domain::identity::auth::revoke_other_sessions(&state.db, auth).await? }))
}
