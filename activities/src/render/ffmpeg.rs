//! The FFmpeg and ffprobe invocations of a render.
//!
//! Every file FFmpeg reads is opened with the demuxer of its known type
//! (`-f`, never probing: an upload that is really an HLS playlist or a
//! concat list would otherwise be read as one and open the files or URLs
//! it names) and with `-protocol_whitelist file`, so nothing inside a file
//! can reach another protocol. Uploads are checked against their type, and
//! images against a size bound, before FFmpeg sees them (`check_upload`).

use super::{FPS, HEIGHT, RenderError, WIDTH, scenes, scenes::Scene};
pub use domain::media::assets::MediaType;
use serde_json::Value;
use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Stdio,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt},
    process::Command,
};

/// A file of the org's own, with the type it was accepted as.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub path: PathBuf,
    pub kind: MediaType,
}

/// Where footage starts playing in a scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Start {
    /// At this second of the file (where the words searched for are said).
    At(f64),
    /// As if the video played under the whole render: at the scene's own
    /// time, wrapped around the clip's length (the slot's own upload).
    WithTheVideo { clip_secs: f64 },
}

/// What a scene shows behind the captions.
#[derive(Debug, Clone, PartialEq)]
pub enum Visual {
    /// A flat colour, `0xRRGGBB`: the cheap `color` source, no per-frame drawing.
    Color(String),
    /// An animated gradient drawn small and scaled up.
    Gradient,
    /// A gradient the captions show the scene's words on in large type.
    TextCard,
    /// A still image (JPEG or PNG), scaled once a little larger than the
    /// frame, then moving: a slow zoom in one scene, a slow pan in the next.
    Still(Upload),
    /// A video (MP4 or QuickTime), looped if short, scaled and cropped to
    /// fill the frame; its own sound is dropped.
    Footage { upload: Upload, from: Start },
}

impl Visual {
    pub fn upload(&self) -> Option<&Upload> {
        match self {
            Visual::Still(upload) | Visual::Footage { upload, .. } => Some(upload),
            _ => None,
        }
    }
}

/// The options that open `path` as a `kind` and nothing else, ending with
/// `-i`: the `file` protocol only (also for anything the file refers to),
/// the type's own demuxer, no file-name patterns for stills and no
/// external data references in ISO BMFF.
pub fn input_args(path: &Path, kind: MediaType) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-protocol_whitelist", "file", "-f", kind.ffmpeg_demuxer()].map(Into::into).to_vec();
    match kind {
        MediaType::Jpeg | MediaType::Png => args.extend(["-pattern_type".into(), "none".into()]),
        MediaType::Mp4 | MediaType::QuickTime => args.extend(["-enable_drefs".into(), "0".into()]),
        MediaType::Mp3 | MediaType::Wav => {}
    }
    args.push("-i".into());
    args.push(file_url(path));
    args
}

/// `file:` and the path, so no part of a file name is read as a protocol.
fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}

/// Checks an upload before FFmpeg reads it: its first bytes must be its
/// type, and an image's header must give a size within
/// `MAX_IMAGE_SIDE`/`MAX_IMAGE_PIXELS`, so a small file cannot make the
/// decoder allocate gigabytes. Videos are probed (with their demuxer) for
/// a video stream of bounded size. Refusals are `InvalidInput`: retrying
/// would not help.
pub async fn check_upload(upload: &Upload) -> Result<(), RenderError> {
    use domain::media::assets;
    use tokio::io::AsyncReadExt;
    let invalid = |why: String| RenderError::InvalidInput(why);
    let file = tokio::fs::File::open(&upload.path).await?;
    let mut head = Vec::new();
    file.take(assets::IMAGE_HEADER_LIMIT as u64).read_to_end(&mut head).await?;
    let sniffed = assets::identify(Some(upload.kind), &head).map_err(|e| invalid(e.to_string()))?;
    if upload.kind.is_image() {
        let size = assets::image_size(sniffed, &head)
            .map_err(|why| invalid(why.to_owned()))?
            .ok_or_else(|| invalid(format!("the {} gives no image size in its header", upload.kind.content_type())))?;
        assets::check_image_size(size).map_err(invalid)?;
    } else if upload.kind.is_video() {
        let probe = probe_as(&upload.path, Some(upload.kind))
            .await
            .map_err(|e| invalid(format!("the video cannot be read: {e}")))?;
        let Some((_, width, height, ..)) = probe.video else {
            return Err(invalid("the file has no video stream".into()));
        };
        assets::check_image_size((width, height)).map_err(|why| invalid(why.replace("image", "video")))?;
    }
    Ok(())
}

