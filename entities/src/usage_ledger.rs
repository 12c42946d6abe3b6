use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_ledger")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
    /// llm_tokens_in, llm_tokens_out, llm_cost_micros, video_seconds,
    /// publishes, asr_seconds or storage_bytes.
    pub metric: String,
    pub quantity: i64,
    /// What produced it, e.g. `activity:llm.draft_batch`.
    pub source: String,
    /// Unique per org, so a retried activity records its usage once.
    pub idempotency_key: Option<String>,
    pub occurred_at: DateTimeWithTimeZone,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
