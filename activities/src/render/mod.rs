//! Rendering a slot into a vertical video TikTok accepts: 1080x1920, 30 fps,
//! H.264 (yuv420p) + AAC, faststart; spoken voice-over, burned-in captions
//! timed to the speech, loudness normalised to -14 LUFS with a -1.5 dBTP
//! ceiling, and a JPEG thumbnail. The output is checked with ffprobe before
//! it is accepted. No logo or watermark is ever drawn (TikTok's rules).

pub mod activity;
pub mod captions;
pub mod ffmpeg;
pub mod tts;

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
    pub background: ffmpeg::Background,
    /// Draw captions (tests render without them to compare frames).
    pub captions: bool,
    /// Longest allowed video, from the project's limits.
    pub max_secs: f64,
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
    speech: PathBuf,
    phrases: Vec<tts::Phrase>,
    speech_secs: f64,
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
    // Before FFmpeg sees the upload: its bytes are its type, an image's size is bounded.
    if let ffmpeg::Background::Image(upload) | ffmpeg::Background::Video(upload) = &request.background {
        ffmpeg::check_upload(upload).await?;
    }
    tokio::fs::create_dir_all(work_dir).await?;
    let speech = work_dir.join("voice.wav");
    let phrases = tts.speak(&request.script, &speech).await?;
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
    let subtitles = if request.captions {
        let path = work_dir.join("captions.ass");
        let cues = captions::cues(phrases, speech_secs);
        tokio::fs::write(&path, captions::ass(&cues)).await?;
        Some(path)
    } else {
        None
    };
    let video = work_dir.join("video.mp4");
    let composition = ffmpeg::Composition {
        background: &request.background,
        speech,
        subtitles: subtitles.as_deref(),
        duration_secs,
        output: &video,
    };
    ffmpeg::compose(&composition, |done| on_progress(VOICE_DONE + done * (ENCODE_DONE - VOICE_DONE))).await?;
    let probe = ffmpeg::probe(&video).await?;
    probe.check_tiktok_video(duration_secs)?;
    // A frame a third in: past the hook's first words, captions on screen.
    let cover_timestamp_ms = (duration_secs * 1000.0 / 3.0) as u32;
    let thumbnail = work_dir.join("thumbnail.jpg");
    ffmpeg::thumbnail(&video, cover_timestamp_ms, &thumbnail).await?;
    on_progress(1.0);
    Ok(Rendered { video, thumbnail, duration_secs: probe.duration_secs, cover_timestamp_ms })
}

/// The render of a slot made from a highlight: its clip is the video
/// already (cut, reframed, loudness-normalised and captioned with the words
/// said when the import was cut), so it is copied stream for stream, within
/// the project's length limit, with the index up front, then checked like
/// any render and given its thumbnail. No voice, no encode.
pub async fn from_clip(clip: &Path, max_secs: f64, work_dir: &Path) -> Result<Rendered, RenderError> {
    tokio::fs::create_dir_all(work_dir).await?;
    let duration_secs = ffmpeg::probe_as(clip, Some(ffmpeg::MediaType::Mp4)).await?.duration_secs.min(max_secs);
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
    use ffmpeg::Background;

    const SCRIPT: &str = "Three pasta mistakes everyone makes. First, the pot is too small. \
                          Second, the water has no salt. Third, rinsing the pasta after cooking.";

    fn request(captions: bool) -> RenderRequest {
        RenderRequest {
            script: SCRIPT.into(),
            background: Background::Color("0x1e293b".into()),
            captions,
            max_secs: 60.0,
        }
    }

    #[tokio::test]
    async fn a_slot_renders_to_a_tiktok_ready_video_with_even_loudness_a_thumbnail_and_captions() {
        let dir = std::env::temp_dir().join(format!("reelpilot-render-{}", uuid::Uuid::new_v4()));
        let tts = tts::Espeak::default();
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
