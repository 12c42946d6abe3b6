//! What the model is asked for and how its answer is checked: the batch
//! JSON Schema, the validation whose errors feed the repair loop, the first
//! content policy and the similarity guard.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub const FORMATS: [&str; 6] = ["talking_head", "voiceover_broll", "listicle", "tutorial", "story", "myth_vs_fact"];

/// One drafted slot as the model returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftSlot {
    pub day_index: i32,
    pub slot_index: i32,
    pub hook: String,
    pub script: String,
    pub caption: String,
    pub hashtags: Vec<String>,
    pub format: String,
    pub confidence: f32,
    pub rationale: String,
    /// The script cut into scenes; fitted to the script before it is stored.
    pub shots: Vec<crate::media::shots::Shot>,
}

fn slot_schema(day_index: i32, slot_index: i32) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["day_index", "slot_index", "hook", "script", "caption", "hashtags", "format", "confidence",
                     "rationale", "shots"],
        "properties": {
            "day_index": {"const": day_index},
            "slot_index": {"const": slot_index},
            "hook": {"type": "string", "minLength": 5, "maxLength": 150},
            // About a minute of voice; a person may write longer (up to 2000).
            "script": {"type": "string", "minLength": 20, "maxLength": 1000},
            "caption": {"type": "string", "minLength": 1, "maxLength": 2200},
            "hashtags": {"type": "array", "maxItems": 10, "items": {"type": "string", "pattern": "^#[A-Za-z0-9_]{1,50}$"}},
            "format": {"enum": FORMATS},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "rationale": {"type": "string", "minLength": 5, "maxLength": 500},
            "shots": crate::media::shots::schema()
        }
    })
}

/// The JSON Schema of a batch answer: exactly the `expected` (day, slot)
/// entries, in order, each with every field. Precise enough that a local
/// model constrained by it as a grammar can only answer what was asked.
pub fn batch_schema(expected: &[(i32, i32)]) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["slots"],
        "properties": {
            "slots": {
                "type": "array",
                "minItems": expected.len(),
                "maxItems": expected.len(),
                "prefixItems": expected.iter().map(|(d, s)| slot_schema(*d, *s)).collect::<Vec<_>>()
            }
        }
    })
}

/// Parses and checks a model answer for the `expected` (day, slot) pairs.
/// The errors are written for the model: the repair loop sends them back.
pub fn validate_batch(content: &str, expected: &[(i32, i32)]) -> Result<Vec<DraftSlot>, Vec<String>> {
    let body = strip_code_fence(content);
    let mut value: Value =
        serde_json::from_str(body).map_err(|e| vec![format!("the answer is not valid JSON: {e}")])?;
    normalize_percentages(&mut value);
    let schema = batch_schema(expected);
    let validator = jsonschema::validator_for(&schema).expect("the batch schema is a valid JSON Schema");
    let errors: Vec<String> =
        validator.iter_errors(&value).take(20).map(|e| format!("at {}: {}", e.instance_path(), e)).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    // The schema pins every entry's (day, slot), so a valid answer is complete.
    serde_json::from_value(value["slots"].clone()).map_err(|e| vec![format!("slots have the wrong shape: {e}")])
}

/// Models often give confidence as a percentage ("85"); a grammar cannot
/// bound a number either. Values in (1, 100] are read as percentages.
fn normalize_percentages(value: &mut Value) {
    for slot in value["slots"].as_array_mut().into_iter().flatten() {
        if let Some(c) = slot["confidence"].as_f64().filter(|c| *c > 1.0 && *c <= 100.0) {
            slot["confidence"] = json!(c / 100.0);
        }
    }
}

/// Models often wrap JSON in a Markdown fence despite being asked not to.
pub(crate) fn strip_code_fence(content: &str) -> &str {
    let trimmed = content.trim();
    trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.trim_end().strip_suffix("```"))
        .map(str::trim)
        .unwrap_or(trimmed)
}

/// A finding for the person reviewing the slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewNote {
    /// policy or similarity.
    pub check: String,
    pub reason: String,
}

/// Restricted content (TikTok's community guidelines and branded-content
/// rules): a category, the words that trigger it, and the reason shown.
const RESTRICTED: &[(&str, &[&str], &str)] = &[
    (
        "medical_claims",
        &["cures", "cure for", "miracle cure", "guaranteed weight loss", "lose 10 kg", "detox your"],
        "health claims need evidence; TikTok removes misleading medical claims",
    ),
    (
        "financial_promises",
        &["guaranteed returns", "get rich quick", "risk-free profit", "double your money"],
        "promises of financial gain are restricted",
    ),
    ("gambling", &["casino", "betting odds", "place your bets", "sports betting"], "gambling promotion is restricted"),
    ("weapons", &["buy a gun", "firearm for sale", "how to make a bomb"], "weapons content is prohibited"),
    ("drugs", &["buy weed", "cocaine", "get high"], "drug promotion is prohibited"),
    (
        "dangerous_challenges",
        &["blackout challenge", "try this at home dangerous", "choking challenge"],
        "dangerous challenges are prohibited",
    ),
    ("hate", &["inferior race", "go back to your country"], "hateful content is prohibited"),
];

