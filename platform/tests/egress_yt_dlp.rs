//! The real yt-dlp (the pinned version, at `TEST_YT_DLP`) run through the
//! egress proxy against a local media server, the way the worker imports a
//! user's URL. Refusals of the page, of a redirect hop and of HLS segments
//! show that every request yt-dlp makes goes through `--proxy` rather than
//! around it; the allowed cases show the flags below download all three
//! kinds of URL (direct file, web page, HLS playlist) through the proxy.

use platform::egress::{AddressPolicy, CheckingProxy};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::Duration;
use testkit::media::{DEFAULT_TITLE, MediaServer, synthetic_clip};

/// For every run: no configuration files (a stray `--proxy ""` in a config
/// would undo ours), no cache, one video even when the URL names a
/// playlist, no progress bar in the captured output.
const COMMON_ARGS: &[&str] =
    &["--ignore-config", "--no-cache-dir", "--no-playlist", "--no-progress", "--socket-timeout", "20"];

/// Metadata only: one JSON object on stdout (`title`, `duration` when known,
/// `formats`...); `null` and exit 1 on failure.
const METADATA_ARGS: &[&str] = &["--dump-single-json"];

/// A download: the native downloader for every protocol, so yt-dlp fetches
/// HLS segments itself through `--proxy` (its FFmpeg downloader would open
/// the URLs in FFmpeg); a segment that cannot be fetched fails the download
/// instead of leaving a hole; the final path printed alone on stdout.
const DOWNLOAD_ARGS: &[&str] =
    &["--downloader", "native", "--abort-on-unavailable-fragments", "--print", "after_move:filepath"];

/// How long one yt-dlp run may take before the test fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn yt_dlp_path() -> PathBuf {
    std::env::var_os("TEST_YT_DLP").map(PathBuf::from).expect(
        "TEST_YT_DLP must name the yt-dlp executable pinned for Reelpilot (`make test` sets it), \
         e.g. TEST_YT_DLP=/tmp/ci/.reelpilot/venv/bin/yt-dlp",
    )
}

fn fresh_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reelpilot-{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A 6-second clip (test pattern over a 440 Hz tone). Made once and kept
/// under a fixed name (bump the version when the recipe changes): it is
/// built in a fresh directory and renamed into place, so concurrent test
/// binaries never see half a clip.
fn clip() -> PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let kept = std::env::temp_dir().join("reelpilot-yt-dlp-clip-v1");
        let clip = kept.join("clip.mp4");
        if clip.exists() {
            return clip;
        }
        let dir = fresh_dir("yt-dlp-clip");
        let wav = dir.join("tone.wav");
        let output = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=6"])
            .arg(&wav)
            .output()
            .expect("ffmpeg must be on PATH");
        assert!(output.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&output.stderr));
        synthetic_clip(&dir, &wav).unwrap();
        if std::fs::rename(&dir, &kept).is_err() {
            // Another test binary got there first.
            std::fs::remove_dir_all(&dir).unwrap();
        }
        assert!(clip.exists(), "{} is missing", clip.display());
        clip
    })
    .clone()
}

async fn loopback_proxy() -> CheckingProxy {
    CheckingProxy::start(AddressPolicy::from_list("127.0.0.1").unwrap()).await.unwrap()
}

async fn public_only_proxy() -> CheckingProxy {
    CheckingProxy::start(AddressPolicy::public_only()).await.unwrap()
}

