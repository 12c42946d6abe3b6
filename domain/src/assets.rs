//! Media the org owns: uploads now, renders later. Rows point at storage
//! keys under the org's prefix; their bytes are metered in the usage ledger.

use crate::{DomainError, OrgScope};
use chrono::Utc;
use entities::{assets, usage_ledger};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use uuid::Uuid;

/// Upload types the product can use as backgrounds or voice, with the file
/// extension kept in the key.
pub const UPLOAD_TYPES: [(&str, &str); 6] = [
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("video/mp4", "mp4"),
    ("video/quicktime", "mov"),
    ("audio/mpeg", "mp3"),
    ("audio/wav", "wav"),
];

/// Largest upload accepted, in bytes.
pub const UPLOAD_LIMIT: u64 = 200 * 1024 * 1024;

pub fn extension_for(content_type: &str) -> Result<&'static str, DomainError> {
    UPLOAD_TYPES.iter().find(|(t, _)| *t == content_type).map(|(_, ext)| *ext).ok_or_else(|| {
        let allowed: Vec<&str> = UPLOAD_TYPES.iter().map(|(t, _)| *t).collect();
        DomainError::invalid("content_type", format!("must be one of {}", allowed.join(", ")))
    })
}

/// Records an uploaded object and meters its bytes.
pub async fn record_upload(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    storage_key: &str,
    content_type: &str,
    size_bytes: i64,
) -> Result<assets::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let now = Utc::now().fixed_offset();
    let asset = assets::ActiveModel {
        id: Set(id),
        org_id: Set(tx.org_id()),
        kind: Set("upload".into()),
        storage_key: Set(storage_key.to_owned()),
        content_type: Set(content_type.to_owned()),
        size_bytes: Set(size_bytes),
        render_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    usage_ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        project_id: Set(None),
        metric: Set("storage_bytes".into()),
        quantity: Set(size_bytes),
        source: Set(format!("asset:{id}")),
        idempotency_key: Set(Some(format!("asset:{id}:storage_bytes"))),
        occurred_at: Set(now),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    tx.commit().await?;
    Ok(asset)
}

/// The assets one render of a slot stored (video and thumbnail).
pub async fn for_render(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    version: i32,
) -> Result<Vec<assets::Model>, DomainError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<assets::Entity>()
        .filter(assets::Column::SlotId.eq(slot_id))
        .filter(assets::Column::RenderVersion.eq(version))
        .filter(assets::Column::Kind.is_in(["video", "thumbnail"]))
        .all(&*tx)
        .await?)
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<assets::Model, DomainError> {
    let tx = scope.begin(db).await?;
    tx.find_by_id::<assets::Entity>(id).one(&*tx).await?.ok_or(DomainError::NotFound("asset"))
}
