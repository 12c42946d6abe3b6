//! The policy engine: what content may not say. Every org has the built-in
//! TikTok guideline categories (always on, blocking) and its own rules:
//! blocked terms, regular expressions, a built-in category at another
//! severity, or a yes/no question a language model answers (the
//! classifier). Rules run on every draft (a finding is sent back for
//! repair), and before the render and before the post (`gate`): a blocking
//! finding stops the slot's pipeline until an admin overrides it with a
//! reason, for the version they read.

pub mod gate;
pub mod rules;

use crate::DomainError;
pub use entities::policy_rules::Severity;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The version of the classifier's prompt, recorded with every call.
pub const CLASSIFIER_PROMPT_VERSION: i32 = 1;
const CLASSIFIER_PROMPT: &str = "You review short-video scripts for a brand's content policy. For every item and \
every rule, answer whether the item's text breaks the rule (the rule is a yes/no question; yes means it breaks \
it) and why, in one short sentence. Judge only what the text says. Answer with JSON only.";
/// The longest pattern, term list or question a rule may hold.
const TEST_LIMIT: usize = 500;
const TERMS_LIMIT: usize = 100;

/// A built-in category of TikTok's community guidelines.
#[derive(Debug)]
pub struct Category {
    pub name: &'static str,
    pub phrases: &'static [&'static str],
    pub reason: &'static str,
}

/// The built-in categories (every org's drafts and posts are checked for them).
pub const CATEGORIES: &[Category] = &[
    Category {
        name: "medical_claims",
        phrases: &["cures", "cure for", "miracle cure", "guaranteed weight loss", "lose 10 kg", "detox your"],
        reason: "health claims need evidence; TikTok removes misleading medical claims",
    },
    Category {
        name: "financial_promises",
        phrases: &["guaranteed returns", "get rich quick", "risk-free profit", "double your money"],
        reason: "promises of financial gain are restricted",
    },
    Category {
        name: "gambling",
        phrases: &["casino", "betting odds", "place your bets", "sports betting"],
        reason: "gambling promotion is restricted",
    },
    Category {
        name: "weapons",
        phrases: &["buy a gun", "firearm for sale", "how to make a bomb"],
        reason: "weapons content is prohibited",
    },
    Category { name: "drugs", phrases: &["buy weed", "cocaine", "get high"], reason: "drug promotion is prohibited" },
    Category {
        name: "dangerous_challenges",
        phrases: &["blackout challenge", "try this at home dangerous", "choking challenge"],
        reason: "dangerous challenges are prohibited",
    },
    Category {
        name: "hate",
        phrases: &["inferior race", "go back to your country"],
        reason: "hateful content is prohibited",
    },
];

/// What a rule looks for, as stored and as the API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleTest {
    /// Any of these words or phrases, as whole words, in any case.
    Terms { terms: Vec<String> },
    /// A regular expression (case-insensitive).
    Pattern { pattern: String },
    /// One of the built-in categories (`medical_claims`, `financial_promises`,
    /// `gambling`, `weapons`, `drugs`, `dangerous_challenges`, `hate`).
    Category { category: String },
    /// A yes/no question the language model answers about the text ("Does it
    /// compare us with a named competitor?"); yes breaks the rule.
    Classifier { question: String },
}

/// A rule ready to run.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `None` for the built-in guideline rules.
    pub id: Option<Uuid>,
    pub name: String,
    pub severity: Severity,
    check: Check,
}

#[derive(Debug, Clone)]
enum Check {
    Words(Regex),
    Category(&'static Category),
    Classifier(String),
}

impl RuleTest {
    /// Refuses what could not run: an empty term list, a bad or huge
    /// pattern, an unknown category, an empty question.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.compile().map(drop)
    }

    fn compile(&self) -> Result<Check, DomainError> {
        let bad = |message: String| DomainError::invalid("test", message);
        match self {
            RuleTest::Terms { terms } => {
                let terms: Vec<&str> = terms.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect();
                if terms.is_empty() || terms.len() > TERMS_LIMIT || terms.iter().any(|t| t.chars().count() > 100) {
                    return Err(bad(format!("1 to {TERMS_LIMIT} terms of at most 100 characters")));
                }
                let alternatives = terms.iter().map(|t| regex::escape(t)).collect::<Vec<_>>().join("|");
                words(&format!(r"\b(?:{alternatives})\b")).map(Check::Words).map_err(bad)
            }
            RuleTest::Pattern { pattern } => {
                if pattern.trim().is_empty() || pattern.chars().count() > TEST_LIMIT {
                    return Err(bad(format!("a pattern of 1 to {TEST_LIMIT} characters")));
                }
                words(pattern).map(Check::Words).map_err(|e| bad(format!("the pattern does not compile: {e}")))
            }
            RuleTest::Category { category } => CATEGORIES
                .iter()
                .find(|c| c.name == category)
                .map(Check::Category)
                .ok_or_else(|| bad(format!("unknown category {category:?}; one of {}", category_names()))),
            RuleTest::Classifier { question } => {
                let question = question.trim();
                if question.chars().count() < 5 || question.chars().count() > TEST_LIMIT {
                    return Err(bad(format!("a question of 5 to {TEST_LIMIT} characters")));
                }
                Ok(Check::Classifier(question.to_owned()))
            }
        }
    }
}

