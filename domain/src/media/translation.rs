//! Translating a transcript with the language model, segment by segment:
//! each batch of segments goes out as numbered texts and must come back as
//! the same numbers, so the translation keeps the source's timings. The
//! words of a translated segment are spread over its span (the model knows
//! nothing of when each word is said).

use super::transcripts::{TimedSegment, TimedWord};
use crate::planning::generation::strip_code_fence;
use serde_json::{Value, json};

/// Segments per model call: small enough for a short answer, large enough
/// for context across sentences.
pub const BATCH: usize = 40;
/// Longest translated segment accepted.
const MAX_TEXT: usize = 1000;

/// The answer's shape for a batch of `n` segments.
pub fn schema(n: usize) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["segments"],
        "properties": {
            "segments": {
                "type": "array",
                "minItems": n,
                "maxItems": n,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["index", "text"],
                    "properties": {
                        "index": {"type": "integer", "minimum": 0, "maximum": n.saturating_sub(1)},
                        "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
                    }
                }
            }
        }
    })
}

/// The conversation that asks for one batch.
pub fn messages(source_language: &str, target_language: &str, batch: &[TimedSegment]) -> Vec<Value> {
    let segments: Vec<Value> =
        batch.iter().enumerate().map(|(index, s)| json!({"index": index, "text": s.text})).collect();
    let task = json!({
        "task": "translate",
        "source_language": source_language,
        "target_language": target_language,
        "segments": segments,
    });
    vec![
        json!({"role": "system", "content": format!(
            "You translate video transcripts from {source_language} into {target_language} for subtitles. \
             Translate each numbered segment on its own, faithfully and naturally, keeping names and numbers. \
             Answer with JSON: {{\"segments\": [{{\"index\": n, \"text\": \"...\"}}]}}, one entry per segment, same indexes."
        )}),
        json!({"role": "user", "content": task.to_string()}),
    ]
}

/// The batch in the target language, with the source's timings; the
/// errors (for a repair round) when the answer is not one text per segment.
pub fn validate(content: &str, batch: &[TimedSegment]) -> Result<Vec<TimedSegment>, Vec<String>> {
    let value: Value = serde_json::from_str(strip_code_fence(content))
        .map_err(|e| vec![format!("the answer is not valid JSON: {e}")])?;
    let schema = schema(batch.len());
    let validator = jsonschema::validator_for(&schema).expect("the translation schema is a valid JSON Schema");
    let errors: Vec<String> =
        validator.iter_errors(&value).take(20).map(|e| format!("at {}: {}", e.instance_path(), e)).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut texts: Vec<Option<String>> = vec![None; batch.len()];
    for entry in value["segments"].as_array().into_iter().flatten() {
        let index = entry["index"].as_u64().unwrap_or(u64::MAX) as usize;
        let text = entry["text"].as_str().unwrap_or("").trim().to_owned();
        match texts.get_mut(index) {
            Some(slot @ None) if !text.is_empty() => *slot = Some(text),
            Some(Some(_)) => return Err(vec![format!("segment {index} is translated twice")]),
            _ => return Err(vec![format!("segment {index} is not one of the segments asked for, or empty")]),
        }
    }
    Ok(batch
        .iter()
        .zip(texts)
        .map(|(source, text)| {
            let text = text.expect("the schema asks for every index once");
            let words = spread(&text, source.start_ms, source.end_ms);
            TimedSegment { start_ms: source.start_ms, end_ms: source.end_ms, text, words }
        })
        .collect())
}

/// The words of `text` over `start..end`, each as long as its share of the
/// letters.
fn spread(text: &str, start_ms: i64, end_ms: i64) -> Vec<TimedWord> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let letters: usize = words.iter().map(|w| w.chars().count()).sum::<usize>().max(1);
    let span = (end_ms - start_ms).max(0) as f64;
    let mut at = start_ms as f64;
    words
        .into_iter()
        .map(|w| {
            let length = span * w.chars().count() as f64 / letters as f64;
            let word = TimedWord {
                start_ms: at.round() as i64,
                end_ms: (at + length).round().min(end_ms as f64) as i64,
                text: w.to_owned(),
                probability: 0.0,
            };
            at += length;
            word
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start_ms: i64, end_ms: i64, text: &str) -> TimedSegment {
        TimedSegment { start_ms, end_ms, text: text.into(), words: vec![] }
    }

    #[test]
    fn a_translation_keeps_each_segments_timing_and_spreads_its_words() {
        let batch = [segment(0, 2000, "Good morning."), segment(2500, 4000, "Soup today.")];
        let answer = r#"{"segments": [{"index": 1, "text": "Suppe heute."}, {"index": 0, "text": "Guten Morgen."}]}"#;
        let translated = validate(answer, &batch).unwrap();
        assert_eq!(translated[0].text, "Guten Morgen.");
        assert_eq!((translated[1].start_ms, translated[1].end_ms), (2500, 4000));
        let words = &translated[0].words;
        assert_eq!(words.len(), 2);
        assert_eq!((words[0].start_ms, words[1].end_ms), (0, 2000));
        assert!(words[0].end_ms <= words[1].start_ms + 1);
    }

    #[test]
    fn missing_repeated_or_unknown_segments_are_sent_back() {
        let batch = [segment(0, 1000, "a"), segment(1000, 2000, "b")];
        for bad in [
            r#"{"segments": [{"index": 0, "text": "x"}]}"#,
            r#"{"segments": [{"index": 0, "text": "x"}, {"index": 0, "text": "y"}]}"#,
            r#"{"segments": [{"index": 0, "text": "x"}, {"index": 5, "text": "y"}]}"#,
            "not json",
        ] {
            assert!(validate(bad, &batch).is_err(), "{bad}");
        }
    }
}
