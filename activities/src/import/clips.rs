//! Cutting a highlight out of an import's source into a clip TikTok takes:
//! 1080x1920 H.264/AAC at 30 fps, the speech loudness-normalised like a
//! render's, and captions timed to the words Whisper heard, a few at a time,
//! the word being said highlighted.
//! Without speaker detection the frame is reframed by its shape: a source
//! close to portrait is cropped to the centre; a wider one (where a centre
//! crop would often cut the speaker out) is shown whole over a blurred fill.

use crate::render::{
    FPS, HEIGHT, RenderError, WIDTH,
    captions::{self, Cue, Word},
    ffmpeg::{MediaType, filter_path, input_args, run, tiktok_output_args},
};
use domain::media::{style::CaptionPreset, transcripts::TimedWord};
use std::{ffi::OsString, path::Path};
use tokio::process::Command;

/// The widest source (width / height) still cropped rather than fitted:
/// a crop keeps at least 60 % of its width.
const CROP_ASPECT_MAX: f64 = 0.9375;
/// The background of a clip from a source with no picture (a podcast).
const AUDIO_ONLY_BACKGROUND: &str = "0x1e293b";

/// How the source's picture becomes a 9:16 frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reframe {
    CropCentre,
    FitOverBlur,
    /// No picture at all: a plain background.
    NoPicture,
}

impl Reframe {
    pub fn for_source(picture: Option<(u32, u32)>) -> Reframe {
        match picture {
            None | Some((0, _)) | Some((_, 0)) => Reframe::NoPicture,
            Some((w, h)) if f64::from(w) / f64::from(h) <= CROP_ASPECT_MAX => Reframe::CropCentre,
            Some(_) => Reframe::FitOverBlur,
        }
    }
}

/// The captions of a clip from `start_ms`: the words said inside it, as
/// Whisper timed them, a few per cue, each highlighted while it is said.
pub fn cues(words: &[TimedWord], start_ms: i64, end_ms: i64) -> Vec<Cue> {
    let secs = |ms: i64| (ms - start_ms) as f64 / 1000.0;
    let inside: Vec<Word> = words
        .iter()
        .filter(|w| w.start_ms >= start_ms && w.end_ms <= end_ms && !w.text.trim().is_empty())
        .map(|w| Word { start: secs(w.start_ms), end: secs(w.end_ms), text: w.text.trim().to_owned() })
        .collect();
    captions::group(vec![inside])
}

/// The `ffmpeg` arguments that cut `start_ms..end_ms` of `source` into `output`.
pub fn clip_args(
    source: &Path,
    kind: MediaType,
    reframe: Reframe,
    (start_ms, end_ms): (i64, i64),
    subtitles: &Path,
    output: &Path,
) -> Vec<OsString> {
    let seconds = |ms: i64| format!("{:.3}", ms as f64 / 1000.0);
    let duration = seconds(end_ms - start_ms);
    let mut args: Vec<OsString> =
        ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats"].map(Into::into).to_vec();
    // Seeking before the input is fast, and exact since the clip is re-encoded.
    args.extend(["-ss".into(), seconds(start_ms).into(), "-t".into(), duration.clone().into()]);
    args.extend(input_args(source, kind));
    let cover = format!("scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=increase,crop={WIDTH}:{HEIGHT},setsar=1");
    let picture = match reframe {
        Reframe::CropCentre => format!("[0:v]fps={FPS},{cover}"),
        Reframe::FitOverBlur => format!(
            "[0:v]fps={FPS},split[bg][fg];[bg]scale=270:480:force_original_aspect_ratio=increase,crop=270:480,\
             boxblur=8:2,scale={WIDTH}:{HEIGHT},setsar=1[blurred];\
             [fg]scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=decrease,setsar=1[front];\
             [blurred][front]overlay=(W-w)/2:(H-h)/2"
        ),
        Reframe::NoPicture => {
            format!("color=c={AUDIO_ONLY_BACKGROUND}:s={WIDTH}x{HEIGHT}:r={FPS}:d={duration}")
        }
    };
    let video = format!(
        "{picture},format=yuv420p,subtitles=filename='{}':fontsdir=/usr/share/fonts/truetype/dejavu[v]",
        filter_path(subtitles)
    );
    let audio = "[0:a]aformat=channel_layouts=mono,loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000,\
                 aformat=channel_layouts=stereo[a]";
    args.push("-filter_complex".into());
    args.push(format!("{video};{audio}").into());
    args.extend(tiktok_output_args(&duration, output));
    args
}

