//! Organisations, their members and invitations.

use crate::{
    DomainError, OrgScope, TenantTxn, error::on_unique_violation, identity::policy::Standing, identity::tokens,
};
use chrono::{Duration, Utc};
use entities::{
    invitations,
    memberships::{self, Role},
    oauth_states, organizations, users,
};
use platform::{
    secrets::{SecretPath, SecretStore},
    tiktok::TikTokClient,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set, Statement, TransactionTrait,
    sea_query::{Expr, LockType},
};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

pub const INVITATION_TTL: Duration = Duration::days(7);

fn validate_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(DomainError::invalid("name", "must be 1 to 120 characters"));
    }
    Ok(name.to_owned())
}

/// Creates an organisation whose owner is `owner`.
pub async fn create(db: &DatabaseConnection, owner: Uuid, name: &str) -> Result<organizations::Model, DomainError> {
    let name = validate_name(name)?;
    let id = Uuid::now_v7();
    let now = Utc::now().fixed_offset();
    let txn = db.begin().await?;
    let org = organizations::ActiveModel {
        id: Set(id),
        name: Set(name.clone()),
        slug: Set(slug_for(&name, id)),
        tier: Set("free".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        deletion_requested_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| on_unique_violation(e, || "organisation slug taken".into()))?;
    memberships::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org.id),
        user_id: Set(owner),
        role: Set(Role::Owner),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(org)
}

/// The organisations `user_id` belongs to, with their role, for the org
/// switcher. The one cross-org read: it only follows the user's own
/// memberships.
pub async fn list_for_user(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> Result<Vec<(organizations::Model, Role)>, DomainError> {
    let rows = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .find_also_related(organizations::Entity)
        .filter(not_being_deleted())
        .order_by_asc(memberships::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(m, org)| org.map(|o| (o, m.role))).collect())
}

/// The standing of `user_id` in `org_id`, if a member: how the API
/// establishes an [`OrgScope`].
pub async fn standing_of(
    db: &DatabaseConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Standing>, DomainError> {
    let found = memberships::Entity::find()
        .filter(memberships::Column::OrgId.eq(org_id))
        .filter(memberships::Column::UserId.eq(user_id))
        .inner_join(organizations::Entity)
        .filter(not_being_deleted())
        .find_also_related(users::Entity)
        .one(db)
        .await?;
    Ok(found.map(|(m, user)| Standing {
        role: m.role,
        email_verified: user.is_some_and(|u| u.email_verified_at.is_some()),
    }))
}

async fn get_in(tx: &TenantTxn) -> Result<organizations::Model, DomainError> {
    organizations::Entity::find_by_id(tx.org_id()).one(&**tx).await?.ok_or(DomainError::NotFound("organisation"))
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope) -> Result<organizations::Model, DomainError> {
    get_in(&scope.begin(db).await?).await
}

pub async fn rename(
    db: &DatabaseConnection,
    scope: &OrgScope,
    name: &str,
) -> Result<organizations::Model, DomainError> {
    let name = validate_name(name)?;
    let tx = scope.begin(db).await?;
    let mut org: organizations::ActiveModel = get_in(&tx).await?.into();
    org.name = Set(name);
    let org = org.update(&*tx).await?;
    tx.commit().await?;
    Ok(org)
}

/// Members see only orgs whose deletion was not requested: the one
/// condition [`standing_of`] (every member request) and [`list_for_user`]
/// (the switcher) share, so a deleting org is gone for them at once.
fn not_being_deleted() -> sea_orm::sea_query::SimpleExpr {
    organizations::Column::DeletionRequestedAt.is_null()
}

/// A deletion as requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletionRequest {
    pub org_id: Uuid,
    /// When it was first requested (a repeated request keeps the first time).
    pub requested_at: chrono::DateTime<chrono::FixedOffset>,
    /// This request marked the org (false: it was already being deleted).
    pub first: bool,
}

