//! A slot's video as a timeline of scenes, one per sentence (1.5 to 6 s:
//! short sentences share a scene, long ones are cut in parts), and the
//! cheap generated visual of each: an animated two-colour gradient rendered
//! at a quarter of the size and scaled up once, a hard cut between scenes
//! (the palette and the light corner change).

use super::captions::Word;

/// A scene on screen from `start` to `end` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scene {
    pub start: f64,
    pub end: f64,
}

impl Scene {
    pub fn secs(&self) -> f64 {
        self.end - self.start
    }
}

pub const MIN_SECS: f64 = 1.5;
pub const MAX_SECS: f64 = 6.0;

/// Scenes over `0..duration`, cut where a sentence starts (the first word
/// after one ending in `.`, `!` or `?`), then merged and split into bounds.
pub fn timeline(words: &[Word], duration: f64) -> Vec<Scene> {
    let mut cuts = vec![0.0];
    for pair in words.windows(2) {
        if pair[0].text.trim_end_matches(['"', '\'', ')', '”', '’']).ends_with(['.', '!', '?']) {
            cuts.push(pair[1].start);
        }
    }
    cuts.push(duration);
    // Merge: a cut closer than MIN_SECS to the previous kept one goes.
    let mut kept = vec![0.0];
    for &cut in &cuts[1..cuts.len() - 1] {
        if cut - kept[kept.len() - 1] >= MIN_SECS && duration - cut >= MIN_SECS {
            kept.push(cut);
        }
    }
    kept.push(duration);
    let mut scenes = Vec::new();
    for pair in kept.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let parts = ((end - start) / MAX_SECS).ceil().max(1.0) as usize;
        let step = (end - start) / parts as f64;
        for n in 0..parts {
            scenes.push(Scene { start: start + step * n as f64, end: start + step * (n + 1) as f64 });
        }
    }
    scenes
}

/// Dark colour pairs white captions read well on.
const PALETTES: [(&str, &str); 8] = [
    ("0x1e1b4b", "0x7c3aed"),
    ("0x0f172a", "0x0e7490"),
    ("0x3f0d12", "0xbe123c"),
    ("0x052e16", "0x15803d"),
    ("0x1c1917", "0xc2410c"),
    ("0x172554", "0x2563eb"),
    ("0x2e1065", "0xc026d3"),
    ("0x042f2e", "0x0d9488"),
];

/// The colours of scene `n` of a video whose palettes start at `seed`.
pub fn palette(n: usize, seed: u64) -> (&'static str, &'static str) {
    PALETTES[(seed as usize + n) % PALETTES.len()]
}

/// The side of the small frame the gradients are drawn at (a quarter of 1080x1920).
pub const SMALL: (u32, u32) = (270, 480);

/// The `lavfi` source of scene `n` of a video whose palettes start at
/// `seed`: consecutive scenes never share a palette.
pub fn gradient_source(scene: &Scene, n: usize, seed: u64, fps: u32) -> String {
    let (c0, c1) = palette(n, seed);
    let (w, h) = SMALL;
    // The light corner flips from scene to scene, so every cut reads as one.
    let (from, to) = if n.is_multiple_of(2) { ((0, 0), (w, h)) } else { ((w, h), (0, 0)) };
    // Whole frames on the video's grid, so scene after scene never drifts from the voice:
    // the source stops at the first frame at or past `d`, hence half a frame short.
    let frames = (scene.end * f64::from(fps)).round() - (scene.start * f64::from(fps)).round();
    let d = (frames - 0.5).max(0.5) / f64::from(fps);
    format!(
        "gradients=s={w}x{h}:r={fps}:d={d:.6}:c0={c0}:c1={c1}:x0={}:y0={}:x1={}:y1={}:nb_colors=2:speed=0.008:seed={n}",
        from.0, from.1, to.0, to.1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, secs_per_word: f64) -> Vec<Word> {
        text.split(' ')
            .enumerate()
            .map(|(i, w)| Word { start: i as f64 * secs_per_word, end: (i + 1) as f64 * secs_per_word, text: w.into() })
            .collect()
    }

    #[test]
    fn scenes_follow_sentences_within_their_bounds_and_cover_the_video() {
        // Sentences of 4, 1, 3 and 14 words at 0.5 s a word: 2 s, 0.5 s, 1.5 s, 7 s.
        let text = "Salt the water well. Always. Use big pots. \
                    Then wait for a rolling boil before the pasta goes in and stir it once or twice";
        let scenes = timeline(&words(text, 0.5), 11.5);
        let bounds: Vec<(f64, f64)> = scenes.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(bounds, [(0.0, 2.0), (2.0, 4.0), (4.0, 7.75), (7.75, 11.5)], "{bounds:?}");
        assert!(scenes.iter().all(|s| (MIN_SECS..=MAX_SECS).contains(&s.secs())));
        assert!(scenes.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn a_short_video_is_one_scene_and_neighbours_never_share_a_palette() {
        assert_eq!(timeline(&words("Hi. There.", 0.4), 1.2), [Scene { start: 0.0, end: 1.2 }]);
        let scene = Scene { start: 0.0, end: 2.0 };
        let sources: Vec<String> = (0..10).map(|n| gradient_source(&scene, n, 3, 30)).collect();
        let first_colour = |s: &String| s.split(":c0=").nth(1).unwrap().split(':').next().unwrap().to_owned();
        assert!(sources.windows(2).all(|w| first_colour(&w[0]) != first_colour(&w[1])));
        assert!(sources[0].starts_with("gradients=s=270x480:r=30:d=1.983333:"), "60 frames: {}", sources[0]);
    }
}
