//! The words a video says and shows, from a slot's script: the script is
//! written by a model or a person and may carry markdown, emoji, hashtags
//! or symbols that a voice would read out ("asterisk asterisk", "hashtag
//! sushi") and captions would show. One cleaning serves both, so the
//! captions always match what is said.

/// The script as it is said and shown: markdown markup, links' targets,
/// emoji (and `:shortcodes:`) and hashtags removed, list bullets and line
/// breaks turned into sentence breaks, and the symbols a voice misreads
/// written out (`%`, `&`, `+`, `=`, `@`, `$`, `€`, `£`, `°`, `/` between
/// words).
pub fn clean(script: &str) -> String {
    let mut sentences: Vec<String> = Vec::new();
    for line in script.lines() {
        let line = strip_line_markup(line.trim());
        let words: Vec<String> = line.split_whitespace().filter_map(clean_word).collect();
        if words.is_empty() {
            continue;
        }
        let mut sentence = words.join(" ");
        // A line of its own (a bullet, a heading) ends a sentence.
        if !sentence.ends_with(['.', '!', '?', ':', ';', ',']) {
            sentence.push('.');
        }
        sentences.push(sentence);
    }
    sentences.join(" ")
}

/// A line without its heading marks, bullet or quote mark, and with
/// `[text](url)` links reduced to their text.
fn strip_line_markup(line: &str) -> String {
    let mut line = line;
    // A heading (`## Title`) or a quote (`> words`), not a hashtag (`#fyp`).
    let marks = line.len() - line.trim_start_matches(['#', '>']).len();
    if marks > 0 && line[marks..].starts_with(' ') {
        line = line[marks..].trim_start();
    }
    for bullet in ["- ", "* ", "+ ", "• "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            line = rest;
        }
    }
    // "1. " and "1) " numbered items keep their words, not their numbers.
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")) {
        line = &line[digits + 2..];
    }
    links_to_text(line)
}

fn links_to_text(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else { break };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else { break };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Pictographs, dingbats, flags and the joiners that glue emoji together.
fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE00..=0xFE0F | 0x200D | 0x20E3 | 0xE0020..=0xE007F)
}

/// One word as said, or `None` when nothing of it is spoken (a hashtag, an
/// emoji, a shortcode, bare markup).
fn clean_word(word: &str) -> Option<String> {
    if word.starts_with('#') && word.len() > 1 {
        return None;
    }
    if word.len() > 2 && word.starts_with(':') && word.ends_with(':') && !word[1..word.len() - 1].contains(':') {
        return None;
    }
    let word: String = word.chars().filter(|c| !is_emoji(*c) && !matches!(c, '*' | '`' | '~' | '|')).collect();
    // Underscores are emphasis around a word (`_this_`) and spaces inside one.
    let word = word.trim_matches('_').replace('_', " ");
    let word = spell_symbols(&word);
    let word = word.trim();
    // Stray punctuation or dashes left by markup are not words of their own.
    word.chars().any(char::is_alphanumeric).then(|| word.to_owned())
}

/// Symbols written as a voice should say them.
fn spell_symbols(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 8);
    let chars: Vec<char> = word.chars().collect();
    let mut currency: Option<&str> = None;
    for (i, &c) in chars.iter().enumerate() {
        let between_words = i > 0 && i + 1 < chars.len() && chars[i - 1].is_alphanumeric();
        let spelled = match c {
            '%' => Some(" percent"),
            '&' => Some(" and "),
            '+' if between_words || i + 1 == chars.len() => Some(" plus "),
            '=' => Some(" equals "),
            '@' if between_words => Some(" at "),
            '°' => Some(" degrees"),
            '/' if between_words && chars[i + 1].is_alphabetic() => Some(" or "),
            '$' | '€' | '£' => {
                currency = Some(match c {
                    '$' => " dollars",
                    '€' => " euros",
                    _ => " pounds",
                });
                Some("")
            }
            _ => None,
        };
        match spelled {
            Some(text) => out.push_str(text),
            None => out.push(c),
        }
    }
    if let Some(unit) = currency {
        // "$5." says "5 dollars." : the unit goes before trailing punctuation.
        let end = out.trim_end_matches(['.', '!', '?', ',', ':', ';']).len();
        out.insert_str(end, unit);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_emoji_and_hashtags_are_neither_said_nor_shown() {
        let script = "## **Stop** boiling _pasta_ wrong 🍝\n\
                      - Salt the water :salt:\n\
                      * Use a `big` pot!\n\
                      1. Read [the guide](https://example.com/guide) first\n\
                      #pasta #cooking #fyp";
        assert_eq!(clean(script), "Stop boiling pasta wrong. Salt the water. Use a big pot! Read the guide first.");
    }

    #[test]
    fn symbols_are_written_out_as_a_voice_says_them() {
        assert_eq!(clean("Save 50% on salt & pepper."), "Save 50 percent on salt and pepper.");
        assert_eq!(clean("It costs $5. Heat to 200° now"), "It costs 5 dollars. Heat to 200 degrees now.");
        assert_eq!(clean("Salt/pepper, 2+2=4, me@home"), "Salt or pepper, 2 plus 2 equals 4, me at home.");
    }

    #[test]
    fn plain_scripts_stay_as_they_are_and_empty_ones_stay_empty() {
        let plain = "Three pasta mistakes everyone makes. First, the pot is too small.";
        assert_eq!(clean(plain), plain);
        assert_eq!(clean("#fyp 🔥 ** __ :fire:"), "");
        assert_eq!(clean("snake_case words"), "snake case words.");
    }
}
