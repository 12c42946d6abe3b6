//! Aligning a known text to what Whisper heard: the script's words take the
//! times of the recognised words they line up with (a minimum edit
//! alignment over normalised words), and script words Whisper missed share
//! the gap between their neighbours. The render uses it to time captions
//! word by word for voice-overs whose text is known.

use crate::Word;

/// A word as compared: lower case, letters and digits only.
pub fn normalise(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn comparable(text: &str) -> Vec<String> {
    text.split_whitespace().map(normalise).filter(|w| !w.is_empty()).collect()
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Step {
    /// Script word i and heard word j line up (the same word or a substitute).
    Pair,
    /// A script word Whisper did not hear.
    Missed,
    /// A heard word the script does not have.
    Extra,
}

/// The minimum edit alignment of `a` against `b`, as steps from the start.
fn alignment(a: &[String], b: &[String]) -> (usize, Vec<Step>) {
    let (n, m) = (a.len(), b.len());
    let mut cost = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in cost.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in cost[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let pair = cost[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cost[i][j] = pair.min(cost[i - 1][j] + 1).min(cost[i][j - 1] + 1);
        }
    }
    let mut steps = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (n, m);
    // Among equally cheap alignments: the same word first, then a missed
    // script word, and only then a substitute, so a run of missed words
    // does not shift a substitution away from the word it replaced.
    while i > 0 || j > 0 {
        let same = i > 0 && j > 0 && a[i - 1] == b[j - 1] && cost[i][j] == cost[i - 1][j - 1];
        let missed = i > 0 && cost[i][j] == cost[i - 1][j] + 1;
        let substitute = i > 0 && j > 0 && cost[i][j] == cost[i - 1][j - 1] + 1;
        if same {
            steps.push(Step::Pair);
            i -= 1;
            j -= 1;
        } else if missed {
            steps.push(Step::Missed);
            i -= 1;
        } else if substitute {
            steps.push(Step::Pair);
            i -= 1;
            j -= 1;
        } else {
            steps.push(Step::Extra);
            j -= 1;
        }
    }
    steps.reverse();
    (cost[n][m], steps)
}

/// The share of `reference`'s words that `heard` got right: 1 minus the
/// word error rate, at least 0.
pub fn word_accuracy(reference: &str, heard: &str) -> f64 {
    let reference = comparable(reference);
    if reference.is_empty() {
        return 1.0;
    }
    let (errors, _) = alignment(&reference, &comparable(heard));
    (1.0 - errors as f64 / reference.len() as f64).max(0.0)
}

/// The words of `script` (as written, punctuation kept), timed by the
/// recognised `heard` words of the same audio, which lasts `duration_ms`.
pub fn align(heard: &[Word], script: &str, duration_ms: i64) -> Vec<Word> {
    let written: Vec<&str> = script.split_whitespace().filter(|w| !normalise(w).is_empty()).collect();
    let a: Vec<String> = written.iter().map(|w| normalise(w)).collect();
    let b: Vec<String> = heard.iter().map(|w| normalise(&w.text)).collect();
    let (_, steps) = alignment(&a, &b);
    let mut timed: Vec<Option<&Word>> = Vec::with_capacity(written.len());
    let mut j = 0;
    for step in steps {
        match step {
            Step::Pair => {
                timed.push(Some(&heard[j]));
                j += 1;
            }
            Step::Missed => timed.push(None),
            Step::Extra => j += 1,
        }
    }
    let mut out = Vec::with_capacity(written.len());
    let mut i = 0;
    while i < written.len() {
        if let Some(word) = timed[i] {
            out.push(Word { text: written[i].to_owned(), ..word.clone() });
            i += 1;
            continue;
        }
        // A run of missed words shares the gap between its neighbours.
        let run_end = (i..written.len()).find(|&k| timed[k].is_some()).unwrap_or(written.len());
        let from = out.last().map_or(0, |w: &Word| w.end_ms);
        let to = timed.get(run_end).copied().flatten().map_or(duration_ms, |w| w.start_ms).max(from);
        let count = (run_end - i) as i64;
        for (k, text) in written[i..run_end].iter().enumerate() {
            let k = k as i64;
            out.push(Word {
                start_ms: from + (to - from) * k / count,
                end_ms: from + (to - from) * (k + 1) / count,
                text: (*text).to_owned(),
                probability: 0.0,
            });
        }
        i = run_end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heard(words: &[(&str, i64, i64)]) -> Vec<Word> {
        words.iter().map(|&(t, s, e)| Word { start_ms: s, end_ms: e, text: t.into(), probability: 0.9 }).collect()
    }

    #[test]
    fn script_words_take_the_times_of_the_words_heard_with_their_own_spelling() {
        let heard = heard(&[("three", 0, 300), ("knives", 300, 700), ("sharp", 800, 1200)]);
        let aligned = align(&heard, "Three **knives**, sharp!", 1500);
        let got: Vec<(&str, i64, i64)> = aligned.iter().map(|w| (w.text.as_str(), w.start_ms, w.end_ms)).collect();
        assert_eq!(got, [("Three", 0, 300), ("**knives**,", 300, 700), ("sharp!", 800, 1200)]);
    }

    #[test]
    fn a_misheard_word_keeps_its_slot_and_missed_words_share_the_gap() {
        let heard = heard(&[("the", 0, 200), ("pen", 200, 500), ("knife", 1500, 1900)]);
        let aligned = align(&heard, "the pan is very sharp knife", 2000);
        let got: Vec<(&str, i64, i64)> = aligned.iter().map(|w| (w.text.as_str(), w.start_ms, w.end_ms)).collect();
        // "pan" lines up with "pen"; "is very sharp" fill 500..1500 evenly.
        assert_eq!(
            got,
            [
                ("the", 0, 200),
                ("pan", 200, 500),
                ("is", 500, 833),
                ("very", 833, 1166),
                ("sharp", 1166, 1500),
                ("knife", 1500, 1900)
            ]
        );
        assert_eq!(aligned[2].probability, 0.0);
    }

    #[test]
    fn with_nothing_heard_the_words_spread_over_the_audio() {
        let aligned = align(&[], "one two", 1000);
        let got: Vec<(i64, i64)> = aligned.iter().map(|w| (w.start_ms, w.end_ms)).collect();
        assert_eq!(got, [(0, 500), (500, 1000)]);
    }

    #[test]
    fn word_accuracy_is_one_minus_the_word_error_rate() {
        assert_eq!(word_accuracy("Three knives, sharp.", "three knives sharp"), 1.0);
        assert!((word_accuracy("a b c d", "a x c") - 0.5).abs() < 1e-9);
        assert_eq!(word_accuracy("a", "b c d e"), 0.0);
    }
}
