//! Connected TikTok accounts. Connecting is OAuth with PKCE: the handshake
//! (`state` hashed, verifier encrypted with the org's key) waits in
//! `oauth_states` until TikTok sends the person back. Tokens live only in
//! the secret store, as one JSON document per account; the row keeps
//! expiries and the granted scopes. Refreshing is single-flight per account
//! (a row lock), because TikTok rotates refresh tokens: two concurrent
//! refreshes would kill each other.

use crate::{
    DomainError, OrgScope, TenantTxn,
    audit::{self, Actor},
    credentials::Acting,
};
use chrono::{DateTime, Duration, Utc};
use entities::{oauth_states, tiktok_accounts};
use platform::{
    secrets::{SecretPath, SecretStore},
    tiktok::{TikTokClient, TikTokError, Tokens},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set, sea_query::LockType,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a person has to come back from TikTok's consent page.
const HANDSHAKE_TTL_MINUTES: i64 = 10;
/// Refresh this long before the access token expires.
const REFRESH_MARGIN_MINUTES: i64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the connection link is invalid or has expired; start again")]
    BadState,
    #[error(transparent)]
    TikTok(#[from] TikTokError),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<sea_orm::DbErr> for ConnectError {
    fn from(e: sea_orm::DbErr) -> Self {
        ConnectError::Domain(e.into())
    }
}

/// The token set as stored.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access_token: String,
    refresh_token: String,
    access_expires_at: DateTime<Utc>,
    refresh_expires_at: DateTime<Utc>,
}

fn state_hash(state: &str) -> String {
    platform::hex(&Sha256::digest(state.as_bytes()))
}

/// Starts a connection: returns the TikTok page to send the person to.
pub async fn start_connect(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    scope: &OrgScope,
    user_id: Uuid,
) -> Result<String, ConnectError> {
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).expect("the system random source works");
    let state = platform::hex(&bytes);
    let (verifier, challenge) = platform::tiktok::pkce_pair();
    let url = client.authorize_url(&state, &challenge)?;
    let now = Utc::now();
    oauth_states::ActiveModel {
        state_hash: Set(state_hash(&state)),
        org_id: Set(scope.org_id()),
        user_id: Set(user_id),
        verifier_ciphertext: Set(store.encrypt(scope.org_id(), &verifier).await.map_err(DomainError::from)?),
        expires_at: Set((now + Duration::minutes(HANDSHAKE_TTL_MINUTES)).fixed_offset()),
        created_at: Set(now.fixed_offset()),
    }
    .insert(db)
    .await?;
    Ok(url)
}

fn account_path(org_id: Uuid, account_id: Uuid) -> SecretPath {
    SecretPath::new(org_id, &format!("tiktok/{account_id}")).expect("a uuid makes a valid path")
}

async fn save_tokens(store: &dyn SecretStore, path: &SecretPath, tokens: &Tokens) -> Result<StoredTokens, DomainError> {
    let now = Utc::now();
    let stored = StoredTokens {
        access_token: tokens.access_token.expose_secret().to_owned(),
        refresh_token: tokens.refresh_token.expose_secret().to_owned(),
        access_expires_at: now + Duration::seconds(tokens.expires_in_secs),
        refresh_expires_at: now + Duration::seconds(tokens.refresh_expires_in_secs),
    };
    let json = SecretString::from(serde_json::to_string(&stored).expect("serialisable"));
    store.write(path, &json).await?;
    Ok(stored)
}

