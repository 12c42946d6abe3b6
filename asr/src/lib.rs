//! Speech recognition with whisper.cpp (through whisper-rs): transcripts
//! with segment and word timings and the spoken language, Whisper's
//! translation to English, and aligning a known text (a voice-over script)
//! to the audio it was spoken in.
//!
//! This crate links whisper.cpp's ggml; it must never share a binary with
//! llama.cpp (the two clash on ggml symbols), which is why the local model
//! lives in `llm-server` and this in the worker.
//!
//! Everything here is blocking and CPU-bound: callers run it on a blocking
//! thread. Audio is 16 kHz mono f32 ([`audio::decode`] makes it with FFmpeg).

pub mod align;
pub mod audio;
mod words;

pub use align::align;
pub use words::{Token, words_of};

use serde::{Deserialize, Serialize};
use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

/// The sample rate Whisper listens at.
pub const SAMPLE_RATE: u32 = 16_000;

#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("the Whisper model could not be loaded from {path}: {cause}")]
    Model { path: String, cause: String },
    #[error("speech recognition failed: {0}")]
    Recognition(String),
    #[error("speech recognition was cancelled")]
    Cancelled,
    #[error("the audio could not be decoded: {0}")]
    Audio(String),
}

/// One word with its time in the audio, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    /// Whisper's confidence in the word (the mean of its tokens'), 0 to 1;
    /// for an aligned word that Whisper did not hear, 0.
    pub probability: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    pub words: Vec<Word>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// The spoken language (ISO 639-1, as Whisper names it: "en", "de").
    pub language: String,
    /// Whether the text is Whisper's English translation of the speech.
    pub translated: bool,
    pub segments: Vec<Segment>,
}

impl Transcript {
    pub fn words(&self) -> impl Iterator<Item = &Word> {
        self.segments.iter().flat_map(|s| s.words.iter())
    }

    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.trim()).collect::<Vec<_>>().join(" ")
    }
}

/// What to ask of one recognition.
#[derive(Clone, Default)]
pub struct Options {
    /// The language spoken; `None` detects it.
    pub language: Option<String>,
    /// Whisper's translate mode: English text for speech in any language.
    pub translate: bool,
    /// CPU threads; 1 is fastest on a busy machine (ggml's threads spin).
    pub threads: u16,
    /// Set to stop the recognition between decoder steps.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// A loaded Whisper model. Loading takes a moment and the model is
/// read-only, so one is shared by every recognition of a process.
pub struct Recognizer {
    context: WhisperContext,
}

impl Recognizer {
    pub fn load(path: &Path) -> Result<Recognizer, AsrError> {
        whisper_rs::install_logging_hooks();
        let model_error = |cause: String| AsrError::Model { path: path.display().to_string(), cause };
        let path_text = path.to_str().ok_or_else(|| model_error("the path is not UTF-8".into()))?;
        if !path.is_file() {
            return Err(model_error("no such file (make dev / make test convert it at install)".into()));
        }
        let context = WhisperContext::new_with_params(path_text, WhisperContextParameters::default())
            .map_err(|e| model_error(e.to_string()))?;
        Ok(Recognizer { context })
    }

    pub fn is_multilingual(&self) -> bool {
        self.context.is_multilingual()
    }

    /// Recognises `samples` (16 kHz mono). `progress` hears the percentage
    /// done as whisper.cpp reports it.
    pub fn transcribe(
        &self,
        samples: &[f32],
        options: &Options,
        progress: impl FnMut(i32) + 'static,
    ) -> Result<Transcript, AsrError> {
        let recognition = |e: whisper_rs::WhisperError| AsrError::Recognition(e.to_string());
        let mut state = self.context.create_state().map_err(recognition)?;
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(i32::from(options.threads.max(1)));
        params.set_translate(options.translate);
        params.set_language(Some(options.language.as_deref().unwrap_or("auto")));
        params.set_token_timestamps(true);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        params.set_suppress_nst(true);
        params.set_progress_callback_safe(progress);
        let cancelled = options.cancel.clone().unwrap_or_default();
        let watched = cancelled.clone();
        // Boxed as `dyn FnMut`: whisper-rs 0.16 stores the closure boxed that
        // way but calls it as the type it was given, so only this type lines
        // the two up (a bare closure makes whisper.cpp abort at random).
        let abort: Box<dyn FnMut() -> bool> = Box::new(move || watched.load(Ordering::Relaxed));
        params.set_abort_callback_safe(abort);

        let outcome = state.full(params, samples);
        if cancelled.load(Ordering::Relaxed) {
            return Err(AsrError::Cancelled);
        }
        outcome.map_err(recognition)?;

        let language = whisper_rs::get_lang_str(state.full_lang_id_from_state()).unwrap_or("und").to_owned();
        let first_special = self.context.token_eot();
        let mut segments = Vec::new();
        for segment in state.as_iter() {
            let mut tokens = Vec::new();
            for i in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(i) else { continue };
                if token.token_id() >= first_special {
                    continue; // timestamps and control tokens
                }
                let data = token.token_data();
                tokens.push(Token {
                    text: token.to_str_lossy().map_err(recognition)?.into_owned(),
                    start_ms: data.t0 * 10,
                    end_ms: data.t1 * 10,
                    probability: data.p,
                });
            }
            let text = segment.to_str_lossy().map_err(recognition)?.trim().to_owned();
            if text.is_empty() {
                continue;
            }
            segments.push(Segment {
                start_ms: segment.start_timestamp() * 10,
                end_ms: segment.end_timestamp() * 10,
                text,
                words: words_of(&tokens),
            });
        }
        Ok(Transcript { language, translated: options.translate, segments })
    }
}
