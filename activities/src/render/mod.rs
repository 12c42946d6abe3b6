//! Rendering a slot into a vertical video TikTok accepts: 1080x1920, 30 fps,
//! H.264 (yuv420p) + AAC, faststart; the cleaned script spoken, a hook card
//! for the first moments, scenes that change with the sentences (the slot's
//! own upload, or generated visuals), captions shown a few words at a time
//! with the word being said highlighted, a music bed ducked under the voice,
//! loudness normalised to -14 LUFS with a -1.5 dBTP ceiling, and a JPEG
//! thumbnail. The output is checked with ffprobe before it is accepted. No
//! logo or watermark is ever drawn (TikTok's rules).

pub mod activity;
pub mod captions;
pub mod ffmpeg;
pub mod scenes;
pub mod tts;

use domain::media::style::{Music, VideoStyle};

use std::path::{Path, PathBuf};

pub const WIDTH: u32 = 1080;
pub const HEIGHT: u32 = 1920;
pub const FPS: u32 = 30;
/// Silence after the last word, so the video does not cut mid-breath.
pub const TAIL_SECS: f64 = 0.6;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("text to speech failed: {0}")]
    Tts(String),
    #[error("ffmpeg failed: {0}")]
    Ffmpeg(String),
    /// The file exists but is not a video TikTok would take; retrying the
    /// same render would not help.
    #[error("the rendered video is not valid: {0}")]
    InvalidOutput(String),
    /// An upload the render cannot use (not its type, too large an
    /// image); retrying would not help.
    #[error("the background upload cannot be used: {0}")]
    InvalidInput(String),
    #[error("rendering I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What to render.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub script: String,
    /// Shown large for the first moments (the hook card); empty for none.
    pub hook: String,
    pub style: VideoStyle,
    /// The project's language, which the voice speaks.
    pub language: String,
    /// The scenes in order, covering the script.
    pub scenes: Vec<Planned>,
    /// Where the generated scenes' palettes start (each slot its own, the
    /// same on every re-render).
    pub seed: u64,
    /// The project's music track, when its style plays one.
    pub music_track: Option<ffmpeg::Upload>,
    pub quality: ffmpeg::Quality,
    /// Draw captions (tests render without them to compare frames).
    pub captions: bool,
    /// Longest allowed video, from the project's limits.
    pub max_secs: f64,
}

/// A scene of the shot list as the render plans it: how many of the
/// spoken script's words it covers, and what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub words: usize,
    pub visual: ffmpeg::Visual,
}

/// How many words of `text` the voice says (and the captions show).
pub fn spoken_words(text: &str) -> usize {
    domain::media::spoken::clean(text).split_whitespace().count()
}

/// What a render produced, in its work directory.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub video: PathBuf,
    pub thumbnail: PathBuf,
    pub duration_secs: f64,
    /// Where the thumbnail was taken, kept as TikTok's `video_cover_timestamp_ms`.
    pub cover_timestamp_ms: u32,
}

/// Share of the work done when the voice is ready and when the video is
/// encoded; the encode is the long part.
pub(crate) const VOICE_DONE: f64 = 0.1;
const ENCODE_DONE: f64 = 0.95;

/// The spoken script, timed: what the video's length follows from, known
/// before the expensive part (the encode) starts.
#[derive(Debug, Clone)]
pub struct Voiced {
    pub speech: PathBuf,
    pub phrases: Vec<tts::Phrase>,
    pub speech_secs: f64,
    /// The video's length: the speech plus a short tail, within the limit.
    pub duration_secs: f64,
}

/// Renders `request` into `work_dir` (created if missing): speech, captions,
/// video, thumbnail, validation. `on_progress` hears the fraction done.
pub async fn render(
    tts: &dyn tts::Tts,
    request: &RenderRequest,
    work_dir: &Path,
    on_progress: &mut (dyn FnMut(f64) + Send),
) -> Result<Rendered, RenderError> {
    let voiced = voice(tts, request, work_dir).await?;
    on_progress(VOICE_DONE);
    compose(request, &voiced, work_dir, on_progress).await
}

