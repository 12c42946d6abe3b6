use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Created; its workflow has not laid out the slots yet.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// The LLM is drafting the slots.
    #[sea_orm(string_value = "drafting")]
    Drafting,
    #[sea_orm(string_value = "ready")]
    Ready,
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub start_date: Date,
    pub days: i32,
    pub slots_per_day: i32,
    pub status: PlanStatus,
    pub workflow_id: String,
    pub failure: Option<String>,
    pub batches_total: i32,
    pub batches_done: i32,
    /// The prompt versions the drafting used: `{"brand_voice": 3, "instructions": 1}`.
    pub prompt_versions: Json,
    /// The creative agent's brief (`domain::planning::creative::Brief`).
    pub brief: Option<Json>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::projects::Entity", from = "Column::ProjectId", to = "super::projects::Column::Id")]
    Project,
    #[sea_orm(has_many = "super::slots::Entity")]
    Slots,
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl Related<super::slots::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Slots.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
