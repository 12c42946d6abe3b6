//! The scheduler that learns: a UCB1 bandit over (posting time, format)
//! arms, fed by the project's measured posts, suggesting a format for every
//! slot of the next plan. A post's reward is its views' percentile among
//! the project's measured posts (0 = fewest, 1 = most), so one viral post
//! does not drown the rest. Deterministic: the same results and grid give
//! the same suggestions, so every batch of a plan agrees.

use crate::{insights::performance::PostResult, planning::generation::FORMATS};
use std::collections::BTreeMap;

/// How much an arm's uncertainty counts against its known mean.
const EXPLORATION: f64 = 0.5;
/// The reward assumed for an arm nothing is known about (neither at this
/// time nor in any other), when it is tried for the first time.
const UNKNOWN_REWARD: f64 = 0.5;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Arm {
    pulls: f64,
    reward: f64,
}

impl Arm {
    fn mean(&self) -> Option<f64> {
        (self.pulls > 0.0).then(|| self.reward / self.pulls)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub format: String,
    /// Why, for the model and the person reading the rationale.
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct FormatBandit {
    /// What the posts did, by (posting time, format).
    measured: BTreeMap<(String, String), Arm>,
    /// Suggestions made so far, each at its arm's expected reward.
    planned: BTreeMap<(String, String), Arm>,
}

/// Each post's views as a percentile among all measured posts (ties share
/// their average rank); a single post scores the middle.
pub fn rewards(results: &[PostResult]) -> Vec<f64> {
    let n = results.len();
    results
        .iter()
        .map(|r| {
            if n < 2 {
                return 0.5;
            }
            let below = results.iter().filter(|o| o.views < r.views).count() as f64;
            let ties = results.iter().filter(|o| o.views == r.views).count() as f64 - 1.0;
            (below + ties / 2.0) / (n - 1) as f64
        })
        .collect()
}

fn add(arms: &mut BTreeMap<(String, String), Arm>, time: &str, format: &str, reward: f64) {
    let arm = arms.entry((time.to_owned(), format.to_owned())).or_default();
    arm.pulls += 1.0;
    arm.reward += reward;
}

fn get(arms: &BTreeMap<(String, String), Arm>, time: &str, format: &str) -> Arm {
    arms.get(&(time.to_owned(), format.to_owned())).copied().unwrap_or_default()
}

impl FormatBandit {
    pub fn from_results(results: &[PostResult]) -> FormatBandit {
        let mut measured = BTreeMap::new();
        for (r, reward) in results.iter().zip(rewards(results)) {
            add(&mut measured, &r.posting_time, &r.format, reward);
        }
        FormatBandit { measured, planned: BTreeMap::new() }
    }

    /// Measured and planned pulls of one arm together.
    fn arm(&self, time: &str, format: &str) -> Arm {
        let (m, p) = (get(&self.measured, time, format), get(&self.planned, time, format));
        Arm { pulls: m.pulls + p.pulls, reward: m.reward + p.reward }
    }

    /// The format's measured mean over every posting time.
    fn pooled_mean(&self, format: &str) -> Option<f64> {
        let pooled = self
            .measured
            .iter()
            .filter(|((_, f), _)| f == format)
            .fold(Arm::default(), |sum, (_, a)| Arm { pulls: sum.pulls + a.pulls, reward: sum.reward + a.reward });
        pooled.mean()
    }

    /// A format for each slot, in grid order (`times` are the slots' local
    /// posting times). Each suggestion counts as a pull of its arm at the
    /// arm's expected reward, so one plan spreads over the arms it is unsure
    /// of instead of betting every slot on one.
    pub fn suggest(&mut self, times: &[String]) -> Vec<Suggestion> {
        times.iter().map(|time| self.suggest_one(time)).collect()
    }

    fn suggest_one(&mut self, time: &str) -> Suggestion {
        let total: f64 = FORMATS.iter().map(|f| self.arm(time, f).pulls).sum();
        let score = |format: &str| {
            let arm = self.arm(time, format);
            match arm.mean() {
                None => f64::INFINITY,
                Some(mean) => mean + EXPLORATION * ((total + 1.0).ln() / arm.pulls).sqrt(),
            }
        };
        // The best score; untried arms score infinity, the first in FORMATS wins ties.
        let mut format = FORMATS[0];
        let mut best = score(format);
        for candidate in &FORMATS[1..] {
            let s = score(candidate);
            if s > best {
                (format, best) = (candidate, s);
            }
        }
        let measured = get(&self.measured, time, format);
        let reason = match (measured.mean(), self.pooled_mean(format)) {
            (Some(mean), _) => format!(
                "{format} at {time} scored {:.0}% on views over {} post(s) so far",
                mean * 100.0,
                measured.pulls
            ),
            (None, Some(pooled)) => {
                format!("{format} is untested at {time}; it scored {:.0}% at other times, worth a try", pooled * 100.0)
            }
            (None, None) => format!("{format} is untested for this project; trying it to learn"),
        };
        let expected = self.arm(time, format).mean().or_else(|| self.pooled_mean(format)).unwrap_or(UNKNOWN_REWARD);
        add(&mut self.planned, time, format, expected);
        Suggestion { format: format.to_owned(), reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(time: &str, format: &str, views: i64) -> PostResult {
        PostResult::sample(format, time, views)
    }

    fn count(suggestions: &[Suggestion], format: &str) -> usize {
        suggestions.iter().filter(|s| s.format == format).count()
    }

    #[test]
    fn rewards_are_view_percentiles_with_shared_ties() {
        let posts = [post("09:00", "story", 10), post("09:00", "story", 500), post("09:00", "story", 500)];
        assert_eq!(rewards(&posts), [0.0, 0.75, 0.75]);
        assert_eq!(rewards(&posts[..1]), [0.5]);
    }

    #[test]
    fn with_nothing_measured_every_format_is_tried_in_turn() {
        let times = vec!["09:00".to_owned(); 12];
        let suggestions = FormatBandit::default().suggest(&times);
        for format in FORMATS {
            assert_eq!(count(&suggestions, format), 2, "{format}: {suggestions:?}");
        }
        assert!(suggestions[0].reason.contains("untested for this project"));
    }

    #[test]
    fn the_winning_format_at_a_time_gets_most_slots_but_the_rest_are_still_explored() {
        let mut posts = Vec::new();
        for _ in 0..3 {
            posts.push(post("19:00", "talking_head", 20_000));
            posts.push(post("19:00", "listicle", 50));
            posts.push(post("09:00", "listicle", 9_000));
            posts.push(post("09:00", "talking_head", 40));
        }
        let times: Vec<String> = (0..30).flat_map(|_| ["09:00".to_owned(), "19:00".to_owned()]).collect();
        let suggestions = FormatBandit::from_results(&posts).suggest(&times);
        let at = |time: &str| -> Vec<Suggestion> {
            times.iter().zip(&suggestions).filter(|(t, _)| *t == time).map(|(_, s)| s.clone()).collect()
        };
        let (morning, evening) = (at("09:00"), at("19:00"));
        let most = |s: &[Suggestion]| FORMATS.iter().copied().max_by_key(|f| count(s, f)).unwrap();
        assert_eq!(most(&evening), "talking_head", "{evening:?}");
        assert_eq!(most(&morning), "listicle", "{morning:?}");
        assert!(count(&evening, "talking_head") > 10, "{evening:?}");
        // Formats never posted at 19:00 still get a try there.
        assert!(count(&evening, "story") >= 1, "{evening:?}");
        let proven = evening.iter().find(|s| s.format == "talking_head").unwrap();
        assert!(proven.reason.contains("talking_head at 19:00 scored"), "{}", proven.reason);
        // The same inputs give the same plan, so every batch agrees.
        assert_eq!(FormatBandit::from_results(&posts).suggest(&times), suggestions);
    }
}
