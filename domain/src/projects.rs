use crate::{DomainError, OrgScope, TenantTxn, error::on_unique_violation};
use chrono::{NaiveTime, Utc};
use entities::projects;
use sea_orm::{ActiveModelTrait, DatabaseConnection, QueryOrder, Set};
use serde::Deserialize;
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
    let timezone = new.timezone.unwrap_or_else(|| "UTC".to_owned());
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(DomainError::invalid("timezone", format!("{timezone:?} is not an IANA time zone")));
    }
    let language = new.language.unwrap_or_else(|| "en".to_owned());
    if !(2..=8).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        return Err(DomainError::invalid("language", "must be a language tag such as en or pt-BR"));
    }
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
        brand_voice: Set(new.brand_voice),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await
    .map_err(|e| on_unique_violation(e, || format!("a project named {name:?} already exists")))?;
    tx.commit().await?;
    Ok(project)
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