/// Marks the org as being deleted, with its audit entry in the same
/// transaction: from the commit on, its members get 404 (see
/// [`not_being_deleted`]) and its pending invitations are revoked. The
/// `DeleteOrg` run does the rest. Only the owner may; unlike every other
/// member request, this one still finds an org already being deleted, so
/// repeating it (say, after Temporal was unreachable) reaches the same run.
pub async fn request_deletion(
    db: &DatabaseConnection,
    org_id: Uuid,
    acting: &crate::integrations::credentials::Acting,
) -> Result<DeletionRequest, DomainError> {
    use crate::identity::policy::{Action, Refusal};
    let found = memberships::Entity::find()
        .filter(memberships::Column::OrgId.eq(org_id))
        .filter(memberships::Column::UserId.eq(acting.user_id))
        .find_also_related(users::Entity)
        .one(db)
        .await?;
    let Some((membership, user)) = found else { return Err(DomainError::NotFound("organisation")) };
    let Some(org) = organizations::Entity::find_by_id(org_id).one(db).await? else {
        return Err(DomainError::NotFound("organisation"));
    };
    let standing =
        Standing { role: membership.role, email_verified: user.is_some_and(|u| u.email_verified_at.is_some()) };
    match crate::identity::policy::permits(standing, Action::DeleteOrg) {
        Ok(()) => {}
        // Being deleted, the org does not exist for anyone but its owner.
        Err(_) if org.deletion_requested_at.is_some() => return Err(DomainError::NotFound("organisation")),
        Err(Refusal::Role) => return Err(DomainError::Forbidden(Action::DeleteOrg.describe())),
        Err(Refusal::EmailUnverified) => return Err(DomainError::EmailUnverified(Action::DeleteOrg.describe())),
    }
    let tx = OrgScope::new(org_id).begin(db).await?;
    let now = Utc::now().fixed_offset();
    // "Not yet requested" is part of the write: of two requests racing,
    // one marks (and audits) and the other finds the mark.
    let marked = organizations::Entity::update_many()
        .col_expr(organizations::Column::DeletionRequestedAt, Expr::value(now))
        .filter(organizations::Column::Id.eq(org_id))
        .filter(organizations::Column::DeletionRequestedAt.is_null())
        .exec(&*tx)
        .await?;
    let first = marked.rows_affected == 1;
    if first {
        invitations::Entity::update_many()
            .col_expr(invitations::Column::RevokedAt, Expr::value(now))
            .filter(invitations::Column::OrgId.eq(org_id))
            .filter(invitations::Column::AcceptedAt.is_null())
            .filter(invitations::Column::RevokedAt.is_null())
            .exec(&*tx)
            .await?;
        crate::identity::audit::record(
            &tx,
            crate::identity::audit::Entry {
                actor: crate::identity::audit::Actor::User(acting.user_id),
                action: "org.deletion_requested",
                target_kind: "organization",
                target_id: Some(org_id.to_string()),
                request_id: acting.request_id.clone(),
                details: serde_json::json!({"name": org.name}),
            },
        )
        .await?;
    }
    let requested_at = get_in(&tx).await?.deletion_requested_at.unwrap_or(now);
    tx.commit().await?;
    Ok(DeletionRequest { org_id, requested_at, first })
}

/// A batch of the org's stored objects (asset id and storage key), at most
/// `limit`, for the deletion to remove.
pub async fn stored_objects(
    db: &DatabaseConnection,
    scope: &OrgScope,
    limit: u64,
) -> Result<Vec<(Uuid, String)>, DomainError> {
    let tx = scope.begin(db).await?;
    let assets =
        tx.find::<entities::assets::Entity>().order_by_asc(entities::assets::Column::Id).limit(limit).all(&*tx).await?;
    Ok(assets.into_iter().map(|a| (a.id, a.storage_key)).collect())
}

/// Forgets assets whose objects the deletion removed, so what is left in
/// `assets` is exactly what is still stored (a crash part-way resumes there).
pub async fn forget_assets(db: &DatabaseConnection, scope: &OrgScope, ids: &[Uuid]) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    entities::assets::Entity::delete_many()
        .filter(entities::assets::Column::OrgId.eq(tx.org_id()))
        .filter(entities::assets::Column::Id.is_in(ids.iter().copied()))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Every secret store path the org's rows name (credentials and TikTok
