//! Whisper in the worker: one model per process, loaded on first use,
//! each recognition on a blocking thread that a cancelled activity stops
//! between decoder steps.

use asr::{Options, Recognizer, Transcript};
use domain::media::transcripts::{TimedSegment, TimedWord};
use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};
use tokio::sync::{OnceCell, watch};

/// The process's Whisper model, loaded once from `path`.
pub struct Whisper {
    path: PathBuf,
    threads: u16,
    model: OnceCell<Arc<Recognizer>>,
}

impl Whisper {
    pub fn new(path: PathBuf, threads: u16) -> Whisper {
        Whisper { path, threads, model: OnceCell::new() }
    }

    async fn model(&self) -> Result<Arc<Recognizer>, asr::AsrError> {
        self.model
            .get_or_try_init(|| async {
                let path = self.path.clone();
                tokio::task::spawn_blocking(move || Recognizer::load(&path).map(Arc::new))
                    .await
                    .map_err(|e| asr::AsrError::Recognition(format!("loading the model stopped: {e}")))?
            })
            .await
            .cloned()
    }

    /// Recognises `samples`; `progress` gets the fraction done. Dropping the
    /// returned future stops the recognition (the thread finishes its step
    /// and returns).
    pub async fn recognise(
        &self,
        samples: Vec<f32>,
        language: Option<String>,
        translate: bool,
        progress: watch::Sender<f32>,
    ) -> Result<Transcript, asr::AsrError> {
        let model = self.model().await?;
        let cancel = Arc::new(AtomicBool::new(false));
        let stop_on_drop = StopOnDrop(cancel.clone());
        let options = Options { language, translate, threads: self.threads, cancel: Some(cancel) };
        let work = tokio::task::spawn_blocking(move || {
            model.transcribe(&samples, &options, move |percent| {
                progress.send_replace((percent as f32 / 100.0).clamp(0.0, 1.0));
            })
        });
        let result = work.await.map_err(|e| asr::AsrError::Recognition(format!("the recognition stopped: {e}")));
        drop(stop_on_drop);
        result?
    }
}

/// Sets the cancel flag when dropped: an activity future dropped on
/// cancellation (or a crash of its task) stops Whisper too.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// 16 kHz mono samples of a checked file, read only with its demuxer.
pub async fn samples(path: &Path, demuxer: &'static str) -> Result<Vec<f32>, asr::AsrError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || asr::audio::decode(Path::new("ffmpeg"), &path, Some(demuxer)))
        .await
        .map_err(|e| asr::AsrError::Audio(format!("decoding stopped: {e}")))?
}

/// The transcript's segments as the domain stores them.
pub fn segments(transcript: &Transcript) -> Vec<TimedSegment> {
    transcript
        .segments
        .iter()
        .map(|s| TimedSegment {
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            text: s.text.trim().to_owned(),
            words: s
                .words
                .iter()
                .map(|w| TimedWord {
                    start_ms: w.start_ms,
                    end_ms: w.end_ms,
                    text: w.text.clone(),
                    probability: w.probability,
                })
                .collect(),
        })
        .collect()
}
