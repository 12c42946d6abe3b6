use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "publications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    /// Unique: at most one publication per slot.
    pub slot_id: Uuid,
    pub asset_id: Option<Uuid>,
    pub tiktok_open_id: Option<String>,
    /// direct or inbox.
    pub post_mode: String,
    pub privacy_level: Option<String>,
    /// TikTok's `publish_id`, recorded before the publish step completes.
    pub publish_id: Option<String>,
    /// pending, initiated, uploading, processing, sent_to_inbox, published or failed.
    pub status: String,
    pub fail_reason: Option<String>,
    pub public_post_id: Option<String>,
    pub published_at: Option<DateTimeWithTimeZone>,
    pub account_id: Option<Uuid>,
    /// What was posted with: title, privacy, toggles, disclosure.
    pub post_info: Json,
    /// The 1-hour upload URL (a capability), encrypted with the org's key.
    pub upload_url_ciphertext: Option<String>,
    pub video_bytes: Option<i64>,
    /// Inits sent; more than one only when an earlier answer was lost.
    pub init_attempts: i32,
    /// Who passed the publish gate (none under autopilot).
    pub approved_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