/// accounts), whatever their status.
pub async fn secret_paths(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<SecretPath>, DomainError> {
    let tx = scope.begin(db).await?;
    let credentials = tx.find::<entities::credentials::Entity>().all(&*tx).await?;
    let accounts = tx.find::<entities::tiktok_accounts::Entity>().all(&*tx).await?;
    let stored =
        credentials.iter().map(|c| c.secret_path.as_str()).chain(accounts.iter().map(|a| a.secret_path.as_str()));
    let mut paths = Vec::new();
    for path in stored {
        // `org/{org}/rest`: rebuilt under this org, so no row can name another's.
        let rest = path.splitn(3, '/').nth(2).unwrap_or("");
        paths.push(SecretPath::new(tx.org_id(), rest)?);
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Destroys every secret the org keeps in the store (every version of each
/// path); returns how many paths. Destroying nothing is fine, so a retry
/// repeats it harmlessly.
pub async fn destroy_secrets(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    scope: &OrgScope,
) -> Result<u32, DomainError> {
    let paths = secret_paths(db, scope).await?;
    for path in &paths {
        store.delete(path).await?;
    }
    Ok(paths.len() as u32)
}

/// Drops the org's TikTok handshakes in flight; one whose code was already
/// exchanged holds tokens for an account nobody confirmed, which TikTok is
/// asked to revoke (best effort). Returns how many were dropped.
pub async fn drop_pending_connections(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    org_id: Uuid,
) -> Result<u32, DomainError> {
    // Handshakes are found by their state, before any org is established,
    // so they live outside the tenant tables.
    let pending = oauth_states::Entity::find().filter(oauth_states::Column::OrgId.eq(org_id)).all(db).await?;
    for handshake in &pending {
        if let Some(sealed) = &handshake.tokens_ciphertext {
            match store.decrypt(org_id, sealed).await {
                Ok(json) => {
                    let token = serde_json::from_str::<serde_json::Value>(json.expose_secret())
                        .ok()
                        .and_then(|v| v["access_token"].as_str().map(str::to_owned));
                    if let Some(token) = token
                        && let Err(error) = client.revoke(&SecretString::from(token)).await
                    {
                        tracing::warn!(%error, %org_id, "TikTok did not confirm revoking an unconfirmed connection");
                    }
                }
                Err(e) if e.is_retryable() => return Err(e.into()),
                Err(error) => tracing::warn!(%error, %org_id, "an unconfirmed connection's tokens are unreadable"),
            }
        }
        oauth_states::Entity::delete_by_id(handshake.state_hash.clone()).exec(db).await?;
    }
    Ok(pending.len() as u32)
}

/// What [`delete`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// The organisation row is deleted, and by cascade everything it owned.
    Deleted,
    /// There was no such organisation (a repeated deletion).
    AlreadyGone,
    /// Assets were recorded since their objects were deleted (an upload or
    /// render finishing late): nothing was deleted; remove these objects
    /// (and [`forget_assets`]) and call again.
    ObjectsLeft(Vec<(Uuid, String)>),
}

/// Deletes the organisation row; everything it owns cascades. Only once no
/// asset is left: the row is locked for the check and the delete, and
/// recording an asset needs that row (its foreign key waits for the lock,
/// then fails), so no object can be recorded in between and left behind.
pub async fn delete(db: &DatabaseConnection, scope: &OrgScope) -> Result<Removal, DomainError> {
    let lock = db.begin().await?;
    let org = organizations::Entity::find_by_id(scope.org_id()).lock(LockType::Update).one(&lock).await?;
    if org.is_none() {
        return Ok(Removal::AlreadyGone);
    }
    let left = stored_objects(db, scope, 500).await?;
    if !left.is_empty() {
        lock.rollback().await?;
        return Ok(Removal::ObjectsLeft(left));
    }
    organizations::Entity::delete_by_id(scope.org_id()).exec(&lock).await?;
    lock.commit().await?;
    Ok(Removal::Deleted)
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub joined_at: chrono::DateTime<chrono::FixedOffset>,
}

async fn members_in(tx: &TenantTxn, only: Option<Uuid>) -> Result<Vec<Member>, DomainError> {
    // Only the user columns scoped transactions may read (never the hash).
    let mut query = memberships::Entity::find()
        .select_only()
        .column(memberships::Column::UserId)
        .column(users::Column::Email)
        .column(users::Column::DisplayName)
        .column(memberships::Column::Role)
        .column_as(memberships::Column::CreatedAt, "joined_at")
        .join(JoinType::InnerJoin, memberships::Relation::User.def())
        .filter(memberships::Column::OrgId.eq(tx.org_id()))
        .order_by_asc(memberships::Column::CreatedAt);
    if let Some(user_id) = only {
        query = query.filter(memberships::Column::UserId.eq(user_id));
    }
    Ok(query.into_model::<Member>().all(&**tx).await?)
}

pub async fn members(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<Member>, DomainError> {
    members_in(&scope.begin(db).await?, None).await
}

async fn member_in(tx: &TenantTxn, user_id: Uuid) -> Result<Member, DomainError> {
    members_in(tx, Some(user_id)).await?.into_iter().next().ok_or(DomainError::NotFound("member"))
}

/// Sets a member's role. Ownership only moves by transfer, so the owner's
/// role cannot be changed here and nobody can be made owner.
pub async fn change_role(
    db: &DatabaseConnection,
    scope: &OrgScope,
    user_id: Uuid,
    role: Role,
) -> Result<Member, DomainError> {
    if role == Role::Owner {
        return Err(DomainError::invalid("role", "ownership moves only by transfer"));
    }
    let tx = scope.begin(db).await?;
    // "Not the owner" is part of the write, so a transfer committing in
    // between cannot leave the org without one.
    let changed = memberships::Entity::update_many()
        .col_expr(memberships::Column::Role, Expr::value(role))
        .filter(memberships::Column::OrgId.eq(tx.org_id()))
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Role.ne(Role::Owner))
        .exec(&*tx)
        .await?;
    let member = member_in(&tx, user_id).await?;
    if changed.rows_affected == 0 {
        return Err(DomainError::Conflict("the owner's role changes only by transferring ownership".into()));
    }
    tx.commit().await?;
    Ok(member)
}

pub async fn remove_member(db: &DatabaseConnection, scope: &OrgScope, user_id: Uuid) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let removed = memberships::Entity::delete_many()
        .filter(memberships::Column::OrgId.eq(tx.org_id()))
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Role.ne(Role::Owner))
        .exec(&*tx)
        .await?;
    if removed.rows_affected == 0 {
        member_in(&tx, user_id).await?;
        return Err(DomainError::Conflict("the owner cannot be removed; transfer ownership first".into()));
    }
    tx.commit().await?;
    Ok(())
}

/// Makes `to` the owner and the current owner an admin, atomically: the
/// org has exactly one owner before and after.
pub async fn transfer_ownership(
    db: &DatabaseConnection,
    scope: &OrgScope,
    from: Uuid,
    to: Uuid,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let target = member_in(&tx, to).await?;
    if target.role == Role::Owner {
        return Err(DomainError::Conflict("that member already owns the organisation".into()));
    }
    let set_role = |user: Uuid, from_role: Role, role: Role| {
        memberships::Entity::update_many()
            .col_expr(memberships::Column::Role, Expr::value(role))
            .filter(memberships::Column::OrgId.eq(scope.org_id()))
            .filter(memberships::Column::UserId.eq(user))
            .filter(memberships::Column::Role.eq(from_role))
    };
    // Demote first: a unique index allows one owner per org. Each write
    // names the role it starts from, so two transfers racing cannot both
    // succeed, and a member removed meanwhile is not made owner.
    if set_role(from, Role::Owner, Role::Admin).exec(&*tx).await?.rows_affected != 1 {
        return Err(DomainError::Conflict("you no longer own the organisation".into()));
    }
    if set_role(to, target.role, Role::Owner).exec(&*tx).await?.rows_affected != 1 {
        return Err(DomainError::Conflict("that member's role changed meanwhile; try again".into()));
    }
    tx.commit().await?;
    Ok(())
}

/// Invites `email` with `role`; returns the invitation and the token for the
/// link. A pending invitation to the same address is replaced.
pub async fn invite(
    db: &DatabaseConnection,
    scope: &OrgScope,
    invited_by: Uuid,
    email: &str,
    role: Role,
) -> Result<(invitations::Model, String), DomainError> {
    let email = crate::identity::auth::normalize_email(email)?;
    if role == Role::Owner {
        return Err(DomainError::invalid("role", "invite as admin, editor or viewer; ownership moves by transfer"));
    }
    let tx = scope.begin(db).await?;
    if members_in(&tx, None).await?.iter().any(|m| m.email.eq_ignore_ascii_case(&email)) {
        return Err(DomainError::Conflict(format!("{email} is already a member")));
    }
    let now = Utc::now().fixed_offset();
    invitations::Entity::update_many()
        .col_expr(invitations::Column::RevokedAt, Expr::value(now))
        .filter(invitations::Column::OrgId.eq(tx.org_id()))
        .filter(invitations::Column::Email.eq(email.as_str()))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::RevokedAt.is_null())
        .exec(&*tx)
        .await?;
    let token = tokens::generate("rpe_");
    let invitation = invitations::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        email: Set(email),
        role: Set(role),
        token_hash: Set(tokens::hash(&token)),
        invited_by: Set(Some(invited_by)),
        created_at: Set(now),
        updated_at: Set(now),
        expires_at: Set(now + INVITATION_TTL),
        accepted_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    tx.commit().await?;
    Ok((invitation, token))
}

