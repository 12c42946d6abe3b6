//! Accounts and sessions: registration, login, rotating refresh tokens with
//! reuse detection, email verification and password reset with single-use
//! expiring tokens, and the session list. Mail is the caller's job: these
//! functions return the tokens to put in links.

use crate::{DomainError, identity::passwords, identity::tokens};
use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use entities::{access_tokens, email_tokens, refresh_tokens, sessions, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// A refresh token left unused this long expires: the idle timeout.
pub const REFRESH_TTL: Duration = Duration::days(14);
/// No session outlives this, however often it refreshes.
pub const SESSION_MAX_AGE: Duration = Duration::days(60);
/// Two tabs refreshing together present the same refresh token: a repeat
/// this soon after its use gets the same new pair instead of tripping
/// reuse detection. Later, a repeat still revokes the whole session.
pub const REFRESH_GRACE: Duration = Duration::seconds(30);
const GRACE_PURPOSE: &[u8] = b"refresh-grace";
pub const VERIFY_TTL: Duration = Duration::hours(48);
pub const RESET_TTL: Duration = Duration::hours(1);

const PURPOSE_VERIFY: &str = "verify_email";
const PURPOSE_RESET: &str = "reset_password";
const BAD_CREDENTIALS: &str = "email or password is incorrect";
const BAD_SESSION: &str = "session expired or revoked; log in again";

/// Where a login comes from, kept with the session for the device list.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub user_agent: String,
    pub ip: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TokenPair {
    pub session_id: Uuid,
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// The caller of an authenticated request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

pub enum Registration {
    /// A new account; mail the verification token.
    Created { user: users::Model, verify_token: String },
    /// The address already has an account. The HTTP answer is the same as
    /// for a new one (no account enumeration); mail its owner instead.
    AlreadyRegistered { user: users::Model },
}

fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

pub fn normalize_email(email: &str) -> Result<String, DomainError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid { Ok(email) } else { Err(DomainError::invalid("email", "is not a valid email address")) }
}

async fn find_user_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<users::Model>, DomainError> {
    Ok(users::Entity::find().filter(Expr::cust_with_values("lower(email) = $1", [email])).one(db).await?)
}

pub async fn register(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<Registration, DomainError> {
    let email = normalize_email(email)?;
    passwords::validate(password, &email)?;
    let display_name = display_name.trim();
    if display_name.chars().count() > 80 {
        return Err(DomainError::invalid("display_name", "must be at most 80 characters"));
    }
    // Hash before looking the address up, so both outcomes take as long.
    let password_hash = passwords::hash(password).await;
    if let Some(user) = find_user_by_email(db, &email).await? {
        return Ok(Registration::AlreadyRegistered { user });
    }
    let txn = db.begin().await?;
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.clone()),
        display_name: Set(display_name.to_owned()),
        password_hash: Set(Some(password_hash)),
        email_verified_at: Set(None),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(&txn)
    .await;
    let user = match user {
        Ok(user) => user,
        // A concurrent registration of the same address won the race.
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            drop(txn);
            let user = find_user_by_email(db, &email).await?.ok_or(DomainError::Db(e))?;
            return Ok(Registration::AlreadyRegistered { user });
        }
        Err(e) => return Err(e.into()),
    };
    let verify_token = issue_email_token(&txn, user.id, PURPOSE_VERIFY, VERIFY_TTL).await?;
    txn.commit().await?;
    Ok(Registration::Created { user, verify_token })
}

