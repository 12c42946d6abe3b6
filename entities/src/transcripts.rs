use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum TranscriptKind {
    /// What was said, in the language it was said in.
    #[sea_orm(string_value = "spoken")]
    Spoken,
    #[sea_orm(string_value = "translation")]
    Translation,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum TranscriptEngine {
    /// Whisper's recognition, or its translate mode (into English).
    #[sea_orm(string_value = "whisper")]
    Whisper,
    /// The language model, segment by segment, keeping the timings.
    #[sea_orm(string_value = "llm")]
    Llm,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transcripts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub import_id: Uuid,
    /// ISO 639-1 (or -3) code; unique per import.
    pub language: String,
    pub kind: TranscriptKind,
    pub engine: TranscriptEngine,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
