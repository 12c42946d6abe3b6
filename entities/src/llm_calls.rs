use sea_orm::entity::prelude::*;

/// The audit record of one call to a language model.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "llm_calls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    pub slot_id: Option<Uuid>,
    /// What the call was for, e.g. draft_batch, repair_batch, improve_slot.
    pub purpose: String,
    /// The prompt versions it used: `{"brand_voice": 3, "instructions": 1}`.
    pub prompt_versions: Json,
    pub model: String,
    pub tokens_in: i32,
    pub tokens_out: i32,
    pub cost_micros: i64,
    pub latency_ms: i32,
    /// ok, invalid_output, http_error or timeout.
    pub outcome: String,
    pub error: Option<String>,
    pub workflow_id: Option<String>,
    pub attempt: i32,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
