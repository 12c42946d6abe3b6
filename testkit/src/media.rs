//! A web server of one video, for import tests: the product imports long
//! videos through yt-dlp, which reaches them over plain HTTP as a direct MP4
//! (`/clip.mp4`), a web page that points at it (`/watch` with Open Graph
//! tags, `/embed` with a `<video>` tag) or an HLS playlist (`/hls/`).
//! Every request is recorded, so a test can assert that a refused import
//! fetched nothing; `/redirect` lets a test bounce yt-dlp somewhere else.

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path as UrlPath, Query, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use std::{
    collections::HashMap,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::Command,
    sync::{Arc, Mutex, PoisonError},
};
use tokio::task::JoinHandle;

/// The page title (`og:title`) when none is given: what an import should
/// take as the video's title.
pub const DEFAULT_TITLE: &str = "A talk about focus";

/// How to start a [`MediaServer`].
#[derive(Debug, Clone)]
pub struct MediaOptions {
    /// The MP4 served at `/clip.mp4` (and segmented for `/hls/`).
    pub clip: PathBuf,
    /// Where to listen; port 0 picks one. Any address of 127/8 works on
    /// Linux, so a second server can stand for "another private host".
    pub addr: SocketAddr,
    /// The title of the `/watch` and `/embed` pages.
    pub title: String,
}

impl MediaOptions {
    /// `clip` on 127.0.0.1 (an ephemeral port) under [`DEFAULT_TITLE`].
    pub fn new(clip: impl Into<PathBuf>) -> Self {
        Self { clip: clip.into(), addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), title: DEFAULT_TITLE.to_owned() }
    }

    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }
}

/// A running media server. Dropping it stops it.
#[derive(Debug)]
pub struct MediaServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

struct Shared {
    base: String,
    title: String,
    clip: Bytes,
    /// The HLS playlist and its segments by file name, held in memory so no
    /// temp dir outlives the server.
    hls: HashMap<String, Bytes>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl MediaServer {
    /// Serves `clip` on 127.0.0.1 (an ephemeral port).
    pub async fn start(clip: PathBuf) -> std::io::Result<MediaServer> {
        Self::start_with(MediaOptions::new(clip)).await
    }

    /// Serves `clip` on `addr` (port 0 picks one).
    pub async fn start_on(addr: SocketAddr, clip: PathBuf) -> std::io::Result<MediaServer> {
        Self::start_with(MediaOptions::new(clip).addr(addr)).await
    }

    /// Binds, segments the clip for HLS with FFmpeg (once, before serving),
    /// then serves in the background.
    pub async fn start_with(options: MediaOptions) -> std::io::Result<MediaServer> {
        let clip = Bytes::from(tokio::fs::read(&options.clip).await?);
        let hls = segment_hls(&options.clip).await?;
        let listener = tokio::net::TcpListener::bind(options.addr).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            base: format!("http://{addr}"),
            title: options.title,
            clip,
            hls,
            requests: requests.clone(),
        });
        let app = Router::new()
            .route("/clip.mp4", get(clip_mp4))
            .route("/watch", get(watch))
            .route("/embed", get(embed))
            .route("/hls/{file}", get(hls_file))
            .route("/redirect", get(redirect))
            .layer(middleware::from_fn_with_state(shared.clone(), record))
            .with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(MediaServer { addr, requests, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// "http://IP:PORT".
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The absolute URL of `path` ("/watch", "clip.mp4", ...).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base(), path.trim_start_matches('/'))
    }

    /// `/redirect?to=...` (encoded) on this server: a hop to `to`.
    pub fn redirect_url(&self, to: &str) -> String {
        let to: String = url::form_urlencoded::byte_serialize(to.as_bytes()).collect();
        self.url(&format!("/redirect?to={to}"))
    }

    /// This server's HLS playlist, its segments listed on `segment_base`
    /// (another server's [`MediaServer::base`]).
    pub fn hls_url_with_segments_on(&self, segment_base: &str) -> String {
        let base: String = url::form_urlencoded::byte_serialize(segment_base.as_bytes()).collect();
        self.url(&format!("/hls/index.m3u8?segment_base={base}"))
    }

