//! What rises in a project's own results: formats, hashtags and posting
//! times whose recent posts (the last two weeks) draw more views than the
//! same choice did before. The creative agent and the drafting task read it.

use super::performance::PostResult;
use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The recent window, and the one before it that it is compared with.
pub const WINDOW_DAYS: i64 = 14;
/// Recent average views over earlier ones above which a choice rises.
const RISE: f64 = 1.2;
/// The most rising choices named.
const NAMED: usize = 6;

/// A kind of choice a post makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Format,
    Hashtag,
    PostingTime,
}

/// A choice whose recent posts do better than its earlier ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rising {
    pub choice: Choice,
    pub value: String,
    pub recent_posts: usize,
    pub recent_avg_views: f64,
    pub earlier_avg_views: f64,
}

/// What rises over the last weeks, strongest rise first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Trends {
    pub recent_posts: usize,
    pub earlier_posts: usize,
    pub rising: Vec<Rising>,
}

impl Trends {
    /// Compares the last `WINDOW_DAYS` before `now` with the window before.
    pub fn of(results: &[PostResult], now: DateTime<FixedOffset>) -> Trends {
        let recent_from = now - Duration::days(WINDOW_DAYS);
        let earlier_from = recent_from - Duration::days(WINDOW_DAYS);
        // (choice, value) -> (recent views, earlier views)
        let mut views: BTreeMap<(Choice, String), (Vec<i64>, Vec<i64>)> = BTreeMap::new();
        let (mut recent_posts, mut earlier_posts) = (0, 0);
        for post in results.iter().filter(|p| p.posted_at >= earlier_from && p.posted_at <= now) {
            let recent = post.posted_at >= recent_from;
            if recent {
                recent_posts += 1;
            } else {
                earlier_posts += 1;
            }
            let choices = [(Choice::Format, post.format.clone()), (Choice::PostingTime, post.posting_time.clone())]
                .into_iter()
                .chain(post.hashtags.iter().map(|h| (Choice::Hashtag, h.to_lowercase())));
            for key in choices {
                let entry = views.entry(key).or_default();
                if recent { &mut entry.0 } else { &mut entry.1 }.push(post.views);
            }
        }
        let mean = |v: &[i64]| v.iter().sum::<i64>() as f64 / v.len() as f64;
        let mut rising: Vec<Rising> = views
            .into_iter()
            .filter(|(_, (recent, earlier))| !recent.is_empty() && !earlier.is_empty())
            .filter(|(_, (recent, earlier))| mean(recent) > RISE * mean(earlier).max(1.0))
            .map(|((choice, value), (recent, earlier))| Rising {
                choice,
                value,
                recent_posts: recent.len(),
                recent_avg_views: mean(&recent).round(),
                earlier_avg_views: mean(&earlier).round(),
            })
            .collect();
        let ratio = |r: &Rising| r.recent_avg_views / r.earlier_avg_views.max(1.0);
        rising.sort_by(|a, b| ratio(b).total_cmp(&ratio(a)).then(a.value.cmp(&b.value)));
        rising.truncate(NAMED);
        Trends { recent_posts, earlier_posts, rising }
    }

    pub fn is_empty(&self) -> bool {
        self.rising.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn post(days_ago: i64, format: &str, time: &str, tags: &[&str], views: i64) -> PostResult {
        PostResult {
            hashtags: tags.iter().map(|t| t.to_string()).collect(),
            posted_at: Utc::now().fixed_offset() - Duration::days(days_ago),
            ..PostResult::sample(format, time, views)
        }
    }

    #[test]
    fn a_choice_rises_when_its_recent_posts_beat_its_earlier_ones() {
        let results = vec![
            post(20, "tutorial", "09:00", &["#Pasta"], 1_000),
            post(3, "tutorial", "19:00", &["#pasta"], 4_000),
            post(18, "story", "09:00", &["#quick"], 2_000),
            post(2, "story", "09:00", &["#quick"], 2_100),
            // Too old to count.
            post(40, "tutorial", "19:00", &["#pasta"], 1),
        ];
        let trends = Trends::of(&results, Utc::now().fixed_offset());
        assert_eq!((trends.recent_posts, trends.earlier_posts), (2, 2));
        let named: Vec<(Choice, &str)> = trends.rising.iter().map(|r| (r.choice, r.value.as_str())).collect();
        // 09:00 drew 1,500 on average before (1,000 and 2,000) and 2,100 now.
        let expected = [(Choice::Hashtag, "#pasta"), (Choice::Format, "tutorial"), (Choice::PostingTime, "09:00")];
        assert_eq!(named, expected, "{trends:?}");
        assert_eq!((trends.rising[0].recent_avg_views, trends.rising[0].earlier_avg_views), (4_000.0, 1_000.0));
        assert!(!named.contains(&(Choice::Format, "story")), "5 % more is no rise");
    }

    #[test]
    fn nothing_before_or_nothing_recent_is_no_trend() {
        let now = Utc::now().fixed_offset();
        assert!(Trends::of(&[post(2, "tutorial", "09:00", &[], 5_000)], now).is_empty());
        assert!(Trends::of(&[post(20, "tutorial", "09:00", &[], 5_000)], now).is_empty());
        assert!(Trends::of(&[], now).is_empty());
    }
}
