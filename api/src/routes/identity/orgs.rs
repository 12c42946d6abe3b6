//! Organisations, members, ownership and invitations.

use crate::routes::paths::{InvitationPath, MemberPath};
use crate::{
    ApiError, AppState,
    auth::{AuthUser, OrgCtx},
    error::ErrorResponses,
    extract::{ApiJson, ApiPath},
    notify,
};
use axum::extract::State;
use chrono::{DateTime, FixedOffset};
use domain::{identity::policy::Action, identity::ratelimit};
use entities::memberships::Role;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(show_org, rename_org, delete_org))
        .routes(routes!(list_members))
        .routes(routes!(change_role, remove_member))
        .routes(routes!(transfer_ownership))
        .routes(routes!(list_invitations, invite))
        .routes(routes!(revoke_invitation))
        .routes(routes!(accept_invitation))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrgName {
    /// 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120)]
    name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OrgView {
    id: Uuid,
    name: String,
    slug: String,
    tier: String,
    /// The caller's role in this organisation.
    role: Role,
    created_at: DateTime<FixedOffset>,
}

fn org_view(o: entities::organizations::Model, role: Role) -> OrgView {
    OrgView { id: o.id, name: o.name, slug: o.slug, tier: o.tier, role, created_at: o.created_at }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MemberView {
    user_id: Uuid,
    email: String,
    display_name: String,
    role: Role,
    joined_at: DateTime<FixedOffset>,
}

impl From<domain::identity::orgs::Member> for MemberView {
    fn from(m: domain::identity::orgs::Member) -> Self {
        MemberView {
            user_id: m.user_id,
            email: m.email,
            display_name: m.display_name,
            role: m.role,
            joined_at: m.joined_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleChange {
    /// admin, editor or viewer; ownership moves by transfer.
    role: Role,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Transfer {
    /// The member who becomes owner; the current owner becomes admin.
    user_id: Uuid,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewInvitation {
    #[schema(format = "email", max_length = 254)]
    email: String,
    /// admin, editor or viewer; ownership moves by transfer.
    role: Role,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct InvitationView {
    id: Uuid,
    email: String,
    role: Role,
    /// pending, accepted, revoked or expired.
    status: &'static str,
    created_at: DateTime<FixedOffset>,
    expires_at: DateTime<FixedOffset>,
}

impl From<entities::invitations::Model> for InvitationView {
    fn from(i: entities::invitations::Model) -> Self {
        let status = if i.accepted_at.is_some() {
            "accepted"
        } else if i.revoked_at.is_some() {
            "revoked"
        } else if i.expires_at < chrono::Utc::now() {
            "expired"
        } else {
            "pending"
        };
        InvitationView {
            id: i.id,
            email: i.email,
            role: i.role,
            status,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptInvitation {
    token: String,
}

/// The caller's organisations.
#[utoipa::path(get, path = "/api/orgs", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrgView>), ErrorResponses))]
async fn list_orgs(State(state): State<AppState>, AuthUser(auth): AuthUser) -> Result<ApiJson<Vec<OrgView>>, ApiError> {
    let orgs = domain::identity::orgs::list_for_user(&state.db, auth.user_id).await?;
    Ok(ApiJson(orgs.into_iter().map(|(o, role)| org_view(o, role)).collect()))
}

/// Creates an organisation; the caller becomes its owner.
#[utoipa::path(post, path = "/api/orgs", tag = "orgs", security(("bearer" = [])), request_body = OrgName,
    responses((status = 201, body = OrgView), ErrorResponses))]
async fn create_org(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    ApiJson(body): ApiJson<OrgName>,
) -> Result<(StatusCode, ApiJson<OrgView>), ApiError> {
    let org = domain::identity::orgs::create(&state.db, auth.user_id, &body.name).await?;
    Ok((StatusCode::CREATED, ApiJson(org_view(org, Role::Owner))))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}", tag = "orgs", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = OrgView), ErrorResponses))]
async fn show_org(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<OrgView>, ApiError> {
    let org = domain::identity::orgs::get(&state.db, &ctx.authorize(Action::Read)?).await?;
    Ok(ApiJson(org_view(org, ctx.role)))
}

/// Renames the organisation (admin, owner).
#[utoipa::path(patch, path = "/api/orgs/{org_id}", tag = "orgs", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = OrgName,
    responses((status = 200, body = OrgView), ErrorResponses))]
async fn rename_org(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<OrgName>,
) -> Result<ApiJson<OrgView>, ApiError> {
    let org = domain::identity::orgs::rename(&state.db, &ctx.authorize(Action::RenameOrg)?, &body.name).await?;
    Ok(ApiJson(org_view(org, ctx.role)))
}

/// Deletes the organisation and everything in it (owner).
///
/// From this answer on the organisation is gone for its members (404),
/// while the `DeleteOrg` run stops its work, revokes its TikTok grants and
/// removes its secrets, stored objects and rows. Repeating the request
/// answers the same run.
#[utoipa::path(delete, path = "/api/orgs/{org_id}", tag = "orgs", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    responses((status = 202, body = crate::runs::RunView, description = "Deletion under way"), ErrorResponses))]
async fn delete_org(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    // Not `OrgCtx`: an org being deleted is 404 there, and the owner's
    // repeated request must still reach its run.
    ApiPath(org_id): ApiPath<Uuid>,
) -> Result<(StatusCode, ApiJson<crate::runs::RunView>), ApiError> {
    let acting =
        domain::integrations::credentials::Acting { user_id: auth.user_id, request_id: crate::request_id::current() };
    let request = domain::identity::orgs::request_deletion(&state.db, org_id, &acting).await?;
    let run = crate::runs::start_org_deletion(&state, request.org_id, auth.user_id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(run)))
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/members", tag = "members", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<MemberView>), ErrorResponses))]
async fn list_members(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<MemberView>>, ApiError> {
    let members = domain::identity::orgs::members(&state.db, &ctx.authorize(Action::Read)?).await?;
    Ok(ApiJson(members.into_iter().map(Into::into).collect()))
}

/// Changes a member's role (admin, owner).
#[utoipa::path(patch, path = "/api/orgs/{org_id}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("user_id" = Uuid, Path)), request_body = RoleChange,
    responses((status = 200, body = MemberView), ErrorResponses))]
async fn change_role(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(MemberPath { user_id, .. }): ApiPath<MemberPath>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<ApiJson<MemberView>, ApiError> {
    let member =
        domain::identity::orgs::change_role(&state.db, &ctx.authorize(Action::ManageMembers)?, user_id, body.role)
            .await?;
    Ok(ApiJson(member.into()))
}

/// Removes a member (admin, owner); the owner cannot be removed.
#[utoipa::path(delete, path = "/api/orgs/{org_id}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), ErrorResponses))]
async fn remove_member(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(MemberPath { user_id, .. }): ApiPath<MemberPath>,
) -> Result<StatusCode, ApiError> {
    domain::identity::orgs::remove_member(&state.db, &ctx.authorize(Action::ManageMembers)?, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes another member the owner; the caller (owner) becomes admin.
#[utoipa::path(post, path = "/api/orgs/{org_id}/transfer-ownership", tag = "members", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = Transfer,
    responses((status = 204, description = "Ownership transferred"), ErrorResponses))]
async fn transfer_ownership(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<Transfer>,
) -> Result<StatusCode, ApiError> {
    let scope = ctx.authorize(Action::TransferOwnership)?;
    domain::identity::orgs::transfer_ownership(&state.db, &scope, ctx.auth.user_id, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/orgs/{org_id}/invitations", tag = "members", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), responses((status = 200, body = Vec<InvitationView>), ErrorResponses))]
async fn list_invitations(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<ApiJson<Vec<InvitationView>>, ApiError> {
    let invitations = domain::identity::orgs::invitations(&state.db, &ctx.authorize(Action::ManageMembers)?).await?;
    Ok(ApiJson(invitations.into_iter().map(Into::into).collect()))
}

/// Invites someone by email with a role; the link expires in 7 days.
#[utoipa::path(post, path = "/api/orgs/{org_id}/invitations", tag = "members", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = NewInvitation,
    responses((status = 201, body = InvitationView), ErrorResponses))]
async fn invite(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<(StatusCode, ApiJson<InvitationView>), ApiError> {
    let scope = ctx.authorize(Action::ManageMembers)?;
    ratelimit::hit(&state.db, ratelimit::INVITE_PER_USER, &ctx.auth.user_id.to_string()).await?;
    ratelimit::hit(&state.db, ratelimit::INVITE_PER_ORG, &scope.org_id().to_string()).await?;
    let (invitation, token) =
        domain::identity::orgs::invite(&state.db, &scope, ctx.auth.user_id, &body.email, body.role).await?;
    let org = domain::identity::orgs::get(&state.db, &scope).await?;
    let role =
        serde_json::to_value(invitation.role).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    notify::invitation(&state, &invitation.email, &org.name, &role, &token).await;
    Ok((StatusCode::CREATED, ApiJson(invitation.into())))
}

#[utoipa::path(delete, path = "/api/orgs/{org_id}/invitations/{invitation_id}", tag = "members",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("invitation_id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), ErrorResponses))]
async fn revoke_invitation(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(InvitationPath { invitation_id, .. }): ApiPath<InvitationPath>,
) -> Result<StatusCode, ApiError> {
    domain::identity::orgs::revoke_invitation(&state.db, &ctx.authorize(Action::ManageMembers)?, invitation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Joins the organisation of an invitation sent to the caller's address.
#[utoipa::path(post, path = "/api/invitations/accept", tag = "members", security(("bearer" = [])),
    request_body = AcceptInvitation, responses((status = 200, body = OrgView), ErrorResponses))]
async fn accept_invitation(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> Result<ApiJson<OrgView>, ApiError> {
    let (org, role) = domain::identity::orgs::accept_invitation(&state.db, auth.user_id, &body.token).await?;
    Ok(ApiJson(org_view(org, role)))
}
