use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an import is. The allowed moves are one table,
/// `domain::media::imports::MOVES`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Recorded; the run has not started fetching.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// yt-dlp (or the upload's copy) brings the source in.
    #[sea_orm(string_value = "fetching")]
    Fetching,
    #[sea_orm(string_value = "transcribing")]
    Transcribing,
    #[sea_orm(string_value = "translating")]
    Translating,
    /// The model picks the moments worth a short.
    #[sea_orm(string_value = "finding_highlights")]
    FindingHighlights,
    #[sea_orm(string_value = "ready")]
    Ready,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// Why an import stopped, for programs (the message says it for people).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ImportErrorCode {
    /// Longer than the longest video an import accepts.
    #[sea_orm(string_value = "too_long")]
    TooLong,
    /// Larger than the largest download an import accepts.
    #[sea_orm(string_value = "too_big")]
    TooBig,
    /// The download took longer than allowed.
    #[sea_orm(string_value = "too_slow")]
    TooSlow,
    /// The URL, a redirect or a connection led to a non-public address.
    #[sea_orm(string_value = "address_refused")]
    AddressRefused,
    /// Nothing yt-dlp or FFmpeg can read, or no audio in it.
    #[sea_orm(string_value = "unsupported")]
    Unsupported,
    /// The source could not be reached or refused to give the video.
    #[sea_orm(string_value = "unreachable")]
    Unreachable,
    /// The monthly transcription budget (or the storage quota) is used up.
    #[sea_orm(string_value = "budget_exceeded")]
    BudgetExceeded,
    /// A step kept failing (its message says which and why).
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub project_id: Uuid,
    /// A page or media URL for yt-dlp; exactly one of this and the upload.
    pub source_url: Option<String>,
    pub upload_asset_id: Option<Uuid>,
    pub status: ImportStatus,
    /// 0..1 within the current status.
    pub progress: f32,
    pub title: Option<String>,
    pub duration_ms: Option<i64>,
    pub source_asset_id: Option<Uuid>,
    /// The spoken language, once detected.
    pub language: Option<String>,
    /// Languages to translate into besides the spoken one (a JSON list).
    pub translate_to: Json,
    pub error: Option<String>,
    /// A stable code for `error` (`too_long`, `address_refused`, ...).
    pub error_code: Option<ImportErrorCode>,
    pub workflow_id: String,
    pub requested_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
