//! Who is calling: the bearer token's user and session, and, on org routes,
//! their membership, which is what every permission check consults.

use crate::{ApiError, AppState};
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use domain::{
    OrgScope,
    identity::auth::{Authenticated, Device},
    identity::policy::{self, Action, Refusal, Standing},
};
use entities::memberships::Role;
use std::{collections::BTreeMap, net::SocketAddr};
use uuid::Uuid;

/// A signed-in caller (`Authorization: Bearer rpa_...`).
#[derive(Debug, Clone, Copy)]
pub struct AuthUser(pub Authenticated);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(known) = parts.extensions.get::<AuthUser>() {
            return Ok(*known);
        }
        let token = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthenticated("sign in: send Authorization: Bearer <access token>"))?;
        let user = AuthUser(domain::identity::auth::authenticate(&state.db, token).await?);
        parts.extensions.insert(user);
        Ok(user)
    }
}

/// A member of the organisation named by the route's `{org_id}`. A caller
/// who is not a member gets 404, exactly as for an org that does not exist.
#[derive(Debug, Clone, Copy)]
pub struct OrgCtx {
    pub auth: Authenticated,
    pub role: Role,
    email_verified: bool,
    scope: OrgScope,
}

impl OrgCtx {
    /// The scope for `action`, if the caller's standing allows it.
    pub fn authorize(&self, action: Action) -> Result<OrgScope, ApiError> {
        match policy::permits(Standing { role: self.role, email_verified: self.email_verified }, action) {
            Ok(()) => Ok(self.scope),
            Err(Refusal::Role) => Err(ApiError::Forbidden(action.describe())),
            Err(Refusal::EmailUnverified) => Err(ApiError::EmailUnverified(action.describe())),
        }
    }
}

impl FromRequestParts<AppState> for OrgCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AuthUser(auth) = AuthUser::from_request_parts(parts, state).await?;
        let axum::extract::Path(params) =
            axum::extract::Path::<BTreeMap<String, String>>::from_request_parts(parts, state).await?;
        let raw = params.get("org_id").ok_or_else(|| ApiError::internal("route has no {org_id}"))?;
        let org_id: Uuid =
            raw.parse().map_err(|_| ApiError::bad_request("invalid_path_parameter", "org_id must be a UUID"))?;
        let standing = domain::identity::orgs::standing_of(&state.db, org_id, auth.user_id)
            .await?
            .ok_or(ApiError::NotFound("organisation"))?;
        Ok(OrgCtx { auth, role: standing.role, email_verified: standing.email_verified, scope: OrgScope::new(org_id) })
    }
}

/// The caller's device, for the session list and per-IP rate limits.
#[derive(Debug, Clone)]
pub struct Client(pub Device);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user_agent =
            parts.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = peer.map(|peer| platform::client_ip::client_ip(peer, &forwarded, &state.config.api.trusted_proxies));
        Ok(Client(Device { user_agent, ip: ip.map_or_else(|| "unknown".into(), |ip| ip.to_string()) }))
    }
}