pub struct Composition<'a> {
    /// The scenes, covering the video, each with what it shows.
    pub scenes: &'a [(Scene, Visual)],
    /// Where the generated scenes' palettes start.
    pub seed: u64,
    pub speech: &'a Path,
    pub subtitles: Option<&'a Path>,
    /// What plays under the voice, ducked while it speaks.
    pub music: Bed<'a>,
    /// The voice's pitch shift (1 for none), its timing unchanged.
    pub pitch: f64,
    pub quality: Quality,
    pub duration_secs: f64,
    pub output: &'a Path,
}

/// The final video TikTok gets, or a quick look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    Final,
    /// 540x960 throughout (every scene drawn at that size, captions burned
    /// at it) with the fastest encode: the same timeline, seen before the
    /// final render.
    Preview,
}

impl Quality {
    pub fn size(self) -> (u32, u32) {
        match self {
            Quality::Final => (WIDTH, HEIGHT),
            Quality::Preview => (WIDTH / 2, HEIGHT / 2),
        }
    }
}

/// The music under the voice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bed<'a> {
    Silent,
    /// The pad [`music_bed`] synthesises.
    Generated,
    /// An uploaded MP3 or WAV, looped, levelled and faded.
    Track(&'a Upload),
}

/// A soft pad synthesised by FFmpeg: four chords (Am, F, C, G) of four
/// seconds, each swelling in and out so a chord change never clicks.
pub fn music_bed(duration: f64) -> String {
    let chord = "st(0,floor(mod(t,16)/4));                 st(1,if(eq(ld(0),0),220,if(eq(ld(0),1),174.61,if(eq(ld(0),2),130.81,196))));                 st(2,if(eq(ld(0),0),1.2,1.25));                 0.12*sin(PI*mod(t,4)/4)*(sin(2*PI*ld(1)*t)+0.6*sin(2*PI*ld(1)*ld(2)*t)+0.5*sin(2*PI*ld(1)*1.5*t))";
    format!(
        "aevalsrc='{chord}':s=48000:d={duration:.3},lowpass=f=1400,aformat=channel_layouts=stereo,         volume={MUSIC_GAIN},afade=t=in:d=0.8,afade=t=out:st={:.3}:d=1",
        (duration - 1.0).max(0.0)
    )
}

/// The still a pan moves over: 12 % larger than the frame.
const PAN_CANVAS: (u32, u32) = (1210, 2150);

/// The bed's level before ducking: well under the voice at -14 LUFS.
const MUSIC_GAIN: f64 = 0.3;

/// Paths inside a filter graph: `:`, `'`, `\` and `,` are syntax there.
pub(crate) fn filter_path(path: &Path) -> String {
    path.display().to_string().replace('\\', "\\\\").replace(':', "\\:").replace('\'', "\\'").replace(',', "\\,")
}

