use sea_orm::entity::prelude::*;

/// A provider credential kept in the secret store; this row holds only where
/// it is and how to recognise it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    /// llm or tiktok.
    pub provider: String,
    pub label: String,
    /// The secret store path, `org/{org_id}/credentials/{id}`.
    pub secret_path: String,
    /// The store version in use.
    pub current_version: i32,
    /// `sha256:` and the first 12 hex digits of the secret's SHA-256.
    pub fingerprint: String,
    pub last4: String,
    /// A rotated-in version waiting for confirmation.
    pub pending_version: Option<i32>,
    pub pending_fingerprint: Option<String>,
    pub pending_last4: Option<String>,
    /// active or revoked.
    pub status: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    pub revoked_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
