//! Provider credentials an org brings (its own LLM key; TikTok tokens come
//! with the TikTok connection). The secret goes to the secret store and
//! nowhere else; the row keeps its store path, versions, a fingerprint and
//! the last four characters. Rotating stores a new version that waits for
//! confirmation while the old one stays in use; revoking destroys every
//! version. Every change is in the audit log.

use crate::{
    DomainError, OrgScope, TenantTxn,
    identity::audit::{self, Actor},
};
use chrono::Utc;
use entities::credentials;
use platform::secrets::{SecretPath, SecretStore};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, Set};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const PROVIDERS: [&str; 2] = ["llm", "tiktok"];

/// Who is acting, for the audit log.
#[derive(Debug, Clone)]
pub struct Acting {
    pub user_id: Uuid,
    pub request_id: Option<String>,
}

/// `sha256:` and 12 hex digits: enough to tell keys apart, useless to use one.
pub fn fingerprint(secret: &SecretString) -> String {
    let digest = Sha256::digest(secret.expose_secret().as_bytes());
    format!("sha256:{}", platform::hex(&digest[..6]))
}

fn last4(secret: &SecretString) -> String {
    let chars: Vec<char> = secret.expose_secret().chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// A secret must look like a key: 8 to 4096 visible characters. The error
/// never repeats it.
fn check_secret(secret: &SecretString) -> Result<(), DomainError> {
    let s = secret.expose_secret();
    if !(8..=4096).contains(&s.chars().count()) || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DomainError::invalid("secret", "must be 8 to 4096 characters without spaces"));
    }
    Ok(())
}

async fn get_in(tx: &TenantTxn, id: Uuid) -> Result<credentials::Model, DomainError> {
    tx.find_by_id::<credentials::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("credential"))
}

fn audit_entry<'a>(acting: &Acting, action: &'a str, c: &credentials::Model, version: i32) -> audit::Entry<'a> {
    audit::Entry {
        actor: Actor::User(acting.user_id),
        action,
        target_kind: "credential",
        target_id: Some(c.id.to_string()),
        request_id: acting.request_id.clone(),
        details: json!({"provider": c.provider, "label": c.label, "version": version}),
    }
}

