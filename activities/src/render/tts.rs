//! Text to speech behind a trait, so Piper or a hosted voice can replace
//! espeak-ng without touching the renderer.

use super::RenderError;
use std::path::Path;

/// The words spoken, in order, each with its weight for timing (longer
/// words take longer to say).
pub type Words = Vec<String>;

#[async_trait::async_trait]
pub trait Tts: Send + Sync {
    /// Speaks `text` into a WAV file at `out`; returns the words spoken.
    async fn speak(&self, text: &str, out: &Path) -> Result<Words, RenderError>;
}

/// espeak-ng: always available from Debian, robotic but clear.
pub struct Espeak {
    /// Words per minute.
    pub speed: u32,
    pub voice: String,
}

impl Default for Espeak {
    fn default() -> Self {
        Espeak { speed: 165, voice: "en-us".into() }
    }
}

#[async_trait::async_trait]
impl Tts for Espeak {
    async fn speak(&self, text: &str, out: &Path) -> Result<Words, RenderError> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(RenderError::Tts("there is nothing to say".into()));
        }
        let status = tokio::process::Command::new("espeak-ng")
            .args(["-v", &self.voice, "-s", &self.speed.to_string(), "-w"])
            .arg(out)
            .arg("--")
            .arg(&text)
            .kill_on_drop(true)
            .status()
            .await
            .map_err(|e| RenderError::Tts(format!("espeak-ng could not start: {e}")))?;
        if !status.success() {
            return Err(RenderError::Tts(format!("espeak-ng exited with {status}")));
        }
        Ok(text.split(' ').map(str::to_owned).collect())
    }
}
