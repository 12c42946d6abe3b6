//! What worked: a project's published posts ranked by their latest metric
//! snapshot, with averages by format and by posting time. The planner reads
//! it when it drafts the next month, and people see it on the project.

use crate::{DomainError, OrgScope, TenantTxn};
use entities::{post_metrics, publications, slots};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// How many of the best (and of the weakest) posts are named.
pub const RANKED: usize = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct PostResult {
    pub slot_id: Uuid,
    pub hook: String,
    pub format: String,
    /// The local posting time, "HH:MM".
    pub posting_time: String,
    pub hashtags: Vec<String>,
    /// When it went out (its slot's time before TikTok confirmed it).
    pub posted_at: chrono::DateTime<chrono::FixedOffset>,
    pub views: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
    /// (likes + comments + shares) / views; 0 without views.
    pub engagement: f64,
}

#[cfg(test)]
impl PostResult {
    /// A measured post for tests: posted now, no hashtags, no interactions.
    pub(crate) fn sample(format: &str, posting_time: &str, views: i64) -> PostResult {
        PostResult {
            slot_id: Uuid::now_v7(),
            hook: format!("{format} at {posting_time}"),
            format: format.into(),
            posting_time: posting_time.into(),
            hashtags: Vec::new(),
            posted_at: chrono::Utc::now().fixed_offset(),
            views,
            likes: 0,
            comments: 0,
            shares: 0,
            engagement: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Average {
    pub posts: usize,
    pub avg_views: f64,
    pub avg_engagement: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Performance {
    /// Posts with at least one metric snapshot.
    pub posts_measured: usize,
    /// Most viewed first.
    pub best: Vec<PostResult>,
    /// Least viewed first; never repeats a post named in `best`.
    pub weakest: Vec<PostResult>,
    pub by_format: BTreeMap<String, Average>,
    pub by_posting_time: BTreeMap<String, Average>,
}

impl Performance {
    pub fn from_results(mut results: Vec<PostResult>) -> Performance {
        results.sort_by(|a, b| b.views.cmp(&a.views).then(b.engagement.total_cmp(&a.engagement)));
        let best: Vec<PostResult> = results.iter().take(RANKED).cloned().collect();
        let weakest: Vec<PostResult> = results.iter().skip(best.len()).rev().take(RANKED).cloned().collect();
        let average = |key: fn(&PostResult) -> &str| {
            let mut groups: BTreeMap<String, Vec<&PostResult>> = BTreeMap::new();
            for r in &results {
                groups.entry(key(r).to_owned()).or_default().push(r);
            }
            groups
                .into_iter()
                .map(|(k, posts)| {
                    let n = posts.len() as f64;
                    let avg_views = posts.iter().map(|p| p.views as f64).sum::<f64>() / n;
                    let avg_engagement = posts.iter().map(|p| p.engagement).sum::<f64>() / n;
                    (k, Average { posts: posts.len(), avg_views, avg_engagement })
                })
                .collect()
        };
        Performance {
            posts_measured: results.len(),
            by_format: average(|r| &r.format),
            by_posting_time: average(|r| &r.posting_time),
            best,
            weakest,
        }
    }

    /// What the planner is told, or nothing before the first measured post.
    pub fn for_prompt(&self) -> Option<Value> {
        if self.posts_measured == 0 {
            return None;
        }
        let brief = |r: &PostResult| {
            json!({"hook": r.hook, "format": r.format, "posting_time": r.posting_time,
                "views": r.views, "engagement": (r.engagement * 1000.0).round() / 1000.0})
        };
        Some(json!({
            "posts_measured": self.posts_measured,
            "best_posts": self.best.iter().map(brief).collect::<Vec<_>>(),
            "weakest_posts": self.weakest.iter().map(brief).collect::<Vec<_>>(),
            "average_views_by_format": self.by_format.iter()
                .map(|(k, a)| (k.clone(), json!(a.avg_views.round()))).collect::<serde_json::Map<_, _>>(),
            "average_views_by_posting_time": self.by_posting_time.iter()
                .map(|(k, a)| (k.clone(), json!(a.avg_views.round()))).collect::<serde_json::Map<_, _>>(),
            "guidance": "Learn from these results of this project's earlier posts: favour the formats and angles \
                of the best posts with fresh ideas (never copy their hooks), avoid what the weakest posts did, and \
                say in each rationale which result the idea builds on.",
        }))
    }
}

/// The project's measured posts, each by its latest snapshot.
pub async fn measured_posts_in(
    tx: &TenantTxn,
    project_id: Uuid,
    timezone: &str,
) -> Result<Vec<PostResult>, DomainError> {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let posted: BTreeMap<Uuid, slots::Model> = tx
        .find::<slots::Entity>()
        .filter(slots::Column::ProjectId.eq(project_id))
        .filter(slots::Column::Status.eq(slots::SlotStatus::Published))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let publications: BTreeMap<Uuid, publications::Model> = tx
        .find::<publications::Entity>()
        .filter(publications::Column::SlotId.is_in(posted.keys().copied().collect::<Vec<_>>()))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    // Oldest first, so the last snapshot seen per post is its latest.
    let mut latest: BTreeMap<Uuid, post_metrics::Model> = BTreeMap::new();
    for m in tx
        .find::<post_metrics::Entity>()
        .filter(post_metrics::Column::PublicationId.is_in(publications.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(post_metrics::Column::CapturedAt)
        .all(&**tx)
        .await?
    {
        latest.insert(m.publication_id, m);
    }
    Ok(latest
        .into_iter()
        .filter_map(|(publication, m)| {
            let publication = publications.get(&publication)?;
            let slot = posted.get(&publication.slot_id)?;
            let interactions = m.like_count + m.comment_count + m.share_count;
            Some(PostResult {
                slot_id: slot.id,
                hook: slot.hook.clone(),
                format: slot.format.clone(),
                posting_time: slot.scheduled_at.with_timezone(&tz).format("%H:%M").to_string(),
                hashtags: serde_json::from_value(slot.hashtags.clone()).unwrap_or_default(),
                posted_at: publication.published_at.unwrap_or(slot.scheduled_at),
                views: m.view_count,
                likes: m.like_count,
                comments: m.comment_count,
                shares: m.share_count,
                engagement: if m.view_count > 0 { interactions as f64 / m.view_count as f64 } else { 0.0 },
            })
        })
        .collect())
}

/// What the project's posts did, and the scheduler's posting-time
/// proposal from the same results (one read of them).
pub async fn of_project(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
) -> Result<(Performance, Option<super::posting_times::TimesProposal>), DomainError> {
    let tx = scope.begin(db).await?;
    let project = crate::planning::projects::get_in(&tx, project_id).await?;
    let measured = measured_posts_in(&tx, project.id, &project.timezone).await?;
    let current: Vec<String> =
        crate::planning::projects::posting_times(&project)?.iter().map(|t| t.format("%H:%M").to_string()).collect();
    let proposal = super::posting_times::propose(&measured, &current);
    Ok((Performance::from_results(measured), proposal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(hook: &str, format: &str, time: &str, views: i64, likes: i64) -> PostResult {
        let engagement = if views > 0 { likes as f64 / views as f64 } else { 0.0 };
        PostResult { hook: hook.into(), likes, engagement, ..PostResult::sample(format, time, views) }
    }

    #[test]
    fn posts_rank_by_views_and_average_by_format_and_time() {
        let mut results: Vec<PostResult> =
            (0..12).map(|i| post(&format!("hook {i}"), "tutorial", "09:00", i * 100, i)).collect();
        results.push(post("the hit", "talking_head", "19:00", 50_000, 5_000));
        let p = Performance::from_results(results);
        assert_eq!(p.posts_measured, 13);
        assert_eq!(p.best.iter().map(|r| r.views).collect::<Vec<_>>(), [50_000, 1_100, 1_000, 900, 800]);
        assert_eq!(p.weakest.iter().map(|r| r.views).collect::<Vec<_>>(), [0, 100, 200, 300, 400]);
        assert_eq!(p.by_format["talking_head"], Average { posts: 1, avg_views: 50_000.0, avg_engagement: 0.1 });
        assert_eq!(p.by_format["tutorial"].posts, 12);
        assert_eq!(p.by_posting_time["09:00"].avg_views, 550.0);
        let prompt = p.for_prompt().unwrap();
        assert_eq!(prompt["best_posts"][0]["hook"], "the hit");
        assert_eq!(prompt["average_views_by_posting_time"]["19:00"], 50_000.0);
    }

    #[test]
    fn few_posts_are_never_both_best_and_weakest_and_nothing_measured_says_nothing() {
        let p = Performance::from_results(vec![
            post("a", "tutorial", "09:00", 10, 1),
            post("b", "tutorial", "13:00", 5, 0),
        ]);
        assert_eq!((p.best.len(), p.weakest.len()), (2, 0));
        assert!(Performance::default().for_prompt().is_none());
    }
}
