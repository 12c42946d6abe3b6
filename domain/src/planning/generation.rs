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

/// How long a drafted script may be, sized to the video it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub script_chars: (usize, usize),
}

/// Characters of a spoken English word with its space, on average.
const CHARS_PER_WORD: f64 = 6.0;
const SCRIPT_MIN_CHARS: usize = 80;
const SCRIPT_MAX_CHARS: usize = 1000;

impl Bounds {
    /// A script the voice says within `max_secs` (at most about a minute:
    /// short videos do better, and small models ramble into any room).
    pub fn for_video(max_secs: f64) -> Bounds {
        let fits = (max_secs.min(60.0) * super::qa::WORDS_PER_SECOND * CHARS_PER_WORD) as usize;
        Bounds { script_chars: (SCRIPT_MIN_CHARS, fits.clamp(SCRIPT_MIN_CHARS + 40, SCRIPT_MAX_CHARS)) }
    }
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds::for_video(60.0)
    }
}

fn slot_schema(day_index: i32, slot_index: i32, bounds: &Bounds) -> Value {
    let (script_min, script_max) = bounds.script_chars;
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["day_index", "slot_index", "hook", "script", "caption", "hashtags", "format", "confidence",
                     "rationale", "shots"],
        "properties": {
            "day_index": {"const": day_index},
            "slot_index": {"const": slot_index},
            "hook": {"type": "string", "minLength": 10, "maxLength": 150},
            // Eight seconds up to the video's length of voice (2.5 words a
            // second); a person may write longer (up to 2000).
            "script": {"type": "string", "minLength": script_min, "maxLength": script_max},
            "caption": {"type": "string", "minLength": 1, "maxLength": 300},
            // Words people search for: letters and digits, a few of them.
            "hashtags": {"type": "array", "minItems": 1, "maxItems": 5,
                         "items": {"type": "string", "pattern": "^#[A-Za-z][A-Za-z0-9]{1,29}$"}},
            "format": {"enum": FORMATS},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "rationale": {"type": "string", "minLength": 10, "maxLength": 300},
            "shots": crate::media::shots::schema()
        }
    })
}

/// The JSON Schema of a batch answer: exactly the `expected` (day, slot)
/// entries, in order, each with every field. Precise enough that a local
/// model constrained by it as a grammar can only answer what was asked.
pub fn batch_schema(expected: &[(i32, i32)], bounds: &Bounds) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["slots"],
        "properties": {
            "slots": {
                "type": "array",
                "minItems": expected.len(),
                "maxItems": expected.len(),
                "prefixItems": expected.iter().map(|(d, s)| slot_schema(*d, *s, bounds)).collect::<Vec<_>>()
            }
        }
    })
}

/// Parses and checks a model answer for the `expected` (day, slot) pairs.
/// The errors are written for the model: the repair loop sends them back.
pub fn validate_batch(content: &str, expected: &[(i32, i32)], bounds: &Bounds) -> Result<Vec<DraftSlot>, Vec<String>> {
    let body = strip_code_fence(content);
    let mut value: Value =
        serde_json::from_str(body).map_err(|e| vec![format!("the answer is not valid JSON: {e}")])?;
    normalize_percentages(&mut value);
    let schema = batch_schema(expected, bounds);
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

    const SCRIPT: &str =
        "Salt the water until it tastes like the sea, then wait for a rolling boil before the pasta goes in.";

    fn slot(day: i32, index: i32) -> Value {
        json!({"day_index": day, "slot_index": index, "hook": "A hook that works", "script": SCRIPT,
               "caption": "caption", "hashtags": ["#ok"], "format": "tutorial", "confidence": 0.7, "rationale": "because it fits",
               "shots": [{"text": SCRIPT, "visual": "footage", "search": ["script"]}]})
    }

    #[test]
    fn a_valid_batch_passes_even_inside_a_code_fence() {
        let content = format!("```json\n{}\n```", json!({"slots": [slot(0, 0), slot(0, 1)]}));
        let slots = validate_batch(&content, &[(0, 0), (0, 1)], &Bounds::default()).unwrap();
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[1].slot_index, 1);
    }

    #[test]
    fn errors_name_what_is_wrong_for_the_repair_prompt() {
        let errors = validate_batch("{\"slots\": [", &[(0, 0)], &Bounds::default()).unwrap_err();
        assert!(errors[0].contains("not valid JSON"), "{errors:?}");

        let mut percent = slot(0, 0);
        percent["confidence"] = json!(85);
        let slots = validate_batch(&json!({"slots": [percent]}).to_string(), &[(0, 0)], &Bounds::default()).unwrap();
        assert!((slots[0].confidence - 0.85).abs() < 1e-6, "a percentage is read as a fraction");

        let mut bad = slot(0, 0);
        bad["confidence"] = json!(170);
        bad["format"] = json!("dance");
        let errors = validate_batch(&json!({"slots": [bad]}).to_string(), &[(0, 0)], &Bounds::default()).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("/slots/0/confidence")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("/slots/0/format")), "{errors:?}");

        let errors = validate_batch(
            &json!({"slots": [slot(0, 0), slot(0, 0)]}).to_string(),
            &[(0, 0), (0, 1)],
            &Bounds::default(),
        )
        .unwrap_err();
        assert_eq!(errors, vec!["at /slots/1/slot_index: 1 was expected"], "the schema pins each entry");
    }

    /// The offline model's degenerate drafts (issue 16): the schema, and so
    /// the grammar a local model is held to, refuses them.
    #[test]
    fn the_schema_bounds_what_a_small_model_rambled_into() {
        let refused = |field: &str, value: Value| {
            let mut bad = slot(0, 0);
            bad[field] = value;
            let errors =
                validate_batch(&json!({"slots": [bad]}).to_string(), &[(0, 0)], &Bounds::default()).unwrap_err();
            assert!(errors.iter().any(|e| e.contains(&format!("/slots/0/{field}"))), "{field}: {errors:?}");
        };
        refused("script", json!("Sushi is very good."));
        refused("script", json!(format!("Sushi time! {}", "#Sushi ".repeat(158))));
        refused("hashtags", json!(["#balenad_1_2_2_2"]));
        refused("hashtags", json!(["#a", "#b", "#c", "#d", "#e", "#f"].map(|t| format!("{t}ood"))));
        refused("hashtags", json!([]));
        refused("hook", json!("#Sushi"));
        refused("caption", json!("x".repeat(301)));
        refused("rationale", json!("r".repeat(301)));
        // The script fits the video: 20 s of voice is about 300 characters.
        assert_eq!(Bounds::for_video(20.0).script_chars, (80, 300));
        assert_eq!(Bounds::for_video(600.0).script_chars, (80, 900), "about a minute at most");
        let mut long = slot(0, 0);
        long["script"] = json!("Salt the water. ".repeat(25));
        let batch = json!({"slots": [long]}).to_string();
        assert!(validate_batch(&batch, &[(0, 0)], &Bounds::default()).is_ok());
        assert!(validate_batch(&batch, &[(0, 0)], &Bounds::for_video(20.0)).is_err());
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
