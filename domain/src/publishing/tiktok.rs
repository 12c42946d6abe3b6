//! Connected TikTok accounts. Connecting is OAuth with PKCE: the handshake
//! (`state` hashed, verifier encrypted with the org's key) waits in
//! `oauth_states` for the person who started it. TikTok sends the browser
//! back to the web app, which hands the code over with that person's own
//! token ([`exchange_code`]: someone else's browser is refused), shows
//! which TikTok account consented, and links it when they confirm
//! ([`confirm_connect`]). Tokens live only in the secret store, as one JSON
//! document per account; the row keeps expiries and the granted scopes.
//! Refreshing is single-flight per account (a lease on the row, never a
//! transaction held while TikTok answers), because TikTok rotates refresh
//! tokens: two concurrent refreshes would kill each other.

use crate::{
    DomainError, OrgScope, TenantTxn,
    identity::audit::{self, Actor},
    integrations::credentials::Acting,
};
use chrono::{DateTime, Duration, Utc};
use entities::{oauth_states, tiktok_accounts};
use platform::{
    secrets::{SecretPath, SecretStore},
    tiktok::{TikTokClient, TikTokError, Tokens},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, LockType},
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
    #[error("this TikTok connection was started by someone else; sign in as them, or start your own")]
    NotYours,
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
        tokens_ciphertext: Set(None),
        open_id: Set(None),
        display_name: Set(None),
        scopes: Set(None),
    }
    .insert(db)
    .await?;
    Ok(url)
}

fn account_path(org_id: Uuid, account_id: Uuid) -> SecretPath {
    SecretPath::new(org_id, &format!("tiktok/{account_id}")).expect("a uuid makes a valid path")
}

fn stored_tokens(tokens: &Tokens) -> StoredTokens {
    let now = Utc::now();
    StoredTokens {
        access_token: tokens.access_token.expose_secret().to_owned(),
        refresh_token: tokens.refresh_token.expose_secret().to_owned(),
        access_expires_at: now + Duration::seconds(tokens.expires_in_secs),
        refresh_expires_at: now + Duration::seconds(tokens.refresh_expires_in_secs),
    }
}

/// The token set as the JSON document the secret store keeps.
fn stored_json(tokens: &Tokens) -> SecretString {
    SecretString::from(serde_json::to_string(&stored_tokens(tokens)).expect("serialisable"))
}

async fn save_tokens(store: &dyn SecretStore, path: &SecretPath, tokens: &Tokens) -> Result<StoredTokens, DomainError> {
    let stored = stored_tokens(tokens);
    let json = SecretString::from(serde_json::to_string(&stored).expect("serialisable"));
    store.write(path, &json).await?;
    Ok(stored)
}

/// The TikTok account that consented, waiting for the person who started
/// the connection to confirm it.
#[derive(Debug, Clone)]
pub struct PendingConnection {
    pub org_id: Uuid,
    pub open_id: String,
    pub display_name: String,
    pub scopes: String,
    /// An account with this open_id is already linked to the org: confirming
    /// reconnects it.
    pub reconnects: Option<Uuid>,
}

/// The live handshake for `state`, if `user_id` started it. Someone else's
/// browser holding the link is refused without using the handshake up.
async fn handshake_of(
    db: &DatabaseConnection,
    state: &str,
    user_id: Uuid,
) -> Result<oauth_states::Model, ConnectError> {
    let handshake = oauth_states::Entity::find_by_id(state_hash(state))
        .one(db)
        .await?
        .filter(|h| h.expires_at > Utc::now())
        .ok_or(ConnectError::BadState)?;
    if handshake.user_id != user_id {
        return Err(ConnectError::NotYours);
    }
    // They may have lost the right to link accounts since they started.
    let standing =
        crate::identity::orgs::standing_of(db, handshake.org_id, user_id).await?.ok_or(ConnectError::NotYours)?;
    match crate::identity::policy::permits(standing, crate::identity::policy::Action::ManageCredentials) {
        Ok(()) => Ok(handshake),
        Err(crate::identity::policy::Refusal::Role) => {
            Err(DomainError::Forbidden(crate::identity::policy::Action::ManageCredentials.describe()).into())
        }
        Err(crate::identity::policy::Refusal::EmailUnverified) => {
            Err(DomainError::EmailUnverified(crate::identity::policy::Action::ManageCredentials.describe()).into())
        }
    }
}