    /// Path and query of every request received, in order (whatever the
    /// method, unknown paths included).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Stops serving, like dropping it.
    pub fn stop(self) {}
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Records before routing, so even a 404 shows up.
async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path_and_query().map_or_else(|| request.uri().path().to_owned(), |pq| pq.to_string());
    shared.requests.lock().unwrap_or_else(PoisonError::into_inner).push(path);
    next.run(request).await
}

/// The clip with byte ranges (one range per request; several are answered
/// with the whole file, as RFC 9110 allows), since downloaders resume and
/// probe with `Range`.
async fn clip_mp4(State(shared): State<Arc<Shared>>, method: Method, headers: HeaderMap) -> Response {
    let len = shared.clip.len() as u64;
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(|v| parse_range(v, len));
    let (status, body, content_range) = match range {
        None | Some(RangeAnswer::Ignore) => (StatusCode::OK, shared.clip.clone(), None),
        Some(RangeAnswer::Unsatisfiable) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            let value = HeaderValue::try_from(format!("bytes */{len}")).expect("ASCII");
            response.headers_mut().insert(header::CONTENT_RANGE, value);
            return response;
        }
        Some(RangeAnswer::Range(start, end)) => (
            StatusCode::PARTIAL_CONTENT,
            shared.clip.slice(start as usize..=end as usize),
            Some(format!("bytes {start}-{end}/{len}")),
        ),
    };
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "video/mp4")
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, body.len());
    if let Some(content_range) = content_range {
        response = response.header(header::CONTENT_RANGE, content_range);
    }
    let body = if method == Method::HEAD { Body::empty() } else { Body::from(body) };
    response.body(body).expect("valid response")
}

#[derive(Debug, PartialEq)]
enum RangeAnswer {
    /// Inclusive byte offsets.
    Range(u64, u64),
    Unsatisfiable,
    /// Not a single byte range: answer with the whole file.
    Ignore,
}

fn parse_range(value: &str, len: u64) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return RangeAnswer::Ignore };
    if spec.contains(',') {
        return RangeAnswer::Ignore;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return RangeAnswer::Ignore };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    let (start, end) = match (first.is_empty(), last.is_empty()) {
        // "-N": the last N bytes.
        (true, false) => match parse(last) {
            Some(0) => return RangeAnswer::Unsatisfiable,
            Some(n) => (len.saturating_sub(n), len.saturating_sub(1)),
            None => return RangeAnswer::Ignore,
        },
        (false, _) => match (parse(first), if last.is_empty() { Some(u64::MAX) } else { parse(last) }) {
            (Some(start), Some(end)) if start <= end => (start, end.min(len.saturating_sub(1))),
            _ => return RangeAnswer::Ignore,
        },
        (true, true) => return RangeAnswer::Ignore,
    };
    if len == 0 || start >= len { RangeAnswer::Unsatisfiable } else { RangeAnswer::Range(start, end) }
}

/// A page that announces its video the Open Graph way (`og:video`), which
/// yt-dlp's generic extractor takes with `og:title` as the title, verbatim.
async fn watch(State(shared): State<Arc<Shared>>) -> Html<String> {
    let title = escape_html(&shared.title);
    let video = format!("{}/clip.mp4", shared.base);
    Html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <meta property=\"og:title\" content=\"{title}\">\n\
         <meta property=\"og:type\" content=\"video.other\">\n\
         <meta property=\"og:video\" content=\"{video}\">\n\
         <meta property=\"og:video:type\" content=\"video/mp4\">\n\
         </head><body><h1>{title}</h1></body></html>\n"
    ))
}

/// A page with a plain `<video>` tag. yt-dlp's HTML5 embed extractor wins
/// over Open Graph and numbers what it finds, so the title it reports is
/// `"{og:title} (1)"`; kept apart from `/watch` so both paths are tested.
async fn embed(State(shared): State<Arc<Shared>>) -> Html<String> {
    let title = escape_html(&shared.title);
    let video = format!("{}/clip.mp4", shared.base);
    Html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <meta property=\"og:title\" content=\"{title}\">\n\
         </head><body><h1>{title}</h1>\n\
         <video controls><source src=\"{video}\" type=\"video/mp4\"></video>\n\
         </body></html>\n"
    ))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The playlist and its segments. `index.m3u8?segment_base=URL` lists the
