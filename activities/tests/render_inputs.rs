//! What FFmpeg is allowed to read of an upload: only the file itself, with
//! the demuxer of its checked type, and images only of a bounded size.

use activities::render::{
    Planned, RenderError, RenderRequest,
    ffmpeg::{self, Composition, MediaType, Start, Upload, Visual},
    render,
    scenes::Scene,
    tts,
};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reelpilot-render-inputs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ffmpeg_make(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-y", "-loglevel", "error"])
        .args(args)
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "making {}", out.display());
}

fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// An HLS playlist saved as `background.mp4` whose segments are another
/// org's file and a URL: what FFmpeg would open if it probed the upload.
#[test]
fn a_playlist_dressed_as_an_mp4_cannot_make_ffmpeg_open_other_files_or_urls() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = temp_dir();
    let secret = dir.join("other-org-upload.mp4");
    ffmpeg_make(&["-f", "lavfi", "-i", "testsrc=s=64x48:d=1", "-pix_fmt", "yuv420p"], &secret);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let evil = dir.join("background.mp4");
    let playlist = format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:{}\n#EXTINF:1,\nhttp://127.0.0.1:{port}/seg.ts\n#EXT-X-ENDLIST\n",
        secret.display()
    );
    std::fs::write(&evil, playlist).unwrap();
    let opened_secret = |stderr: &str| stderr.contains(&format!("Opening 'file:{}'", secret.display()));

    // Probing (FFmpeg's default) reads it as HLS and opens the other file.
    let probed = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "info", "-i"])
        .arg(&evil)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    let probed_stderr = String::from_utf8_lossy(&probed.stderr);
    assert!(opened_secret(&probed_stderr), "the crafted file works as an attack: {probed_stderr}");

    // The render's own input options: the mov demuxer refuses it, nothing else is opened.
    let forced = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "info"])
        .args(ffmpeg::input_args(&evil, MediaType::Mp4))
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    let forced_stderr = String::from_utf8_lossy(&forced.stderr);
    assert!(!forced.status.success(), "{forced_stderr}");
    assert!(!opened_secret(&forced_stderr) && !forced_stderr.contains("Opening"), "{forced_stderr}");
    assert!(forced_stderr.contains("moov atom not found"), "read as an MP4: {forced_stderr}");

    // The whole composing run fails the same way, and the check before it
    // already refuses the upload for not being what it claims.
    let speech = dir.join("voice.wav");
    ffmpeg_make(&["-f", "lavfi", "-i", "sine=d=0.5"], &speech);
    let upload = Upload { path: evil.clone(), kind: MediaType::Mp4 };
    let scenes = [(Scene { start: 0.0, end: 0.5 }, Visual::Footage { upload: upload.clone(), from: Start::At(0.0) })];
    let output = dir.join("video.mp4");
    let composition = Composition {
        scenes: &scenes,
        seed: 0,
        speech: &speech,
        subtitles: None,
        music: ffmpeg::Bed::Silent,
        pitch: 1.0,
        quality: ffmpeg::Quality::Final,
        duration_secs: 0.5,
        output: &output,
    };
    let err = rt.block_on(ffmpeg::compose(&composition, |_| {})).unwrap_err();
    assert!(matches!(err, RenderError::Ffmpeg(_)), "{err}");
    let err = rt.block_on(ffmpeg::check_upload(&upload)).unwrap_err();
    assert!(matches!(&err, RenderError::InvalidInput(why) if why.contains("video/mp4")), "{err}");

    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("something connected to the URL in the playlist: {other:?}"),
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn uploads_are_checked_against_their_type_and_images_against_a_size_bound_before_ffmpeg() {
    let dir = temp_dir();
    let huge = dir.join("huge.png");
    std::fs::write(&huge, png_header(100_000, 100_000)).unwrap();
    let err = ffmpeg::check_upload(&Upload { path: huge.clone(), kind: MediaType::Png }).await.unwrap_err();
    assert!(matches!(&err, RenderError::InvalidInput(why) if why.contains("100000x100000")), "{err}");

    // A render with it fails at once, before speaking or running FFmpeg.
    let request = RenderRequest {
        script: "One sentence.".into(),
        hook: String::new(),
        style: Default::default(),
        language: "en".into(),
        scenes: vec![Planned { words: 2, visual: Visual::Still(Upload { path: huge, kind: MediaType::Png }) }],
        seed: 0,
        music_track: None,
        quality: ffmpeg::Quality::Final,
        captions: false,
        max_secs: 60.0,
    };
    let work = dir.join("work");
    let err = render(&tts::Espeak, &request, &work, &mut |_| {}).await.unwrap_err();
    assert!(matches!(err, RenderError::InvalidInput(_)), "{err}");
    assert!(!work.join("voice.wav").exists(), "nothing was spoken");

    let png = dir.join("real.png");
    ffmpeg_make(&["-f", "lavfi", "-i", "color=c=red:s=64x48", "-frames:v", "1"], &png);
    let jpg = dir.join("real.jpg");
    ffmpeg_make(&["-f", "lavfi", "-i", "color=c=red:s=64x48", "-frames:v", "1"], &jpg);
    let mp4 = dir.join("real.mp4");
    ffmpeg_make(&["-f", "lavfi", "-i", "testsrc=s=64x48:d=1", "-pix_fmt", "yuv420p"], &mp4);
    for (path, kind) in [(&png, MediaType::Png), (&jpg, MediaType::Jpeg), (&mp4, MediaType::Mp4)] {
        ffmpeg::check_upload(&Upload { path: path.clone(), kind }).await.unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
    // Real files of another type than recorded.
    let err = ffmpeg::check_upload(&Upload { path: png.clone(), kind: MediaType::Mp4 }).await.unwrap_err();
    assert!(matches!(&err, RenderError::InvalidInput(why) if why.contains("image/png")), "{err}");
    let err = ffmpeg::check_upload(&Upload { path: mp4.clone(), kind: MediaType::Jpeg }).await.unwrap_err();
    assert!(matches!(err, RenderError::InvalidInput(_)), "{err}");
    // A clip cut short mid-file (an interrupted upload): refused, FFmpeg not left hanging.
    let bytes = std::fs::read(&mp4).unwrap();
    let truncated = dir.join("truncated.mp4");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let upload = Upload { path: truncated, kind: MediaType::Mp4 };
    let check = ffmpeg::check_upload(&upload);
    let err = tokio::time::timeout(std::time::Duration::from_secs(30), check).await.expect("no hang").unwrap_err();
    assert!(matches!(err, RenderError::InvalidInput(_)), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The forced demuxers read real files of each type.
#[tokio::test]
async fn real_uploads_of_each_type_compose_with_their_forced_demuxer() {
    let dir = temp_dir();
    let speech = dir.join("voice.wav");
    ffmpeg_make(&["-f", "lavfi", "-i", "sine=d=0.5"], &speech);
    let still = ["-f", "lavfi", "-i", "color=c=0x2244aa:s=320x240", "-frames:v", "1"];
    let clip = ["-f", "lavfi", "-i", "testsrc=s=320x240:d=1", "-pix_fmt", "yuv420p"];
    for (name, args, kind) in [
        ("background.png", &still[..], MediaType::Png),
        ("background.jpg", &still[..], MediaType::Jpeg),
        ("background.mp4", &clip[..], MediaType::Mp4),
        ("background.mov", &clip[..], MediaType::QuickTime),
    ] {
        let path = dir.join(name);
        ffmpeg_make(args, &path);
        let upload = Upload { path, kind };
        ffmpeg::check_upload(&upload).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let visual = if kind.is_image() {
            Visual::Still(upload)
        } else {
            Visual::Footage { upload, from: Start::WithTheVideo { clip_secs: 1.0 } }
        };
        let scenes = [(Scene { start: 0.0, end: 0.5 }, visual)];
        let output = dir.join(format!("{name}.out.mp4"));
        let composition = Composition {
            scenes: &scenes,
            seed: 0,
            speech: &speech,
            subtitles: None,
            music: ffmpeg::Bed::Silent,
            pitch: 1.0,
            quality: ffmpeg::Quality::Final,
            duration_secs: 0.5,
            output: &output,
        };
        ffmpeg::compose(&composition, |_| {}).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let probe = ffmpeg::probe(&output).await.unwrap();
        assert_eq!(probe.video.map(|v| (v.1, v.2)), Some((1080, 1920)), "{name}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
