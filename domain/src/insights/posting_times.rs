//! The scheduler's posting times: from the project's measured posts, when
//! one of its posting times does far worse than its best one, propose
//! moving it next to the best (an hour later, or earlier when that is
//! taken). A person applies the proposal; nothing moves by itself.

use super::performance::PostResult;
use chrono::{NaiveTime, Timelike};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Measured posts a posting time needs before it is judged.
const EVIDENCE: usize = 3;
/// A time whose average views are under this share of the best time's is weak.
const WEAK: f64 = 0.5;

/// New posting times for the project, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimesProposal {
    /// The project's posting times with the weak one moved, in order.
    pub times: Vec<String>,
    pub reason: String,
}

/// The proposal for a project posting at `current`, or `None` while the
/// evidence is thin or no time is much weaker than the best.
pub fn propose(results: &[PostResult], current: &[String]) -> Option<TimesProposal> {
    let mut views: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for r in results.iter().filter(|r| current.contains(&r.posting_time)) {
        views.entry(r.posting_time.as_str()).or_default().push(r.views);
    }
    let mut averages: Vec<(&str, f64)> = views
        .into_iter()
        .filter(|(_, v)| v.len() >= EVIDENCE)
        .map(|(time, v)| (time, v.iter().sum::<i64>() as f64 / v.len() as f64))
        .collect();
    if averages.len() < 2 {
        return None;
    }
    averages.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let (best, best_avg) = averages[0];
    let (weak, weak_avg) = *averages.last()?;
    if weak_avg >= WEAK * best_avg {
        return None;
    }
    let best_at = NaiveTime::parse_from_str(best, "%H:%M").ok()?;
    let taken = |t: &NaiveTime| current.iter().any(|c| c == &t.format("%H:%M").to_string());
    let moved = [1i64, -1, 2, -2]
        .into_iter()
        .map(|hours| best_at.overflowing_add_signed(chrono::Duration::hours(hours)).0)
        .find(|t| !taken(t) && (6..=23).contains(&t.hour()))?
        .format("%H:%M")
        .to_string();
    let mut times: Vec<String> = current.iter().map(|t| if t == weak { moved.clone() } else { t.clone() }).collect();
    times.sort();
    Some(TimesProposal {
        times,
        reason: format!(
            "{best} averages {best_avg:.0} views, {weak} only {weak_avg:.0}: move {weak} to {moved}, next to your best time"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(time: &str, views: i64) -> PostResult {
        PostResult::sample("tutorial", time, views)
    }

    fn times(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_much_weaker_time_moves_next_to_the_best_one() {
        let mut results: Vec<PostResult> = (0..3).map(|_| post("19:00", 5_000)).collect();
        results.extend((0..3).map(|_| post("09:00", 400)));
        results.extend((0..3).map(|_| post("13:00", 3_000)));
        let proposal = propose(&results, &times(&["09:00", "13:00", "19:00"])).expect("09:00 is weak");
        assert_eq!(proposal.times, ["13:00", "19:00", "20:00"]);
        assert_eq!(
            proposal.reason,
            "19:00 averages 5000 views, 09:00 only 400: move 09:00 to 20:00, next to your best time"
        );
        // An hour after the best is taken: an hour before.
        let proposal = propose(&results, &times(&["09:00", "19:00", "20:00"])).expect("09:00 is weak");
        assert_eq!(proposal.times, ["18:00", "19:00", "20:00"]);
    }

    #[test]
    fn thin_evidence_or_close_results_propose_nothing() {
        let results = vec![post("19:00", 5_000), post("09:00", 10)];
        assert!(propose(&results, &times(&["09:00", "19:00"])).is_none(), "one post each is no evidence");
        let mut close: Vec<PostResult> = (0..3).map(|_| post("19:00", 1_000)).collect();
        close.extend((0..3).map(|_| post("09:00", 700)));
        assert!(propose(&close, &times(&["09:00", "19:00"])).is_none());
    }
}