/// segments as `URL/hls/segNNN.ts` instead, so a playlist can send the
/// downloader to another host.
async fn hls_file(
    State(shared): State<Arc<Shared>>,
    UrlPath(file): UrlPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(bytes) = shared.hls.get(&file) else { return StatusCode::NOT_FOUND.into_response() };
    if !file.ends_with(".m3u8") {
        return ([(header::CONTENT_TYPE, "video/mp2t")], bytes.clone()).into_response();
    }
    let playlist = match query.get("segment_base") {
        None => bytes.clone(),
        Some(base) => {
            let base = base.trim_end_matches('/');
            let lines = String::from_utf8_lossy(bytes)
                .lines()
                .map(|line| {
                    if line.is_empty() || line.starts_with('#') {
                        line.to_owned()
                    } else {
                        format!("{base}/hls/{line}")
                    }
                })
                .collect::<Vec<_>>();
            Bytes::from(lines.join("\n") + "\n")
        }
    };
    ([(header::CONTENT_TYPE, "application/vnd.apple.mpegurl")], playlist).into_response()
}

/// 302 to `to`, wherever it points.
async fn redirect(Query(query): Query<HashMap<String, String>>) -> Response {
    match query.get("to").map(|to| HeaderValue::try_from(to.as_str())) {
        Some(Ok(location)) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        _ => (StatusCode::BAD_REQUEST, "redirect needs ?to=<url>").into_response(),
    }
}

