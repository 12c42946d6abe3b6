//! Words from Whisper's tokens: a token that begins with a space begins a
//! word, the others (the rest of a long word, punctuation) continue it.

use crate::Word;

/// One text token as whisper.cpp timed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub text: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub probability: f32,
}

/// The words the tokens spell, in order and with times that never go back:
/// each word starts no earlier than the one before it, and ends no earlier
/// than it starts.
pub fn words_of(tokens: &[Token]) -> Vec<Word> {
    let mut words: Vec<(Word, u32)> = Vec::new();
    for token in tokens {
        let starts_word = token.text.starts_with(' ') || words.is_empty();
        let text = token.text.trim();
        if text.is_empty() {
            continue;
        }
        match words.last_mut() {
            Some((word, tokens)) if !starts_word => {
                word.text.push_str(text);
                word.end_ms = word.end_ms.max(token.end_ms);
                word.probability += token.probability;
                *tokens += 1;
            }
            _ => words.push((
                Word {
                    start_ms: token.start_ms,
                    end_ms: token.end_ms,
                    text: text.to_owned(),
                    probability: token.probability,
                },
                1,
            )),
        }
    }
    let mut out: Vec<Word> = Vec::with_capacity(words.len());
    for (mut word, tokens) in words {
        word.probability /= tokens as f32;
        if let Some(previous) = out.last() {
            word.start_ms = word.start_ms.max(previous.start_ms);
        }
        word.end_ms = word.end_ms.max(word.start_ms);
        out.push(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str, start_ms: i64, end_ms: i64) -> Token {
        Token { text: text.into(), start_ms, end_ms, probability: 0.5 }
    }

    #[test]
    fn tokens_join_into_words_at_spaces_and_punctuation_stays_with_its_word() {
        let words = words_of(&[
            token(" Three", 0, 300),
            token(" kn", 300, 450),
            token("ives", 450, 700),
            token(",", 700, 720),
            token(" sharp", 720, 1100),
            token(".", 1100, 1150),
        ]);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Three", "knives,", "sharp."]);
        assert_eq!((words[1].start_ms, words[1].end_ms), (300, 720));
        assert!((words[1].probability - 0.5).abs() < 1e-6);
    }

    #[test]
    fn times_never_go_back_even_when_whisper_does() {
        let words = words_of(&[token(" a", 500, 400), token(" b", 300, 350), token(" c", 900, 1000)]);
        for pair in words.windows(2) {
            assert!(pair[1].start_ms >= pair[0].start_ms, "{words:?}");
        }
        assert!(words.iter().all(|w| w.end_ms >= w.start_ms), "{words:?}");
    }

    #[test]
    fn the_first_token_starts_a_word_without_a_space_and_blank_tokens_are_skipped() {
        let words = words_of(&[token("Hi", 0, 100), token(" ", 100, 120), token(" there", 120, 300)]);
        assert_eq!(words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["Hi", "there"]);
    }
}