fn pending_of(handshake: &oauth_states::Model, reconnects: Option<Uuid>) -> Option<PendingConnection> {
    Some(PendingConnection {
        org_id: handshake.org_id,
        open_id: handshake.open_id.clone()?,
        display_name: handshake.display_name.clone().unwrap_or_default(),
        scopes: handshake.scopes.clone().unwrap_or_default(),
        reconnects,
    })
}

async fn linked_account(
    db: &DatabaseConnection,
    org_id: Uuid,
    open_id: &str,
) -> Result<Option<tiktok_accounts::Model>, DomainError> {
    let tx = OrgScope::new(org_id).begin(db).await?;
    Ok(tx.find::<tiktok_accounts::Entity>().filter(tiktok_accounts::Column::OpenId.eq(open_id)).one(&*tx).await?)
}

/// Step one when TikTok sends the person back: `user_id` (the signed-in
/// person in the web app) must be the one who started the handshake; the
/// code is exchanged with the PKCE verifier and the tokens kept sealed in
/// the handshake; the answer says which TikTok account consented. Calling
/// it again for the same state answers the same (the code works once).
pub async fn exchange_code(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    user_id: Uuid,
    state: &str,
    code: &str,
) -> Result<PendingConnection, ConnectError> {
    let handshake = handshake_of(db, state, user_id).await?;
    if let Some(open_id) = &handshake.open_id {
        let reconnects = linked_account(db, handshake.org_id, open_id).await?.map(|a| a.id);
        return pending_of(&handshake, reconnects).ok_or(ConnectError::BadState);
    }
    let verifier = store.decrypt(handshake.org_id, &handshake.verifier_ciphertext).await.map_err(DomainError::from)?;
    let tokens = client.exchange_code(code, &verifier).await?;
    let (_, display_name) = client.user_info(&tokens.access_token).await.unwrap_or_default();
    let sealed = store.encrypt(handshake.org_id, &stored_json(&tokens)).await.map_err(DomainError::from)?;
    let mut exchanged: oauth_states::ActiveModel = handshake.into();
    exchanged.tokens_ciphertext = Set(Some(sealed));
    exchanged.open_id = Set(Some(tokens.open_id.clone()));
    exchanged.display_name = Set(Some(display_name));
    exchanged.scopes = Set(Some(tokens.scope.clone()));
    let handshake = exchanged.update(db).await?;
    let reconnects = linked_account(db, handshake.org_id, &tokens.open_id).await?.map(|a| a.id);
    pending_of(&handshake, reconnects).ok_or(ConnectError::BadState)
}

