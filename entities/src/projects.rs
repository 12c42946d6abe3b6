use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub niche: String,
    pub audience: String,
    pub language: String,
    pub timezone: String,
    /// Local posting times, "HH:MM", one per daily slot.
    pub posting_times: Json,
    pub autopilot: bool,
    /// Which steps need a person: `{"approve_slot": bool, "approve_publish": bool}`.
    pub gates: Json,
    pub budgets: Json,
    pub brand_voice: String,
    /// The TikTok account the project posts to.
    pub tiktok_account_id: Option<Uuid>,
    /// direct (posts at once) or inbox (a draft the creator finishes in the app).
    pub post_mode: String,
    /// The publish-gate choices autopilot reuses.
    pub publish_defaults: Option<Json>,
    /// Caption preset and music (`domain::media::style::VideoStyle`).
    pub video_style: Json,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrgId",
        to = "super::organizations::Column::Id"
    )]
    Organization,
    #[sea_orm(has_many = "super::plans::Entity")]
    Plans,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::plans::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Plans.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
