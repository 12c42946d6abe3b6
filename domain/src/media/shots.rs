//! A slot's shot list: its script cut into scenes, each with the kind of
//! visual it wants and a few words to find footage by. The scenes' texts
//! are the script, in order (the script is their texts joined), so the
//! two can never disagree: editing the scenes rewrites the script, and a
//! script edited on its own is cut again, keeping the scenes' visual
//! choices by position. Slots drafted before shot lists get theirs derived
//! from the script when read.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// What a scene shows behind the captions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisualKind {
    /// Moving footage: the slot's own upload, else a video from the org's
    /// library found by the search words, else a generated visual.
    Footage,
    /// A still image under a slow zoom: the slot's or the library's, else
    /// a generated visual.
    Still,
    /// An animated gradient.
    Gradient,
    /// The scene's words in large type, each popping in as it is said.
    TextCard,
}

pub const VISUAL_KINDS: [&str; 4] = ["footage", "still", "gradient", "text_card"];

/// One scene of a slot's video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shot {
    /// The words of the script this scene covers.
    pub text: String,
    pub visual: VisualKind,
    /// Up to four words to find footage or images by.
    #[serde(default)]
    pub search: Vec<String>,
}

pub const MAX_SHOTS: usize = 12;
pub const MAX_TEXT_CHARS: usize = 300;
pub const MAX_SEARCH_WORDS: usize = 4;
pub const MAX_SEARCH_CHARS: usize = 30;
/// A scene of fewer words than this joins the next one (about 1.5 s of voice).
const MIN_WORDS: usize = 5;
/// A longer sentence is cut in parts (about 6 s of voice).
const MAX_WORDS: usize = 16;

/// The model is asked for fewer and shorter scenes than a person may make:
/// a grammar-constrained small model fills whatever room it is given.
const MODEL_MAX_SHOTS: usize = 4;
const MODEL_MAX_TEXT_CHARS: usize = 160;
const MODEL_MAX_SEARCH_WORDS: usize = 3;

/// The JSON Schema of a drafted shot list, for the drafting schema (a
/// grammar for local models): bounded like every other field.
pub fn schema() -> serde_json::Value {
    serde_json::json!({
        "type": "array",
        "minItems": 1,
        "maxItems": MODEL_MAX_SHOTS,
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["text", "visual", "search"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": MODEL_MAX_TEXT_CHARS},
                "visual": {"enum": VISUAL_KINDS},
                "search": {
                    "type": "array",
                    "maxItems": MODEL_MAX_SEARCH_WORDS,
                    "items": {"type": "string", "pattern": "^[A-Za-z0-9]{1,20}$"}
                }
            }
        }
    })
}