/// Step two: the person who started the handshake confirms the account
/// [`exchange_code`] showed them; it is recorded (or reconnected) for the
/// org and the handshake is used up.
pub async fn confirm_connect(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    user_id: Uuid,
    state: &str,
    request_id: Option<String>,
) -> Result<tiktok_accounts::Model, ConnectError> {
    let handshake = handshake_of(db, state, user_id).await?;
    let (Some(sealed), Some(open_id)) = (handshake.tokens_ciphertext.clone(), handshake.open_id.clone()) else {
        return Err(ConnectError::BadState);
    };
    // Deleted as it is used: a handshake links once.
    let used = oauth_states::Entity::delete_many()
        .filter(oauth_states::Column::StateHash.eq(&handshake.state_hash))
        .exec(db)
        .await?;
    if used.rows_affected == 0 {
        return Err(ConnectError::BadState);
    }
    let json = store.decrypt(handshake.org_id, &sealed).await.map_err(DomainError::from)?;
    let stored: StoredTokens = serde_json::from_str(json.expose_secret())
        .map_err(|_| DomainError::Conflict("the TikTok handshake is unreadable; connect again".into()))?;

    let scope = OrgScope::new(handshake.org_id);
    let tx = scope.begin(db).await?;
    let existing =
        tx.find::<tiktok_accounts::Entity>().filter(tiktok_accounts::Column::OpenId.eq(&open_id)).one(&*tx).await?;
    let id = existing.as_ref().map_or_else(Uuid::now_v7, |a| a.id);
    store.write(&account_path(scope.org_id(), id), &json).await.map_err(DomainError::from)?;
    let now = Utc::now().fixed_offset();
    let mut account = tiktok_accounts::ActiveModel {
        id: Set(id),
        org_id: Set(scope.org_id()),
        open_id: Set(open_id),
        display_name: Set(handshake.display_name.clone().unwrap_or_default()),
        scopes: Set(handshake.scopes.clone().unwrap_or_default()),
        secret_path: Set(account_path(scope.org_id(), id).as_str().to_owned()),
        access_expires_at: Set(stored.access_expires_at.fixed_offset()),
        refresh_expires_at: Set(stored.refresh_expires_at.fixed_offset()),
        status: Set("connected".into()),
        connected_by: Set(Some(handshake.user_id)),
        refresh_lease_until: Set(None),
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
            request_id,
            details: json!({"open_id": account.open_id, "scopes": account.scopes}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

/// The person who started the handshake declines the account shown: the
/// handshake is dropped and TikTok asked to revoke what it granted.
pub async fn cancel_connect(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    user_id: Uuid,
    state: &str,
) -> Result<(), ConnectError> {
    let handshake = handshake_of(db, state, user_id).await?;
    oauth_states::Entity::delete_by_id(handshake.state_hash.clone()).exec(db).await?;
    if let Some(sealed) = &handshake.tokens_ciphertext
        && let Ok(json) = store.decrypt(handshake.org_id, sealed).await
        && let Ok(tokens) = serde_json::from_str::<StoredTokens>(json.expose_secret())
        && let Err(error) = client.revoke(&SecretString::from(tokens.access_token)).await
    {
        tracing::warn!(%error, "TikTok did not confirm revoking a declined connection");
    }
    Ok(())
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

/// How long one caller may hold the right to refresh an account's tokens;
/// longer than the TikTok client's timeout.
const REFRESH_LEASE_SECS: i64 = 45;

/// A usable access token for the account, refreshed first when it expires
/// soon or when `rejected` (a token TikTok just refused) is still the
/// current one. Refreshes one at a time per account: the caller that takes
/// the row's lease calls TikTok (no transaction open meanwhile); the others
/// wait for its tokens.
pub async fn access_token(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    scope: &OrgScope,
    account_id: Uuid,
    rejected: Option<&SecretString>,
) -> Result<SecretString, ConnectError> {
    let needs_refresh = |t: &StoredTokens| {
        t.access_expires_at < Utc::now() + Duration::minutes(REFRESH_MARGIN_MINUTES)
            || rejected.is_some_and(|r| r.expose_secret() == t.access_token)
    };
    let deadline = Utc::now() + Duration::seconds(REFRESH_LEASE_SECS + 5);
    loop {
        let account = get(db, scope, account_id).await?;
        if account.status != "connected" {
            return Err(DomainError::Conflict(format!("the TikTok account is {}; reconnect it", account.status)).into());
        }
        let current = read_tokens(store, &account).await?;
        if !needs_refresh(&current) {
            return Ok(SecretString::from(current.access_token));
        }
        if take_refresh_lease(db, scope, account_id).await? {
            // Tokens may have changed between the read and the lease.
            let current = read_tokens(store, &account).await?;
            if !needs_refresh(&current) {
                release_refresh_lease(db, scope, account_id).await?;
                return Ok(SecretString::from(current.access_token));
            }
            return refresh_with_lease(db, store, client, scope, &account, &current).await;
        }
        if Utc::now() > deadline {
            return Err(TikTokError::Timeout.into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Takes the account's refresh lease if nobody holds a live one.
async fn take_refresh_lease(db: &DatabaseConnection, scope: &OrgScope, account_id: Uuid) -> Result<bool, DomainError> {
    let tx = scope.begin(db).await?;
    let now = Utc::now().fixed_offset();
    let taken = tiktok_accounts::Entity::update_many()
        .col_expr(tiktok_accounts::Column::RefreshLeaseUntil, Expr::value(now + Duration::seconds(REFRESH_LEASE_SECS)))
        .filter(tiktok_accounts::Column::Id.eq(account_id))
        .filter(tiktok_accounts::Column::Status.eq("connected"))
        .filter(
            Condition::any()
                .add(tiktok_accounts::Column::RefreshLeaseUntil.is_null())
                .add(tiktok_accounts::Column::RefreshLeaseUntil.lt(now)),
        )
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(taken.rows_affected == 1)
}

async fn release_refresh_lease(db: &DatabaseConnection, scope: &OrgScope, account_id: Uuid) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    tiktok_accounts::Entity::update_many()
        .col_expr(tiktok_accounts::Column::RefreshLeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(tiktok_accounts::Column::Id.eq(account_id))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Refreshes with the lease held. The result is written only if the
/// account is still connected: a disconnect that ran while TikTok answered
/// wins, and the tokens TikTok just issued are revoked and never stored.
async fn refresh_with_lease(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    client: &TikTokClient,
    scope: &OrgScope,
    account: &tiktok_accounts::Model,
    current: &StoredTokens,
) -> Result<SecretString, ConnectError> {
    let refreshed = client.refresh(&SecretString::from(current.refresh_token.clone())).await;
    let tx = scope.begin(db).await?;
    let locked = tx
        .find_by_id::<tiktok_accounts::Entity>(account.id)
        .lock(LockType::Update)
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("TikTok account"))?;
    let still_connected = locked.status == "connected";
    let mut row: tiktok_accounts::ActiveModel = locked.into();
    row.refresh_lease_until = Set(None);
    let tokens = match refreshed {
        Ok(tokens) if still_connected => tokens,
        Ok(tokens) => {
            row.update(&*tx).await?;
            tx.commit().await?;
            if let Err(error) = client.revoke(&tokens.access_token).await {
                tracing::warn!(%error, account_id = %account.id, "could not revoke tokens refreshed during a disconnect");
            }
            return Err(DomainError::Conflict("the TikTok account was disconnected; reconnect it".into()).into());
        }
        Err(TikTokError::OAuth { error, description }) => {
            if still_connected {
                row.status = Set("reauthorize".into());
            }
            row.update(&*tx).await?;
            tx.commit().await?;
            return Err(TikTokError::OAuth { error, description }.into());
        }
        Err(e) => {
            row.update(&*tx).await?;
            tx.commit().await?;
            return Err(e.into());
        }
    };
    // Under the row lock: a disconnect waits for this write, then deletes.
    let stored = save_tokens(store, &account_path(account.org_id, account.id), &tokens).await?;
    row.access_expires_at = Set(stored.access_expires_at.fixed_offset());
    row.refresh_expires_at = Set(stored.refresh_expires_at.fixed_offset());
    row.updated_at = Set(Utc::now().fixed_offset());
    row.update(&*tx).await?;
    tx.commit().await?;
    tracing::info!(account_id = %account.id, "TikTok tokens refreshed");
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
    // Marked disconnected first, under the row lock a refresh writes under:
    // from here on no refresh stores tokens for it.
    let tx = scope.begin(db).await?;
    let account = tx
        .find_by_id::<tiktok_accounts::Entity>(account_id)
        .lock(LockType::Update)
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("TikTok account"))?;
    let tokens = read_tokens(store, &account).await.ok();
    let mut a: tiktok_accounts::ActiveModel = account.into();
    a.status = Set("disconnected".into());
    a.refresh_lease_until = Set(None);
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
    // TikTok is called with no transaction open.
    if let Some(tokens) = tokens
        && let Err(error) = client.revoke(&SecretString::from(tokens.access_token)).await
    {
        tracing::warn!(%error, %account_id, "TikTok did not confirm the revocation; the tokens are destroyed anyway");
    }
    store.delete(&account_path(account.org_id, account.id)).await.map_err(DomainError::from)?;
    Ok(account)
}
