//! The creative agent: before the month is drafted, it plans the series
//! that run through it (a name, the angle every episode shares, its days),
//! from the project, its brand voice, what worked and what rises in its own
//! results (`insights::trends`, the trend agent's findings). The brief is
//! stored on the plan; every drafting call tells the model which series a
//! slot's day belongs to.

use crate::{
    DomainError, OrgScope,
    insights::{
        performance::{self, Performance},
        trends::Trends,
    },
    planning::{plans::PLAN_DAYS, projects, prompts},
};
use entities::plans;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use utoipa::ToSchema;
use uuid::Uuid;

/// The version of the creative agent's prompt, recorded with its calls and the plan.
pub const CREATIVE_PROMPT_VERSION: i32 = 1;
const CREATIVE_PROMPT: &str = "You are the creative lead of a short-video channel on TikTok. Plan the month's \
series: 2 to 5 recurring series, each with a short name, the angle every episode shares (what makes it worth \
watching, in one sentence) and the days of the month (1 to 30) it runs on. Lean on the formats and topics that \
rise in the channel's own results and on what worked; keep to the brand voice. Answer with JSON only.";
const MAX_SERIES: usize = 5;
const MAX_DAYS_PER_SERIES: usize = 15;

/// A recurring series of the month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Series {
    pub name: String,
    pub angle: String,
    /// Days of the month, 1 to 30.
    pub days: Vec<i32>,
}

/// What the creative agent decided for a month, and what it built on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Brief {
    /// The creative prompt's version that wrote it.
    pub prompt_version: i32,
    pub series: Vec<Series>,
    pub trends: Trends,
}

impl Brief {
    pub fn of(plan: &plans::Model) -> Option<Brief> {
        plan.brief.clone().and_then(|b| serde_json::from_value(b).ok())
    }

    /// The series a day of the plan (0-based) belongs to.
    pub fn series_of_day(&self, day_index: i32) -> Option<&Series> {
        self.series.iter().find(|s| s.days.contains(&(day_index + 1)))
    }
}

/// What the creative agent is told.
pub struct CreativeContext {
    pub project: entities::projects::Model,
    pub brand_voice: (i32, String),
    pub what_worked: Option<Value>,
    pub trends: Trends,
}

pub async fn context(db: &DatabaseConnection, scope: &OrgScope, plan_id: Uuid) -> Result<CreativeContext, DomainError> {
    let tx = scope.begin(db).await?;
    let plan = tx.find_by_id::<plans::Entity>(plan_id).one(&*tx).await?.ok_or(DomainError::NotFound("plan"))?;
    let project = projects::get_in(&tx, plan.project_id).await?;
    let measured = performance::measured_posts_in(&tx, project.id, &project.timezone).await?;
    let trends = Trends::of(&measured, chrono::Utc::now().fixed_offset());
    Ok(CreativeContext {
        brand_voice: prompts::current_in(&tx, project.id).await?.brand_voice,
        what_worked: Performance::from_results(measured).for_prompt(),
        trends,
        project,
    })
}

impl CreativeContext {
    /// `{"creative": v, "brand_voice": v}`, recorded with the call.
    pub fn prompt_versions(&self) -> Value {
        json!({"creative": CREATIVE_PROMPT_VERSION, prompts::BRAND_VOICE: self.brand_voice.0})
    }