pub(crate) async fn run(cmd: &mut Command, what: &str) -> Result<String, RenderError> {
    let out = cmd
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| RenderError::Ffmpeg(format!("{what} could not start: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(exited(what, out.status, &stderr));
    }
    Ok(stderr)
}

/// A failed run, with the last lines FFmpeg printed (its reason).
fn exited(what: &str, status: std::process::ExitStatus, stderr: &str) -> RenderError {
    let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
    RenderError::Ffmpeg(format!(
        "{what} exited with {status}: {}",
        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
    ))
}

/// The arguments of the composing `ffmpeg` run: each scene's visual cut
/// to its whole frames and joined, the captions, the speech through a
/// limiter then EBU R128 loudness normalisation (-14 LUFS, -1.5 dBTP),
/// encoded for TikTok into `output`, with machine-readable progress on stdout.
pub fn compose_args(c: &Composition<'_>, output: &Path) -> Vec<OsString> {
    let duration = format!("{:.3}", c.duration_secs);
    // Every scene is drawn at the output's size: a preview does a quarter of the work throughout.
    let (width, height) = c.quality.size();
    let fill = format!("scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},setsar=1");
    let mut args: Vec<OsString> =
        ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats"].map(Into::into).to_vec();
    args.extend(["-progress".into(), "pipe:1".into()]);
    // The speech is the first input; the scenes' files follow.
    args.extend(input_args(c.speech, MediaType::Wav));
    let one_scene = [(Scene { start: 0.0, end: c.duration_secs }, Visual::Gradient)];
    let shown = if c.scenes.is_empty() { &one_scene[..] } else { c.scenes };
    let mut graph = String::new();
    let mut inputs = 1;
    for (n, (scene, visual)) in shown.iter().enumerate() {
        let frames = scenes::frames(scene, FPS);
        let chain = match visual {
            Visual::Color(color) => format!("color=c={color}:s={width}x{height}:r={FPS},trim=end_frame={frames}"),
            Visual::Gradient | Visual::TextCard => format!(
                // Drawn at a quarter of the size, scaled up once per frame.
                "{},trim=end_frame={frames},scale={width}:{height}:flags=bicubic",
                scenes::gradient_source(n, c.seed, FPS)
            ),
            Visual::Still(image) => {
                args.extend(input_args(&image.path, image.kind));
                inputs += 1;
                // The canvas keeps its proportion to the frame, in even pixels.
                let (w, h) = (PAN_CANVAS.0 * width / WIDTH / 2 * 2, PAN_CANVAS.1 * height / HEIGHT / 2 * 2);
                let secs = frames as f64 / f64::from(FPS);
                // Scaled once, repeated, then moved: a per-frame crop (pan) or
                // a zoom over the small canvas, never over the original image.
                let motion = if n.is_multiple_of(2) {
                    format!(
                        "zoompan=z='1+0.1*on/{frames}':x='(iw-iw/zoom)/2':y='(ih-ih/zoom)/2':d=1:s={width}x{height}:fps={FPS}"
                    )
                } else {
                    format!(
                        "crop={width}:{height}:x='(in_w-out_w)*min(t/{secs:.3},1)':y='(in_h-out_h)*min(t/{secs:.3},1)'"
                    )
                };
                format!(
                    "[{}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,format=yuv420p,\
                     loop=loop=-1:size=1:start=0,fps={FPS},trim=end_frame={frames},setpts=PTS-STARTPTS,{motion}",
                    inputs - 1
                )
            }
            Visual::Footage { upload, from } => {
                let at = match *from {
                    Start::At(secs) => secs,
                    Start::WithTheVideo { clip_secs } if clip_secs > 0.0 => scene.start % clip_secs,
                    Start::WithTheVideo { .. } => 0.0,
                };
                args.extend(["-ss".into(), format!("{at:.3}").into(), "-stream_loop".into(), "-1".into()]);
                args.extend(input_args(&upload.path, upload.kind));
                inputs += 1;
                format!("[{}:v]fps={FPS},{fill},trim=end_frame={frames}", inputs - 1)
            }
        };
        graph.push_str(&format!("{chain},setpts=PTS-STARTPTS,setsar=1,format=yuv420p[s{n}];"));
    }
    let labels: String = (0..shown.len()).map(|n| format!("[s{n}]")).collect();
    graph.push_str(&format!("{labels}concat=n={}:v=1:a=0", shown.len()));
    if let Some(subtitles) = c.subtitles {
        graph.push_str(&format!(
            ",subtitles=filename='{}':fontsdir=/usr/share/fonts/truetype/dejavu",
            filter_path(subtitles)
        ));
    }
    graph.push_str("[v]");
    // Shifted with its formants kept, so a lower or higher voice still sounds like a person.
    let pitch = if (c.pitch - 1.0).abs() > 1e-3 {
        format!("rubberband=pitch={:.3}:formant=preserved:pitchq=quality,", c.pitch)
    } else {
        String::new()
    };
    let voice = format!(
        "[0:a]aformat=channel_layouts=mono,{pitch}alimiter=level_in=4:limit=0.5:level=false,\
         loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000,aformat=channel_layouts=stereo,apad"
    );
    let bed = match c.music {
        Bed::Silent => None,
        Bed::Generated => Some(music_bed(c.duration_secs)),
        Bed::Track(_) => Some(format!(
            // Levelled to where the pad sits, whatever the track's own loudness.
            "[{inputs}:a]aresample=48000,aformat=channel_layouts=stereo,loudnorm=I=-30:TP=-6:LRA=11,aresample=48000,\
             atrim=duration={duration},afade=t=in:d=0.8,afade=t=out:st={:.3}:d=1",
            (c.duration_secs - 1.0).max(0.0)
        )),
    };
    let audio = if let Some(bed) = bed {
        // The bed dips under the voice (the voice keys the compressor), then
        // the mix is held under the ceiling.
        format!(
            "{voice},asplit=2[voice][key];{bed}[bed];\
             [bed][key]sidechaincompress=threshold=0.02:ratio=8:attack=15:release=350[ducked];\
             [voice][ducked]amix=inputs=2:duration=first:normalize=0,alimiter=limit=0.79:level=false[a]"
        )
    } else {
        format!("{voice}[a]")
    };
    args.push("-filter_complex".into());
    args.push(format!("{graph};{audio}").into());
    if let Bed::Track(track) = c.music {
        // The track is the last input, looping as long as the video lasts.
        let at = args.iter().position(|a| a == "-filter_complex").expect("pushed above");
        let mut input: Vec<OsString> = vec!["-stream_loop".into(), "-1".into()];
        input.extend(input_args(&track.path, track.kind));
        args.splice(at..at, input);
    }
    let mut out = tiktok_output_args(&duration, output);
    if c.quality == Quality::Preview {
        // The same encoder and container, at its fastest.
        for (option, value) in [("-preset", "ultrafast"), ("-crf", "28")] {
            let at = out.iter().position(|a| a == option).expect("tiktok_output_args sets it") + 1;
            out[at] = value.into();
        }
    }
    args.extend(out);
    args
}

/// The output half of every video made for TikTok: the `[v]` and `[a]`
/// streams of the filter graph for `duration` seconds, H.264 yuv420p at
/// 30 fps and AAC 48 kHz, with the index first for progressive playback.
pub(crate) fn tiktok_output_args(duration: &str, output: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    for a in ["-map", "[v]", "-map", "[a]", "-t", duration, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"] {
        args.push(a.into());
    }
    for a in ["-pix_fmt", "yuv420p", "-r", &FPS.to_string(), "-c:a", "aac", "-b:a", "128k", "-ar", "48000"] {
        args.push(a.into());
    }
    args.extend(["-movflags".into(), "+faststart".into(), output.into()]);
    args
}

/// Composes the video, reporting the fraction encoded (0..=1) as FFmpeg
/// progresses. Written beside the output and renamed, so a killed render
/// never leaves half a video; dropping the future kills FFmpeg.
pub async fn compose(c: &Composition<'_>, mut on_progress: impl FnMut(f64) + Send) -> Result<(), RenderError> {
    let partial = c.output.with_extension("partial.mp4");
    let mut child = Command::new("ffmpeg")
        .args(compose_args(c, &partial))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| RenderError::Ffmpeg(format!("ffmpeg could not start: {e}")))?;
    let stderr = child.stderr.take().expect("piped");
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        let _ = tokio::io::BufReader::new(stderr).read_to_string(&mut text).await;
        text
    });
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("piped")).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(micros) = line.strip_prefix("out_time_us=").and_then(|v| v.trim().parse::<f64>().ok()) {
            on_progress((micros / 1e6 / c.duration_secs).clamp(0.0, 1.0));
        }
    }
    let status = child.wait().await?;
    if !status.success() {
        return Err(exited("ffmpeg", status, &errors.await.unwrap_or_default()));
    }
    tokio::fs::rename(&partial, c.output).await?;
    Ok(())
}