/// The script the scenes say: their texts joined by spaces.
pub fn script_of(shots: &[Shot]) -> String {
    shots.iter().map(|s| s.text.trim()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Words compared case- and punctuation-blind, to tell whether scenes say the script.
fn plain_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `shots` say exactly `script`, word for word.
pub fn tiles(shots: &[Shot], script: &str) -> bool {
    !shots.is_empty() && plain_words(&script_of(shots)) == plain_words(script)
}

/// The shot list of a script: the model's (or a person's) when it says the
/// script, otherwise the script cut again with their visuals and search
/// words kept by position.
pub fn fit(script: &str, shots: &[Shot]) -> Vec<Shot> {
    if tiles(shots, script) && shots.len() <= MAX_SHOTS {
        return shots.to_vec();
    }
    let mut cut = derive(script);
    for (scene, chosen) in cut.iter_mut().zip(shots) {
        scene.visual = chosen.visual;
        if !chosen.search.is_empty() {
            scene.search = chosen.search.clone();
        }
    }
    cut
}

/// The shot list stored on a slot, or derived from its script when it has
/// none (slots drafted before shot lists) or no longer says it.
pub fn of_slot(script: &str, stored: &serde_json::Value) -> Vec<Shot> {
    let stored: Vec<Shot> = serde_json::from_value(stored.clone()).unwrap_or_default();
    fit(script, &stored)
}

/// Checks a person's shot list: bounded, no empty scene, search words
/// single words. Returns it trimmed.
pub fn validate(shots: Vec<Shot>) -> Result<Vec<Shot>, DomainError> {
    if shots.is_empty() || shots.len() > MAX_SHOTS {
        return Err(DomainError::invalid("shots", format!("give 1 to {MAX_SHOTS} scenes")));
    }
    shots
        .into_iter()
        .enumerate()
        .map(|(n, shot)| {
            let text = shot.text.trim().to_owned();
            if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
                return Err(DomainError::invalid(
                    "shots",
                    format!("scene {}: its words must be 1 to {MAX_TEXT_CHARS} characters", n + 1),
                ));
            }
            let search: Vec<String> = shot.search.iter().map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect();
            if search.len() > MAX_SEARCH_WORDS
                || search.iter().any(|w| w.chars().count() > MAX_SEARCH_CHARS || w.contains(char::is_whitespace))
            {
                return Err(DomainError::invalid(
                    "shots",
                    format!("scene {}: up to {MAX_SEARCH_WORDS} single search words of at most {MAX_SEARCH_CHARS} characters", n + 1),
                ));
            }
            Ok(Shot { text, visual: shot.visual, search })
        })
        .collect()
}

/// Words that say nothing about what to show.
const STOP_WORDS: &[&str] = &[
    "about", "after", "again", "also", "always", "because", "before", "being", "could", "doing", "every", "first",
    "going", "have", "here", "into", "just", "know", "like", "make", "more", "most", "never", "only", "other",
    "really", "should", "some", "than", "that", "their", "them", "then", "there", "these", "they", "thing", "things",
    "this", "those", "what", "when", "where", "which", "while", "will", "with", "would", "your", "you're",
];

/// The scene's longest telling words, to search the library by.
fn search_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> =
        plain_words(text).into_iter().filter(|w| w.chars().count() >= 4 && !STOP_WORDS.contains(&w.as_str())).collect();
    words.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    words.dedup();
    words.truncate(3);
    words
}

