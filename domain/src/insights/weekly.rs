//! The analytics agent: once a week per project (a Temporal Schedule), the
//! model reads the project's results (what worked, what rises) and writes
//! what worked and what to try next; the summary is stored per week and
//! shown on the project page.

use super::{
    performance::{self, Performance},
    trends::Trends,
};
use crate::{DomainError, OrgScope, planning::projects};
use chrono::{Datelike, NaiveDate};
use entities::project_summaries;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

/// The version of the analytics agent's prompt, recorded with its calls and summaries.
pub const ANALYTICS_PROMPT_VERSION: i32 = 1;
const ANALYTICS_PROMPT: &str = "You are the analyst of a short-video channel on TikTok. From the channel's own \
results, write this week's summary for the team: a one-sentence headline, up to three things that worked (name \
the post, format, hashtag or posting time and its numbers) and up to three things to try next week. Be concrete \
and brief; never invent numbers. Answer with JSON only.";
/// Summaries a project page shows.
pub const SUMMARIES_SHOWN: u64 = 12;

/// What the agent wrote about a week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub headline: String,
    pub worked: Vec<String>,
    pub try_next: Vec<String>,
    /// Posts with results when it was written.
    #[serde(default)]
    pub posts_measured: usize,
    #[serde(default)]
    pub trends: Trends,
}

/// What the agent reads about a project's week.
pub struct WeekContext {
    pub project: entities::projects::Model,
    pub week_start: NaiveDate,
    pub posts_measured: usize,
    pub what_worked: Option<Value>,
    pub trends: Trends,
}

/// The Monday of `day`'s week.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
}

pub async fn context(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<WeekContext, DomainError> {
    let tx = scope.begin(db).await?;
    let project = projects::get_in(&tx, project_id).await?;
    let measured = performance::measured_posts_in(&tx, project.id, &project.timezone).await?;
    let trends = Trends::of(&measured, now);
    let performance = Performance::from_results(measured);
    Ok(WeekContext {
        week_start: week_start(now.date_naive()),
        posts_measured: performance.posts_measured,
        what_worked: performance.for_prompt(),
        trends,
        project,
    })
}

impl WeekContext {
    /// Nothing to sum up before the first post has results: no call.
    pub fn has_results(&self) -> bool {
        self.posts_measured > 0
    }

    pub fn prompt_versions(&self) -> Value {
        json!({"analytics": ANALYTICS_PROMPT_VERSION})
    }

    /// The chat messages and the (bounded) JSON schema of the answer.
    pub fn request(&self) -> (Vec<Value>, Value) {
        let mut task = json!({
            "task": "analytics",
            "project": self.project.name,
            "niche": self.project.niche,
            "week_of": self.week_start.to_string(),
            "answer_format": "JSON object {\"headline\": string, \"worked\": [string], \"try_next\": [string]}",
        });
        if let Some(what_worked) = &self.what_worked {
            task["what_worked"] = what_worked.clone();
        }
        if !self.trends.is_empty() {
            task["what_rises"] = json!(self.trends);
        }
        let line = json!({"type": "string", "minLength": 5, "maxLength": 240});
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["headline", "worked", "try_next"],
            "properties": {
                "headline": {"type": "string", "minLength": 5, "maxLength": 160},
                "worked": {"type": "array", "maxItems": 3, "items": line},
                "try_next": {"type": "array", "minItems": 1, "maxItems": 3, "items": line},
            },
        });
        let messages = vec![
            json!({"role": "system", "content": ANALYTICS_PROMPT}),
            json!({"role": "user", "content": task.to_string()}),
        ];
        (messages, schema)
    }

    /// The summary in an answer, with the figures it was written from.
    pub fn validate(&self, answer: &str) -> Result<Summary, Vec<String>> {
        #[derive(Deserialize)]
        struct Answer {
            headline: String,
            worked: Vec<String>,
            try_next: Vec<String>,
        }
        let a: Answer = serde_json::from_str(answer).map_err(|e| vec![format!("not the asked JSON: {e}")])?;
        let clean = |lines: Vec<String>| -> Vec<String> {
            lines.into_iter().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).take(3).collect()
        };
        let (headline, worked, try_next) = (a.headline.trim().to_owned(), clean(a.worked), clean(a.try_next));
        if headline.is_empty() || try_next.is_empty() {
            return Err(vec!["give a headline and at least one thing to try next".into()]);
        }
        Ok(Summary { headline, worked, try_next, posts_measured: self.posts_measured, trends: self.trends.clone() })
    }
}

/// Stores the week's summary, replacing an earlier one of the same week.
pub async fn store(
    db: &DatabaseConnection,
    scope: &OrgScope,
    context: &WeekContext,
    summary: &Summary,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    projects::get_in(&tx, context.project.id).await?;
    project_summaries::Entity::insert(project_summaries::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        project_id: Set(context.project.id),
        week_start: Set(context.week_start),
        summary: Set(json!(summary)),
        prompt_version: Set(ANALYTICS_PROMPT_VERSION),
        created_at: Set(chrono::Utc::now().fixed_offset()),
    })
    .on_conflict(
        OnConflict::columns([project_summaries::Column::ProjectId, project_summaries::Column::WeekStart])
            .update_columns([
                project_summaries::Column::Summary,
                project_summaries::Column::PromptVersion,
                project_summaries::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The project's summaries, newest week first.
pub async fn list(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
) -> Result<Vec<project_summaries::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    projects::get_in(&tx, project_id).await?;
    Ok(tx
        .find::<project_summaries::Entity>()
        .filter(project_summaries::Column::ProjectId.eq(project_id))
        .order_by_desc(project_summaries::Column::WeekStart)
        .limit(SUMMARIES_SHOWN)
        .all(&*tx)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_starts_on_its_monday() {
        let thursday = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(week_start(thursday), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(week_start(monday), monday);
    }
}
