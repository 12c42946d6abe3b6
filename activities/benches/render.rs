//! Render cost of a slot as creators get it: a script of six sentences
//! (about 30 s) becomes scenes over generated visuals, a hook card, captions
//! word by word with the spoken word highlighted, and music ducked under the
//! voice, on this machine's cores. Measured side by side, medians of RUNS:
//!   - ours: the composing step as Reelpilot runs it (captions written,
//!     FFmpeg spawned with progress, the output checked with ffprobe, the
//!     thumbnail taken);
//!   - the reference: the single FFmpeg command for the same output, typed
//!     as one would by hand (our graph is already one command, so this is
//!     that command run bare: the ratio is what our bookkeeping costs);
//!   - MoviePy 2.2.1 composing the same timeline the way MoneyPrinterTurbo
//!     does (scripts/bench/moviepy_render.py; installed on demand by
//!     scripts/bench/moviepy_peer.sh, or given as BENCH_MOVIEPY_PYTHON and
//!     BENCH_MOVIEPY_SCRIPT).
//!
//! Prints the figures and writes them to test-output/bench/render.json; it
//! asserts nothing about time.

// Printing the figures is the point of a benchmark.
#![allow(clippy::print_stdout)]

use activities::render::{
    Planned, RenderRequest, Voiced, captions, compose,
    ffmpeg::{self, Composition, Visual},
    scenes, spoken_words, tts, voice,
};
use domain::media::style::{CaptionPreset, VideoStyle};
use serde_json::json;
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const RUNS: usize = 3;
const SCRIPT: &str = "Three pasta mistakes everyone makes, and how to fix them tonight. \
    First, the pot is far too small, so the water stops boiling when the pasta goes in. \
    Second, the water has no salt, and pasta cooked in plain water tastes of nothing at all. \
    Third, people rinse it after cooking, which washes away the starch the sauce needs. \
    Fourth, the sauce waits in another pan instead of meeting the pasta for the last minute. \
    Fix these four things and your weeknight pasta will taste like a restaurant's.";
const HOOK: &str = "Stop ruining your pasta";
const SEED: u64 = 3;

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

