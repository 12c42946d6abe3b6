//! The prompt library: versioned brand voice and standing instructions per
//! project. Versions are immutable; every generation records the versions it
//! used.

use crate::{DomainError, OrgScope, TenantTxn};
use chrono::Utc;
use entities::prompts;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};
use uuid::Uuid;

pub const BRAND_VOICE: &str = "brand_voice";
pub const INSTRUCTIONS: &str = "instructions";
pub const KINDS: [&str; 2] = [BRAND_VOICE, INSTRUCTIONS];

/// Used until a project writes its own instructions (version 0).
pub const DEFAULT_INSTRUCTIONS: &str = "You plan short vertical videos for TikTok. Each slot needs a hook that stops \
the scroll in the first second, a spoken script of 20 to 45 seconds, a caption, up to 5 relevant hashtags, one \
format, a confidence between 0 and 1 that the post will do well for this audience, and a one-sentence rationale. \
Vary formats and ideas across the month; never repeat an idea. Stay within TikTok's community guidelines: no \
medical or financial promises, no dangerous challenges. Answer with JSON only.";

/// The prompt versions in force for a project.
#[derive(Debug, Clone)]
pub struct PromptSet {
    pub brand_voice: (i32, String),
    pub instructions: (i32, String),
}

impl PromptSet {
    /// `{"brand_voice": v, "instructions": v}`, as recorded with generations.
    pub fn versions(&self) -> Value {
        json!({BRAND_VOICE: self.brand_voice.0, INSTRUCTIONS: self.instructions.0})
    }
}

async fn latest(tx: &TenantTxn, project_id: Uuid, kind: &str) -> Result<Option<prompts::Model>, DomainError> {
    Ok(tx
        .find::<prompts::Entity>()
        .filter(prompts::Column::ProjectId.eq(project_id))
        .filter(prompts::Column::Kind.eq(kind))
        .order_by_desc(prompts::Column::Version)
        .one(&**tx)
        .await?)
}

pub(crate) async fn current_in(tx: &TenantTxn, project_id: Uuid) -> Result<PromptSet, DomainError> {
    let brand = latest(tx, project_id, BRAND_VOICE).await?;
    let instructions = latest(tx, project_id, INSTRUCTIONS).await?;
    Ok(PromptSet {
        brand_voice: brand.map(|p| (p.version, p.body)).unwrap_or((0, String::new())),
        instructions: instructions.map(|p| (p.version, p.body)).unwrap_or((0, DEFAULT_INSTRUCTIONS.to_owned())),
    })
}

pub async fn current(db: &DatabaseConnection, scope: &OrgScope, project_id: Uuid) -> Result<PromptSet, DomainError> {
    let tx = scope.begin(db).await?;
    crate::planning::projects::get_in(&tx, project_id).await?;
    current_in(&tx, project_id).await
}

pub(crate) async fn add_version_in(
    tx: &TenantTxn,
    project_id: Uuid,
    kind: &str,
    body: &str,
    created_by: Option<Uuid>,
) -> Result<prompts::Model, DomainError> {
    if !KINDS.contains(&kind) {
        return Err(DomainError::invalid("kind", "must be brand_voice or instructions"));
    }
    if body.chars().count() > 8000 {
        return Err(DomainError::invalid("body", "must be at most 8000 characters"));
    }
    let next = latest(tx, project_id, kind).await?.map_or(1, |p| p.version + 1);
    let prompt = prompts::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        project_id: Set(project_id),
        kind: Set(kind.to_owned()),
        version: Set(next),
        body: Set(body.trim().to_owned()),
        created_by: Set(created_by),
        created_at: Set(Utc::now().fixed_offset()),
    }
    .insert(&**tx)
    .await?;
    if kind == BRAND_VOICE {
        crate::planning::projects::set_brand_voice_in(tx, project_id, &prompt.body).await?;
    }
    Ok(prompt)
}

/// Adds a new version of a project's prompt.
pub async fn add_version(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
    kind: &str,
    body: &str,
    created_by: Uuid,
) -> Result<prompts::Model, DomainError> {
    let tx = scope.begin(db).await?;
    crate::planning::projects::get_in(&tx, project_id).await?;
    let prompt = add_version_in(&tx, project_id, kind, body, Some(created_by)).await?;
    tx.commit().await?;
    Ok(prompt)
}

/// Every version of the project's prompts, newest first.
pub async fn list(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
) -> Result<Vec<prompts::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    crate::planning::projects::get_in(&tx, project_id).await?;
    Ok(tx
        .find::<prompts::Entity>()
        .filter(prompts::Column::ProjectId.eq(project_id))
        .order_by_asc(prompts::Column::Kind)
        .order_by_desc(prompts::Column::Version)
        .all(&*tx)
        .await?)
}