/// A script cut into scenes: one per sentence, short sentences joined to
/// the next, long ones cut in parts, at most [`MAX_SHOTS`]. Every scene
/// wants footage, every third a text card, so a video without a library
/// still changes its look.
pub fn derive(script: &str) -> Vec<Shot> {
    let mut sentences: Vec<Vec<&str>> = vec![Vec::new()];
    for word in script.split_whitespace() {
        sentences.last_mut().expect("never empty").push(word);
        if word.trim_end_matches(['"', '\'', ')', '”', '’']).ends_with(['.', '!', '?']) {
            sentences.push(Vec::new());
        }
    }
    let mut scenes: Vec<Vec<&str>> = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for sentence in sentences.into_iter().filter(|s| !s.is_empty()) {
        pending.extend(sentence);
        if pending.len() < MIN_WORDS {
            continue;
        }
        let parts = pending.len().div_ceil(MAX_WORDS);
        let per = pending.len().div_ceil(parts);
        scenes.extend(pending.chunks(per).map(<[&str]>::to_vec));
        pending.clear();
    }
    match scenes.last_mut() {
        Some(last) => last.extend(pending),
        None if !pending.is_empty() => scenes.push(pending),
        None => {}
    }
    // Past the bound, the last scenes join.
    while scenes.len() > MAX_SHOTS {
        let last = scenes.pop().expect("more than MAX_SHOTS");
        scenes.last_mut().expect("more than one").extend(last);
    }
    scenes
        .into_iter()
        .enumerate()
        .map(|(n, words)| {
            let text = words.join(" ");
            let visual = if n % 3 == 2 { VisualKind::TextCard } else { VisualKind::Footage };
            Shot { search: search_words(&text), text, visual }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "Salt the water well. Always. Use a big pot so the pasta can move freely while it cooks. \
        Then wait for a rolling boil before the pasta goes in, and stir it once or twice in the first minute so \
        nothing sticks. Taste it a minute early.";

    #[test]
    fn a_script_is_cut_into_sentences_within_bounds_that_say_it_word_for_word() {
        let shots = derive(SCRIPT);
        let texts: Vec<&str> = shots.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts[0], "Salt the water well. Always.", "short sentences join until a scene is long enough");
        assert_eq!(texts[1], "Use a big pot so the pasta can move freely while it cooks.");
        assert!(texts.iter().all(|t| t.split_whitespace().count() <= MAX_WORDS + 1 || t.ends_with("early.")));
        assert!(tiles(&shots, SCRIPT), "{texts:?}");
        assert_eq!(script_of(&shots), SCRIPT.split_whitespace().collect::<Vec<_>>().join(" "));
        assert_eq!(shots[2].visual, VisualKind::TextCard);
        assert!(shots[1].search.contains(&"freely".to_owned()), "{:?}", shots[1].search);
        assert!(shots.iter().all(|s| s.search.iter().all(|w| !STOP_WORDS.contains(&w.as_str()))));
        assert_eq!(derive("").len(), 0);
        assert_eq!(derive("Hi there.").len(), 1, "a short script is one scene");
        let long = "word. ".repeat(200);
        assert_eq!(derive(&long).len(), MAX_SHOTS);
        assert!(tiles(&derive(&long), &long));
    }

    #[test]
    fn shots_that_do_not_say_the_script_are_cut_again_keeping_the_choices() {
        let chosen = vec![
            Shot { text: "Something else entirely.".into(), visual: VisualKind::Still, search: vec!["pot".into()] },
            Shot { text: "And more.".into(), visual: VisualKind::Gradient, search: vec![] },
        ];
        let fitted = fit(SCRIPT, &chosen);
        assert!(tiles(&fitted, SCRIPT));
        assert_eq!((fitted[0].visual, fitted[0].search.clone()), (VisualKind::Still, vec!["pot".to_owned()]));
        assert_eq!(fitted[1].visual, VisualKind::Gradient);
        assert!(!fitted[1].search.is_empty(), "no search words chosen: the derived ones stay");
        // A list that says the script (case and punctuation aside) is kept as it is.
        let mine = vec![
            Shot { text: "salt the water well, always".into(), visual: VisualKind::TextCard, search: vec![] },
            Shot { text: SCRIPT.split_once("Always. ").unwrap().1.into(), visual: VisualKind::Footage, search: vec![] },
        ];
        assert_eq!(fit(SCRIPT, &mine), mine);
        // Stored lists read back; none stored means derived.
        assert_eq!(of_slot(SCRIPT, &serde_json::json!([])), derive(SCRIPT));
        assert_eq!(of_slot(SCRIPT, &serde_json::to_value(&mine).unwrap()), mine);
    }

    #[test]
    fn a_persons_shot_list_is_bounded() {
        let shot = |text: &str, search: &[&str]| Shot {
            text: text.into(),
            visual: VisualKind::Footage,
            search: search.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert!(validate(vec![]).is_err());
        assert!(validate(vec![shot("  ", &[])]).is_err());
        assert!(validate(vec![shot(&"x".repeat(301), &[])]).is_err());
        assert!(validate(vec![shot("ok", &["two words"])]).is_err());
        assert!(validate(vec![shot("ok", &["a", "b", "c", "d", "e"])]).is_err());
        assert!(validate(vec![shot("ok", &[]); 13]).is_err());
        let fine = validate(vec![shot(" Salt it. ", &[" salt ", ""])]).unwrap();
        assert_eq!(fine, vec![shot("Salt it.", &["salt"])]);
        // The schema the model answers with bounds the same things.
        let schema = schema();
        let validator = jsonschema::validator_for(&schema).unwrap();
        assert!(validator.is_valid(&serde_json::json!([{"text": "Salt it.", "visual": "still", "search": ["salt"]}])));
        assert!(!validator.is_valid(&serde_json::json!([{"text": "x", "visual": "dance", "search": []}])));
        assert!(!validator.is_valid(&serde_json::json!([{"text": "x", "visual": "still", "search": ["two words"]}])));
    }
}