/// MoviePy's interpreter and script: given, or installed by the peer script.
fn moviepy() -> (PathBuf, PathBuf) {
    if let (Ok(python), Ok(script)) = (std::env::var("BENCH_MOVIEPY_PYTHON"), std::env::var("BENCH_MOVIEPY_SCRIPT")) {
        return (python.into(), script.into());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench/moviepy_peer.sh");
    let output = Command::new("bash").arg(&script).stderr(Stdio::inherit()).output().unwrap();
    assert!(output.status.success(), "installing MoviePy failed");
    let text = String::from_utf8(output.stdout).unwrap();
    let value = |key: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap().to_owned();
    (value("BENCH_MOVIEPY_PYTHON").into(), value("BENCH_MOVIEPY_SCRIPT").into())
}

/// A generated scene per sentence: what MoviePy draws too.
fn planned() -> Vec<Planned> {
    domain::media::shots::derive(SCRIPT)
        .iter()
        .map(|shot| Planned { words: spoken_words(&shot.text), visual: Visual::Gradient })
        .collect()
}

/// The scenes of the voiced script.
fn scenes_of(voiced: &Voiced) -> Vec<scenes::Scene> {
    let words = captions::timed_words(&voiced.phrases, voiced.speech_secs).concat();
    let counts: Vec<usize> = planned().iter().map(|p| p.words).collect();
    scenes::timeline(&words, &counts, voiced.duration_secs).into_iter().map(|(scene, _)| scene).collect()
}

/// The timeline MoviePy composes: the scenes, hook and caption events we render.
fn timeline(voiced: &Voiced, music: &Path) -> serde_json::Value {
    let words = captions::timed_words(&voiced.phrases, voiced.speech_secs);
    let planned = scenes_of(voiced);
    let mut events = Vec::new();
    for cue in captions::group(words) {
        for (i, word) in cue.words.iter().enumerate() {
            let end = cue.words.get(i + 1).map_or(cue.end, |next| next.start);
            let text: Vec<&str> = cue.words.iter().map(|w| w.text.as_str()).collect();
            events.push(
                json!({"start": if i == 0 { cue.start } else { word.start }, "end": end, "words": text, "active": i}),
            );
        }
    }
    let scenes: Vec<_> = planned
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let (c0, c1) = scenes::palette(n, SEED);
            json!({"start": s.start, "end": s.end, "c0": c0, "c1": c1})
        })
        .collect();
    json!({
        "duration": voiced.duration_secs,
        "voice": voiced.speech,
        "music": music,
        "hook": {"text": HOOK, "end": captions::HOOK_SECS.min(planned[0].secs())},
        "scenes": scenes,
        "captions": events,
    })
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("reelpilot-render-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let request = RenderRequest {
        script: SCRIPT.into(),
        hook: HOOK.into(),
        style: VideoStyle::default(),
        language: "en".into(),
        scenes: planned(),
        seed: SEED,
        music_track: None,
        quality: ffmpeg::Quality::Final,
        captions: true,
        max_secs: 60.0,
    };
    let started = Instant::now();
    let voiced = voice(&tts::Espeak, &request, &dir.join("voice")).await.unwrap();
    let voice_secs = started.elapsed().as_secs_f64();
    let video_secs = voiced.duration_secs;

    // The reference command: the same graph, captions and encoder, run bare.
    let words = captions::timed_words(&voiced.phrases, voiced.speech_secs);
    let planned = scenes_of(&voiced);
    let shown: Vec<(scenes::Scene, Visual)> = planned.iter().map(|s| (*s, Visual::Gradient)).collect();
    let subtitles = dir.join("captions.ass");
    let card = Some((HOOK, captions::HOOK_SECS.min(planned[0].secs())));
    std::fs::write(&subtitles, captions::ass(&captions::group(words), card, CaptionPreset::default(), &[])).unwrap();
    let reference = Composition {
        scenes: &shown,
        seed: SEED,
        speech: &voiced.speech,
        subtitles: Some(&subtitles),
        music: ffmpeg::Bed::Generated,
        pitch: 1.0,
        quality: ffmpeg::Quality::Final,
        duration_secs: video_secs,
        output: &dir.join("reference.mp4"),
    };
    let music = dir.join("music.wav");
    let bed = ffmpeg::music_bed(video_secs);
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-filter_complex", &format!("{bed}[m]"), "-map", "[m]"])
        .arg(&music)
        .status()
        .unwrap();
    assert!(status.success(), "the music bed for MoviePy");
    let timeline_file = dir.join("timeline.json");
    std::fs::write(&timeline_file, timeline(&voiced, &music).to_string()).unwrap();
    let (python, script) = moviepy();

    let preview_request = RenderRequest { quality: ffmpeg::Quality::Preview, ..request.clone() };
    let (mut ours, mut bare, mut peer, mut preview) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        let started = Instant::now();
        compose(&preview_request, &voiced, &dir.join(format!("preview-{run}")), &mut |_| {}).await.unwrap();
        preview.push(started.elapsed());

        let started = Instant::now();
        let rendered = compose(&request, &voiced, &dir.join(format!("ours-{run}")), &mut |_| {}).await.unwrap();
        ours.push(started.elapsed());
        assert!((rendered.duration_secs - video_secs).abs() < 0.5);

        let started = Instant::now();
        let status = Command::new("ffmpeg")
            .args(ffmpeg::compose_args(&reference, reference.output))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        bare.push(started.elapsed());
        assert!(status.success());

        let out = dir.join(format!("moviepy-{run}.mp4"));
        let started = Instant::now();
        let status = Command::new(&python)
            .arg(&script)
            .arg(&timeline_file)
            .arg(&out)
            .env("IMAGEIO_FFMPEG_EXE", "/usr/bin/ffmpeg")
            .status()
            .unwrap();
        peer.push(started.elapsed());
        assert!(status.success(), "MoviePy rendered");
        let made = ffmpeg::probe(&out).await.unwrap();
        assert!((made.duration_secs - video_secs).abs() < 0.5, "MoviePy made {} s", made.duration_secs);
    }
    let (ours, bare, peer, preview) = (median(ours), median(bare), median(peer), median(preview));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "render of a {video_secs:.1} s 1080x1920 video: {} scenes, hook card, word-by-word captions, ducked music; \
         {cores} cores, median of {RUNS}",
        planned.len()
    );
    println!(
        "  voice (espeak-ng) {voice_secs:.2} s; compose: ours {ours:.2} s, reference command {bare:.2} s, MoviePy {peer:.2} s"
    );
    println!(
        "  realtime factor {:.2}x composing, {:.2}x with the voice (target >= 2x)",
        video_secs / ours,
        video_secs / (ours + voice_secs)
    );
    println!("  ours / reference command {:.3} (target <= 1.10)", ours / bare);
    println!("  MoviePy / ours {:.2} (target >= 4)", peer / ours);
    println!(
        "  540x960 preview {preview:.2} s: {:.2}x realtime, final / preview {:.2}",
        video_secs / preview,
        ours / preview
    );
    let figures = json!({
        "video_secs": video_secs,
        "scenes": planned.len(),
        "cores": cores,
        "voice_secs": voice_secs,
        "compose_secs": {"ours": ours, "reference": bare, "moviepy": peer},
        "realtime_factor": video_secs / ours,
        "ours_over_reference": ours / bare,
        "moviepy_over_ours": peer / ours,
        "preview_secs": preview,
        "final_over_preview": ours / preview,
    });
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-output/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("render.json"), serde_json::to_string_pretty(&figures).unwrap()).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}