async fn issue_email_token(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: &str,
    ttl: Duration,
) -> Result<String, DomainError> {
    let token = tokens::generate("rpe_");
    email_tokens::ActiveModel {
        token_hash: Set(tokens::hash(&token)),
        user_id: Set(user_id),
        purpose: Set(purpose.to_owned()),
        created_at: Set(now()),
        expires_at: Set(now() + ttl),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Marks an email token used, once; returns its user.
async fn consume_email_token(db: &impl ConnectionTrait, token: &str, purpose: &str) -> Result<Uuid, DomainError> {
    let used = email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(now()))
        .filter(email_tokens::Column::TokenHash.eq(tokens::hash(token)))
        .filter(email_tokens::Column::Purpose.eq(purpose))
        .filter(email_tokens::Column::UsedAt.is_null())
        .filter(email_tokens::Column::ExpiresAt.gt(now()))
        .exec_with_returning(db)
        .await?;
    used.first().map(|t| t.user_id).ok_or(DomainError::invalid("token", "is invalid, expired or already used"))
}

pub async fn verify_email(db: &DatabaseConnection, token: &str) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    let user_id = consume_email_token(&txn, token, PURPOSE_VERIFY).await?;
    users::Entity::update_many()
        .col_expr(users::Column::EmailVerifiedAt, Expr::value(now()))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::EmailVerifiedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A fresh verification token for a signed-in user who has not verified.
pub async fn resend_verification(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> Result<Option<(users::Model, String)>, DomainError> {
    let user = me(db, user_id).await?;
    if user.email_verified_at.is_some() {
        return Ok(None);
    }
    let token = issue_email_token(db, user.id, PURPOSE_VERIFY, VERIFY_TTL).await?;
    Ok(Some((user, token)))
}

pub async fn login(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    device: Device,
) -> Result<(users::Model, TokenPair), DomainError> {
    let email = normalize_email(email).map_err(|_| DomainError::Unauthenticated(BAD_CREDENTIALS))?;
    let user = find_user_by_email(db, &email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    if !passwords::verify(password, stored).await {
        return Err(DomainError::Unauthenticated(BAD_CREDENTIALS));
    }
    let user = user.expect("verified against a real hash");
    let txn = db.begin().await?;
    let session = sessions::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        user_agent: Set(device.user_agent.chars().take(300).collect()),
        ip: Set(device.ip),
        created_at: Set(now()),
        last_seen_at: Set(now()),
        expires_at: Set(now() + SESSION_MAX_AGE),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    let pair = issue_pair(&txn, &session).await?;
    txn.commit().await?;
    Ok((user, pair))
}

async fn issue_pair(db: &impl ConnectionTrait, session: &sessions::Model) -> Result<TokenPair, DomainError> {
    let access_token = tokens::generate("rpa_");
    let refresh_token = tokens::generate("rpr_");
    let access_expires_at = (now() + ACCESS_TTL).min(session.expires_at);
    let refresh_expires_at = (now() + REFRESH_TTL).min(session.expires_at);
    access_tokens::ActiveModel {
        token_hash: Set(tokens::hash(&access_token)),
        session_id: Set(session.id),
        expires_at: Set(access_expires_at),
    }
    .insert(db)
    .await?;
    refresh_tokens::ActiveModel {
        token_hash: Set(tokens::hash(&refresh_token)),
        session_id: Set(session.id),
        created_at: Set(now()),
        expires_at: Set(refresh_expires_at),
        used_at: Set(None),
        successor_sealed: Set(None),
    }
    .insert(db)
    .await?;
    Ok(TokenPair {
        session_id: session.id,
        access_token,
        access_expires_at: access_expires_at.to_utc(),
        refresh_token,
        refresh_expires_at: refresh_expires_at.to_utc(),
    })
}

/// Exchanges a refresh token for a new pair. Each refresh token works once:
/// presenting a used one means it was stolen or replayed, and the whole
/// session (the token family) is revoked.
pub async fn refresh(db: &DatabaseConnection, refresh_token: &str) -> Result<TokenPair, DomainError> {
    let hash = tokens::hash(refresh_token);
    let txn = db.begin().await?;
    let claimed = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now()))
        .filter(refresh_tokens::Column::TokenHash.eq(hash.as_str()))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec_with_returning(&txn)
        .await?;
    let Some(claimed) = claimed.into_iter().next() else {
        if let Some(replayed) = refresh_tokens::Entity::find_by_id(hash).one(&txn).await? {
            if let Some(pair) = within_grace(&txn, &replayed, refresh_token).await? {
                return Ok(pair);
            }
            revoke_session_row(&txn, replayed.session_id, "refresh token reuse detected").await?;
            txn.commit().await?;
            // Logged by session id only: the token itself never reaches the logs.
            tracing::warn!(session_id = %replayed.session_id, "refresh token reuse; session revoked");
        }
        return Err(DomainError::Unauthenticated(BAD_SESSION));
    };
    let session = sessions::Entity::find_by_id(claimed.session_id)
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now()))
        .one(&txn)
        .await?;
    let (Some(session), true) = (session, claimed.expires_at > now()) else {
        return Err(DomainError::Unauthenticated(BAD_SESSION));
    };
    let pair = issue_pair(&txn, &session).await?;
    let sealed = platform::secrets::seal_for_bearer(
        refresh_token,
        GRACE_PURPOSE,
        &serde_json::to_vec(&pair).expect("a token pair serialises"),
    );
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::SuccessorSealed, Expr::value(base64_engine().encode(sealed)))
        .filter(refresh_tokens::Column::TokenHash.eq(claimed.token_hash))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(pair)
}

fn base64_engine() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The pair a used refresh token was exchanged for, if it was used within
/// [`REFRESH_GRACE`] and its session is live. A concurrent exchange of the
/// same token waits on the row lock and then finds the winner's pair here.
async fn within_grace(
    db: &impl ConnectionTrait,
    used: &refresh_tokens::Model,
    refresh_token: &str,
) -> Result<Option<TokenPair>, DomainError> {
    let (Some(used_at), Some(sealed)) = (used.used_at, used.successor_sealed.as_deref()) else { return Ok(None) };
    if now() - used_at > REFRESH_GRACE {
        return Ok(None);
    }
    let live = sessions::Entity::find_by_id(used.session_id)
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now()))
        .one(db)
        .await?
        .is_some();
    let pair = base64_engine()
        .decode(sealed)
        .ok()
        .and_then(|bytes| platform::secrets::open_for_bearer(refresh_token, GRACE_PURPOSE, &bytes))
        .and_then(|plain| serde_json::from_slice::<TokenPair>(&plain).ok());
    Ok(pair.filter(|_| live))
}