fn words(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern).case_insensitive(true).size_limit(1 << 20).build().map_err(|e| e.to_string())
}

fn category_names() -> String {
    CATEGORIES.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

/// What a rule found in a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// `null` for a built-in guideline rule.
    pub rule_id: Option<Uuid>,
    pub rule: String,
    pub severity: Severity,
    pub reason: String,
}

impl Finding {
    /// As a review note on the slot.
    pub fn note(&self) -> crate::planning::generation::ReviewNote {
        crate::planning::generation::ReviewNote {
            check: "policy".into(),
            reason: format!("{}: {}", self.rule, self.reason),
        }
    }

    pub fn blocks(&self) -> bool {
        self.severity == Severity::Block
    }
}

/// The text a slot says, as the rules read it.
pub fn slot_text(hook: &str, script: &str, caption: &str, hashtags: &[String]) -> String {
    format!("{hook}\n{script}\n{caption}\n{}", hashtags.join(" "))
}

/// The rules in force for an org: the built-in guidelines, then its own.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::builtin()
    }
}

impl RuleSet {
    /// Only the built-in guideline categories, blocking.
    pub fn builtin() -> RuleSet {
        let rules = CATEGORIES
            .iter()
            .map(|c| Rule {
                id: None,
                name: format!("TikTok guidelines: {}", c.name),
                severity: Severity::Block,
                check: Check::Category(c),
            })
            .collect();
        RuleSet { rules }
    }

    /// The built-in rules and the org's enabled ones. A stored rule that no
    /// longer compiles is skipped (rules are checked when written).
    pub fn with_org_rules(rows: &[entities::policy_rules::Model]) -> RuleSet {
        let mut set = RuleSet::builtin();
        for row in rows.iter().filter(|r| r.enabled) {
            let compiled = serde_json::from_value::<RuleTest>(row.test.clone())
                .map_err(|e| DomainError::invalid("test", e.to_string()))
                .and_then(|t| t.compile());
            match compiled {
                Ok(check) => {
                    set.rules.push(Rule { id: Some(row.id), name: row.name.clone(), severity: row.severity, check })
                }
                Err(e) => {
                    tracing::warn!(rule_id = %row.id, error = %e, "a stored policy rule does not compile; skipped")
                }
            }
        }
        set
    }

    /// What the rules that need no model find in `text`.
    pub fn findings(&self, text: &str) -> Vec<Finding> {
        let lower = text.to_lowercase();
        self.rules
            .iter()
            .filter_map(|rule| {
                let reason = match &rule.check {
                    Check::Words(re) => re.find(text).map(|m| format!("says \"{}\"", m.as_str())),
                    Check::Category(c) => c.phrases.iter().any(|p| lower.contains(p)).then(|| c.reason.to_owned()),
                    Check::Classifier(_) => None,
                }?;
                Some(Finding { rule_id: rule.id, rule: rule.name.clone(), severity: rule.severity, reason })
            })
            .collect()
    }

    /// The rules only a model can judge.
    pub fn classifiers(&self) -> Vec<(&Rule, &str)> {
        self.rules
            .iter()
            .filter_map(|r| match &r.check {
                Check::Classifier(q) => Some((r, q.as_str())),
                _ => None,
            })
            .collect()
    }
}

/// The classifier's call for `items` (key, text) against the set's model
/// rules: chat messages and the JSON schema of the answer, or `None` when
/// the set has no model rule.
pub fn classifier_request(set: &RuleSet, items: &[(String, String)]) -> Option<(Vec<Value>, Value)> {
    let rules = set.classifiers();
    if rules.is_empty() || items.is_empty() {
        return None;
    }
    let task = json!({
        "task": "policy",
        "rules": rules.iter().enumerate().map(|(i, (_, q))| json!({"rule": i, "question": q})).collect::<Vec<_>>(),
        "items": items.iter().map(|(key, text)| json!({"key": key, "text": text})).collect::<Vec<_>>(),
    });
    let keys: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["verdicts"],
        "properties": {"verdicts": {
            "type": "array",
            "maxItems": rules.len() * items.len(),
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["key", "rule", "violates", "reason"],
                "properties": {
                    "key": {"type": "string", "enum": keys},
                    "rule": {"type": "integer", "minimum": 0, "maximum": rules.len() - 1},
                    "violates": {"type": "boolean"},
                    "reason": {"type": "string", "maxLength": 200},
                },
            },
        }},
    });
    let messages = vec![
        json!({"role": "system", "content": CLASSIFIER_PROMPT}),
        json!({"role": "user", "content": task.to_string()}),
    ];
    Some((messages, schema))
}

