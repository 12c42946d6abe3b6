use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// draft -> approved -> rendering -> rendered -> publish_approved ->
/// publishing -> published | sent_to_inbox, or failed on the way. The
/// pipeline's moves are one table, `domain::publishing::publication::slot_may_move`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SlotStatus {
    #[sea_orm(string_value = "empty")]
    Empty,
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rendering")]
    Rendering,
    #[sea_orm(string_value = "rendered")]
    Rendered,
    #[sea_orm(string_value = "publish_approved")]
    PublishApproved,
    #[sea_orm(string_value = "publishing")]
    Publishing,
    #[sea_orm(string_value = "published")]
    Published,
    /// An inbox draft is in the creator's TikTok app: the pipeline is done,
    /// the creator posts it (or not) from there.
    #[sea_orm(string_value = "sent_to_inbox")]
    SentToInbox,
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "slots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub plan_id: Uuid,
    pub day_index: i32,
    pub slot_index: i32,
    pub scheduled_at: DateTimeWithTimeZone,
    pub status: SlotStatus,
    pub hook: String,
    pub script: String,
    /// The script cut into scenes (`domain::media::shots`); `[]` reads as derived from the script.
    pub shots: Json,
    pub caption: String,
    pub hashtags: Json,
    pub format: String,
    pub confidence: Option<f32>,
    pub rationale: String,
    pub locked: bool,
    pub version: i32,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTimeWithTimeZone>,
    /// Policy and similarity findings for the reviewer: `[{"check", "reason"}]`.
    pub review_notes: Json,
    pub prompt_versions: Json,
    /// Renders started so far; the current one's assets live under `v{render_version}/`.
    pub render_version: i32,
    /// Why the last render failed, for the person who asked for it.
    pub render_error: Option<String>,
    pub video_asset_id: Option<Uuid>,
    /// An upload of the org's shown behind the captions instead of a plain colour.
    pub background_asset_id: Option<Uuid>,
    /// The clip of an import's highlight that is this slot's video (its own
    /// speech and word-timed captions), used as is instead of a voiced script.
    pub clip_asset_id: Option<Uuid>,
    /// Why the slot's pipeline failed (shown in the dead-letter list).
    pub pipeline_error: Option<String>,
    /// Why a policy rule stopped the pipeline (`domain::policy::Block`).
    pub policy_block: Option<Json>,
    /// An admin's override of the block for one version (`domain::policy::Override`).
    pub policy_override: Option<Json>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::plans::Entity", from = "Column::PlanId", to = "super::plans::Column::Id")]
    Plan,
}

impl Related<super::plans::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Plan.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
