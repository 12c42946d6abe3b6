use sea_orm::entity::prelude::*;

/// A brand document an org uploaded; its text lives in `knowledge_chunks`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "knowledge_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    /// `None`: the document speaks for every project of the org.
    pub project_id: Option<Uuid>,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub chunks: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