/// The first step: checks the upload, speaks the script, times it.
pub async fn voice(tts: &dyn tts::Tts, request: &RenderRequest, work_dir: &Path) -> Result<Voiced, RenderError> {
    // Before FFmpeg sees an upload: its bytes are its type, an image's size is bounded.
    let mut checked = std::collections::BTreeSet::new();
    for upload in request.scenes.iter().filter_map(|s| s.visual.upload()).chain(&request.music_track) {
        if checked.insert(&upload.path) {
            ffmpeg::check_upload(upload).await?;
        }
    }
    tokio::fs::create_dir_all(work_dir).await?;
    let speech = work_dir.join("voice.wav");
    // Said and shown alike: no markdown, emoji or hashtags, symbols as words.
    let voice = tts::Voice { language: request.language.clone(), pace: request.style.voice_pace };
    let phrases = tts.speak(&domain::media::spoken::clean(&request.script), &voice, &speech).await?;
    let speech_secs = ffmpeg::probe(&speech).await?.duration_secs;
    let duration_secs = (speech_secs + TAIL_SECS).min(request.max_secs);
    Ok(Voiced { speech, phrases, speech_secs, duration_secs })
}

/// The second step: captions, the encode, validation and the thumbnail.
pub async fn compose(
    request: &RenderRequest,
    voiced: &Voiced,
    work_dir: &Path,
    on_progress: &mut (dyn FnMut(f64) + Send),
) -> Result<Rendered, RenderError> {
    let Voiced { speech, phrases, speech_secs, duration_secs } = voiced;
    let (speech_secs, duration_secs) = (*speech_secs, *duration_secs);
    tokio::fs::create_dir_all(work_dir).await?;
    let phrases = captions::timed_words(phrases, speech_secs);
    let words = phrases.concat();
    let counts: Vec<usize> = request.scenes.iter().map(|s| s.words).collect();
    let timeline = scenes::timeline(&words, &counts, duration_secs);
    let shown: Vec<(scenes::Scene, ffmpeg::Visual)> = timeline
        .iter()
        .map(|(scene, shot)| {
            let visual = request.scenes.get(*shot).map_or(ffmpeg::Visual::Gradient, |s| s.visual.clone());
            // The later parts of a long shot's footage play on from where the first left off.
            let first = timeline.iter().find(|(_, s)| s == shot).map_or(scene.start, |(s, _)| s.start);
            let visual = match visual {
                ffmpeg::Visual::Footage { upload, from: ffmpeg::Start::At(at) } => {
                    ffmpeg::Visual::Footage { upload, from: ffmpeg::Start::At(at + scene.start - first) }
                }
                other => other,
            };
            (*scene, visual)
        })
        .collect();
    let subtitles = if request.captions {
        let path = work_dir.join("captions.ass");
        let hook = domain::media::spoken::clean(&request.hook);
        let card = (!hook.is_empty()).then(|| (hook.as_str(), captions::HOOK_SECS.min(shown[0].0.secs())));
        // A text card shows its scene's words in large type instead of the captions.
        let cards: Vec<captions::Cue> = shown
            .iter()
            .filter(|(_, visual)| *visual == ffmpeg::Visual::TextCard)
            .map(|(scene, _)| captions::Cue {
                start: scene.start,
                end: scene.end,
                words: words.iter().filter(|w| (scene.start..scene.end).contains(&w.start)).cloned().collect(),
            })
            .collect();
        let on_a_card = |w: &captions::Word| cards.iter().any(|c| (c.start..c.end).contains(&w.start));
        let captioned: Vec<Vec<captions::Word>> =
            phrases.into_iter().map(|p| p.into_iter().filter(|w| !on_a_card(w)).collect()).collect();
        let document = captions::ass(&captions::group(captioned), card, request.style.captions, &cards);
        tokio::fs::write(&path, document).await?;
        Some(path)
    } else {
        None
    };
    let video = work_dir.join("video.mp4");
    let composition = ffmpeg::Composition {
        scenes: &shown,
        seed: request.seed,
        speech,
        subtitles: subtitles.as_deref(),
        music: match (request.style.music, &request.music_track) {
            (Music::None, _) => ffmpeg::Bed::Silent,
            (Music::Track, Some(track)) => ffmpeg::Bed::Track(track),
            // A track that is gone leaves the generated pad.
            (Music::Track | Music::Generated, _) => ffmpeg::Bed::Generated,
        },
        pitch: request.style.voice_pitch.ratio(),
        quality: request.quality,
        duration_secs,
        output: &video,
    };
    ffmpeg::compose(&composition, |done| on_progress(VOICE_DONE + done * (ENCODE_DONE - VOICE_DONE))).await?;
    let probe = ffmpeg::probe(&video).await?;
    probe.check_video(duration_secs, request.quality)?;
    // A frame a third in: past the hook's first words, captions on screen.
    let cover_timestamp_ms = (duration_secs * 1000.0 / 3.0) as u32;
    let thumbnail = work_dir.join("thumbnail.jpg");
    ffmpeg::thumbnail(&video, cover_timestamp_ms, &thumbnail).await?;
    on_progress(1.0);
    Ok(Rendered { video, thumbnail, duration_secs: probe.duration_secs, cover_timestamp_ms })
}