/// The first content policy: which restricted categories a slot touches.
pub fn policy_findings(slot: &DraftSlot) -> Vec<ReviewNote> {
    let text = format!("{} {} {} {}", slot.hook, slot.script, slot.caption, slot.hashtags.join(" ")).to_lowercase();
    RESTRICTED
        .iter()
        .filter(|(_, words, _)| words.iter().any(|w| text.contains(w)))
        .map(|(category, _, reason)| ReviewNote { check: "policy".into(), reason: format!("{category}: {reason}") })
        .collect()
}

/// Word-trigram shingles of the hook and caption, for the similarity guard.
pub fn shingles(hook: &str, caption: &str) -> BTreeSet<String> {
    let words: Vec<String> = format!("{hook} {caption}")
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if words.len() < 3 {
        return words.into_iter().collect();
    }
    words.windows(3).map(|w| w.join(" ")).collect()
}

/// Jaccard similarity of two shingle sets, 0 (nothing shared) to 1 (same).
pub fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = a.intersection(b).count() as f64;
    shared / (a.len() as f64 + b.len() as f64 - shared)
}

/// Above this, two slots are near-duplicates.
pub const SIMILARITY_LIMIT: f64 = 0.6;

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(day: i32, index: i32) -> Value {
        json!({"day_index": day, "slot_index": index, "hook": "A hook that works", "script": "Twenty characters of script at least.",
               "caption": "caption", "hashtags": ["#ok"], "format": "tutorial", "confidence": 0.7, "rationale": "because it fits",
               "shots": [{"text": "Twenty characters of script at least.", "visual": "footage", "search": ["script"]}]})
    }

    #[test]
    fn a_valid_batch_passes_even_inside_a_code_fence() {
        let content = format!("```json\n{}\n```", json!({"slots": [slot(0, 0), slot(0, 1)]}));
        let slots = validate_batch(&content, &[(0, 0), (0, 1)]).unwrap();
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[1].slot_index, 1);
    }

    #[test]
    fn errors_name_what_is_wrong_for_the_repair_prompt() {
        let errors = validate_batch("{\"slots\": [", &[(0, 0)]).unwrap_err();
        assert!(errors[0].contains("not valid JSON"), "{errors:?}");

        let mut percent = slot(0, 0);
        percent["confidence"] = json!(85);
        let slots = validate_batch(&json!({"slots": [percent]}).to_string(), &[(0, 0)]).unwrap();
        assert!((slots[0].confidence - 0.85).abs() < 1e-6, "a percentage is read as a fraction");

        let mut bad = slot(0, 0);
        bad["confidence"] = json!(170);
        bad["format"] = json!("dance");
        let errors = validate_batch(&json!({"slots": [bad]}).to_string(), &[(0, 0)]).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("/slots/0/confidence")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("/slots/0/format")), "{errors:?}");

        let errors =
            validate_batch(&json!({"slots": [slot(0, 0), slot(0, 0)]}).to_string(), &[(0, 0), (0, 1)]).unwrap_err();
        assert_eq!(errors, vec!["at /slots/1/slot_index: 1 was expected"], "the schema pins each entry");
    }

    #[test]
    fn the_policy_flags_restricted_claims_with_reasons() {
        let mut s: DraftSlot = serde_json::from_value(slot(0, 0)).unwrap();
        assert!(policy_findings(&s).is_empty());
        s.caption = "This tea CURES anxiety, guaranteed returns on your health".into();
        let findings = policy_findings(&s);
        let reasons: Vec<&str> = findings.iter().map(|f| f.reason.as_str()).collect();
        assert_eq!(findings.len(), 2, "{reasons:?}");
        assert!(reasons[0].starts_with("medical_claims"));
        assert!(reasons[1].starts_with("financial_promises"));
    }

    #[test]
    fn near_duplicates_score_high_and_different_ideas_low() {
        let a = shingles("Three pasta mistakes everyone makes", "fix your pasta tonight");
        let b = shingles("Three pasta mistakes everyone makes!", "Fix your pasta tonight.");
        let c = shingles("How to sharpen a kitchen knife", "a sharp knife is a safe knife");
        assert!(similarity(&a, &b) > 0.99);
        assert!(similarity(&a, &c) < 0.1);
        assert!(similarity(&a, &b) > SIMILARITY_LIMIT && similarity(&a, &c) < SIMILARITY_LIMIT);
    }
}