    /// The chat messages and the JSON schema of the answer (bounded, so a
    /// small model's grammar keeps it short).
    pub fn request(&self) -> (Vec<Value>, Value) {
        let mut task = json!({
            "task": "creative",
            "project": self.project.name,
            "niche": self.project.niche,
            "audience": self.project.audience,
            "language": self.project.language,
            "days": PLAN_DAYS,
            "answer_format": "JSON object {\"series\": [{name, angle, days: [day numbers 1 to 30]}]}",
        });
        if !self.trends.is_empty() {
            task["what_rises"] = json!(self.trends);
        }
        if let Some(what_worked) = &self.what_worked {
            task["what_worked"] = what_worked.clone();
        }
        let mut system = CREATIVE_PROMPT.to_owned();
        if !self.brand_voice.1.is_empty() {
            system.push_str("\n\nBrand voice: ");
            system.push_str(&self.brand_voice.1);
        }
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["series"],
            "properties": {"series": {
                "type": "array", "minItems": 1, "maxItems": MAX_SERIES,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name", "angle", "days"],
                    "properties": {
                        "name": {"type": "string", "minLength": 3, "maxLength": 60},
                        "angle": {"type": "string", "minLength": 10, "maxLength": 200},
                        "days": {"type": "array", "minItems": 1, "maxItems": MAX_DAYS_PER_SERIES,
                            "items": {"type": "integer", "minimum": 1, "maximum": PLAN_DAYS}},
                    },
                },
            }},
        });
        let messages =
            vec![json!({"role": "system", "content": system}), json!({"role": "user", "content": task.to_string()})];
        (messages, schema)
    }
}

/// The series of an answer: an answer that is not the asked JSON is sent
/// back; within it, what cannot be used (a blank or repeated name, a day
/// outside the month or already taken by an earlier series) is dropped, so
/// a small model's brief still helps where it is sound.
pub fn validate(answer: &str) -> Result<Vec<Series>, Vec<String>> {
    #[derive(Deserialize)]
    struct Answer {
        series: Vec<Series>,
    }
    let answer: Answer = serde_json::from_str(answer).map_err(|e| vec![format!("not the asked JSON: {e}")])?;
    let mut names = BTreeSet::new();
    let mut taken = BTreeSet::new();
    let series: Vec<Series> = answer
        .series
        .into_iter()
        .take(MAX_SERIES)
        .filter_map(|s| {
            let name = s.name.trim().to_owned();
            let angle = s.angle.trim().to_owned();
            if name.is_empty() || angle.is_empty() || !names.insert(name.to_lowercase()) {
                return None;
            }
            let days: Vec<i32> =
                s.days.into_iter().filter(|d| (1..=PLAN_DAYS).contains(d) && taken.insert(*d)).collect();
            (!days.is_empty()).then_some(Series { name, angle, days })
        })
        .collect();
    if series.is_empty() {
        return Err(vec!["no usable series: give each a name, an angle and days 1 to 30 not used by another".into()]);
    }
    Ok(series)
}

/// Stores the brief on the plan (a rerun or a regeneration of the plan
/// keeps it: the month's structure people have seen stays).
pub async fn store(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
    brief: &Brief,
) -> Result<plans::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let plan = tx.find_by_id::<plans::Entity>(plan_id).one(&*tx).await?.ok_or(DomainError::NotFound("plan"))?;
    let mut row: plans::ActiveModel = plan.into();
    row.brief = Set(Some(json!(brief)));
    row.updated_at = Set(chrono::Utc::now().fixed_offset());
    let plan = row.update(&*tx).await?;
    tx.commit().await?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_cannot_be_used_is_dropped_and_nothing_usable_is_sent_back() {
        let answer = r#"{"series": [
            {"name": "Five-minute fixes", "angle": "one problem, solved before the video ends", "days": [1, 8, 15, 40]},
            {"name": "five-minute fixes", "angle": "the same name again", "days": [2]},
            {"name": "Pantry rescue", "angle": "dinner from what is left in the cupboard", "days": [8, 9, 0]},
            {"name": "  ", "angle": "no name", "days": [3]}
        ]}"#;
        let series = validate(answer).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].days, [1, 8, 15], "day 40 is not in the month");
        assert_eq!(series[1].days, [9], "day 8 belongs to the first series");
        let brief = Brief { prompt_version: CREATIVE_PROMPT_VERSION, series, trends: Trends::default() };
        assert_eq!(brief.series_of_day(7).map(|s| s.name.as_str()), Some("Five-minute fixes"));
        assert_eq!(brief.series_of_day(8).map(|s| s.name.as_str()), Some("Pantry rescue"));
        assert!(brief.series_of_day(2).is_none());
        assert!(validate(r#"{"series": [{"name": "x", "angle": "y", "days": [31]}]}"#).is_err());
        assert!(validate("Sure! Here are some series").is_err());
    }
}
