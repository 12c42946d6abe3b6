use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
    pub slot_id: Option<Uuid>,
    /// video, thumbnail, audio, captions or upload.
    pub kind: String,
    /// Always `org/{org_id}/...` (a check constraint enforces the prefix).
    pub storage_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub duration_ms: Option<i32>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub render_version: i32,
    pub cover_timestamp_ms: Option<i32>,
    pub sha256: Option<String>,
    /// An upload's file name, as the person's browser gave it.
    pub name: Option<String>,
    /// Words the org tagged an upload with, for scenes to find it by.
    pub tags: Json,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
