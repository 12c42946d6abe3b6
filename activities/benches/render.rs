//! Render cost: the composing step as Reelpilot runs it (spawn, wait,
//! atomic rename) against the bare `ffmpeg` command with the identical
//! arguments and filter graph, and the realtime factor. Prints figures; it
//! asserts nothing about time.

// Printing the figures is the point of a benchmark.
#![allow(clippy::print_stdout)]

use activities::render::{
    captions,
    ffmpeg::{self, Background, Composition},
    tts::{Espeak, Tts},
};
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const SCRIPT: &str = "Three pasta mistakes everyone makes. First, the pot is too small, so the water stops boiling. \
    Second, the water has no salt, so the pasta tastes of nothing. Third, rinsing it after cooking washes \
    the starch away, and the sauce slides off. Fix these three tonight.";

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("reelpilot-render-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let speech = dir.join("voice.wav");
    let words = Espeak::default().speak(SCRIPT, &speech).await.unwrap();
    let speech_secs = ffmpeg::probe(&speech).await.unwrap().duration_secs;
    let subtitles = dir.join("captions.ass");
    let cues = captions::cues(&words, speech_secs);
    std::fs::write(&subtitles, captions::ass(&cues, None, Default::default())).unwrap();
    let output = dir.join("video.mp4");
    let composition = Composition {
        background: &Background::Color("0x1e293b".into()),
        scenes: &[],
        speech: &speech,
        subtitles: Some(&subtitles),
        music: false,
        duration_secs: speech_secs + 0.6,
        output: &output,
    };

    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let started = Instant::now();
        ffmpeg::compose(&composition, |_| {}).await.unwrap();
        ours.push(started.elapsed());
        let started = Instant::now();
        let status = std::process::Command::new("ffmpeg")
            .args(ffmpeg::compose_args(&composition, &dir.join("bare.mp4")))
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        bare.push(started.elapsed());
    }
    let (ours, bare) = (median(ours), median(bare));
    let video_secs = composition.duration_secs;
    println!(
        "render of a {video_secs:.1} s 1080x1920 video with captions and loudness normalisation, median of {RUNS}"
    );
    println!("  Reelpilot compose {:.2} s, bare ffmpeg {:.2} s", ours.as_secs_f64(), bare.as_secs_f64());
    println!(
        "  ratio {:.3} (target <= 1.10); realtime factor {:.2}x",
        ours.as_secs_f64() / bare.as_secs_f64(),
        video_secs / ours.as_secs_f64()
    );
    std::fs::remove_dir_all(dir).unwrap();
}