/// What ffprobe says about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub duration_secs: f64,
    pub video: Option<(String, u32, u32, String, String)>,
    pub audio_codec: Option<String>,
}

impl Probe {
    /// A video TikTok takes: H.264 yuv420p 1080x1920 at 30 fps with AAC
    /// audio, as long as planned (within half a second).
    pub fn check_tiktok_video(&self, expected_secs: f64) -> Result<(), RenderError> {
        self.check_video(expected_secs, Quality::Final)
    }

    /// The same checks at the size of `quality`.
    pub fn check_video(&self, expected_secs: f64, quality: Quality) -> Result<(), RenderError> {
        let bad = |why: String| Err(RenderError::InvalidOutput(why));
        let Some((codec, w, h, pix_fmt, rate)) = &self.video else { return bad("no video stream".into()) };
        let (want_w, want_h) = quality.size();
        if codec != "h264" || (*w, *h) != (want_w, want_h) || pix_fmt != "yuv420p" || rate != "30/1" {
            return bad(format!(
                "video is {codec} {w}x{h} {pix_fmt} at {rate}; want h264 {want_w}x{want_h} yuv420p at 30/1"
            ));
        }
        if self.audio_codec.as_deref() != Some("aac") {
            return bad(format!("audio is {:?}; want aac", self.audio_codec));
        }
        if (self.duration_secs - expected_secs).abs() > 0.5 {
            return bad(format!("the video lasts {:.2} s; {:.2} s were planned", self.duration_secs, expected_secs));
        }
        Ok(())
    }
}