pub async fn create(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    scope: &OrgScope,
    acting: &Acting,
    provider: &str,
    label: &str,
    secret: &SecretString,
) -> Result<credentials::Model, DomainError> {
    if !PROVIDERS.contains(&provider) {
        return Err(DomainError::invalid("provider", format!("must be one of {}", PROVIDERS.join(", "))));
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(DomainError::invalid("label", "must be 1 to 80 characters"));
    }
    check_secret(secret)?;
    let tx = scope.begin(db).await?;
    if provider == "llm" && !active(&tx, "llm").await?.is_empty() {
        return Err(DomainError::Conflict("the organisation already has an LLM key; rotate or revoke it".into()));
    }
    let id = Uuid::now_v7();
    let path = SecretPath::new(tx.org_id(), &format!("credentials/{id}")).expect("a uuid makes a valid path");
    let version = store.write(&path, secret).await?;
    let now = Utc::now().fixed_offset();
    let row = credentials::ActiveModel {
        id: Set(id),
        org_id: Set(tx.org_id()),
        provider: Set(provider.into()),
        label: Set(label.into()),
        secret_path: Set(path.as_str().into()),
        current_version: Set(version as i32),
        fingerprint: Set(fingerprint(secret)),
        last4: Set(last4(secret)),
        pending_version: Set(None),
        pending_fingerprint: Set(None),
        pending_last4: Set(None),
        status: Set("active".into()),
        created_by: Set(Some(acting.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        revoked_at: Set(None),
    };
    let inserted = async {
        let created = row.insert(&*tx).await?;
        audit::record(&tx, audit_entry(acting, "credential.created", &created, created.current_version)).await?;
        Ok::<_, DomainError>(created)
    }
    .await;
    match inserted {
        Ok(created) => {
            tx.commit().await?;
            Ok(created)
        }
        Err(e) => {
            // Nothing points at the stored secret: remove it.
            let _ = store.delete(&path).await;
            Err(e)
        }
    }
}

async fn active(tx: &TenantTxn, provider: &str) -> Result<Vec<credentials::Model>, DomainError> {
    Ok(tx
        .find::<credentials::Entity>()
        .filter(credentials::Column::Provider.eq(provider))
        .filter(credentials::Column::Status.eq("active"))
        .all(&**tx)
        .await?)
}

pub async fn list(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<credentials::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx.find::<credentials::Entity>().order_by_desc(credentials::Column::CreatedAt).all(&*tx).await?)
}

fn store_path(c: &credentials::Model) -> Result<SecretPath, DomainError> {
    let rest = c.secret_path.splitn(3, '/').nth(2).unwrap_or("");
    Ok(SecretPath::new(c.org_id, rest)?)
}

/// Stores a new version that waits for [`confirm`]; the current one stays in use.
pub async fn rotate(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    scope: &OrgScope,
    acting: &Acting,
    id: Uuid,
    secret: &SecretString,
) -> Result<credentials::Model, DomainError> {
    check_secret(secret)?;
    let tx = scope.begin(db).await?;
    let current = get_in(&tx, id).await?;
    if current.status != "active" {
        return Err(DomainError::Conflict("a revoked credential cannot be rotated".into()));
    }
    let version = store.write(&store_path(&current)?, secret).await? as i32;
    let mut c: credentials::ActiveModel = current.into();
    c.pending_version = Set(Some(version));
    c.pending_fingerprint = Set(Some(fingerprint(secret)));
    c.pending_last4 = Set(Some(last4(secret)));
    c.updated_at = Set(Utc::now().fixed_offset());
    let updated = c.update(&*tx).await?;
    audit::record(&tx, audit_entry(acting, "credential.rotated", &updated, version)).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Puts the rotated-in version in use.
pub async fn confirm(
    db: &DatabaseConnection,
    scope: &OrgScope,
    acting: &Acting,
    id: Uuid,
) -> Result<credentials::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let current = get_in(&tx, id).await?;
    let (Some(version), Some(fp), Some(l4)) =
        (current.pending_version, current.pending_fingerprint.clone(), current.pending_last4.clone())
    else {
        return Err(DomainError::Conflict("there is no rotated version to confirm".into()));
    };
    let mut c: credentials::ActiveModel = current.into();
    c.current_version = Set(version);
    c.fingerprint = Set(fp);
    c.last4 = Set(l4);
    c.pending_version = Set(None);
    c.pending_fingerprint = Set(None);
    c.pending_last4 = Set(None);
    c.updated_at = Set(Utc::now().fixed_offset());
    let updated = c.update(&*tx).await?;
    audit::record(&tx, audit_entry(acting, "credential.confirmed", &updated, version)).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Destroys every stored version and marks the credential revoked.
pub async fn revoke(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    scope: &OrgScope,
    acting: &Acting,
    id: Uuid,
) -> Result<credentials::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let current = get_in(&tx, id).await?;
    if current.status == "revoked" {
        return Ok(current);
    }
    store.delete(&store_path(&current)?).await?;
    let now = Utc::now().fixed_offset();
    let mut c: credentials::ActiveModel = current.into();
    c.status = Set("revoked".into());
    c.pending_version = Set(None);
    c.pending_fingerprint = Set(None);
    c.pending_last4 = Set(None);
    c.revoked_at = Set(Some(now));
    c.updated_at = Set(now);
    let updated = c.update(&*tx).await?;
    audit::record(&tx, audit_entry(acting, "credential.revoked", &updated, updated.current_version)).await?;
    tx.commit().await?;
    Ok(updated)
}

/// The secret of the org's active credential for `provider`, at the
/// version in use; `None` when the org has none (the platform's own key
/// applies).
pub async fn active_secret(
    db: &DatabaseConnection,
    store: &dyn SecretStore,
    scope: &OrgScope,
    provider: &str,
) -> Result<Option<SecretString>, DomainError> {
    let tx = scope.begin(db).await?;
    let Some(credential) = active(&tx, provider).await?.into_iter().next() else { return Ok(None) };
    drop(tx);
    let stored = store.read(&store_path(&credential)?, Some(credential.current_version as u32)).await?;
    stored.map(|v| Some(v.value)).ok_or_else(|| {
        DomainError::Conflict(format!(
            "credential {} has no stored version {}",
            credential.id, credential.current_version
        ))
    })
}
