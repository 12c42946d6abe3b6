//! Captions as ASS subtitles, burned in by libass: a few words at a time,
//! the word being said highlighted (karaoke style), in one of the
//! project's presets, in the middle band of the screen clear of TikTok's
//! own UI (the header at the top, the caption and buttons at the bottom and
//! right); and the hook card, the hook in large type for the first moments.

use super::tts::Phrase;
use domain::media::style::CaptionPreset;

/// A word on screen from `start` to `end` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Words shown together from `start` to `end` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub words: Vec<Word>,
}

impl Cue {
    pub fn text(&self) -> String {
        self.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// Words per caption.
pub const WORDS_PER_CUE: usize = 3;
/// How long the hook card stays, at most.
pub const HOOK_SECS: f64 = 1.8;

/// The words of each phrase timed over its span (the whole speech when the
/// voice gave no timing), each word's share in proportion to its letters
/// plus a pause.
pub fn timed_words(phrases: &[Phrase], speech_secs: f64) -> Vec<Vec<Word>> {
    let weight = |w: &String| w.chars().filter(|c| c.is_alphanumeric()).count() as f64 + 2.0;
    phrases
        .iter()
        .map(|phrase| {
            let (start, end) = phrase.span.unwrap_or((0.0, speech_secs));
            let total: f64 = phrase.words.iter().map(weight).sum();
            if total == 0.0 || end <= start {
                return Vec::new();
            }
            let mut at = start;
            phrase
                .words
                .iter()
                .map(|w| {
                    let share = weight(w) / total * (end - start);
                    let word = Word { start: at, end: at + share, text: w.clone() };
                    at += share;
                    word
                })
                .collect()
        })
        .collect()
}

/// Groups each phrase's words into cues of a few words; a cue never mixes
/// two phrases and lasts from its first word to its last.
pub fn group(phrases: Vec<Vec<Word>>) -> Vec<Cue> {
    phrases
        .iter()
        .flat_map(|words| words.chunks(WORDS_PER_CUE))
        .filter(|chunk| !chunk.is_empty())
        .map(|chunk| Cue { start: chunk[0].start, end: chunk[chunk.len() - 1].end, words: chunk.to_vec() })
        .collect()
}

/// The cues of spoken phrases.
pub fn cues(phrases: &[Phrase], speech_secs: f64) -> Vec<Cue> {
    group(timed_words(phrases, speech_secs))
}

fn timestamp(secs: f64) -> String {
    let centis = (secs.max(0.0) * 100.0).round() as u64;
    format!("{}:{:02}:{:02}.{:02}", centis / 360_000, centis / 6000 % 60, centis / 100 % 60, centis % 100)
}

/// ASS braces and backslashes are markup; a script must not inject any.
fn escape(text: &str) -> String {
    text.replace('\\', "/").replace(['{', '}'], "").replace('\n', " ")
}

/// A preset's look: the caption style line, and the colour (ASS `&HBBGGRR&`)
/// of the word being said.
struct Look {
    style: &'static str,
    active: &'static str,
}

/// The colour of the word being said, as RGB, for each preset.
pub fn active_rgb(preset: CaptionPreset) -> [u8; 3] {
    match preset {
        CaptionPreset::Bold | CaptionPreset::Boxed => [0xFF, 0xD7, 0x00],
        CaptionPreset::Clean => [0x4A, 0xDE, 0x80],
    }
}

fn look(preset: CaptionPreset) -> Look {
    // Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold,
    // Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow,
    // Alignment, MarginL, MarginR, MarginV, Encoding. Margins keep clear of the right-hand buttons.
    match preset {
        CaptionPreset::Bold => Look {
            style: "Style: Caption,DejaVu Sans,96,&H00FFFFFF,&H00FFFFFF,&H00000000,&H64000000,-1,0,0,0,100,100,0,0,1,8,3,5,140,200,0,1",
            active: "&H0000D7FF&",
        },
        CaptionPreset::Boxed => Look {
            style: "Style: Caption,DejaVu Sans,84,&H00FFFFFF,&H00FFFFFF,&H50000000,&H50000000,-1,0,0,0,100,100,0,0,3,16,0,5,140,200,0,1",
            active: "&H0000D7FF&",
        },
        CaptionPreset::Clean => Look {
            style: "Style: Caption,DejaVu Sans,76,&H00FFFFFF,&H00FFFFFF,&H00202020,&H00000000,-1,0,0,0,100,100,0,0,1,4,0,2,140,200,560,1",
            active: "&H0080DE4A&",
        },
    }
}

/// Text cards: a scene's words in large type in the middle of the screen,
/// over a soft shadow, each word popping in as it is said.
const CARD_STYLE: &str =
    "Style: Card,DejaVu Sans,104,&H00FFFFFF,&H00FFFFFF,&H00000000,&H96000000,-1,0,0,0,100,100,0,0,1,6,5,5,140,200,0,1";
/// Words a text card holds before it starts again, so it never grows into TikTok's UI.
pub const CARD_WORDS: usize = 6;

/// The hook card: large type on a near-opaque dark box (line boxes
/// overlap without showing seams) below TikTok's header.
const HOOK_STYLE: &str = "Style: Hook,DejaVu Sans,112,&H00FFFFFF,&H00FFFFFF,&H30101010,&H30101010,-1,0,0,0,100,100,0,0,3,28,0,8,120,180,260,1";

/// The hook's type size: smaller for longer hooks, so the card stays in
/// the top third, clear of the captions in the middle.
fn hook_size(text: &str) -> u32 {
    match text.chars().count() {
        0..=24 => 112,
        25..=48 => 92,
        49..=80 => 76,
        _ => 64,
    }
}

/// The ASS document on a 1080x1920 canvas: the hook card for its first
/// `hook.1` seconds (when given), then each cue shown word by word, the
/// word being said in the preset's colour and held until the next word,
/// and each text card (a scene's words, [`CARD_WORDS`] at a time) built
/// up word by word, the newest popping in.
pub fn ass(cues: &[Cue], hook: Option<(&str, f64)>, preset: CaptionPreset, cards: &[Cue]) -> String {
    let look = look(preset);
    let mut doc = format!(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 1080\nPlayResY: 1920\nWrapStyle: 0\nScaledBorderAndShadow: yes\n\n\
         [V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, \
         Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, \
         MarginR, MarginV, Encoding\n{}\n{HOOK_STYLE}\n{CARD_STYLE}\n\n\
         [Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
        look.style
    );
    if let Some((text, secs)) = hook.filter(|(text, _)| !text.trim().is_empty()) {
        doc.push_str(&format!(
            "Dialogue: 1,{},{},Hook,,0,0,0,,{{\\fs{}}}{}\n",
            timestamp(0.0),
            timestamp(secs),
            hook_size(text),
            escape(text)
        ));
    }
    for (n, cue) in cues.iter().enumerate() {
        // Held until the next cue when it follows closely, so the screen does not flicker empty mid-sentence.
        let cue_end =
            cues.get(n + 1).map_or(cue.end, |next| if next.start - cue.end < 0.3 { next.start } else { cue.end });
        for (i, word) in cue.words.iter().enumerate() {
            let start = if i == 0 { cue.start } else { word.start };
            let end = cue.words.get(i + 1).map_or(cue_end, |next| next.start);
            if end <= start {
                continue;
            }
            let text: Vec<String> = cue
                .words
                .iter()
                .enumerate()
                .map(|(j, w)| {
                    let shown = escape(&w.text);
                    if j == i { format!("{{\\1c{}}}{shown}{{\\1c&H00FFFFFF&}}", look.active) } else { shown }
                })
                .collect();
            doc.push_str(&format!(
                "Dialogue: 0,{},{},Caption,,0,0,0,,{}\n",
                timestamp(start),
                timestamp(end),
                text.join(" ")
            ));
        }
    }
    for card in cards {
        for (c, chunk) in card.words.chunks(CARD_WORDS).enumerate() {
            let chunk_end = card.words.get((c + 1) * CARD_WORDS).map_or(card.end, |next| next.start);
            for (i, word) in chunk.iter().enumerate() {
                let start = if c == 0 && i == 0 { card.start } else { word.start };
                let end = chunk.get(i + 1).map_or(chunk_end, |next| next.start);
                if end <= start {
                    continue;
                }
                let said: Vec<String> = chunk[..i].iter().map(|w| escape(&w.text)).collect();
                let newest = format!(
                    "{{\\1c{}\\fscx135\\fscy135\\t(0,160,\\fscx100\\fscy100)}}{}{{\\1c&H00FFFFFF&}}",
                    look.active,
                    escape(&word.text)
                );
                let shown = if said.is_empty() { newest } else { format!("{} {newest}", said.join(" ")) };
                doc.push_str(&format!("Dialogue: 0,{},{},Card,,0,0,0,,{shown}\n", timestamp(start), timestamp(end)));
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(text: &str, span: Option<(f64, f64)>) -> Phrase {
        Phrase { words: text.split(' ').map(str::to_owned).collect(), span }
    }

    #[test]
    fn words_cover_the_speech_in_order_in_proportion_to_their_letters() {
        let cues = cues(&[phrase("Stop boiling pasta in tiny pots tonight", None)], 7.0);
        assert_eq!(cues.iter().map(Cue::text).collect::<Vec<_>>(), ["Stop boiling pasta", "in tiny pots", "tonight"]);
        let words: Vec<&Word> = cues.iter().flat_map(|c| &c.words).collect();
        assert_eq!(words[0].start, 0.0);
        assert!((words.last().unwrap().end - 7.0).abs() < 1e-9);
        assert!(words.windows(2).all(|w| (w[0].end - w[1].start).abs() < 1e-9), "no gaps, no overlaps");
        assert!(words[1].end - words[1].start > words[3].end - words[3].start, "boiling takes longer than in");
    }

    #[test]
    fn timed_phrases_keep_their_cues_inside_their_own_span() {
        let cues =
            cues(&[phrase("Salt the water.", Some((0.0, 1.5))), phrase("Use a big pot!", Some((1.8, 3.0)))], 3.2);
        assert_eq!(
            cues.iter().map(|c| (c.text(), c.start)).collect::<Vec<_>>(),
            [("Salt the water.".to_owned(), 0.0), ("Use a big".into(), 1.8), ("pot!".into(), cues[2].start)]
        );
        assert!((cues[0].end - 1.5).abs() < 1e-9);
        assert!((cues[2].end - 3.0).abs() < 1e-9);
    }

    #[test]
    fn each_word_is_highlighted_while_it_is_said() {
        let cue = Cue {
            start: 1.0,
            end: 2.0,
            words: vec![
                Word { start: 1.0, end: 1.4, text: "Salt".into() },
                Word { start: 1.4, end: 2.0, text: "it".into() },
            ],
        };
        let doc = ass(&[cue], None, CaptionPreset::Bold, &[]);
        let events: Vec<&str> = doc.lines().filter(|l| l.starts_with("Dialogue:")).collect();
        assert_eq!(
            events,
            [
                "Dialogue: 0,0:00:01.00,0:00:01.40,Caption,,0,0,0,,{\\1c&H0000D7FF&}Salt{\\1c&H00FFFFFF&} it",
                "Dialogue: 0,0:00:01.40,0:00:02.00,Caption,,0,0,0,,Salt {\\1c&H0000D7FF&}it{\\1c&H00FFFFFF&}",
            ]
        );
    }

    #[test]
    fn the_hook_card_opens_the_video_and_presets_change_the_look() {
        let doc = ass(&[], Some(("Stop rinsing pasta", 1.5)), CaptionPreset::Clean, &[]);
        assert!(doc.contains("Dialogue: 1,0:00:00.00,0:00:01.50,Hook,,0,0,0,,{\\fs112}Stop rinsing pasta"), "{doc}");
        let long = "Three pasta mistakes that everyone makes on a weeknight, and the fixes";
        assert!(
            ass(&[], Some((long, 1.5)), CaptionPreset::Bold, &[]).contains("{\\fs76}Three"),
            "long hooks in smaller type"
        );
        assert!(doc.contains("Style: Caption,DejaVu Sans,76,"), "the clean preset");
        assert_ne!(look(CaptionPreset::Bold).style, look(CaptionPreset::Boxed).style);
        assert!(!ass(&[], Some(("  ", 1.5)), CaptionPreset::Bold, &[]).contains("Hook,,"), "no empty card");
    }

    #[test]
    fn a_text_card_builds_up_its_words_the_newest_popping_in_and_starts_again_when_full() {
        let words: Vec<Word> = (0..8)
            .map(|i| Word { start: 2.0 + f64::from(i) * 0.5, end: 2.5 + f64::from(i) * 0.5, text: format!("w{i}") })
            .collect();
        let card = Cue { start: 1.8, end: 6.5, words };
        let doc = ass(&[], None, CaptionPreset::Bold, &[card]);
        let events: Vec<&str> = doc.lines().filter(|l| l.contains(",Card,,")).collect();
        assert_eq!(events.len(), 8);
        let pop = "\\1c&H0000D7FF&\\fscx135\\fscy135\\t(0,160,\\fscx100\\fscy100)";
        assert_eq!(events[0], format!("Dialogue: 0,0:00:01.80,0:00:02.50,Card,,0,0,0,,{{{pop}}}w0{{\\1c&H00FFFFFF&}}"));
        assert!(events[5].ends_with(&format!(",,w0 w1 w2 w3 w4 {{{pop}}}w5{{\\1c&H00FFFFFF&}}")), "{}", events[5]);
        assert!(events[6].contains("0:00:05.00,0:00:05.50,Card,,0,0,0,,{"), "a full card starts again: {}", events[6]);
        assert!(events[7].contains(",0:00:06.50,Card,") && events[7].contains(",,w6 {"), "held to the scene's end");
    }

    #[test]
    fn the_document_is_timed_styled_and_cannot_be_injected() {
        let words = vec![Word { start: 61.5, end: 62.25, text: "{\\pos(0,0)}hi\\N".into() }];
        let doc = ass(&[Cue { start: 61.5, end: 62.25, words }], Some(("{\\b1}x", 1.0)), CaptionPreset::Bold, &[]);
        assert!(doc.contains("PlayResX: 1080\nPlayResY: 1920"));
        assert!(doc.contains("Dialogue: 0,0:01:01.50,0:01:02.25,Caption,,0,0,0,,"));
        assert!(!doc.contains("\\pos") && !doc.contains("\\b1"), "{doc}");
    }
}
