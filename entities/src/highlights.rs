use sea_orm::entity::prelude::*;

/// A moment of an import worth a short: its span (on word boundaries), the
/// hook and why the model chose it, the words spoken, and once made, its
/// clip and the slot it became.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "highlights")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub import_id: Uuid,
    pub position: i32,
    pub start_ms: i64,
    pub end_ms: i64,
    pub hook: String,
    pub reason: String,
    pub quote: String,
    pub clip_asset_id: Option<Uuid>,
    pub slot_id: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
