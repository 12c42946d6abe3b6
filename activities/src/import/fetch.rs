//! Bringing an import's source in: yt-dlp for URLs, through the checking
//! proxy so that no connection it makes (redirects, manifests, segments)
//! reaches a non-public address; metadata first, so what is too long or
//! too big is refused before a byte of video is downloaded.

use entities::imports::ImportErrorCode;
use platform::{
    config::ImportConfig,
    egress::{AddressPolicy, CheckingProxy},
};
use serde_json::Value;
use std::{path::Path, process::Stdio, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt},
    process::Command,
};

/// How long yt-dlp may take to read a page's metadata.
const METADATA_TIMEOUT: Duration = Duration::from_secs(120);
/// Largest metadata document read (a playlist page's can be big).
const METADATA_LIMIT: u64 = 16 * 1024 * 1024;

/// Why a fetch stopped: a refusal the person can act on, or trouble worth
/// another attempt.
#[derive(Debug)]
pub enum FetchError {
    Refused { code: ImportErrorCode, message: String },
    Retryable(String),
}

impl FetchError {
    pub fn refused(code: ImportErrorCode, message: impl Into<String>) -> FetchError {
        FetchError::Refused { code, message: message.into() }
    }
}

/// What yt-dlp said about a URL before downloading.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub title: Option<String>,
    pub duration_secs: Option<f64>,
    /// Exact or estimated size of what would be downloaded.
    pub size_bytes: Option<u64>,
    /// The document itself, for `--load-info-json`, so the download is the
    /// very video that was checked.
    pub info_json: Vec<u8>,
}

fn parse_metadata(info_json: Vec<u8>) -> Result<Metadata, FetchError> {
    let info: Value = serde_json::from_slice(&info_json)
        .map_err(|e| FetchError::refused(ImportErrorCode::Unsupported, format!("yt-dlp's answer is not JSON: {e}")))?;
    if info["_type"].as_str().is_some_and(|t| t == "playlist") {
        return Err(FetchError::refused(ImportErrorCode::Unsupported, "a playlist: import its videos one at a time"));
    }
    if info["is_live"].as_bool() == Some(true) || info["live_status"].as_str() == Some("is_live") {
        return Err(FetchError::refused(ImportErrorCode::Unsupported, "a live stream cannot be imported"));
    }
    let size = |v: &Value| v["filesize"].as_u64().or_else(|| v["filesize_approx"].as_u64());
    // A merged download is the sum of its parts.
    let parts = info["requested_formats"].as_array().map(|f| f.iter().map(size).sum::<Option<u64>>());
    Ok(Metadata {
        title: info["title"].as_str().map(str::to_owned).filter(|t| !t.is_empty()),
        duration_secs: info["duration"].as_f64(),
        size_bytes: parts.flatten().or_else(|| size(&info)),
        info_json,
    })
}

/// The proxy every yt-dlp run of one import goes through.
pub async fn proxy(config: &ImportConfig) -> Result<CheckingProxy, FetchError> {
    let policy = AddressPolicy::from_list(&config.allow_addresses).map_err(FetchError::Retryable)?;
    CheckingProxy::start(policy).await.map_err(|e| FetchError::Retryable(format!("starting the egress proxy: {e}")))
}

