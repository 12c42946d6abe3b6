//! A slot's video as a timeline of scenes, one per shot of its shot list
//! (1.5 to 6 s: short shots share a scene, long ones are cut in parts),
//! and the cheap generated visual: an animated two-colour gradient drawn at
//! a quarter of the size and scaled up, a hard cut between scenes (the
//! palette and the light corner change).

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

/// Scenes over `0..duration`, one per shot of `shot_words` words (a cut
/// where its first word is said), then kept within bounds: a scene shorter
/// than [`MIN_SECS`] is taken into the one before (the first into the
/// next), a longer one than [`MAX_SECS`] is cut in equal parts. Each scene
/// comes with the index of its shot.
pub fn timeline(words: &[Word], shot_words: &[usize], duration: f64) -> Vec<(Scene, usize)> {
    let mut cuts = vec![(0.0, 0)];
    let mut first_word = 0;
    for shot in 1..shot_words.len() {
        first_word += shot_words[shot - 1];
        if let Some(word) = words.get(first_word) {
            cuts.push((word.start, shot));
        }
    }
    // Merge: a cut closer than MIN_SECS to the previous kept one, or to the end, goes.
    let mut kept: Vec<(f64, usize)> = vec![cuts[0]];
    for &(at, shot) in &cuts[1..] {
        let last = kept.len() - 1;
        if at - kept[last].0 < MIN_SECS {
            // A first scene too short gives way to the next shot's visual.
            if last == 0 && at < MIN_SECS && duration - at >= MIN_SECS {
                kept[0].1 = shot;
            }
            continue;
        }
        if duration - at >= MIN_SECS {
            kept.push((at, shot));
        }
    }
    let mut scenes = Vec::new();
    for (n, &(start, shot)) in kept.iter().enumerate() {
        let end = kept.get(n + 1).map_or(duration, |next| next.0);
        let parts = ((end - start) / MAX_SECS).ceil().max(1.0) as usize;
        let step = (end - start) / parts as f64;
        for part in 0..parts {
            scenes.push((Scene { start: start + step * part as f64, end: start + step * (part + 1) as f64 }, shot));
        }
    }
    scenes
}

/// Whole frames of a scene on the video's grid, so scene after scene never
/// drifts from the voice.
pub fn frames(scene: &Scene, fps: u32) -> u64 {
    let frames = (scene.end * f64::from(fps)).round() - (scene.start * f64::from(fps)).round();
    frames.max(1.0) as u64
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
/// `seed` (endless: the caller trims it to the scene's frames):
/// consecutive scenes never share a palette, and the light corner flips
/// from scene to scene, so every cut reads as one.
pub fn gradient_source(n: usize, seed: u64, fps: u32) -> String {
    let (c0, c1) = palette(n, seed);
    let (w, h) = SMALL;
    let (from, to) = if n.is_multiple_of(2) { ((0, 0), (w, h)) } else { ((w, h), (0, 0)) };
    format!(
        "gradients=s={w}x{h}:r={fps}:c0={c0}:c1={c1}:x0={}:y0={}:x1={}:y1={}:nb_colors=2:speed=0.008:seed={n}",
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
    fn scenes_follow_the_shots_within_their_bounds_and_cover_the_video() {
        // Shots of 4, 1, 3 and 14 words at 0.5 s a word: 2 s, 0.5 s, 1.5 s, 7 s.
        let text = "Salt the water well. Always. Use big pots. \
                    Then wait for a rolling boil before the pasta goes in and stir it once or twice";
        let scenes = timeline(&words(text, 0.5), &[4, 1, 3, 14], 11.5);
        let bounds: Vec<(f64, f64, usize)> = scenes.iter().map(|(s, shot)| (s.start, s.end, *shot)).collect();
        // The one-word shot is too short to end where the next starts: it runs on
        // over the next shot's words; the long one is cut in two.
        assert_eq!(bounds, [(0.0, 2.0, 0), (2.0, 4.0, 1), (4.0, 7.75, 3), (7.75, 11.5, 3)], "{bounds:?}");
        assert!(scenes.iter().all(|(s, _)| (MIN_SECS..=MAX_SECS).contains(&s.secs())));
        assert!(scenes.windows(2).all(|w| w[0].0.end == w[1].0.start));
        // A first shot too short to stand gives its screen time to the next one's visual.
        let scenes = timeline(&words("Hi. Then a longer second sentence follows here.", 0.5), &[1, 7], 4.0);
        assert_eq!(scenes, [(Scene { start: 0.0, end: 4.0 }, 1)]);
    }

    #[test]
    fn a_short_video_is_one_scene_and_neighbours_never_share_a_palette() {
        assert_eq!(timeline(&words("Hi. There.", 0.4), &[1, 1], 1.2), [(Scene { start: 0.0, end: 1.2 }, 0)]);
        let sources: Vec<String> = (0..10).map(|n| gradient_source(n, 3, 30)).collect();
        let first_colour = |s: &String| s.split(":c0=").nth(1).unwrap().split(':').next().unwrap().to_owned();
        assert!(sources.windows(2).all(|w| first_colour(&w[0]) != first_colour(&w[1])));
        assert_eq!(frames(&Scene { start: 1.99, end: 4.01 }, 30), 60, "frames on the 30 fps grid");
    }
}
