use crate::{DomainError, OrgScope, TenantTxn, error::on_unique_violation};
use chrono::{NaiveTime, Utc};
use entities::projects;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const DEFAULT_POSTING_TIMES: [&str; 3] = ["09:00", "13:00", "19:00"];

/// What a caller may set on a new project; everything but the name has a
/// sensible default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    pub name: String,
    #[serde(default)]
    pub niche: String,
    #[serde(default)]
    pub audience: String,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub posting_times: Option<Vec<String>>,
    #[serde(default)]
    pub brand_voice: String,
}

pub async fn create(
    db: &DatabaseConnection,
    scope: &OrgScope,
    new: NewProject,
) -> Result<projects::Model, DomainError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(DomainError::invalid("name", "must be 1 to 120 characters"));
    }
    let timezone = validate_timezone(new.timezone.unwrap_or_else(|| "UTC".to_owned()))?;
    let language = validate_language(new.language.unwrap_or_else(|| "en".to_owned()))?;
    let posting_times =
        parse_posting_times(new.posting_times.unwrap_or_else(|| DEFAULT_POSTING_TIMES.map(str::to_owned).to_vec()))?;
    let now = Utc::now().fixed_offset();
    let tx = scope.begin(db).await?;
    let project = projects::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        name: Set(name.clone()),
        niche: Set(new.niche),
        audience: Set(new.audience),
        language: Set(language),
        timezone: Set(timezone),
        posting_times: Set(serde_json::json!(posting_times)),
        autopilot: Set(false),
        gates: Set(serde_json::json!({"approve_slot": true, "approve_publish": true})),
        budgets: Set(serde_json::json!({})),
        brand_voice: Set(new.brand_voice.trim().to_owned()),
        tiktok_account_id: Set(None),
        post_mode: Set("direct".into()),
        publish_defaults: Set(None),
        video_style: Set(serde_json::json!(crate::media::style::VideoStyle::default())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await
    .map_err(|e| on_unique_violation(e, || format!("a project named {name:?} already exists")))?;
    if !project.brand_voice.is_empty() {
        crate::planning::prompts::add_version_in(
            &tx,
            project.id,
            crate::planning::prompts::BRAND_VOICE,
            &project.brand_voice,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(project)
}

/// Changes to a project; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub niche: Option<String>,
    pub audience: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub posting_times: Option<Vec<String>>,
    pub autopilot: Option<bool>,
    pub gates: Option<Gates>,
    pub budgets: Option<Budgets>,
    /// A new brand voice becomes a new version in the prompt library.
    pub brand_voice: Option<String>,
    /// `Some(None)` clears the account.
    pub tiktok_account_id: Option<Option<Uuid>>,
    pub post_mode: Option<String>,
    /// What autopilot chooses at the publish gate.
    pub publish_defaults: Option<crate::publishing::PublishChoice>,
    /// The caption preset and music of the project's videos.
    pub video_style: Option<crate::media::style::VideoStyle>,
}

/// Which steps wait for a person.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gates {
    pub approve_slot: bool,
    pub approve_publish: bool,
}

/// Monthly and daily limits; absent means unlimited.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budgets {
    /// LLM spend per calendar month, in micro-dollars (1 000 000 = $1).
    pub monthly_llm_micros: Option<i64>,
    /// Rendered video seconds per calendar month.
    pub monthly_video_seconds: Option<i64>,
    /// Transcribed seconds of imports per calendar month.
    pub monthly_asr_seconds: Option<i64>,
    pub posts_per_day: Option<i32>,
    /// Longest video a render may make, 5 to 600 s (TikTok's own cap);
    /// absent means 180 s.
    pub max_video_seconds: Option<i32>,
}

impl Budgets {
    pub const DEFAULT_MAX_VIDEO_SECONDS: i32 = 180;

    /// The budgets stored on a project (defaults when unreadable).
    pub fn of(project: &projects::Model) -> Budgets {
        serde_json::from_value(project.budgets.clone()).unwrap_or_default()
    }

    pub fn max_video_seconds(&self) -> i32 {
        self.max_video_seconds.unwrap_or(Self::DEFAULT_MAX_VIDEO_SECONDS)
    }
}

