//! The QA agent: checks a drafted slot for what makes it unpostable before
//! it is stored: a script that repeats itself, markdown or code, hashtags
//! where words belong (or too many of them), another language than the
//! project's, a hook that is not a sentence, a script too short or too long
//! for the video. Each finding is a reason the repair prompt sends back to
//! the model and, when repairs run out, a note on the slot.

use super::generation::{DraftSlot, ReviewNote};
use std::collections::{BTreeMap, BTreeSet};

/// How fast the voices speak, in words per second (Piper and espeak-ng at
/// the normal pace say about 2.5).
pub const WORDS_PER_SECOND: f64 = 2.5;
/// The shortest script worth a video, in seconds of voice.
pub const MIN_SCRIPT_SECS: f64 = 8.0;
/// Above this share of repeated three-word runs, a script repeats itself.
const REPEATED_RUNS_LIMIT: f64 = 0.3;
/// Above this share of the words, one word is a chant, not a script.
const ONE_WORD_LIMIT: f64 = 0.2;
pub const MAX_HASHTAGS: usize = 5;

/// What the checks need to know about the slot's project.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// The project's language tag (`en`, `pt-BR`).
    pub language: String,
    /// The longest video the project allows, in seconds.
    pub max_video_secs: f64,
}

fn finding(reason: String) -> ReviewNote {
    ReviewNote { check: "qa".into(), reason }
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Everything the QA agent finds wrong with `draft`.
pub fn findings(draft: &DraftSlot, expect: &Expectations) -> Vec<ReviewNote> {
    let mut found = Vec::new();
    let script_words = words(&draft.script);
    if let Some(why) = repetition(&script_words) {
        found.push(finding(format!("the script {why}; say each thing once")));
    }
    for (field, text) in [("hook", &draft.hook), ("script", &draft.script), ("caption", &draft.caption)] {
        if let Some(markup) = markup(text) {
            found.push(finding(format!("the {field} contains {markup}; write plain spoken text")));
        }
    }
    for (field, text) in [("hook", &draft.hook), ("script", &draft.script)] {
        let tags = text.split_whitespace().filter(|w| w.starts_with('#') && w.len() > 1).count();
        if tags > 0 {
            found.push(finding(format!("the {field} has {tags} hashtag(s); hashtags go only in the hashtags list")));
        }
    }
    let caption_tags = draft.caption.split_whitespace().filter(|w| w.starts_with('#')).count();
    if caption_tags + draft.hashtags.len() > MAX_HASHTAGS * 2 || draft.hashtags.len() > MAX_HASHTAGS {
        found.push(finding(format!("too many hashtags; use at most {MAX_HASHTAGS} that say what the post is about")));
    }
    if let Some(tag) = draft.hashtags.iter().find(|t| t.chars().filter(char::is_ascii_digit).count() > 3) {
        found.push(finding(format!("the hashtag {tag} is not a word people search for")));
    }
    if let Some(why) = not_a_sentence(&draft.hook) {
        found.push(finding(format!("the hook {why}; write one short sentence that makes people stay")));
    }
    let secs = script_words.len() as f64 / WORDS_PER_SECOND;
    if secs < MIN_SCRIPT_SECS {
        let at_least = (MIN_SCRIPT_SECS * WORDS_PER_SECOND).ceil();
        found.push(finding(format!(
            "the script is about {secs:.0} s of voice; write at least {at_least} words (about {MIN_SCRIPT_SECS:.0} s)"
        )));
    } else if secs > expect.max_video_secs {
        let at_most = (expect.max_video_secs * WORDS_PER_SECOND).floor();
        found.push(finding(format!(
            "the script is about {secs:.0} s of voice, longer than the {:.0} s the video may last; write at most {at_most} words",
            expect.max_video_secs
        )));
    }
    if let Some(spoken) = other_language(&script_words, &expect.language) {
        found.push(finding(format!(
            "the script reads as {spoken}, not the project's language ({}); write it in {}",
            expect.language, expect.language
        )));
    }
    found
}

/// Why the words repeat themselves, if they do.
fn repetition(words: &[String]) -> Option<String> {
    if words.len() >= 12 {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for w in words.iter().filter(|w| w.chars().count() > 3) {
            *counts.entry(w.as_str()).or_default() += 1;
        }
        if let Some((word, n)) = counts.into_iter().max_by_key(|(_, n)| *n)
            && n as f64 / words.len() as f64 > ONE_WORD_LIMIT
        {
            return Some(format!("says \"{word}\" {n} times in {} words", words.len()));
        }
    }
    if words.len() < 9 {
        return None;
    }
    let runs: Vec<&[String]> = words.windows(3).collect();
    let distinct: BTreeSet<&[String]> = runs.iter().copied().collect();
    let repeated = 1.0 - distinct.len() as f64 / runs.len() as f64;
    (repeated > REPEATED_RUNS_LIMIT)
        .then(|| format!("repeats itself ({:.0} % of its three-word runs are repeats)", repeated * 100.0))
}

/// The markdown or code in `text`, if any.
fn markup(text: &str) -> Option<&'static str> {
    if text.contains("```") || text.contains('`') {
        return Some("code");
    }
    if text.contains("**") || text.contains("__") {
        return Some("markdown emphasis");
    }
    let line_starts = text.lines().map(str::trim_start);
    for line in line_starts {
        if line.starts_with("# ") || line.starts_with("## ") {
            return Some("a markdown heading");
        }
        if line.starts_with("- ") || line.starts_with("* ") {
            return Some("a markdown list");
        }
    }
    if text.contains("](") {
        return Some("a markdown link");
    }
    if text.contains("</") || text.contains("/>") {
        return Some("markup tags");
    }
    None
}

