use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a rule's finding does at the gates before render and publish.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A note on the slot; nothing stops.
    #[sea_orm(string_value = "warn")]
    Warn,
    /// The slot's pipeline stops until the text changes or an admin overrides.
    #[sea_orm(string_value = "block")]
    Block,
}

/// One of an org's content rules (`domain::policy`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    /// `domain::policy::RuleTest` as JSON.
    pub test: Json,
    pub severity: Severity,
    pub enabled: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