/// Cuts the clip (captions written beside it); dropping the future kills FFmpeg.
pub async fn cut(
    source: &Path,
    kind: MediaType,
    reframe: Reframe,
    span: (i64, i64),
    words: &[TimedWord],
    output: &Path,
) -> Result<(), RenderError> {
    let subtitles = output.with_extension("ass");
    let document = captions::ass(&cues(words, span.0, span.1), None, CaptionPreset::default(), &[]);
    tokio::fs::write(&subtitles, document).await?;
    let partial = output.with_extension("partial.mp4");
    run(Command::new("ffmpeg").args(clip_args(source, kind, reframe, span, &subtitles, &partial)), "ffmpeg (clip)")
        .await?;
    tokio::fs::rename(&partial, output).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(start_ms: i64, end_ms: i64, text: &str) -> TimedWord {
        TimedWord { start_ms, end_ms, text: text.into(), probability: 0.9 }
    }

    #[test]
    fn portrait_sources_are_cropped_wide_ones_fitted_over_a_blur() {
        assert_eq!(Reframe::for_source(Some((1080, 1920))), Reframe::CropCentre);
        assert_eq!(Reframe::for_source(Some((1080, 1350))), Reframe::CropCentre, "4:5 keeps most of its width");
        assert_eq!(Reframe::for_source(Some((1920, 1080))), Reframe::FitOverBlur, "a 16:9 crop keeps a third");
        assert_eq!(Reframe::for_source(None), Reframe::NoPicture);
    }

    #[test]
    fn captions_are_the_words_said_inside_the_clip_timed_from_its_start() {
        let words = [
            word(1000, 1400, "before"),
            word(2000, 2300, "Keep"),
            word(2300, 2600, "them"),
            word(2600, 3000, "sharp"),
            word(3200, 3500, "and"),
            word(3500, 4000, "dry."),
            word(9000, 9500, "after"),
        ];
        let cues = cues(&words, 2000, 4000);
        let shown: Vec<(f64, f64, String)> = cues.iter().map(|c| (c.start, c.end, c.text())).collect();
        assert_eq!(shown, vec![(0.0, 1.0, "Keep them sharp".into()), (1.2, 2.0, "and dry.".into())]);
        assert_eq!((cues[0].words[1].start, cues[0].words[1].end), (0.3, 0.6), "each word keeps Whisper's timing");
    }

    /// A source made by FFmpeg: a test pattern of `size` (or none) with a tone.
    fn source(dir: &Path, size: Option<&str>) -> std::path::PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let out = dir.join(if size.is_some() { "source.mp4" } else { "source.wav" });
        let mut ffmpeg = std::process::Command::new("ffmpeg");
        ffmpeg.args(["-hide_banner", "-loglevel", "error", "-y"]);
        if let Some(size) = size {
            ffmpeg.args(["-f", "lavfi", "-i", &format!("testsrc2=s={size}:r=25:d=4")]);
        }
        ffmpeg.args(["-f", "lavfi", "-i", "sine=frequency=330:duration=4"]);
        if size.is_some() {
            ffmpeg.args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]);
        }
        assert!(ffmpeg.arg(&out).status().unwrap().success());
        out
    }

    #[tokio::test]
    async fn a_moment_of_a_wide_video_or_of_audio_alone_becomes_a_clip_tiktok_takes() {
        let dir = std::env::temp_dir().join(format!("reelpilot-clips-{}", uuid::Uuid::new_v4()));
        let words = [word(1200, 1500, "Keep"), word(1500, 1800, "them"), word(1800, 2400, "sharp.")];
        for (size, kind) in
            [(Some("1280x720"), MediaType::Mp4), (Some("720x1280"), MediaType::Mp4), (None, MediaType::Wav)]
        {
            let source = source(&dir.join(size.unwrap_or("audio")), size);
            let probe = crate::render::ffmpeg::probe_as(&source, Some(kind)).await.unwrap();
            let reframe = Reframe::for_source(probe.video.as_ref().map(|(_, w, h, ..)| (*w, *h)));
            let output = source.with_file_name("clip.mp4");
            cut(&source, kind, reframe, (1000, 3000), &words, &output).await.unwrap();
            let clip = crate::render::ffmpeg::probe(&output).await.unwrap();
            clip.check_tiktok_video(2.0).unwrap_or_else(|e| panic!("{size:?} ({reframe:?}): {e}"));
            assert!(output.with_extension("ass").exists(), "the captions were written");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