/// Why a hook is not a sentence, if it is not one.
fn not_a_sentence(hook: &str) -> Option<&'static str> {
    let tokens: Vec<&str> = hook.split_whitespace().collect();
    if tokens.first().is_some_and(|t| t.starts_with('#') || t.starts_with('@')) {
        return Some("starts with a hashtag or mention");
    }
    let real: Vec<&&str> =
        tokens.iter().filter(|t| t.chars().any(char::is_alphabetic) && !t.starts_with('#')).collect();
    if real.len() < 3 {
        return Some("has fewer than three words");
    }
    if real.len() * 2 < tokens.len() {
        return Some("is mostly hashtags or symbols");
    }
    None
}

/// Common words of the languages told apart: enough to see which one a
/// script is written in.
const COMMON_WORDS: &[(&str, &str, &[&str])] = &[
    ("en", "English", &["the", "and", "you", "is", "to", "of", "it", "that", "with", "your", "this", "for", "in"]),
    ("de", "German", &["der", "die", "und", "das", "ist", "nicht", "mit", "ich", "du", "ein", "eine", "zu", "auf"]),
    ("fr", "French", &["le", "la", "les", "et", "est", "pas", "vous", "une", "des", "pour", "avec", "que", "dans"]),
    ("es", "Spanish", &["el", "la", "los", "y", "es", "que", "para", "con", "una", "por", "del", "las", "tu"]),
    ("it", "Italian", &["il", "che", "e", "di", "per", "non", "una", "sono", "con", "della", "gli", "questo"]),
    ("pt", "Portuguese", &["o", "que", "e", "não", "uma", "para", "com", "os", "você", "do", "da", "em", "seu"]),
    ("nl", "Dutch", &["de", "het", "een", "en", "is", "niet", "van", "je", "met", "dat", "op", "voor", "ik"]),
];