/// Options every yt-dlp run takes: only our proxy, no config files, no
/// cache, no playlists, and every download through yt-dlp itself (an
/// external downloader such as FFmpeg would not use the proxy).
fn yt_dlp(config: &ImportConfig, proxy: &CheckingProxy) -> Command {
    let mut command = Command::new(&config.yt_dlp);
    command
        .args(["--ignore-config", "--no-cache-dir", "--no-playlist", "--no-warnings", "--color", "never"])
        .args(["--proxy", &proxy.url(), "--socket-timeout", "30"])
        .args(["--downloader", "native", "--abort-on-unavailable-fragments", "--fragment-retries", "3"])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Why yt-dlp failed, in a person's words: a refused address when the proxy
/// refused one, otherwise yt-dlp's own last error line.
fn failed(proxy: &CheckingProxy, stderr: &str) -> FetchError {
    if let Some(refused) = proxy.refusals().first() {
        return FetchError::refused(
            ImportErrorCode::AddressRefused,
            format!("the video's address is not public and may not be fetched ({refused})"),
        );
    }
    let line = stderr.lines().rev().find(|l| l.contains("ERROR")).or_else(|| stderr.lines().last()).unwrap_or("");
    let line = line.trim().trim_start_matches("ERROR:").trim();
    let message = format!("yt-dlp could not fetch it: {line}");
    if line.contains("Unsupported URL") || line.contains("Unable to extract") || line.contains("no video formats") {
        FetchError::refused(ImportErrorCode::Unsupported, message)
    } else if line.contains("HTTP Error 4") || line.contains("Unable to download webpage") {
        FetchError::refused(ImportErrorCode::Unreachable, message)
    } else {
        FetchError::Retryable(message)
    }
}

/// yt-dlp's metadata of `url`, nothing downloaded.
pub async fn metadata(config: &ImportConfig, proxy: &CheckingProxy, url: &str) -> Result<Metadata, FetchError> {
    let mut child = yt_dlp(config, proxy)
        .args(["--dump-single-json", "--skip-download", "--", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| FetchError::Retryable(format!("yt-dlp could not start ({}): {e}", config.yt_dlp.display())))?;
    let mut stdout = child.stdout.take().expect("piped").take(METADATA_LIMIT);
    let mut stderr = child.stderr.take().expect("piped");
    let run = async {
        let (mut out, mut err) = (Vec::new(), String::new());
        let (read_out, read_err) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_string(&mut err));
        read_out.and(read_err).map_err(|e| FetchError::Retryable(e.to_string()))?;
        let status = child.wait().await.map_err(|e| FetchError::Retryable(e.to_string()))?;
        Ok::<_, FetchError>((status, out, err))
    };
    let (status, out, err) = tokio::time::timeout(METADATA_TIMEOUT, run).await.map_err(|_| {
        FetchError::refused(ImportErrorCode::Unreachable, "the page did not answer within two minutes")
    })??;
    if !status.success() {
        return Err(failed(proxy, &err));
    }
    parse_metadata(out)
}

/// Refuses what the limits and the metadata already rule out.
pub fn check_limits(config: &ImportConfig, facts: &Metadata) -> Result<(), FetchError> {
    if let Some(secs) = facts.duration_secs
        && secs > config.max_duration.as_secs_f64()
    {
        return Err(too_long(config, secs));
    }
    if let Some(bytes) = facts.size_bytes
        && bytes > config.max_bytes
    {
        return Err(too_big(config, bytes));
    }
    Ok(())
}

pub fn too_long(config: &ImportConfig, secs: f64) -> FetchError {
    FetchError::refused(
        ImportErrorCode::TooLong,
        format!(
            "the video lasts {} min; imports take at most {} min",
            (secs / 60.0).ceil(),
            config.max_duration.as_secs().div_ceil(60)
        ),
    )
}

pub fn too_big(config: &ImportConfig, bytes: u64) -> FetchError {
    FetchError::refused(
        ImportErrorCode::TooBig,
        format!("the video is {} MB; imports take at most {} MB", bytes / 1_000_000, config.max_bytes / 1_000_000),
    )
}

/// Downloads the video described by `facts` into `dir` as `source.*`,
/// reporting the fraction done; returns the file. Bounded by the size limit
/// (stopped as soon as the size is announced or received) and the fetch
/// timeout; dropping it kills yt-dlp.
pub async fn download(
    config: &ImportConfig,
    proxy: &CheckingProxy,
    facts: &Metadata,
    dir: &Path,
    mut on_progress: impl FnMut(f32),
) -> Result<std::path::PathBuf, FetchError> {
    let info = dir.join("info.json");
    tokio::fs::write(&info, &facts.info_json).await.map_err(|e| FetchError::Retryable(e.to_string()))?;
    let mut child = yt_dlp(config, proxy)
        .arg("--load-info-json")
        .arg(&info)
        // One file: a progressive MP4 when there is one (most pages), else the best merged into MP4.
        .args(["-f", "b[ext=mp4][height<=1080]/bv*[height<=1080]+ba/b[height<=1080]/b"])
        .args(["--merge-output-format", "mp4"])
        .args([
            "--no-part",
            "--progress",
            "--newline",
            "--progress-template",
            "download:progress %(progress.downloaded_bytes)s %(progress.total_bytes,progress.total_bytes_estimate)s",
        ])
        .args(["--print", "after_move:filepath"])
        .arg("-o")
        .arg(dir.join("source.%(ext)s"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| FetchError::Retryable(format!("yt-dlp could not start: {e}")))?;
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let run = async {
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let mut file = None;
        while let Some(line) = lines.next_line().await.map_err(|e| FetchError::Retryable(e.to_string()))? {
            if let Some(progress) = line.strip_prefix("progress ") {
                let mut numbers = progress.split_whitespace().map(|n| n.parse::<f64>().ok());
                let (done, total) = (numbers.next().flatten().unwrap_or(0.0), numbers.next().flatten());
                // The size limit is ours: the announced size stops the
                // download at its first bytes, the bytes received stop a
                // body that announced none (yt-dlp's own --max-filesize
                // only reads Content-Length, and says nothing when quiet).
                let biggest = done.max(total.unwrap_or(0.0));
                if biggest > config.max_bytes as f64 {
                    return Err(too_big(config, biggest as u64));
                }
                if let Some(total) = total.filter(|t| *t > 0.0) {
                    on_progress((done / total).clamp(0.0, 1.0) as f32);
                }
            } else if Path::new(line.trim()).is_file() {
                file = Some(std::path::PathBuf::from(line.trim()));
            }
        }
        let status = child.wait().await.map_err(|e| FetchError::Retryable(e.to_string()))?;
        Ok::<_, FetchError>((status, file))
    };
    let (status, file) = tokio::time::timeout(config.fetch_timeout, run).await.map_err(|_| {
        FetchError::refused(
            ImportErrorCode::TooSlow,
            format!("the download took longer than {} min", config.fetch_timeout.as_secs().div_ceil(60)),
        )
    })??;
    let stderr = errors.await.unwrap_or_default();
    if !status.success() {
        return Err(failed(proxy, &stderr));
    }
    file.ok_or_else(|| FetchError::refused(ImportErrorCode::Unsupported, "yt-dlp found no video to download"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_gives_title_duration_and_the_size_of_every_part() {
        let merged = serde_json::json!({
            "title": "A talk", "duration": 61.5,
            "requested_formats": [{"filesize": 1000}, {"filesize_approx": 500}]
        });
        let facts = parse_metadata(merged.to_string().into_bytes()).unwrap();
        assert_eq!(
            (facts.title.as_deref(), facts.duration_secs, facts.size_bytes),
            (Some("A talk"), Some(61.5), Some(1500))
        );
        let single = serde_json::json!({"title": "", "filesize_approx": 42});
        let facts = parse_metadata(single.to_string().into_bytes()).unwrap();
        assert_eq!((facts.title, facts.duration_secs, facts.size_bytes), (None, None, Some(42)));
        for refused in [serde_json::json!({"_type": "playlist"}), serde_json::json!({"is_live": true})] {
            let err = parse_metadata(refused.to_string().into_bytes()).unwrap_err();
            assert!(matches!(err, FetchError::Refused { code: ImportErrorCode::Unsupported, .. }), "{err:?}");
        }
    }
}
