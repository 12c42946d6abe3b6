use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a publication is on its way to TikTok. The allowed moves between
/// these are one table, `domain::publishing::publication::allowed`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum PublicationStatus {
    /// The publish gate's choices are recorded; TikTok has not been asked.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// TikTok answered the init; its `publish_id` is recorded.
    #[sea_orm(string_value = "initiated")]
    Initiated,
    #[sea_orm(string_value = "uploading")]
    Uploading,
    /// The whole video is at TikTok, which processes it.
    #[sea_orm(string_value = "processing")]
    Processing,
    /// An inbox draft waits in the creator's TikTok app.
    #[sea_orm(string_value = "sent_to_inbox")]
    SentToInbox,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "failed")]
    Failed,
}

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
    pub status: PublicationStatus,
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