pub async fn invitations(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<invitations::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx.find::<invitations::Entity>().order_by_desc(invitations::Column::CreatedAt).all(&*tx).await?)
}

pub async fn revoke_invitation(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let revoked = invitations::Entity::update_many()
        .col_expr(invitations::Column::RevokedAt, Expr::value(Utc::now().fixed_offset()))
        .filter(invitations::Column::OrgId.eq(tx.org_id()))
        .filter(invitations::Column::Id.eq(id))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::RevokedAt.is_null())
        .exec(&*tx)
        .await?;
    if revoked.rows_affected == 0 {
        return Err(DomainError::NotFound("invitation"));
    }
    tx.commit().await?;
    Ok(())
}

/// Accepts an invitation for the signed-in user, whose address must be the
/// one invited. Works once, before it expires or is revoked.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    user_id: Uuid,
    token: &str,
) -> Result<(organizations::Model, Role), DomainError> {
    let unusable = || DomainError::invalid("token", "is invalid, expired, revoked or already used");
    // Found by its secret token, before any org is known.
    let invitation = invitations::Entity::find()
        .filter(invitations::Column::TokenHash.eq(tokens::hash(token)))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::RevokedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(Utc::now().fixed_offset()))
        .one(db)
        .await?
        .ok_or_else(unusable)?;
    let user = crate::identity::auth::me(db, user_id).await?;
    if !user.email.eq_ignore_ascii_case(&invitation.email) {
        return Err(DomainError::invalid("token", "this invitation was sent to another email address"));
    }
    // The link proves the inbox, but the account must have proved it too:
    // otherwise anyone could pre-register the address and wait for it.
    if user.email_verified_at.is_none() {
        return Err(DomainError::EmailUnverified("joining an organisation"));
    }
    let tx = OrgScope::new(invitation.org_id).begin(db).await?;
    let now = Utc::now().fixed_offset();
    let claimed = invitations::Entity::update_many()
        .col_expr(invitations::Column::AcceptedAt, Expr::value(now))
        .filter(invitations::Column::Id.eq(invitation.id))
        .filter(invitations::Column::AcceptedAt.is_null())
        .exec(&*tx)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(unusable());
    }
    tx.execute(Statement::from_sql_and_values(
        tx.get_database_backend(),
        "INSERT INTO memberships (id, org_id, user_id, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, user_id) DO NOTHING",
        [Uuid::now_v7().into(), invitation.org_id.into(), user_id.into(), String::from("viewer").into()],
    ))
    .await?;
    // The invited role applies unless the user already had one.
    memberships::Entity::update_many()
        .col_expr(memberships::Column::Role, Expr::value(invitation.role))
        .filter(memberships::Column::OrgId.eq(invitation.org_id))
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Role.eq(Role::Viewer))
        .exec(&*tx)
        .await?;
    let org = get_in(&tx).await?;
    let role = member_in(&tx, user_id).await?.role;
    tx.commit().await?;
    Ok((org, role))
}

/// A URL-safe slug: the name's ASCII letters and digits, with a suffix from
/// the id so two orgs may share a name.
fn slug_for(name: &str, id: Uuid) -> String {
    let mut base = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
    }
    let base: String = base.trim_end_matches('-').chars().take(40).collect();
    let suffix = &id.simple().to_string()[24..];
    if base.is_empty() { format!("org-{suffix}") } else { format!("{base}-{suffix}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe_and_never_empty() {
        let id = Uuid::from_u128(0xabcdef);
        assert_eq!(slug_for("Acme Studio!", id), "acme-studio-00abcdef");
        assert_eq!(slug_for("  ¡¡ ", id), "org-00abcdef");
        assert_eq!(slug_for("Café -- Crème", id), "caf-cr-me-00abcdef");
    }
}
