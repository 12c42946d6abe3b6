//! Captions as ASS subtitles, burned in by libass: a few words at a time,
//! timed in proportion to how long each word takes to say, large and
//! outlined, in the middle band of the screen, clear of TikTok's own UI
//! (the caption and buttons at the bottom and right).

use super::tts::Phrase;

/// One caption on screen from `start` to `end` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Words per caption.
const WORDS_PER_CUE: usize = 3;

/// Splits each phrase into cues over its span (the whole speech when the
/// voice gave no timing), each word's share of the time in proportion to
/// its letters plus a pause. A cue never mixes two phrases.
pub fn cues(phrases: &[Phrase], speech_secs: f64) -> Vec<Cue> {
    let weight = |w: &String| w.chars().filter(|c| c.is_alphanumeric()).count() as f64 + 2.0;
    let mut cues = Vec::new();
    for phrase in phrases {
        let (start, end) = phrase.span.unwrap_or((0.0, speech_secs));
        let total: f64 = phrase.words.iter().map(weight).sum();
        if total == 0.0 || end <= start {
            continue;
        }
        let mut at = start;
        for chunk in phrase.words.chunks(WORDS_PER_CUE) {
            let share = chunk.iter().map(weight).sum::<f64>() / total * (end - start);
            cues.push(Cue { start: at, end: at + share, text: chunk.join(" ") });
            at += share;
        }
    }
    cues
}

fn timestamp(secs: f64) -> String {
    let centis = (secs.max(0.0) * 100.0).round() as u64;
    format!("{}:{:02}:{:02}.{:02}", centis / 360_000, centis / 6000 % 60, centis / 100 % 60, centis % 100)
}

/// ASS braces and backslashes are markup; a script must not inject any.
fn escape(text: &str) -> String {
    text.replace('\\', "/").replace(['{', '}'], "").replace('\n', " ")
}

/// The ASS document for `cues` on a 1080x1920 canvas.
pub fn ass(cues: &[Cue]) -> String {
    let mut doc = String::from(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 1080\nPlayResY: 1920\nWrapStyle: 0\nScaledBorderAndShadow: yes\n\n\
         [V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, \
         Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, \
         MarginR, MarginV, Encoding\n\
         Style: Caption,DejaVu Sans,92,&H00FFFFFF,&H00FFFFFF,&H00000000,&H64000000,-1,0,0,0,100,100,0,0,1,7,2,5,140,200,0,1\n\n\
         [Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
    );
    for cue in cues {
        doc.push_str(&format!(
            "Dialogue: 0,{},{},Caption,,0,0,0,,{}\n",
            timestamp(cue.start),
            timestamp(cue.end),
            escape(&cue.text)
        ));
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
    fn cues_cover_the_speech_in_order_in_proportion_to_the_words() {
        let cues = cues(&[phrase("Stop boiling pasta in tiny pots tonight", None)], 7.0);
        assert_eq!(
            cues.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
            ["Stop boiling pasta", "in tiny pots", "tonight"]
        );
        assert_eq!(cues[0].start, 0.0);
        assert!((cues.last().unwrap().end - 7.0).abs() < 1e-9);
        assert!(cues.windows(2).all(|w| (w[0].end - w[1].start).abs() < 1e-9), "no gaps, no overlaps");
        assert!(cues[0].end - cues[0].start > cues[2].end - cues[2].start, "more letters, more time");
    }

    #[test]
    fn timed_phrases_keep_their_cues_inside_their_own_span() {
        let cues =
            cues(&[phrase("Salt the water.", Some((0.0, 1.5))), phrase("Use a big pot!", Some((1.8, 3.0)))], 3.2);
        assert_eq!(
            cues.iter().map(|c| (c.text.as_str(), c.start)).collect::<Vec<_>>(),
            [("Salt the water.", 0.0), ("Use a big", 1.8), ("pot!", cues[2].start)]
        );
        assert!((cues[0].end - 1.5).abs() < 1e-9, "silence between sentences has no caption");
        assert!((cues[2].end - 3.0).abs() < 1e-9);
    }

    #[test]
    fn the_document_is_timed_styled_and_cannot_be_injected() {
        let doc = ass(&[Cue { start: 61.5, end: 62.25, text: "{\\pos(0,0)}hi\\N there".into() }]);
        assert!(doc.contains("PlayResX: 1080\nPlayResY: 1920"));
        assert!(doc.contains("Dialogue: 0,0:01:01.50,0:01:02.25,Caption,,0,0,0,,"));
        assert!(!doc.contains("\\pos"), "{doc}");
        assert!(!doc.lines().last().unwrap().contains('{'));
    }
}