/// The classifier's findings by item key, from its answer; an answer that
/// does not parse is an error (the call is repaired or retried).
pub fn classifier_findings(set: &RuleSet, answer: &str) -> Result<BTreeMap<String, Vec<Finding>>, String> {
    #[derive(Deserialize)]
    struct Verdict {
        key: String,
        rule: usize,
        violates: bool,
        #[serde(default)]
        reason: String,
    }
    #[derive(Deserialize)]
    struct Answer {
        verdicts: Vec<Verdict>,
    }
    let answer: Answer = serde_json::from_str(answer).map_err(|e| format!("the classifier's answer: {e}"))?;
    let rules = set.classifiers();
    let mut found: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for v in answer.verdicts.into_iter().filter(|v| v.violates) {
        let (rule, question) = rules.get(v.rule).ok_or_else(|| format!("the classifier named rule {}", v.rule))?;
        let reason =
            if v.reason.trim().is_empty() { format!("the model answered yes to \"{question}\"") } else { v.reason };
        let list = found.entry(v.key).or_default();
        if !list.iter().any(|f| f.rule == rule.name) {
            list.push(Finding { rule_id: rule.id, rule: rule.name.clone(), severity: rule.severity, reason });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, test: RuleTest, severity: Severity) -> entities::policy_rules::Model {
        let now = chrono::Utc::now().fixed_offset();
        entities::policy_rules::Model {
            id: Uuid::new_v4(),
            org_id: Uuid::new_v4(),
            name: name.into(),
            test: serde_json::to_value(test).unwrap(),
            severity,
            enabled: true,
            created_by: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn terms_match_whole_words_in_any_case_and_patterns_match_as_written() {
        let set = RuleSet::with_org_rules(&[
            rule("competitors", RuleTest::Terms { terms: vec!["AcmeCorp".into(), "Brand X".into()] }, Severity::Block),
            rule("prices", RuleTest::Pattern { pattern: r"\$\d+".into() }, Severity::Warn),
        ]);
        let found = set.findings("Why brand x beats everyone, from $5 a week");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].rule.as_str(), found[0].reason.as_str()), ("competitors", "says \"brand x\""));
        assert!(found[0].blocks() && !found[1].blocks());
        assert_eq!(found[1].reason, "says \"$5\"");
        assert!(set.findings("acmecorporation is not the same word").is_empty());
    }

    #[test]
    fn the_built_in_guidelines_always_run_and_a_disabled_rule_does_not() {
        let mut off = rule("off", RuleTest::Terms { terms: vec!["pasta".into()] }, Severity::Block);
        off.enabled = false;
        let set = RuleSet::with_org_rules(&[off]);
        let found = set.findings("This miracle cure for pasta cravings");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "TikTok guidelines: medical_claims");
        assert!(found[0].rule_id.is_none() && found[0].blocks());
    }

    #[test]
    fn the_guidelines_flag_restricted_claims_in_a_draft_with_reasons() {
        let set = RuleSet::builtin();
        assert!(set.findings(&slot_text("Pasta tonight", "Boil the water.", "Dinner", &["#pasta".into()])).is_empty());
        let text = slot_text("Tea", "Drink it.", "This tea CURES anxiety, guaranteed returns on your health", &[]);
        let reasons: Vec<String> = set.findings(&text).iter().map(|f| f.note().reason).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].starts_with("TikTok guidelines: medical_claims: health claims"));
        assert!(reasons[1].starts_with("TikTok guidelines: financial_promises"));
    }

    #[test]
    fn a_rule_that_could_not_run_is_refused_when_written() {
        for bad in [
            RuleTest::Terms { terms: vec![" ".into()] },
            RuleTest::Pattern { pattern: "(unclosed".into() },
            RuleTest::Pattern { pattern: "a{1000}{1000}".into() },
            RuleTest::Category { category: "astrology".into() },
            RuleTest::Classifier { question: "?".into() },
        ] {
            assert!(matches!(bad.compile(), Err(DomainError::Invalid { field: "test", .. })), "{bad:?}");
        }
    }

    #[test]
    fn the_classifier_asks_about_every_item_and_reads_back_only_what_breaks_a_rule() {
        let set = RuleSet::with_org_rules(&[rule(
            "no rivals",
            RuleTest::Classifier { question: "Does it name a competitor?".into() },
            Severity::Block,
        )]);
        let items = vec![("a".to_owned(), "We beat AcmeCorp".to_owned()), ("b".to_owned(), "Pasta".to_owned())];
        let (messages, schema) = classifier_request(&set, &items).expect("a model rule");
        let task: Value = serde_json::from_str(messages[1]["content"].as_str().unwrap()).unwrap();
        assert_eq!(task["rules"][0]["question"], "Does it name a competitor?");
        assert_eq!(schema["properties"]["verdicts"]["items"]["properties"]["key"]["enum"], json!(["a", "b"]));
        let answer = r#"{"verdicts": [{"key": "a", "rule": 0, "violates": true, "reason": "names AcmeCorp"},
            {"key": "b", "rule": 0, "violates": false, "reason": ""}]}"#;
        let found = classifier_findings(&set, answer).unwrap();
        assert_eq!(found.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(found["a"][0].reason, "names AcmeCorp");
        assert!(classifier_findings(&set, r#"{"verdicts": [{"key": "a", "rule": 3, "violates": true}]}"#).is_err());
        assert!(classifier_request(&RuleSet::builtin(), &items).is_none());
    }
}