/// How much of a highlight's clip its render keeps: all of it, within the
/// project's length limit.
pub async fn clip_length(clip: &Path, max_secs: f64) -> Result<f64, RenderError> {
    Ok(ffmpeg::probe_as(clip, Some(ffmpeg::MediaType::Mp4)).await?.duration_secs.min(max_secs))
}

/// The render of a slot made from a highlight: its clip is the video
/// already (cut, reframed, loudness-normalised and captioned with the words
/// said when the import was cut), so it is copied stream for stream, within
/// the project's length limit, with the index up front, then checked like
/// any render and given its thumbnail. No voice, no encode. `duration_secs`
/// is [`clip_length`]'s.
pub async fn from_clip(clip: &Path, duration_secs: f64, work_dir: &Path) -> Result<Rendered, RenderError> {
    tokio::fs::create_dir_all(work_dir).await?;
    let video = work_dir.join("video.mp4");
    let partial = work_dir.join("video.partial.mp4");
    ffmpeg::run(
        tokio::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-y", "-loglevel", "error"])
            .args(ffmpeg::input_args(clip, ffmpeg::MediaType::Mp4))
            .args(["-t", &format!("{duration_secs:.3}"), "-map", "0:v:0", "-map", "0:a:0", "-c", "copy"])
            .args(["-movflags", "+faststart", "-f", "mp4"])
            .arg(&partial),
        "ffmpeg clip copy",
    )
    .await?;
    tokio::fs::rename(&partial, &video).await?;
    let probe = ffmpeg::probe(&video).await?;
    probe.check_tiktok_video(duration_secs)?;
    let cover_timestamp_ms = (probe.duration_secs * 1000.0 / 3.0) as u32;
    let thumbnail = work_dir.join("thumbnail.jpg");
    ffmpeg::thumbnail(&video, cover_timestamp_ms, &thumbnail).await?;
    Ok(Rendered { video, thumbnail, duration_secs: probe.duration_secs, cover_timestamp_ms })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffmpeg::{Start, Upload, Visual};

    const SCRIPT: &str = "Three pasta mistakes everyone makes. First, the pot is too small. \
                          Second, the water has no salt. Third, rinsing the pasta after cooking.";

    fn request(captions: bool) -> RenderRequest {
        RenderRequest {
            script: SCRIPT.into(),
            hook: String::new(),
            style: VideoStyle::default(),
            language: "en".into(),
            scenes: derived(SCRIPT, &Visual::Color("0x1e293b".into())),
            seed: 0,
            music_track: None,
            quality: ffmpeg::Quality::Final,
            captions,
            max_secs: 60.0,
        }
    }

    /// A scene per sentence of `script`, each showing `visual` (text cards
    /// as their shots say): the plan of a script without a shot list.
    fn derived(script: &str, visual: &Visual) -> Vec<Planned> {
        domain::media::shots::derive(script)
            .iter()
            .map(|shot| Planned {
                words: spoken_words(&shot.text),
                visual: match shot.visual {
                    domain::media::shots::VisualKind::TextCard => Visual::TextCard,
                    _ => visual.clone(),
                },
            })
            .collect()
    }

    /// A generated file for a scene: `ffmpeg -f lavfi -i {source}` into `path`.
    fn make(source: &str, extra: &[&str], path: &Path) {
        let status = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source])
            .args(extra)
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "making {}", path.display());
    }

    /// Six sentences, with markdown and a hashtag a model might leave in.
    const SCENES_SCRIPT: &str = "**Three** pasta mistakes everyone makes, and how to fix them tonight. \
        First, the pot is far too small, so the water stops boiling when the pasta goes in. \
        Second, the water has no salt, and pasta cooked in plain water tastes of nothing at all. \
        Third, people rinse it after cooking, which washes away the starch the sauce needs. \
        Fourth, the sauce waits in another pan instead of meeting the pasta for the last minute. \
        Fix these four things and your weeknight pasta will taste like a restaurant's. #pasta";

    fn piper() -> tts::Piper {
        let python = std::env::var("TEST_PIPER_PYTHON").expect("TEST_PIPER_PYTHON is set by make test");
        tts::Piper { python: python.into(), model: None }
    }

    /// Pixels within a small distance of `rgb`.
    fn pixels_near(frame: &[u8], rgb: [u8; 3]) -> usize {
        frame.chunks(3).filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) < 40)).count()
    }

    #[tokio::test]
    async fn a_slot_becomes_scenes_with_a_hook_card_word_by_word_captions_and_music_under_the_voice() {
        let dir = std::env::temp_dir().join(format!("reelpilot-scenes-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        // Three kinds of visuals: footage (a slowly moving pattern), a still, generated ones.
        let clip = dir.join("footage.mp4");
        make("testsrc2=s=640x360:r=30:d=8", &["-pix_fmt", "yuv420p"], &clip);
        let still = dir.join("still.png");
        make("smptehdbars=s=800x1200", &["-frames:v", "1"], &still);
        let footage = |at| Visual::Footage {
            upload: Upload { path: clip.clone(), kind: ffmpeg::MediaType::Mp4 },
            from: Start::At(at),
        };
        // A shot per sentence, as a model's shot list gives them.
        let mut shots: Vec<String> = SCENES_SCRIPT.split_inclusive(". ").map(str::to_owned).collect();
        let hashtag = shots.pop().unwrap();
        shots.last_mut().unwrap().push_str(&hashtag);
        assert_eq!(shots.len(), 6, "six sentences, six shots");
        let visuals = [
            footage(0.0),
            Visual::Still(Upload { path: still.clone(), kind: ffmpeg::MediaType::Png }),
            Visual::TextCard,
            Visual::Gradient,
            footage(4.0),
            Visual::TextCard,
        ];
        let planned: Vec<Planned> =
            shots.iter().zip(visuals).map(|(text, visual)| Planned { words: spoken_words(text), visual }).collect();
        let request = |captions| RenderRequest {
            script: SCENES_SCRIPT.into(),
            hook: "Stop ruining your **pasta**".into(),
            style: VideoStyle::default(),
            language: "en".into(),
            scenes: planned.clone(),
            seed: 7,
            music_track: None,
            quality: ffmpeg::Quality::Final,
            captions,
            max_secs: 60.0,
        };
        let tts = piper();
        let voiced = voice(&tts, &request(true), &dir.join("with")).await.unwrap();
        let with = compose(&request(true), &voiced, &dir.join("with"), &mut |_| {}).await.unwrap();
        assert!((20.0..40.0).contains(&with.duration_secs), "about 30 s: {}", with.duration_secs);

        // Scenes follow the shots: the picture changes at each planned
        // cut and nowhere else.
        let words = captions::timed_words(&voiced.phrases, voiced.speech_secs).concat();
        let counts: Vec<usize> = planned.iter().map(|p| p.words).collect();
        let timeline = scenes::timeline(&words, &counts, voiced.duration_secs);
        assert_eq!(timeline.iter().map(|(_, shot)| *shot).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5], "{timeline:?}");
        // Captions and the hook card score under 0.05; cuts well above.
        let changes = ffmpeg::scene_changes(&with.video, 0.1).await.unwrap();
        for (cut, _) in &timeline[1..] {
            assert!(changes.iter().any(|t| (t - cut.start).abs() < 0.1), "a cut at {} in {changes:?}", cut.start);
        }
        assert_eq!(changes.len(), timeline.len() - 1, "no other cuts: {changes:?} for {timeline:?}");
        // Each scene looks unlike its neighbours, and the still moves.
        let middle = |n: usize| (timeline[n].0.start + timeline[n].0.end) / 2.0;
        let mut frames = Vec::new();
        for n in 0..timeline.len() {
            frames.push(ffmpeg::gray_frame(&with.video, middle(n)).await.unwrap());
        }
        let differing = |a: &[u8], b: &[u8]| a.iter().zip(b).filter(|(x, y)| x.abs_diff(**y) > 40).count();
        for pair in frames.windows(2) {
            assert!(differing(&pair[0], &pair[1]) > pair[0].len() / 5, "neighbouring scenes look different");
        }
        let still_scene = timeline[1].0;
        let (a, b) = (
            ffmpeg::gray_frame(&with.video, still_scene.start + 0.1).await.unwrap(),
            ffmpeg::gray_frame(&with.video, still_scene.end - 0.2).await.unwrap(),
        );
        assert!(differing(&a, &b) > a.len() / 20, "the still zooms");

        // The hook card covers the top of the first moments, then goes.
        // The same voice (Piper varies between runs), composed without captions.
        let without = compose(&request(false), &voiced, &dir.join("without"), &mut |_| {}).await.unwrap();
        let hook_band = |frame: &[u8]| frame[(WIDTH * 340) as usize * 3..(WIDTH * 560) as usize * 3].to_vec();
        let differing = |a: &[u8], b: &[u8]| a.iter().zip(b).filter(|(x, y)| x.abs_diff(**y) > 60).count();
        let early =
            (ffmpeg::rgb_frame(&with.video, 0.5).await.unwrap(), ffmpeg::rgb_frame(&without.video, 0.5).await.unwrap());
        assert!(differing(&hook_band(&early.0), &hook_band(&early.1)) > 20_000, "the hook card is on screen");
        let later_at = captions::HOOK_SECS + 1.0;
        let later = (
            ffmpeg::rgb_frame(&with.video, later_at).await.unwrap(),
            ffmpeg::rgb_frame(&without.video, later_at).await.unwrap(),
        );
        assert_eq!(differing(&hook_band(&later.0), &hook_band(&later.1)), 0, "and gone after {later_at} s");

        // The word being said is highlighted: its colour is on screen mid-word, not without captions.
        let cues = captions::group(captions::timed_words(&voiced.phrases, voiced.speech_secs));
        // A word of a captioned scene (text cards show theirs in large type).
        let on_card = |t: f64| [2, 5].iter().any(|&n| (timeline[n].0.start..timeline[n].0.end).contains(&t));
        let word = cues[cues.len() / 2..]
            .iter()
            .flat_map(|c| &c.words)
            .find(|w| w.text.len() >= 5 && !on_card(w.start))
            .unwrap();
        let at = (word.start + word.end) / 2.0;
        let active = captions::active_rgb(domain::media::style::CaptionPreset::Bold);
        let highlighted = pixels_near(&ffmpeg::rgb_frame(&with.video, at).await.unwrap(), active);
        assert!(highlighted > 800, "{highlighted} highlighted pixels at {at} s");
        assert!(pixels_near(&ffmpeg::rgb_frame(&without.video, at).await.unwrap(), active) < 50);
        // And the word highlighted then is the word being said.
        let doc = std::fs::read_to_string(dir.join("with/captions.ass")).unwrap();
        let clock = |t: &str| {
            let parts: Vec<f64> = t.split(':').map(|p| p.parse().unwrap()).collect();
            parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
        };
        let shown_then: Vec<&str> = doc
            .lines()
            .filter(|l| l.starts_with("Dialogue:"))
            .filter(|l| {
                let fields: Vec<&str> = l.splitn(10, ',').collect();
                (clock(fields[1])..clock(fields[2])).contains(&at)
            })
            .filter_map(|l| l.split("&H0000D7FF&}").nth(1)?.split('{').next())
            .collect();
        assert_eq!(shown_then, [word.text.as_str()], "the highlighted word at {at} s");

        // A text card shows its scene's words in large type, the captions give way.
        let card = timeline[2].0;
        let in_card = |l: &&str, style: &str| {
            if !l.starts_with("Dialogue:") {
                return false;
            }
            let fields: Vec<&str> = l.splitn(10, ',').collect();
            let start = fields[1].rsplit(':').next().unwrap().parse::<f64>().unwrap()
                + 60.0 * fields[1].split(':').nth(1).unwrap().parse::<f64>().unwrap();
            fields[3] == style && (card.start..card.end - 0.05).contains(&start)
        };
        assert!(doc.lines().filter(|l| in_card(l, "Card")).count() >= 5, "{doc}");
        assert_eq!(doc.lines().filter(|l| in_card(l, "Caption")).count(), 0, "{doc}");

        // What is shown and said is clean: no markdown or hashtags in the captions.
        let shown: String = doc
            .lines()
            .filter(|l| l.starts_with("Dialogue:"))
            .map(|l| {
                let text = l.splitn(10, ',').nth(9).unwrap();
                // Override blocks are markup, not text on screen.
                let mut plain = String::new();
                let mut depth = 0;
                for c in text.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ if depth == 0 => plain.push(c),
                        _ => {}
                    }
                }
                plain + " "
            })
            .collect();
        assert!(shown.contains("Stop ruining your pasta") && shown.contains("Three pasta mistakes"), "{shown}");
        assert!(!shown.contains(['*', '#', '_']), "{shown}");

        // With music the loudness holds.
        let (integrated, true_peak) = ffmpeg::loudness(&with.video).await.unwrap();
        assert!((-15.0..=-13.0).contains(&integrated), "integrated loudness {integrated} LUFS");
        assert!(true_peak <= -1.5, "true peak {true_peak} dBTP");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_still_image_moves_under_a_slow_zoom() {
        let dir = std::env::temp_dir().join(format!("reelpilot-pan-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let image = dir.join("still.png");
        let status = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=s=900x1400", "-frames:v", "1"])
            .arg(&image)
            .status()
            .unwrap();
        assert!(status.success());
        let still = Visual::Still(ffmpeg::Upload { path: image, kind: ffmpeg::MediaType::Png });
        let request =
            RenderRequest { scenes: vec![Planned { words: 30, visual: still }], captions: false, ..request(false) };
        let rendered = render(&tts::Espeak, &request, &dir.join("work"), &mut |_| {}).await.unwrap();
        let first = ffmpeg::gray_frame(&rendered.video, 0.1).await.unwrap();
        let last = ffmpeg::gray_frame(&rendered.video, rendered.duration_secs - 0.2).await.unwrap();
        let moved = first.iter().zip(&last).filter(|(a, b)| a.abs_diff(**b) > 40).count();
        assert!(moved > first.len() / 10, "the picture moves: {moved} of {} pixels changed", first.len());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Median momentary loudness of the voice and of the music alone, with
    /// `request` spoken and four seconds of music after the speech.
    async fn voice_over_music(request: &RenderRequest, dir: &Path) -> (f64, f64, Rendered) {
        let voiced = voice(&tts::Espeak, request, dir).await.unwrap();
        let voiced = Voiced { duration_secs: voiced.speech_secs + 4.0, ..voiced };
        let rendered = compose(request, &voiced, dir, &mut |_| {}).await.unwrap();
        let momentary = ffmpeg::momentary_loudness(&rendered.video).await.unwrap();
        let median = |from: f64, to: f64| {
            let mut values: Vec<f64> =
                momentary.iter().filter(|(t, _)| (from..to).contains(t)).map(|(_, m)| *m).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        (median(1.0, voiced.speech_secs - 0.5), median(voiced.speech_secs + 1.0, voiced.speech_secs + 2.8), rendered)
    }

    #[tokio::test]
    async fn the_music_stays_well_under_the_voice() {
        let dir = std::env::temp_dir().join(format!("reelpilot-music-{}", uuid::Uuid::new_v4()));
        let (speech, music_alone, _) = voice_over_music(&request(false), &dir).await;
        assert!(music_alone > -45.0, "the music plays: {music_alone} LUFS");
        assert!(speech - music_alone >= 10.0, "voice {speech} LUFS, music alone {music_alone} LUFS");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_projects_own_track_loops_levelled_under_a_lower_voice() {
        let dir = std::env::temp_dir().join(format!("reelpilot-track-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        // A loud, short track: levelled down and looped to the video's length.
        let track = dir.join("track.wav");
        make("sine=f=330:d=3,volume=4", &["-ar", "44100"], &track);
        let style = VideoStyle {
            music: domain::media::style::Music::Track,
            voice_pitch: domain::media::style::VoicePitch::Lower,
            ..VideoStyle::default()
        };
        let with_track = RenderRequest {
            style,
            music_track: Some(Upload { path: track, kind: ffmpeg::MediaType::Wav }),
            ..request(false)
        };
        let (speech, music_alone, rendered) = voice_over_music(&with_track, &dir.join("work")).await;
        assert!(music_alone > -45.0, "the track plays past its own 3 s: {music_alone} LUFS");
        assert!(speech - music_alone >= 10.0, "voice {speech} LUFS, track alone {music_alone} LUFS");
        let (integrated, true_peak) = ffmpeg::loudness(&rendered.video).await.unwrap();
        assert!((-15.0..=-13.0).contains(&integrated), "integrated loudness {integrated} LUFS");
        assert!(true_peak <= -1.5, "true peak {true_peak} dBTP");
        // The lower voice keeps its timing.
        let natural = voice(&tts::Espeak, &request(false), &dir.join("natural")).await.unwrap();
        assert!((rendered.duration_secs - (natural.speech_secs + 4.0)).abs() < 0.1, "{}", rendered.duration_secs);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_slot_renders_to_a_tiktok_ready_video_with_even_loudness_a_thumbnail_and_captions() {
        let dir = std::env::temp_dir().join(format!("reelpilot-render-{}", uuid::Uuid::new_v4()));
        let tts = tts::Espeak;
        let mut reported = Vec::new();
        let with = render(&tts, &request(true), &dir.join("with"), &mut |p| reported.push(p))
            .await
            .expect("the render succeeds");
        assert!(reported.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {reported:?}");
        assert!(reported.len() > 3 && reported.iter().any(|p| *p > 0.2 && *p < 0.9), "{reported:?}");
        assert_eq!(reported.last(), Some(&1.0));

        let probe = ffmpeg::probe(&with.video).await.unwrap();
        assert_eq!(probe.video, Some(("h264".into(), 1080, 1920, "yuv420p".into(), "30/1".into())));
        assert_eq!(probe.audio_codec.as_deref(), Some("aac"));
        assert!(with.duration_secs > 5.0 && with.duration_secs < 20.0, "{}", with.duration_secs);

        let (integrated, true_peak) = ffmpeg::loudness(&with.video).await.unwrap();
        assert!((-15.0..=-13.0).contains(&integrated), "integrated loudness {integrated} LUFS");
        assert!(true_peak <= -1.5, "true peak {true_peak} dBTP");

        let thumbnail = std::fs::read(&with.thumbnail).unwrap();
        assert_eq!(&thumbnail[..2], &[0xFF, 0xD8], "a JPEG");
        assert!((with.cover_timestamp_ms as f64 - with.duration_secs * 1000.0 / 3.0).abs() < 50.0, "cover a third in");
        assert!(!dir.join("with/video.partial.mp4").exists(), "no half-written file stays");

        // The same frame without captions differs where the words are.
        let without = render(&tts, &request(false), &dir.join("without"), &mut |_| {}).await.unwrap();
        let middle = with.duration_secs / 2.0;
        let a = ffmpeg::gray_frame(&with.video, middle).await.unwrap();
        let b = ffmpeg::gray_frame(&without.video, middle).await.unwrap();
        let changed = a.iter().zip(&b).filter(|(x, y)| x.abs_diff(**y) > 60).count();
        assert!(changed > a.len() / 200, "captions change {changed} of {} pixels", a.len());
        let top_band = (WIDTH * 300) as usize;
        let changed_on_top = a[..top_band].iter().zip(&b[..top_band]).filter(|(x, y)| x.abs_diff(**y) > 60).count();
        assert_eq!(changed_on_top, 0, "captions stay out of the top band");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn outputs_tiktok_would_refuse_are_rejected_with_the_reason() {
        let good = ffmpeg::Probe {
            duration_secs: 10.0,
            video: Some(("h264".into(), 1080, 1920, "yuv420p".into(), "30/1".into())),
            audio_codec: Some("aac".into()),
        };
        assert!(good.check_tiktok_video(10.2).is_ok());
        let landscape =
            ffmpeg::Probe { video: Some(("h264".into(), 1920, 1080, "yuv420p".into(), "30/1".into())), ..good.clone() };
        let err = landscape.check_tiktok_video(10.0).unwrap_err();
        assert!(err.to_string().contains("1920x1080"), "{err}");
        let silent = ffmpeg::Probe { audio_codec: None, ..good.clone() };
        assert!(silent.check_tiktok_video(10.0).is_err());
        assert!(good.check_tiktok_video(12.0).unwrap_err().to_string().contains("planned"));
    }
}
