use sea_orm::entity::prelude::*;

/// An OAuth handshake in flight, found by the SHA-256 of its `state`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub org_id: Uuid,
    pub user_id: Uuid,
    /// The PKCE verifier, encrypted with the org's key.
    pub verifier_ciphertext: String,
    pub expires_at: DateTimeWithTimeZone,
    /// After TikTok's consent: the exchanged tokens (JSON, sealed with the
    /// org's key) and whose account they are, until the initiator confirms.
    pub tokens_ciphertext: Option<String>,
    pub open_id: Option<String>,
    pub display_name: Option<String>,
    pub scopes: Option<String>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