/// A fresh directory under the system temp dir.
fn temp_dir(prefix: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Cuts the clip into a VOD playlist of 2-second segments (stream copy, so
/// it takes no time), and reads the files back into memory.
async fn segment_hls(clip: &Path) -> std::io::Result<HashMap<String, Bytes>> {
    let dir = temp_dir("reelpilot-media-hls")?;
    let result = async {
        let output = tokio::process::Command::new("ffmpeg")
            .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(clip)
            .args(["-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename"])
            .arg(dir.join("seg%03d.ts"))
            .arg(dir.join("index.m3u8"))
            .output()
            .await?;
        check_ffmpeg("segmenting the clip for HLS", &output)?;
        let mut files = HashMap::new();
        let mut entries = tokio::fs::read_dir(&dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            files.insert(name, Bytes::from(tokio::fs::read(entry.path()).await?));
        }
        Ok(files)
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    result
}

fn check_ffmpeg(what: &str, output: &std::process::Output) -> std::io::Result<()> {
    if output.status.success() {
        return Ok(());
    }
    Err(std::io::Error::other(format!(
        "ffmpeg failed {what} ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    )))
}

/// Makes `dir/clip.mp4`: a 640x360 H.264 test pattern over `audio` (any
/// format FFmpeg reads), as long as the audio, with the index up front like
/// web video. The audio decides what transcription tests hear; the pattern
/// only makes it a real video.
pub fn synthetic_clip(dir: &Path, audio: &Path) -> std::io::Result<PathBuf> {
    let out = dir.join("clip.mp4");
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-i"])
        .arg(audio)
        .args([
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "50",
        ])
        .args(["-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart"])
        .arg(&out)
        .output()?;
    check_ffmpeg("making the synthetic clip", &output)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-second clip in a fresh temp dir.
    fn tiny_clip() -> PathBuf {
        let dir = temp_dir("reelpilot-media-test").unwrap();
        let wav = dir.join("tone.wav");
        let output = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1"])
            .arg(&wav)
            .output()
            .unwrap();
        check_ffmpeg("making a tone", &output).unwrap();
        synthetic_clip(&dir, &wav).unwrap()
    }

    #[tokio::test]
    async fn serves_the_clip_in_ranges_pages_hls_and_redirects_and_records_it_all() {
        let clip = tiny_clip();
        let bytes = std::fs::read(&clip).unwrap();
        let len = bytes.len();
        let server = MediaServer::start_with(MediaOptions::new(&clip).title("Focus & <flow>")).await.unwrap();
        assert_eq!(server.base(), format!("http://{}", server.addr()));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let get = |path: &str| client.get(server.url(path));

        let full = get("/clip.mp4").send().await.unwrap();
        assert_eq!(full.status(), 200);
        assert_eq!(full.headers()["content-type"], "video/mp4");
        assert_eq!(full.headers()["accept-ranges"], "bytes");
        assert_eq!(full.bytes().await.unwrap(), bytes);

        let part = get("clip.mp4").header("range", "bytes=10-19").send().await.unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(part.headers()["content-range"], format!("bytes 10-19/{len}"));
        assert_eq!(part.bytes().await.unwrap(), bytes[10..20]);
        let tail = get("/clip.mp4").header("range", "bytes=-5").send().await.unwrap();
        assert_eq!(tail.bytes().await.unwrap(), bytes[len - 5..]);
        let past = get("/clip.mp4").header("range", format!("bytes={len}-")).send().await.unwrap();
        assert_eq!(past.status(), 416);
        assert_eq!(past.headers()["content-range"], format!("bytes */{len}"));

        let head = client.head(server.url("/clip.mp4")).send().await.unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["content-length"], len.to_string());
        assert!(head.bytes().await.unwrap().is_empty());

        let watch = get("/watch").send().await.unwrap().text().await.unwrap();
        assert!(watch.contains(r#"<meta property="og:title" content="Focus &amp; &lt;flow&gt;">"#), "{watch}");
        assert!(watch.contains(&format!(r#"<meta property="og:video" content="{}">"#, server.url("/clip.mp4"))));
        let embed = get("/embed").send().await.unwrap().text().await.unwrap();
        assert!(embed.contains(&format!(r#"<source src="{}" type="video/mp4">"#, server.url("/clip.mp4"))));

        let playlist = get("/hls/index.m3u8").send().await.unwrap();
        assert_eq!(playlist.headers()["content-type"], "application/vnd.apple.mpegurl");
        let playlist = playlist.text().await.unwrap();
        assert!(playlist.starts_with("#EXTM3U") && playlist.contains("\nseg000.ts\n"), "{playlist}");
        let segment = get("/hls/seg000.ts").send().await.unwrap();
        assert_eq!(segment.headers()["content-type"], "video/mp2t");
        assert_eq!(segment.bytes().await.unwrap()[0], 0x47, "an MPEG-TS packet starts with the sync byte");
        let elsewhere = client.get(server.hls_url_with_segments_on("http://127.0.0.2:9")).send().await.unwrap();
        let elsewhere = elsewhere.text().await.unwrap();
        assert!(elsewhere.contains("\nhttp://127.0.0.2:9/hls/seg000.ts\n"), "{elsewhere}");
        assert_eq!(get("/hls/nope.ts").send().await.unwrap().status(), 404);

        let redirect = client.get(server.redirect_url("http://127.0.0.2:9/clip.mp4?a=1&b=2")).send().await.unwrap();
        assert_eq!(redirect.status(), 302);
        assert_eq!(redirect.headers()["location"], "http://127.0.0.2:9/clip.mp4?a=1&b=2");

        let expected = [
            "/clip.mp4",
            "/clip.mp4",
            "/clip.mp4",
            "/clip.mp4",
            "/clip.mp4",
            "/watch",
            "/embed",
            "/hls/index.m3u8",
            "/hls/seg000.ts",
            "/hls/index.m3u8?segment_base=http%3A%2F%2F127.0.0.2%3A9",
            "/hls/nope.ts",
            "/redirect?to=http%3A%2F%2F127.0.0.2%3A9%2Fclip.mp4%3Fa%3D1%26b%3D2",
        ];
        assert_eq!(server.requests(), expected);
        let _ = std::fs::remove_dir_all(clip.parent().unwrap());
    }

    #[test]
    fn ranges_parse_like_rfc_9110() {
        use RangeAnswer::*;
        assert_eq!(parse_range("bytes=0-99", 1000), Range(0, 99));
        assert_eq!(parse_range("bytes=500-", 1000), Range(500, 999));
        assert_eq!(parse_range("bytes=900-5000", 1000), Range(900, 999));
        assert_eq!(parse_range("bytes=-100", 1000), Range(900, 999));
        assert_eq!(parse_range("bytes=-5000", 1000), Range(0, 999));
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-2", 1000), Ignore);
        assert_eq!(parse_range("bytes=0-1,5-9", 1000), Ignore);
        assert_eq!(parse_range("items=0-1", 1000), Ignore);
    }

    #[test]
    fn titles_are_escaped() {
        assert_eq!(escape_html(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