/// Probes a file FFmpeg wrote or TTS spoke (MP4 or WAV, told by its
/// extension; anything else is probed, but still only over `file`).
pub async fn probe(path: &Path) -> Result<Probe, RenderError> {
    let kind = path.extension().and_then(|e| e.to_str()).and_then(MediaType::from_extension);
    probe_as(path, kind).await
}

/// Probes `path` as a `kind` (with its demuxer), or by probing when `None`.
pub async fn probe_as(path: &Path, kind: Option<MediaType>) -> Result<Probe, RenderError> {
    let input = match kind {
        Some(kind) => input_args(path, kind),
        None => ["-protocol_whitelist".into(), "file".into(), "-i".into(), file_url(path)].to_vec(),
    };
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height,pix_fmt,r_frame_rate"])
        .args(["-show_entries", "format=duration", "-of", "json"])
        .args(input)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| RenderError::Ffmpeg(format!("ffprobe could not start: {e}")))?;
    if !out.status.success() {
        return Err(RenderError::InvalidOutput(format!("ffprobe cannot read {}", path.display())));
    }
    let json: Value = serde_json::from_slice(&out.stdout).map_err(|e| RenderError::InvalidOutput(e.to_string()))?;
    let streams = json["streams"].as_array().cloned().unwrap_or_default();
    let of = |kind: &str| streams.iter().find(|s| s["codec_type"] == kind).cloned();
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or("").to_owned();
    Ok(Probe {
        duration_secs: json["format"]["duration"].as_str().and_then(|d| d.parse().ok()).unwrap_or(0.0),
        video: of("video").map(|v| {
            (
                text(&v, "codec_name"),
                v["width"].as_u64().unwrap_or(0) as u32,
                v["height"].as_u64().unwrap_or(0) as u32,
                text(&v, "pix_fmt"),
                text(&v, "r_frame_rate"),
            )
        }),
        audio_codec: of("audio").map(|a| text(&a, "codec_name")),
    })
}

pub async fn thumbnail(video: &Path, at_ms: u32, out: &Path) -> Result<(), RenderError> {
    run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-ss"])
            .arg(format!("{:.3}", at_ms as f64 / 1000.0))
            .args(input_args(video, MediaType::Mp4))
            .args(["-frames:v", "1", "-q:v", "3"])
            .arg(out),
        "ffmpeg thumbnail",
    )
    .await
    .map(drop)
}

/// Integrated loudness (LUFS) and true peak (dBTP) with FFmpeg's ebur128.
/// FFmpeg 5.1 prints two summaries; the last one is right.
pub async fn loudness(path: &Path) -> Result<(f64, f64), RenderError> {
    let stderr = run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-nostats", "-protocol_whitelist", "file", "-i"])
            .arg(file_url(path))
            .args(["-filter_complex", "ebur128=peak=true", "-f", "null", "-"]),
        "ffmpeg ebur128",
    )
    .await?;
    let last = |label: &str| {
        stderr
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix(label).and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok()))
    };
    match (last("I:"), last("Peak:")) {
        (Some(i), Some(p)) => Ok((i, p)),
        _ => Err(RenderError::InvalidOutput("ebur128 printed no summary".into())),
    }
}

/// One frame as 8-bit grey pixels (for comparisons).
pub async fn gray_frame(video: &Path, at_secs: f64) -> Result<Vec<u8>, RenderError> {
    frame(video, at_secs, "gray", 1).await
}

/// One frame as 8-bit RGB pixels, three bytes each.
pub async fn rgb_frame(video: &Path, at_secs: f64) -> Result<Vec<u8>, RenderError> {
    frame(video, at_secs, "rgb24", 3).await
}

async fn frame(video: &Path, at_secs: f64, pix_fmt: &str, bytes_per_pixel: usize) -> Result<Vec<u8>, RenderError> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-ss"])
        .arg(format!("{at_secs:.3}"))
        .args(input_args(video, MediaType::Mp4))
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
        .kill_on_drop(true)
        .output()
        .await?;
    if !out.status.success() || out.stdout.len() != (WIDTH * HEIGHT) as usize * bytes_per_pixel {
        return Err(RenderError::Ffmpeg("could not read a frame".into()));
    }
    Ok(out.stdout)
}