pub async fn update(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    changes: ProjectChanges,
    actor: Uuid,
) -> Result<projects::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let current = get_in(&tx, id).await?;
    let mut project: projects::ActiveModel = current.clone().into();
    if let Some(name) = changes.name {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(DomainError::invalid("name", "must be 1 to 120 characters"));
        }
        project.name = Set(name);
    }
    if let Some(niche) = changes.niche {
        project.niche = Set(niche);
    }
    if let Some(audience) = changes.audience {
        project.audience = Set(audience);
    }
    if let Some(language) = changes.language {
        project.language = Set(validate_language(language)?);
    }
    if let Some(timezone) = changes.timezone {
        project.timezone = Set(validate_timezone(timezone)?);
    }
    if let Some(times) = changes.posting_times {
        project.posting_times = Set(serde_json::json!(parse_posting_times(times)?));
    }
    if let Some(autopilot) = changes.autopilot {
        project.autopilot = Set(autopilot);
    }
    if let Some(style) = changes.video_style {
        if style.music == crate::media::style::Music::Track {
            let track = match style.music_track {
                Some(id) => tx.find_by_id::<entities::assets::Entity>(id).one(&*tx).await?,
                None => None,
            };
            if !track.is_some_and(|a| a.kind == "upload" && a.content_type.starts_with("audio/")) {
                return Err(DomainError::invalid("video_style", "music from a track needs an uploaded MP3 or WAV"));
            }
        }
        project.video_style = Set(serde_json::json!(style));
    }
    if let Some(gates) = changes.gates {
        project.gates = Set(serde_json::json!(gates));
    }
    if let Some(budgets) = changes.budgets {
        if [budgets.monthly_llm_micros, budgets.monthly_video_seconds, budgets.monthly_asr_seconds]
            .iter()
            .flatten()
            .any(|v| *v < 0)
            || budgets.posts_per_day.is_some_and(|p| !(0..=50).contains(&p))
            || budgets.max_video_seconds.is_some_and(|s| !(5..=600).contains(&s))
        {
            return Err(DomainError::invalid(
                "budgets",
                "limits must be positive (posts_per_day at most 50, max_video_seconds 5 to 600)",
            ));
        }
        project.budgets = Set(serde_json::json!(budgets));
    }
    if let Some(account) = changes.tiktok_account_id {
        if let Some(id) = account {
            let found = tx.find_by_id::<entities::tiktok_accounts::Entity>(id).one(&*tx).await?;
            if found.is_none_or(|a| a.status != "connected") {
                return Err(DomainError::invalid(
                    "tiktok_account_id",
                    "must be a connected TikTok account of this organisation",
                ));
            }
        }
        project.tiktok_account_id = Set(account);
    }
    if let Some(mode) = changes.post_mode {
        if mode != "direct" && mode != "inbox" {
            return Err(DomainError::invalid("post_mode", "must be direct or inbox"));
        }
        project.post_mode = Set(mode);
    }
    if let Some(defaults) = changes.publish_defaults {
        if !crate::publishing::PRIVACY_LEVELS.contains(&defaults.privacy_level.as_str()) {
            return Err(DomainError::invalid(
                "publish_defaults",
                "privacy_level must be one of TikTok's privacy levels",
            ));
        }
        project.publish_defaults = Set(Some(serde_json::json!(defaults)));
    }
    let project = project
        .update(&*tx)
        .await
        .map_err(|e| on_unique_violation(e, || "another project has that name".to_owned()))?;
    let project = match changes.brand_voice {
        Some(voice) if voice.trim() != current.brand_voice => {
            crate::planning::prompts::add_version_in(
                &tx,
                id,
                crate::planning::prompts::BRAND_VOICE,
                &voice,
                Some(actor),
            )
            .await?;
            get_in(&tx, id).await?
        }
        _ => project,
    };
    tx.commit().await?;
    Ok(project)
}

pub(crate) async fn set_brand_voice_in(tx: &TenantTxn, id: Uuid, voice: &str) -> Result<(), DomainError> {
    let mut project: projects::ActiveModel = get_in(tx, id).await?.into();
    project.brand_voice = Set(voice.to_owned());
    project.update(&**tx).await?;
    Ok(())
}

/// Deletes a project with its plans, slots and prompts.
pub async fn delete(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let project = get_in(&tx, id).await?;
    projects::Entity::delete_by_id(project.id).exec(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

fn validate_language(language: String) -> Result<String, DomainError> {
    if !(2..=8).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        return Err(DomainError::invalid("language", "must be a language tag such as en or pt-BR"));
    }
    Ok(language)
}

fn validate_timezone(timezone: String) -> Result<String, DomainError> {
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(DomainError::invalid("timezone", format!("{timezone:?} is not an IANA time zone")));
    }
    Ok(timezone)
}

pub async fn list(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<projects::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx.find::<projects::Entity>().order_by_asc(projects::Column::Name).all(&*tx).await?)
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<projects::Model, DomainError> {
    get_in(&scope.begin(db).await?, id).await
}

pub(crate) async fn get_in(tx: &TenantTxn, id: Uuid) -> Result<projects::Model, DomainError> {
    tx.find_by_id::<projects::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("project"))
}

/// The project's posting times, parsed ("HH:MM", ascending).
pub fn posting_times(project: &projects::Model) -> Result<Vec<NaiveTime>, DomainError> {
    let raw: Vec<String> = serde_json::from_value(project.posting_times.clone())
        .map_err(|_| DomainError::invalid("posting_times", "must be a list of HH:MM strings"))?;
    parse_posting_times(raw)?.iter().map(|t| parse_time(t)).collect()
}

fn parse_time(t: &str) -> Result<NaiveTime, DomainError> {
    NaiveTime::parse_from_str(t, "%H:%M")
        .map_err(|_| DomainError::invalid("posting_times", format!("{t:?} is not a HH:MM time")))
}

/// Validates and normalises posting times: 1 to 6 distinct times, sorted.
fn parse_posting_times(raw: Vec<String>) -> Result<Vec<String>, DomainError> {
    if raw.is_empty() || raw.len() > 6 {
        return Err(DomainError::invalid("posting_times", "give between 1 and 6 times a day"));
    }
    let mut times = raw.iter().map(|t| parse_time(t)).collect::<Result<Vec<_>, _>>()?;
    times.sort();
    times.dedup();
    if times.len() != raw.len() {
        return Err(DomainError::invalid("posting_times", "times must be distinct"));
    }
    Ok(times.iter().map(|t| t.format("%H:%M").to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posting_times_are_validated_and_sorted() {
        let ok = parse_posting_times(vec!["19:00".into(), "09:30".into()]).unwrap();
        assert_eq!(ok, vec!["09:30", "19:00"]);
        assert!(parse_posting_times(vec![]).is_err());
        assert!(parse_posting_times(vec!["25:00".into()]).is_err());
        assert!(parse_posting_times(vec!["09:00".into(), "09:00".into()]).is_err());
        assert!(parse_posting_times((0..7).map(|h| format!("0{h}:00")).collect()).is_err());
    }
}