/// The language the words read as, when it is clearly not `language`.
fn other_language(words: &[String], language: &str) -> Option<&'static str> {
    let wanted = language.split('-').next().unwrap_or(language).to_ascii_lowercase();
    let score = |common: &[&str]| words.iter().filter(|w| common.contains(&w.as_str())).count();
    let own = COMMON_WORDS.iter().find(|(code, ..)| *code == wanted).map(|(_, _, common)| score(common))?;
    let (_, name, best) = COMMON_WORDS
        .iter()
        .filter(|(code, ..)| *code != wanted)
        .map(|(code, name, common)| (code, name, score(common)))
        .max_by_key(|(.., n)| *n)?;
    (best >= 5 && best > own * 2).then_some(*name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(hook: &str, script: &str) -> DraftSlot {
        DraftSlot {
            day_index: 0,
            slot_index: 0,
            hook: hook.into(),
            script: script.into(),
            caption: "Dinner in ten minutes".into(),
            hashtags: vec!["#pasta".into(), "#dinner".into()],
            format: "tutorial".into(),
            confidence: 0.7,
            rationale: "quick dinners do well on weekdays".into(),
            shots: vec![],
        }
    }

    const GOOD: &str = "Salt the water until it tastes like the sea, then wait for a rolling boil. \
        Stir the pasta in the first minute so nothing sticks, and taste it a minute before the packet says. \
        Save a cup of the water for the sauce.";

    fn english() -> Expectations {
        Expectations { language: "en".into(), max_video_secs: 60.0 }
    }

    fn checks(d: &DraftSlot) -> Vec<String> {
        findings(d, &english()).into_iter().map(|n| n.reason).collect()
    }

    #[test]
    fn a_postable_draft_passes() {
        assert_eq!(checks(&draft("Stop ruining your pasta water", GOOD)), Vec::<String>::new());
        let german = Expectations { language: "de".into(), max_video_secs: 60.0 };
        let script = "Salze das Wasser, bis es wie das Meer schmeckt, und warte auf das Kochen. Rühre die Nudeln \
                      in der ersten Minute um, damit nichts klebt, und probiere sie eine Minute früher. Das ist alles.";
        assert!(findings(&draft("So kochst du Nudeln richtig", script), &german).is_empty());
    }

    /// The degenerate drafts the offline model wrote (issue 16's fixtures).
    #[test]
    fn degenerate_drafts_are_caught_with_a_reason_for_the_repair() {
        let sushi = format!("Sushi time! {}", "#Sushi ".repeat(158));
        let found = checks(&draft("#Sushi #Sushi #Sushi", &sushi));
        assert!(found.iter().any(|r| r.contains("says \"sushi\"")), "{found:?}");
        assert!(found.iter().any(|r| r.contains("the script has 158 hashtag")), "{found:?}");
        assert!(found.iter().any(|r| r.contains("the hook starts with a hashtag")), "{found:?}");

        let loop_script = "make the best pasta ever and make the best pasta ever and make the best pasta ever now";
        assert!(checks(&draft("Pasta like never before", loop_script)).iter().any(|r| r.contains("repeats itself")));

        let markdown = format!("**Step 1:** salt the water.\n- boil\n- stir\n{GOOD}");
        let found = checks(&draft("Stop ruining your pasta water", &markdown));
        assert!(found.iter().any(|r| r.contains("the script contains markdown emphasis")), "{found:?}");

        let mut spam = draft("Stop ruining your pasta water", GOOD);
        spam.hashtags = vec!["#balenad_1_2_2_2".into()];
        assert!(checks(&spam).iter().any(|r| r.contains("#balenad_1_2_2_2")));
        spam.hashtags = (0..8).map(|n| format!("#tag{n}")).collect();
        assert!(checks(&spam).iter().any(|r| r.contains("too many hashtags")));

        let found = checks(&draft("Stop ruining your pasta water", "Boil the pasta."));
        assert!(found.iter().any(|r| r.contains("about 1 s of voice; write at least 20 words")), "{found:?}");
        let long = GOOD.repeat(8);
        let found = findings(&draft("Stop ruining your pasta water", &long), &english());
        assert!(found.iter().any(|n| n.reason.contains("longer than the 60 s")), "{found:?}");

        assert!(checks(&draft("Pasta!", GOOD)).iter().any(|r| r.contains("fewer than three words")));

        let french = "Salez l'eau et attendez que la pâte soit prête pour vous et pour les enfants, avec une \
                      sauce que tout le monde aime dans la maison. C'est le secret des pâtes.";
        let found = checks(&draft("Stop ruining your pasta water", french));
        assert!(found.iter().any(|r| r.contains("reads as French")), "{found:?}");
        assert!(found.iter().all(|r| !r.is_empty()));
    }
}