/// Runs yt-dlp with [`COMMON_ARGS`], `--proxy`, `args` and then `url`
/// (after `--`, so a URL cannot pass for an option). `no_proxy=*` is set
/// on purpose: `--proxy` must win over the environment.
async fn yt_dlp(proxy: &CheckingProxy, args: &[&str], url: &str) -> Output {
    let run = tokio::process::Command::new(yt_dlp_path())
        .args(COMMON_ARGS)
        .arg("--proxy")
        .arg(proxy.url())
        .args(args)
        .arg("--")
        .arg(url)
        .env("no_proxy", "*")
        .env("NO_PROXY", "*")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(RUN_TIMEOUT, run).await.expect("yt-dlp timed out").expect("yt-dlp could not be started")
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn metadata(proxy: &CheckingProxy, url: &str) -> Value {
    let output = yt_dlp(proxy, METADATA_ARGS, url).await;
    assert!(output.status.success(), "{url}: {}", describe(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Downloads `url` to `dir/source.%(ext)s`.
async fn download(proxy: &CheckingProxy, url: &str, dir: &Path) -> Output {
    let template = dir.join("source.%(ext)s");
    let mut args = DOWNLOAD_ARGS.to_vec();
    args.extend(["-o", template.to_str().unwrap()]);
    yt_dlp(proxy, &args, url).await
}

/// Whether `file` has an audio stream, and its duration in seconds.
fn probe(file: &Path) -> (bool, f64) {
    let output = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type:format=duration", "-of", "json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(output.status.success(), "ffprobe {}: {}", file.display(), String::from_utf8_lossy(&output.stderr));
    let probed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let has_audio = probed["streams"].as_array().unwrap().iter().any(|s| s["codec_type"] == "audio");
    let duration = probed["format"]["duration"].as_str().unwrap().parse().unwrap();
    (has_audio, duration)
}

/// What yt-dlp prints when the proxy answers 403 (the proxy's reason is
/// not shown: take it from `CheckingProxy::refusals`).
fn assert_refused(output: &Output, url: &str) {
    assert_eq!(output.status.code(), Some(1), "{url}: {}", describe(output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ERROR: ") && stderr.contains("HTTP Error 403: Forbidden"), "{url}: {}", describe(output));
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect()
}

#[tokio::test]
async fn metadata_of_a_file_a_page_and_a_playlist_comes_through_the_proxy() {
    let server = MediaServer::start(clip()).await.unwrap();
    let proxy = loopback_proxy().await;
    let clip_url = server.url("/clip.mp4");

    let direct = metadata(&proxy, &clip_url).await;
    assert_eq!(direct["url"], clip_url);
    assert_eq!(direct["title"], "clip", "a direct file is named after its URL");
    assert!(direct.get("duration").is_none(), "yt-dlp does not measure a direct file: {direct}");

    let watch = metadata(&proxy, &server.url("/watch")).await;
    assert_eq!(watch["title"], DEFAULT_TITLE, "og:title");
    assert_eq!(watch["url"], clip_url, "og:video");

    let embed = metadata(&proxy, &server.url("/embed")).await;
    assert_eq!(embed["title"], format!("{DEFAULT_TITLE} (1)"), "the HTML5 extractor numbers what it finds");
    assert_eq!(embed["url"], clip_url);

    let hls = metadata(&proxy, &server.url("/hls/index.m3u8")).await;
    assert_eq!(hls["protocol"], "m3u8_native");
    let duration = hls["duration"].as_f64().unwrap();
    assert!((5.0..=7.0).contains(&duration), "the playlist's duration: {duration}");

    assert!(proxy.refusals().is_empty(), "{:?}", proxy.refusals());
}

#[tokio::test]
async fn downloads_of_a_file_a_page_and_a_playlist_come_through_the_proxy_with_audio() {
    let server = MediaServer::start(clip()).await.unwrap();
    let proxy = loopback_proxy().await;
    for path in ["/clip.mp4", "/watch", "/hls/index.m3u8"] {
        let dir = fresh_dir("yt-dlp-download");
        let output = download(&proxy, &server.url(path), &dir).await;
        assert!(output.status.success(), "{path}: {}", describe(&output));
        let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let file = dir.join("source.mp4");
        assert_eq!(printed, file.to_str().unwrap(), "{path}: the final path alone on stdout");
        assert_eq!(files_in(&dir), std::slice::from_ref(&file), "{path}: no leftovers");
        let (has_audio, duration) = probe(&file);
        assert!(has_audio, "{path}: no audio stream in {}", file.display());
        assert!((5.5..=6.6).contains(&duration), "{path}: {duration}s");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let requests = server.requests();
    assert!(requests.iter().any(|r| r == "/hls/seg001.ts"), "the segments come from the server: {requests:#?}");
    assert!(proxy.refusals().is_empty(), "{:?}", proxy.refusals());
}

#[tokio::test]
async fn with_public_only_nothing_reaches_a_loopback_server() {
    let server = MediaServer::start(clip()).await.unwrap();
    let proxy = public_only_proxy().await;
    let dir = fresh_dir("yt-dlp-refused");
    for path in ["/clip.mp4", "/watch", "/embed", "/hls/index.m3u8"] {
        let url = server.url(path);
        let output = yt_dlp(&proxy, METADATA_ARGS, &url).await;
        assert_refused(&output, &url);
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "null");
        assert_refused(&download(&proxy, &url, &dir).await, &url);
    }
    assert_eq!(proxy.refusals(), [format!("{}: 127.0.0.1 is not a public address", server.addr())]);
    assert_eq!(server.requests(), Vec::<String>::new());
    assert_eq!(files_in(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn https_urls_are_checked_when_yt_dlp_asks_the_proxy_to_connect() {
    let server = MediaServer::start(clip()).await.unwrap();
    let proxy = public_only_proxy().await;
    let port = server.addr().port();
    for url in [format!("https://127.0.0.1:{port}/clip.mp4"), format!("https://localhost:{port}/watch")] {
        let output = yt_dlp(&proxy, METADATA_ARGS, &url).await;
        assert_eq!(output.status.code(), Some(1), "{url}: {}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("Tunnel connection failed: 403 Forbidden"), "{url}: {}", describe(&output));
    }
    let refusals = proxy.refusals();
    assert!(refusals.contains(&format!("127.0.0.1:{port}: 127.0.0.1 is not a public address")), "{refusals:?}");
    assert!(refusals.iter().any(|r| r.starts_with(&format!("localhost:{port}: "))), "{refusals:?}");
    assert_eq!(server.requests(), Vec::<String>::new());
}

/// A second server on 127.0.0.2 (all of 127/8 is loopback on Linux) stands
/// for a private host the allowed one points at.
async fn other_host() -> MediaServer {
    let addr: SocketAddr = "127.0.0.2:0".parse().unwrap();
    MediaServer::start_on(addr, clip()).await.expect("binding 127.0.0.2 (Linux routes 127/8 to lo)")
}

#[tokio::test]
async fn a_redirect_to_another_private_host_is_refused() {
    let allowed = MediaServer::start(clip()).await.unwrap();
    let private = other_host().await;
    let proxy = loopback_proxy().await;
    let url = allowed.redirect_url(&private.url("/clip.mp4"));
    let dir = fresh_dir("yt-dlp-redirect");

    assert_refused(&yt_dlp(&proxy, METADATA_ARGS, &url).await, &url);
    assert_refused(&download(&proxy, &url, &dir).await, &url);

    assert_eq!(proxy.refusals(), [format!("{}: 127.0.0.2 is not a public address", private.addr())]);
    assert_eq!(private.requests(), Vec::<String>::new());
    assert!(allowed.requests().iter().all(|r| r.starts_with("/redirect?to=")), "{:?}", allowed.requests());
    assert_eq!(files_in(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn hls_segments_on_another_private_host_are_refused() {
    let allowed = MediaServer::start(clip()).await.unwrap();
    let private = other_host().await;
    let proxy = loopback_proxy().await;
    let url = allowed.hls_url_with_segments_on(&private.base());
    let dir = fresh_dir("yt-dlp-segments");

    // The playlist itself is allowed, so its metadata comes through.
    let hls = metadata(&proxy, &url).await;
    assert_eq!(hls["protocol"], "m3u8_native");
    let output = download(&proxy, &url, &dir).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    // yt-dlp retries the refused segment (`--fragment-retries`, 10 by
    // default, without pause), then gives up on the whole download. (The
    // first line reads "ERROR: \r[download] Got error: ...", a carriage
    // return inside.)
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[download] Got error: HTTP Error 403: Forbidden. Giving up"), "{}", describe(&output));
    assert!(stderr.contains("ERROR: fragment 1 not found, unable to continue"), "{}", describe(&output));

    let refusals = proxy.refusals();
    assert_eq!(refusals, [format!("{}: 127.0.0.2 is not a public address", private.addr())]);
    assert_eq!(private.requests(), Vec::<String>::new());
    assert!(!dir.join("source.mp4").exists(), "{:?}", files_in(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--max-filesize` is checked against the `Content-Length` of a direct
/// file before its body is read: the download stops, but yt-dlp exits 0
/// with no file, so the worker must check that the file exists.
#[tokio::test]
async fn max_filesize_stops_a_direct_download_with_exit_code_zero() {
    let server = MediaServer::start(clip()).await.unwrap();
    let proxy = loopback_proxy().await;
    let dir = fresh_dir("yt-dlp-max-filesize");
    let template = dir.join("source.%(ext)s");
    let url = server.url("/clip.mp4");
    let args = ["--downloader", "native", "--max-filesize", "100K", "-o", template.to_str().unwrap()];
    let output = yt_dlp(&proxy, &args, &url).await;
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let clip_len = std::fs::metadata(clip()).unwrap().len();
    let expected = format!("[download] File is larger than max-filesize ({clip_len} bytes > 102400 bytes). Aborting.");
    assert!(stdout.contains(&expected), "{}", describe(&output));
    assert_eq!(files_in(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(&dir).unwrap();
}
