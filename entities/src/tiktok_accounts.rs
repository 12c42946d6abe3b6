use sea_orm::entity::prelude::*;

/// A TikTok account an org connected; its tokens live in the secret store.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tiktok_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub open_id: String,
    pub display_name: String,
    /// The scopes the person granted (comma-separated).
    pub scopes: String,
    /// Where the token set is in the secret store.
    pub secret_path: String,
    pub access_expires_at: DateTimeWithTimeZone,
    pub refresh_expires_at: DateTimeWithTimeZone,
    /// connected, disconnected, or reauthorize (the refresh token is dead).
    pub status: String,
    pub connected_by: Option<Uuid>,
    /// Until when one caller holds the right to refresh the tokens.
    pub refresh_lease_until: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