/// Finishes a connection when TikTok sends the person back: the handshake
/// is used up, the code exchanged (with the PKCE verifier), the tokens
/// stored, and the account recorded (or reconnected) for the org.
pub async fn complete_connect(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    state: &str,
    code: &str,
) -> Result<tiktok_accounts::Model, ConnectError> {
    // Deleted as it is read: a state works once.
    let handshake = oauth_states::Entity::delete_many()
        .filter(oauth_states::Column::StateHash.eq(state_hash(state)))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .filter(|h| h.expires_at > Utc::now())
        .ok_or(ConnectError::BadState)?;
    let verifier = store.decrypt(handshake.org_id, &handshake.verifier_ciphertext).await.map_err(DomainError::from)?;
    let tokens = client.exchange_code(code, &verifier).await?;
    let (_, display_name) = client.user_info(&tokens.access_token).await.unwrap_or_default();

    let scope = OrgScope::new(handshake.org_id);
    let tx = scope.begin(db).await?;
    let existing = tx
        .find::<tiktok_accounts::Entity>()
        .filter(tiktok_accounts::Column::OpenId.eq(&tokens.open_id))
        .one(&*tx)
        .await?;
    let id = existing.as_ref().map_or_else(Uuid::now_v7, |a| a.id);
    let stored = save_tokens(store, &account_path(scope.org_id(), id), &tokens).await?;
    let now = Utc::now().fixed_offset();
    let mut account = tiktok_accounts::ActiveModel {
        id: Set(id),
        org_id: Set(scope.org_id()),
        open_id: Set(tokens.open_id.clone()),
        display_name: Set(display_name),
        scopes: Set(tokens.scope.clone()),
        secret_path: Set(account_path(scope.org_id(), id).as_str().to_owned()),
        access_expires_at: Set(stored.access_expires_at.fixed_offset()),
        refresh_expires_at: Set(stored.refresh_expires_at.fixed_offset()),
        status: Set("connected".into()),
        connected_by: Set(Some(handshake.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let account = if existing.is_some() {
        account.created_at = sea_orm::ActiveValue::NotSet;
        account.update(&*tx).await?
    } else {
        account.insert(&*tx).await?
    };
    audit::record(
        &tx,
        audit::Entry {
            actor: Actor::User(handshake.user_id),
            action: "tiktok.connected",
            target_kind: "tiktok_account",
            target_id: Some(account.id.to_string()),
            request_id: None,
            details: json!({"open_id": account.open_id, "scopes": account.scopes}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

pub async fn list(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<tiktok_accounts::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx.find::<tiktok_accounts::Entity>().all(&*tx).await?)
}

async fn account_in(tx: &TenantTxn, id: Uuid) -> Result<tiktok_accounts::Model, DomainError> {
    tx.find_by_id::<tiktok_accounts::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("TikTok account"))
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<tiktok_accounts::Model, DomainError> {
    account_in(&scope.begin(db).await?, id).await
}

async fn read_tokens(store: &dyn SecretStore, account: &tiktok_accounts::Model) -> Result<StoredTokens, DomainError> {
    let path = account_path(account.org_id, account.id);
    let stored = store
        .read(&path, None)
        .await?
        .ok_or_else(|| DomainError::Conflict("the TikTok account has no stored tokens; reconnect it".into()))?;
    serde_json::from_str(stored.value.expose_secret())
        .map_err(|_| DomainError::Conflict("the stored TikTok tokens are unreadable; reconnect the account".into()))
}

/// A usable access token for the account, refreshed first when it expires
/// soon or when `rejected` (a token TikTok just refused) is still the
/// current one. Refreshes one at a time per account.
pub async fn access_token(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    scope: &OrgScope,
    account_id: Uuid,
    rejected: Option<&SecretString>,
) -> Result<SecretString, ConnectError> {
    let tx = scope.begin(db).await?;
    let account = account_in(&tx, account_id).await?;
    if account.status != "connected" {
        return Err(DomainError::Conflict(format!("the TikTok account is {}; reconnect it", account.status)).into());
    }
    let current = read_tokens(store, &account).await?;
    let stale = current.access_expires_at < Utc::now() + Duration::minutes(REFRESH_MARGIN_MINUTES);
    let refused = rejected.is_some_and(|r| r.expose_secret() == current.access_token);
    if !stale && !refused {
        return Ok(SecretString::from(current.access_token));
    }
    // Single flight: whoever holds the row lock refreshes; the others then
    // read the new tokens.
    let locked = tx
        .find_by_id::<tiktok_accounts::Entity>(account_id)
        .lock(LockType::Update)
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("TikTok account"))?;
    let current = read_tokens(store, &locked).await?;
    let still_stale = current.access_expires_at < Utc::now() + Duration::minutes(REFRESH_MARGIN_MINUTES)
        || rejected.is_some_and(|r| r.expose_secret() == current.access_token);
    if !still_stale {
        return Ok(SecretString::from(current.access_token));
    }
    let tokens = match client.refresh(&SecretString::from(current.refresh_token)).await {
        Ok(tokens) => tokens,
        Err(TikTokError::OAuth { error, description }) => {
            let mut a: tiktok_accounts::ActiveModel = locked.into();
            a.status = Set("reauthorize".into());
            a.update(&*tx).await?;
            tx.commit().await?;
            return Err(TikTokError::OAuth { error, description }.into());
        }
        Err(e) => return Err(e.into()),
    };
    let stored = save_tokens(store, &account_path(locked.org_id, locked.id), &tokens).await?;
    let mut a: tiktok_accounts::ActiveModel = locked.into();
    a.access_expires_at = Set(stored.access_expires_at.fixed_offset());
    a.refresh_expires_at = Set(stored.refresh_expires_at.fixed_offset());
    a.updated_at = Set(Utc::now().fixed_offset());
    a.update(&*tx).await?;
    tx.commit().await?;
    tracing::info!(%account_id, "TikTok tokens refreshed");
    Ok(tokens.access_token)
}

/// How long until the account's token should be refreshed (`before` its
/// expiry); `None` when the account is not connected.
pub async fn refresh_due(
    db: &DatabaseConnection,
    scope: &OrgScope,
    account_id: Uuid,
    before: Duration,
) -> Result<Option<std::time::Duration>, DomainError> {
    let account = get(db, scope, account_id).await?;
    if account.status != "connected" {
        return Ok(None);
    }
    let due = account.access_expires_at.with_timezone(&Utc) - before - Utc::now();
    Ok(Some(due.to_std().unwrap_or_default()))
}

/// Disconnects: TikTok is told to revoke (best effort), the tokens are
/// destroyed, the account is marked disconnected.
pub async fn disconnect(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    scope: &OrgScope,
    acting: &Acting,
    account_id: Uuid,
) -> Result<tiktok_accounts::Model, ConnectError> {
    let tx = scope.begin(db).await?;
    let account = account_in(&tx, account_id).await?;
    if let Ok(tokens) = read_tokens(store, &account).await
        && let Err(error) = client.revoke(&SecretString::from(tokens.access_token)).await
    {
        tracing::warn!(%error, %account_id, "TikTok did not confirm the revocation; the tokens are destroyed anyway");
    }
    store.delete(&account_path(account.org_id, account.id)).await.map_err(DomainError::from)?;
    let mut a: tiktok_accounts::ActiveModel = account.into();
    a.status = Set("disconnected".into());
    a.updated_at = Set(Utc::now().fixed_offset());
    let account = a.update(&*tx).await?;
    audit::record(
        &tx,
        audit::Entry {
            actor: Actor::User(acting.user_id),
            action: "tiktok.disconnected",
            target_kind: "tiktok_account",
            target_id: Some(account.id.to_string()),
            request_id: acting.request_id.clone(),
            details: json!({"open_id": account.open_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}