/// When the picture changes scene: the times FFmpeg's scene score passes
/// `threshold` (0 to 1).
pub async fn scene_changes(video: &Path, threshold: f64) -> Result<Vec<f64>, RenderError> {
    let stderr = run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-nostats"])
            .args(input_args(video, MediaType::Mp4))
            .args(["-vf", &format!("select='gt(scene,{threshold})',showinfo"), "-an", "-f", "null", "-"]),
        "ffmpeg scene detection",
    )
    .await?;
    Ok(stderr
        .lines()
        .filter(|l| l.contains("Parsed_showinfo"))
        .filter_map(|l| l.split("pts_time:").nth(1)?.split_whitespace().next()?.parse().ok())
        .collect())
}

/// Momentary loudness (LUFS over 400 ms windows) every 100 ms: `(t, M)`.
pub async fn momentary_loudness(path: &Path) -> Result<Vec<(f64, f64)>, RenderError> {
    let stderr = run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-nostats", "-protocol_whitelist", "file", "-i"])
            .arg(file_url(path))
            .args(["-filter_complex", "ebur128", "-f", "null", "-"]),
        "ffmpeg ebur128",
    )
    .await?;
    Ok(stderr
        .lines()
        .filter_map(|l| {
            let t = l.split(" t: ").nth(1)?.split_whitespace().next()?.parse().ok()?;
            let m = l.split(" M: ").nth(1)?.split_whitespace().next()?.parse().ok()?;
            Some((t, m))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file the composing run reads is opened with the whitelist and
    /// a forced demuxer: the speech first, then each scene's file.
    #[test]
    fn every_file_ffmpeg_reads_is_opened_with_its_demuxer_and_only_the_file_protocol() {
        let speech = Path::new("/w/voice.wav");
        let output = Path::new("/w/out.mp4");
        let upload = |path: &str, kind| Upload { path: path.into(), kind };
        let scene = |n: f64| Scene { start: n, end: n + 2.0 };
        let scenes = [
            (scene(0.0), Visual::Still(upload("/w/background.png", MediaType::Png))),
            (scene(2.0), Visual::Gradient),
            (scene(4.0), Visual::Still(upload("/w/background.jpg", MediaType::Jpeg))),
            (scene(6.0), Visual::Footage { upload: upload("/w/a.mp4", MediaType::Mp4), from: Start::At(12.5) }),
            (
                scene(8.0),
                Visual::Footage {
                    upload: upload("/w/b.mov", MediaType::QuickTime),
                    from: Start::WithTheVideo { clip_secs: 5.0 },
                },
            ),
            (scene(10.0), Visual::TextCard),
        ];
        let c = Composition {
            scenes: &scenes,
            seed: 1,
            speech,
            subtitles: None,
            music: Bed::Silent,
            pitch: 1.0,
            quality: Quality::Final,
            duration_secs: 12.0,
            output,
        };
        let args: Vec<String> = compose_args(&c, output).iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let inputs: Vec<usize> = args.iter().enumerate().filter(|(_, a)| *a == "-i").map(|(i, _)| i).collect();
        assert_eq!(inputs.len(), 5, "{args:?}");
        let mut previous = 0;
        for (i, expected) in inputs.into_iter().zip(["wav", "image2", "image2", "mov", "mov"]) {
            let options = &args[previous..i];
            let forced = options.windows(2).rev().find(|w| w[0] == "-f").map(|w| w[1].as_str());
            assert_eq!(forced, Some(expected), "{args:?}");
            assert!(options.windows(2).any(|w| w == ["-protocol_whitelist", "file"]), "{args:?}");
            assert!(args[i + 1].starts_with("file:/w/"), "{args:?}");
            previous = i + 2;
        }
        // Footage starts where it was found, or where the video has got to (wrapped).
        assert!(args.windows(2).any(|w| w == ["-ss", "12.500"]) && args.windows(2).any(|w| w == ["-ss", "3.000"]));
        let graph = &args[args.iter().position(|a| a == "-filter_complex").unwrap() + 1];
        assert!(graph.contains("[1:v]scale=1210:2150") && graph.contains("zoompan=") && graph.contains("[4:v]fps=30"));
        assert!(graph.contains("concat=n=6:v=1:a=0") && graph.contains("[0:a]aformat"), "{graph}");
    }
}
