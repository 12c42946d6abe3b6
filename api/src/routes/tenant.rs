use crate::{ApiError, AppState};
use axum::{extract::FromRequestParts, http::request::Parts};
use domain::OrgScope;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The organisation named by the route's `{org_id}`, as an [`OrgScope`].
/// Every tenant-owned route takes one; an unknown org is a 404.
pub struct Tenant(pub OrgScope);

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(params) =
            axum::extract::Path::<BTreeMap<String, String>>::from_request_parts(parts, state)
                .await?;
        let raw = params
            .get("org_id")
            .ok_or_else(|| ApiError::internal("route has no {org_id}"))?;
        let org_id: Uuid = raw.parse().map_err(|_| {
            ApiError::bad_request("invalid_path_parameter", "org_id must be a UUID")
        })?;
        domain::orgs::get(&state.db, org_id).await?;
        Ok(Tenant(OrgScope::new(org_id)))
    }
}