async fn revoke_session_row(db: &impl ConnectionTrait, session_id: Uuid, reason: &str) -> Result<u64, DomainError> {
    let revoked = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now()))
        .col_expr(sessions::Column::RevokeReason, Expr::value(reason))
        .filter(sessions::Column::Id.eq(session_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    access_tokens::Entity::delete_many().filter(access_tokens::Column::SessionId.eq(session_id)).exec(db).await?;
    Ok(revoked)
}

/// Resolves an access token to its user and session, if both are live.
pub async fn authenticate(db: &DatabaseConnection, access_token: &str) -> Result<Authenticated, DomainError> {
    let token = access_tokens::Entity::find_by_id(tokens::hash(access_token))
        .filter(access_tokens::Column::ExpiresAt.gt(now()))
        .one(db)
        .await?
        .ok_or(DomainError::Unauthenticated(BAD_SESSION))?;
    let session = sessions::Entity::find_by_id(token.session_id)
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now()))
        .one(db)
        .await?
        .ok_or(DomainError::Unauthenticated(BAD_SESSION))?;
    // Keep "last seen" fresh without a write on every request.
    if now() - session.last_seen_at > Duration::seconds(60) {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::value(now()))
            .filter(sessions::Column::Id.eq(session.id))
            .exec(db)
            .await?;
    }
    Ok(Authenticated { user_id: session.user_id, session_id: session.id })
}

pub async fn logout(db: &DatabaseConnection, auth: Authenticated) -> Result<(), DomainError> {
    revoke_session_row(db, auth.session_id, "logged out").await.map(drop)
}

pub async fn me(db: &DatabaseConnection, user_id: Uuid) -> Result<users::Model, DomainError> {
    users::Entity::find_by_id(user_id).one(db).await?.ok_or(DomainError::Unauthenticated(BAD_SESSION))
}

/// The user's live sessions, newest first.
pub async fn sessions(db: &DatabaseConnection, user_id: Uuid) -> Result<Vec<sessions::Model>, DomainError> {
    Ok(sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now()))
        .order_by_desc(sessions::Column::LastSeenAt)
        .all(db)
        .await?)
}

/// Revokes one of the user's own sessions (404 for anyone else's).
pub async fn revoke_session(db: &DatabaseConnection, user_id: Uuid, session_id: Uuid) -> Result<(), DomainError> {
    let owned = sessions::Entity::find_by_id(session_id)
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("session"))?;
    revoke_session_row(db, owned.id, "revoked by user").await.map(drop)
}

/// Revokes every session of the user but `keep`; returns how many.
pub async fn revoke_other_sessions(db: &DatabaseConnection, auth: Authenticated) -> Result<u64, DomainError> {
    let txn = db.begin().await?;
    let mut revoked = 0;
    for session in sessions(db, auth.user_id).await?.into_iter().filter(|s| s.id != auth.session_id) {
        revoked += revoke_session_row(&txn, session.id, "revoked from another session").await?;
    }
    txn.commit().await?;
    Ok(revoked)
}

/// A reset token for the address, if it has an account. The HTTP answer is
/// the same either way.
pub async fn request_password_reset(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<(users::Model, String)>, DomainError> {
    let Ok(email) = normalize_email(email) else { return Ok(None) };
    let Some(user) = find_user_by_email(db, &email).await? else { return Ok(None) };
    let token = issue_email_token(db, user.id, PURPOSE_RESET, RESET_TTL).await?;
    Ok(Some((user, token)))
}

/// Sets a new password with a reset token (once) and ends every session.
pub async fn reset_password(db: &DatabaseConnection, token: &str, new_password: &str) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    let user_id = consume_email_token(&txn, token, PURPOSE_RESET).await?;
    let user = users::Entity::find_by_id(user_id).one(&txn).await?.ok_or(DomainError::NotFound("user"))?;
    passwords::validate(new_password, &user.email)?;
    let mut changed: users::ActiveModel = user.into();
    changed.password_hash = Set(Some(passwords::hash(new_password).await));
    // Following the emailed link proves the address too.
    changed.email_verified_at = Set(Some(now()));
    changed.update(&txn).await?;
    for session in sessions::Entity::find().filter(sessions::Column::UserId.eq(user_id)).all(&txn).await? {
        revoke_session_row(&txn, session.id, "password reset").await?;
    }
    txn.commit().await?;
    Ok(())
}
