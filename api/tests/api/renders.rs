//! Rendering approved slots on the real Temporal server, with real Piper,
//! FFmpeg and storage (local and S3): progress from heartbeats, stored
//! assets under deterministic keys, metering, cancellation that kills
//! FFmpeg, uploads as backgrounds, and the refusals.

use crate::helpers::{Storage, TestApp, User, assert_error, json_body};
use serde_json::{Value, json};
use std::{
    path::Path,
    time::{Duration, Instant},
};
use uuid::Uuid;

struct Slot {
    owner: User,
    org: Uuid,
    id: String,
}

impl Slot {
    fn path(&self, rest: &str) -> String {
        format!("/api/orgs/{}/slots/{}{rest}", self.org, self.id)
    }
}

/// A drafted month, with its first slot given `script` and approved.
async fn approved_slot(app: &TestApp, script: &str, budgets: Value) -> Slot {
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Render Studio").await;
    let project = app.create_project(&owner, org, json!({"name": "Pasta"})).await;
    let path = format!("/api/orgs/{org}/projects/{project}");
    assert_eq!(app.call("PATCH", &path, Some(&owner), Some(json!({"budgets": budgets}))).await.status(), 200);
    let plan = json_body(
        app.post_json(
            &format!("/api/orgs/{org}/projects/{project}/plans"),
            &owner,
            json!({"start_date": "2031-03-02"}),
        )
        .await,
    )
    .await["plan_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let id = loop {
        let plan_view = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), &owner).await).await;
        if plan_view["status"] == "ready" {
            let slots = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}/slots"), &owner).await).await;
            break slots[0]["id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "the plan never got ready: {plan_view}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    let slot = Slot { owner, org, id };
    let res = app.call("PATCH", &slot.path(""), Some(&slot.owner), Some(json!({"script": script}))).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(app.approve(&slot.path(""), &slot.owner).await.status(), 200);
    slot
}

/// Polls the render until `done`, collecting every progress value seen.
async fn wait_render(app: &TestApp, slot: &Slot, done: impl Fn(&Value) -> bool) -> (Value, Vec<f64>) {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut seen = Vec::new();
    loop {
        let view = json_body(app.get(&slot.path("/render"), &slot.owner).await).await;
        if let Some(p) = view["progress"].as_f64() {
            seen.push(p);
        }
        if done(&view) {
            return (view, seen);
        }
        assert!(Instant::now() < deadline, "the render never got there: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn download(app: &TestApp, url: &str, to: &Path) {
    let bytes = app.http.get(url).send().await.unwrap().bytes().await.unwrap();
    tokio::fs::write(to, &bytes).await.unwrap();
}

async fn ffprobe(path: &Path) -> Value {
    let out = tokio::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name,width,height:format=duration", "-of", "json"])
        .arg(path)
        .output()
        .await
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn ledger_total(app: &TestApp, metric: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT coalesce(sum(quantity), 0)::bigint AS total, count(*) AS n FROM usage_ledger WHERE metric = $1",
            [metric.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "total").unwrap()
}

const SCRIPT: &str = "Three pasta mistakes everyone makes. First, the pot is too small, so the water stops boiling. \
    Second, the water has no salt. Third, rinsing it after cooking washes the starch away.";

on_both_backends!(an_approved_slot_renders_into_a_tiktok_ready_video_with_progress_and_metering);
async fn an_approved_slot_renders_into_a_tiktok_ready_video_with_progress_and_metering(storage: Storage) {
    let app = TestApp::spawn_on(storage).await;
    let slot = approved_slot(&app, SCRIPT, json!({})).await;

    let res = app.post_json(&slot.path("/render"), &slot.owner, json!({})).await;
    assert_eq!(res.status(), 202);
    let started = json_body(res).await;
    assert_eq!((started["status"].as_str(), started["version"].as_i64()), (Some("rendering"), Some(1)));
    let run = &started["run"];
    assert_eq!(run["workflow_id"], format!("{}:render:{}:v1", slot.org, slot.id));
    // Asking again while it runs joins the same render.
    let again = json_body(app.post_json(&slot.path("/render"), &slot.owner, json!({})).await).await;
    assert_eq!(again["version"], 1);

    let (done, seen) = wait_render(&app, &slot, |v| v["status"] != "rendering").await;
    assert_eq!(done["status"], "rendered", "{done}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {seen:?}");
    assert_eq!(seen.last(), Some(&1.0));
    assert!(done["error"].is_null());

    let video = &done["video"];
    let key = format!("org/{}/slots/{}/v1/video.mp4", slot.org, slot.id);
    assert!(video["url"].as_str().unwrap().contains(&key), "deterministic key: {video}");
    assert_eq!(storage == Storage::S3, video["direct_url"].is_string());
    let dir = crate::helpers::temp_dir("render-check");
    std::fs::create_dir_all(&dir).unwrap();
    download(&app, video["url"].as_str().unwrap(), &dir.join("video.mp4")).await;
    let probe = ffprobe(&dir.join("video.mp4")).await;
    let streams = probe["streams"].as_array().unwrap();
    assert!(streams.iter().any(|s| s["codec_name"] == "h264" && s["width"] == 1080 && s["height"] == 1920), "{probe}");
    assert!(streams.iter().any(|s| s["codec_name"] == "aac"), "{probe}");
    let duration: f64 = probe["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!((duration * 1000.0 - video_duration_ms(&app, &slot).await as f64).abs() < 100.0);
    assert!(duration > 4.0 && duration < 30.0, "{duration}");
    download(&app, done["thumbnail"]["url"].as_str().unwrap(), &dir.join("thumb.jpg")).await;
    assert_eq!(&std::fs::read(dir.join("thumb.jpg")).unwrap()[..2], &[0xFF, 0xD8]);
    let cover = done["cover_timestamp_ms"].as_i64().unwrap();
    assert!(cover > 0 && (cover as f64) < duration * 1000.0);

    // Rendered seconds and bytes are metered once per render version.
    let seconds = ledger_total(&app, "video_seconds").await;
    assert_eq!(seconds, duration.ceil() as i64);
    let slot_view = json_body(app.get(&slot.path(""), &slot.owner).await).await;
    assert_eq!(slot_view["video_asset_id"], video["id"]);

    // A re-render is a new version with its own keys; the first stays.
    let res = app.post_json(&slot.path("/render"), &slot.owner, json!({})).await;
    assert_eq!(json_body(res).await["version"], 2);
    let (second, _) = wait_render(&app, &slot, |v| v["status"] == "rendered").await;
    assert!(second["video"]["url"].as_str().unwrap().contains(&format!("slots/{}/v2/video.mp4", slot.id)));
    assert_eq!(app.http.get(video["url"].as_str().unwrap()).send().await.unwrap().status(), 200);
    // Each version is metered once, by its own length (voices vary slightly).
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let metered: i64 = {
        use sea_orm::ConnectionTrait;
        db.query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT sum(ceil(duration_ms / 1000.0))::bigint AS s FROM assets WHERE slot_id = '{}' AND kind = 'video'", slot.id),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "s")
        .unwrap()
    };
    assert!(metered > seconds);
    assert_eq!(ledger_total(&app, "video_seconds").await, metered);

    // Operators see the same in Prometheus (the test's worker shares the process).
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"reelpilot_renders_total{outcome="rendered"} 2"#), "{metrics}");
    assert!(metrics.contains(&format!("reelpilot_rendered_video_seconds_total {metered}")), "{metrics}");
    assert!(metrics.contains("reelpilot_render_duration_seconds_count 2"), "{metrics}");
    assert!(
        metrics.contains(
            r#"reelpilot_http_requests_total{method="POST",route="/api/orgs/{org_id}/slots/{slot_id}/render",status="202"}"#
        ),
        "counted by route template, never by raw path: {metrics}"
    );
    assert!(!metrics.contains(&slot.id.to_string()), "no ids in labels");
    std::fs::remove_dir_all(dir).unwrap();
}

async fn video_duration_ms(app: &TestApp, slot: &Slot) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT duration_ms::bigint AS d FROM assets WHERE slot_id = '{}' AND kind = 'video'", slot.id),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "d").unwrap()
}

/// FFmpeg processes working in `dir`.
fn ffmpeg_in(dir: &Path) -> usize {
    let out = std::process::Command::new("pgrep").arg("-f").arg(format!("ffmpeg.*{}", dir.display())).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[tokio::test]
async fn cancelling_a_render_kills_ffmpeg_and_releases_the_slot() {
    let app = TestApp::spawn().await;
    // About two minutes of speech: the encode runs long enough to be cancelled.
    let long = SCRIPT.repeat(10);
    let slot = approved_slot(&app, &long, json!({})).await;
    assert_eq!(app.post_json(&slot.path("/render"), &slot.owner, json!({})).await.status(), 202);

    let work_dir = app.config.render.work_dir.join(&slot.id);
    let deadline = Instant::now() + Duration::from_secs(120);
    while ffmpeg_in(&work_dir) == 0 {
        assert!(Instant::now() < deadline, "FFmpeg never started");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (encoding, _) = wait_render(&app, &slot, |v| v["progress"].as_f64().is_some_and(|p| p > 0.1)).await;
    assert!(encoding["progress"].as_f64().unwrap() < 1.0, "heartbeats report the encode: {encoding}");

    let res = app.call("DELETE", &slot.path("/render"), Some(&slot.owner), None).await;
    assert_eq!(res.status(), 202);
    let (released, _) = wait_render(&app, &slot, |v| v["status"] != "rendering").await;
    assert_eq!(released["status"], "approved", "{released}");
    assert!(released["error"].as_str().unwrap().contains("cancelled"), "{released}");
    // The slot is released by the run's last activity, a moment before the run ends.
    let (ended, _) = wait_render(&app, &slot, |v| v["run"]["status"] != "running").await;
    assert_eq!(ended["run"]["status"], "canceled", "Temporal shows the run as canceled");
    assert_eq!(ffmpeg_in(&work_dir), 0, "FFmpeg was killed");
    assert!(released["video"].is_null());
    assert!(!work_dir.join("v1").exists(), "the scratch files are gone");
    assert_eq!(ledger_total(&app, "video_seconds").await, 0, "a cancelled render is not metered");
    let res = app.call("DELETE", &slot.path("/render"), Some(&slot.owner), None).await;
    assert_error(res, 409, "conflict").await;
}

async fn upload(app: &TestApp, slot: &Slot, content_type: &str, bytes: Vec<u8>) -> String {
    let res = app
        .http
        .post(app.url(&format!("/api/orgs/{}/uploads", slot.org)))
        .bearer_auth(&slot.owner.token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    json_body(res).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_uploaded_image_becomes_the_background() {
    let app = TestApp::spawn().await;
    let slot = approved_slot(&app, "Salt the water like the sea. That is the whole trick.", json!({})).await;
    let dir = crate::helpers::temp_dir("background");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("red.png");
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-f", "lavfi", "-i", "color=c=0xdd1111:s=640x480", "-frames:v", "1"])
        .arg(&png)
        .status()
        .unwrap();
    assert!(status.success());
    let asset = upload(&app, &slot, "image/png", std::fs::read(&png).unwrap()).await;
    let res = app.call("PUT", &slot.path("/background"), Some(&slot.owner), Some(json!({"asset_id": asset}))).await;
    assert_eq!(json_body(res).await["background_asset_id"], asset.as_str());

    app.post_json(&slot.path("/render"), &slot.owner, json!({})).await;
    let (done, _) = wait_render(&app, &slot, |v| v["status"] != "rendering").await;
    assert_eq!(done["status"], "rendered", "{done}");
    let video = dir.join("video.mp4");
    download(&app, done["video"]["url"].as_str().unwrap(), &video).await;
    // The top corner (no captions there) shows the upload's red.
    let out = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-ss", "1", "-i"])
        .arg(&video)
        .args(["-frames:v", "1", "-vf", "crop=100:100:0:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    let pixels = out.stdout.chunks(3).count() as u64;
    let mean = |c: usize| out.stdout.chunks(3).map(|p| p[c] as u64).sum::<u64>() / pixels;
    assert!(
        mean(0) > 180 && mean(1) < 60 && mean(2) < 60,
        "red background, got rgb({}, {}, {})",
        mean(0),
        mean(1),
        mean(2)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn renders_are_refused_for_drafts_bad_backgrounds_and_past_the_video_budget() {
    let app = TestApp::spawn().await;
    let slot = approved_slot(
        &app,
        "Salt the water like the sea. That is the whole trick.",
        json!({"monthly_video_seconds": 1}),
    )
    .await;
    // Backgrounds: only this org's images and videos.
    // Uploads are typed by their bytes: a WAV header, a PNG header (10x10).
    let audio = upload(&app, &slot, "audio/wav", [&b"RIFF\x24\0\0\0WAVEfmt "[..], &[0; 52]].concat()).await;
    let res = app.call("PUT", &slot.path("/background"), Some(&slot.owner), Some(json!({"asset_id": audio}))).await;
    assert_error(res, 422, "validation_failed").await;
    let stranger = app.user("stranger").await;
    let other_org = app.create_org(&stranger, "Elsewhere").await;
    let foreign = json_body(
        app.http
            .post(app.url(&format!("/api/orgs/{other_org}/uploads")))
            .bearer_auth(&stranger.token)
            .header("content-type", "image/png")
            .body([&b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x0a\0\0\0\x0a"[..], &[0; 40]].concat())
            .send()
            .await
            .unwrap(),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app.call("PUT", &slot.path("/background"), Some(&slot.owner), Some(json!({"asset_id": foreign}))).await;
    assert_error(res, 404, "not_found").await;

    // A draft cannot be rendered.
    assert_eq!(app.post_json(&slot.path("/unapprove"), &slot.owner, json!({})).await.status(), 200);
    assert_error(app.post_json(&slot.path("/render"), &slot.owner, json!({})).await, 409, "conflict").await;
    assert_eq!(app.approve(&slot.path(""), &slot.owner).await.status(), 200);

    // Nothing is rendered yet, so the request passes; but the voice takes
    // longer than the month's 1 s, and the render stops before the encode
    // (it used to render the whole video past the budget).
    assert_eq!(app.post_json(&slot.path("/render"), &slot.owner, json!({})).await.status(), 202);
    let (stopped, _) = wait_render(&app, &slot, |v| v["status"] != "rendering").await;
    assert_eq!(stopped["status"], "approved", "{stopped}");
    let reason = stopped["error"].as_str().unwrap();
    assert!(reason.contains("monthly video budget") && reason.contains("of its 1 s of video"), "{reason}");
    assert!(stopped["video"].is_null(), "nothing was stored: {stopped}");
    let usage = json_body(app.get(&format!("/api/orgs/{}/projects", slot.org), &slot.owner).await).await;
    let project = usage[0]["id"].as_str().unwrap();
    let usage =
        json_body(app.get(&format!("/api/orgs/{}/projects/{project}/usage", slot.org), &slot.owner).await).await;
    assert_eq!(usage["video_seconds_this_month"], 0, "{usage}");
}

#[tokio::test]
async fn a_project_chooses_its_caption_preset_music_and_voice_and_bad_choices_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Styled").await;
    let project = app.create_project(&owner, org, json!({"name": "Looks"})).await;
    let path = format!("/api/orgs/{org}/projects/{project}");
    let view = json_body(app.get(&path, &owner).await).await;
    let defaults = json!({"captions": "bold", "music": "generated", "music_track": null, "voice_pace": "normal",
                          "voice_pitch": "natural"});
    assert_eq!(view["video_style"], defaults, "the defaults");
    let res =
        app.call("PATCH", &path, Some(&owner), Some(json!({"video_style": {"captions": "boxed", "music": "none"}})));
    let view = json_body(res.await).await;
    assert_eq!(
        view["video_style"],
        json!({"captions": "boxed", "music": "none", "music_track": null, "voice_pace": "normal", "voice_pitch": "natural"})
    );
    // The project's own track: an uploaded MP3 or WAV of this org, nothing else.
    let upload = |content_type: &'static str, bytes: Vec<u8>| {
        let request = app
            .http
            .post(app.url(&format!("/api/orgs/{org}/uploads?name=theme.wav")))
            .bearer_auth(&owner.token)
            .header("content-type", content_type)
            .body(bytes);
        async move { json_body(request.send().await.unwrap()).await["id"].as_str().unwrap().to_owned() }
    };
    let wav = upload("audio/wav", [&b"RIFF\x24\0\0\0WAVEfmt "[..], &[0; 52]].concat()).await;
    let png =
        upload("image/png", [&b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x0a\0\0\0\x0a"[..], &[0; 40]].concat()).await;
    for track in [json!(null), json!(png), json!(Uuid::new_v4())] {
        let style = json!({"music": "track", "music_track": track});
        let res = app.call("PATCH", &path, Some(&owner), Some(json!({"video_style": style}))).await;
        assert_error(res, 422, "validation_failed").await;
    }
    let style = json!({"music": "track", "music_track": wav, "voice_pitch": "higher"});
    let view = json_body(app.call("PATCH", &path, Some(&owner), Some(json!({"video_style": style}))).await).await;
    assert_eq!(
        (&view["video_style"]["music_track"], &view["video_style"]["voice_pitch"]),
        (&json!(wav), &json!("higher"))
    );
    for bad in [json!({"captions": "neon"}), json!({"music": "loud"}), json!({"font": "Comic Sans"})] {
        let res = app.call("PATCH", &path, Some(&owner), Some(json!({"video_style": bad}))).await;
        let body = assert_error(res, 400, "invalid_body").await;
        assert!(body.to_string().contains("video_style"), "the error names the field: {body}");
    }
    assert_eq!(json_body(app.get(&path, &owner).await).await["video_style"]["music"], "track", "nothing changed");
}

/// A PNG of one colour, written by FFmpeg.
fn png_of(dir: &Path, name: &str, colour: &str) -> Vec<u8> {
    let path = dir.join(name);
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &format!("color=c={colour}:s=640x480"),
            "-frames:v",
            "1",
        ])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(path).unwrap()
}

/// The mean colour of the top-left corner (clear of captions and cards) at `at` seconds.
fn corner_rgb(video: &Path, at: f64) -> [u64; 3] {
    let out = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-ss", &format!("{at:.2}"), "-i"])
        .arg(video)
        .args(["-frames:v", "1", "-vf", "crop=100:100:0:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    let pixels = out.stdout.chunks(3).count().max(1) as u64;
    [0, 1, 2].map(|c| out.stdout.chunks(3).map(|p| p[c] as u64).sum::<u64>() / pixels)
}

#[tokio::test]
async fn edited_scenes_rewrite_the_script_and_find_their_stills_in_the_library_by_name_and_tags() {
    let app = TestApp::spawn().await;
    let first = "Hold the knife like a pen, never like a hammer.";
    let second = "Curl your fingers so the blade meets your knuckles.";
    let third = "Then go and cook dinner on the beach tonight.";
    let slot = approved_slot(&app, &format!("{first} {second} {third}"), json!({})).await;
    let shown = json_body(app.get(&slot.path(""), &slot.owner).await).await;
    assert_eq!(shown["shots"].as_array().unwrap().len(), 3, "derived from the script: {shown}");
    let dir = crate::helpers::temp_dir("library");
    std::fs::create_dir_all(&dir).unwrap();
    // The library: a blue still found by its file name, a green one by its tags.
    let mut uploaded = Vec::new();
    for (name, tags, colour) in [("knife-work.png", "kitchen", "0x1133ee"), ("holiday.png", "sea", "0x11cc33")] {
        let res = app
            .http
            .post(app.url(&format!("/api/orgs/{}/uploads?name={name}&tags={tags}", slot.org)))
            .bearer_auth(&slot.owner.token)
            .header("content-type", "image/png")
            .body(png_of(&dir, name, colour))
            .send()
            .await
            .unwrap();
        let asset = json_body(res).await;
        assert_eq!(asset["name"], name, "{asset}");
        assert_eq!(asset["tags"], json!([tags]), "{asset}");
        uploaded.push(asset["id"].as_str().unwrap().to_owned());
    }
    // The library lists them newest first; tags are changed afterwards.
    let library = json_body(app.get(&format!("/api/orgs/{}/uploads", slot.org), &slot.owner).await).await;
    let names: Vec<&str> = library.as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["holiday.png", "knife-work.png"], "{library}");
    let asset_path = format!("/api/orgs/{}/assets/{}", slot.org, uploaded[1]);
    let res = app.call("PATCH", &asset_path, Some(&slot.owner), Some(json!({"tags": ["Beach", "sea"]}))).await;
    assert_eq!(json_body(res).await["tags"], json!(["beach", "sea"]));
    for body in [json!({"tags": ["a,b"]}), json!({"tags": vec![""; 11]}), json!({})] {
        let res = app.call("PATCH", &asset_path, Some(&slot.owner), Some(body)).await;
        assert_error(res, 422, "validation_failed").await;
    }
    let bad_tags = app
        .http
        .post(app.url(&format!(
            "/api/orgs/{}/uploads?tags={}",
            slot.org,
            (0..11).map(|n| format!("t{n}")).collect::<Vec<_>>().join(",")
        )))
        .bearer_auth(&slot.owner.token)
        .header("content-type", "image/png")
        .body(png_of(&dir, "x.png", "red"))
        .send()
        .await
        .unwrap();
    assert_error(bad_tags, 422, "validation_failed").await;

    // Scenes a person wrote: their words become the script; mismatches and bad lists are refused.
    let shots = json!([
        {"text": first, "visual": "still", "search": ["knife"]},
        {"text": second, "visual": "text_card", "search": []},
        {"text": third, "visual": "still", "search": ["beach"]},
    ]);
    let refused = [
        json!({"shots": shots, "script": "Something else that is long enough."}),
        json!({"shots": []}),
        json!({"shots": [{"text": first, "visual": "dance", "search": []}]}),
        json!({"shots": [{"text": first, "visual": "still", "search": ["two words"]}]}),
    ];
    for body in refused {
        let res = app.call("PATCH", &slot.path(""), Some(&slot.owner), Some(body.clone())).await;
        assert!(matches!(res.status().as_u16(), 400 | 422), "{body}: {}", res.status());
    }
    let edited =
        json_body(app.call("PATCH", &slot.path(""), Some(&slot.owner), Some(json!({"shots": shots}))).await).await;
    assert_eq!(edited["script"], format!("{first} {second} {third}"));
    assert_eq!(edited["shots"], shots, "kept as written");
    assert_eq!(edited["status"], "draft", "an edit needs a new approval");
    // A script edited on its own is cut again, the scenes' choices kept by position.
    let rewritten = format!("{first} {second} Then cook dinner at the beach.");
    let res = app.call("PATCH", &slot.path(""), Some(&slot.owner), Some(json!({"script": rewritten}))).await;
    let recut = json_body(res).await;
    assert_eq!(recut["shots"][0]["visual"], "still");
    assert_eq!(recut["shots"][2]["search"], json!(["beach"]));
    assert_eq!(app.approve(&slot.path(""), &slot.owner).await.status(), 200);

    app.post_json(&slot.path("/render"), &slot.owner, json!({})).await;
    let (done, _) = wait_render(&app, &slot, |v| v["status"] != "rendering").await;
    assert_eq!(done["status"], "rendered", "{done}");
    let video = dir.join("video.mp4");
    download(&app, done["video"]["url"].as_str().unwrap(), &video).await;
    let duration = ffprobe(&video).await["format"]["duration"].as_str().unwrap().parse::<f64>().unwrap();
    let [r, g, b] = corner_rgb(&video, 0.5);
    assert!(b > 180 && r < 80 && g < 110, "the knife scene shows the blue still: rgb({r}, {g}, {b})");
    let [r, g, b] = corner_rgb(&video, duration - 0.4);
    assert!(g > 150 && r < 80 && b < 110, "the beach scene shows the green still: rgb({r}, {g}, {b})");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_draft_gets_a_fast_low_resolution_preview_of_its_current_content() {
    let app = TestApp::spawn().await;
    let slot = approved_slot(&app, "Salt the water like the sea. That is the whole trick.", json!({})).await;
    // Back to draft: previews are for content not yet approved, too.
    let res = app.call("PATCH", &slot.path(""), Some(&slot.owner), Some(json!({"hook": "Salt it properly"}))).await;
    let edited = json_body(res).await;
    assert_eq!(edited["status"], "draft");
    let version = edited["version"].as_i64().unwrap();
    let view = json_body(app.get(&slot.path("/preview"), &slot.owner).await).await;
    assert_eq!((view["status"].as_str(), view["version"].as_i64()), (Some("none"), Some(version)), "{view}");

    let res = app.post_json(&slot.path("/preview"), &slot.owner, json!({})).await;
    assert_eq!(res.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(120);
    let ready = loop {
        let view = json_body(app.get(&slot.path("/preview"), &slot.owner).await).await;
        if view["status"] == "ready" {
            break view;
        }
        assert!(matches!(view["status"].as_str(), Some("rendering" | "none")), "{view}");
        assert!(Instant::now() < deadline, "the preview never got ready: {view}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let dir = crate::helpers::temp_dir("preview");
    std::fs::create_dir_all(&dir).unwrap();
    let video = dir.join("preview.mp4");
    download(&app, ready["video"]["url"].as_str().unwrap(), &video).await;
    let probe = ffprobe(&video).await;
    let stream = probe["streams"].as_array().unwrap().iter().find(|s| s["codec_name"] == "h264").unwrap().clone();
    assert_eq!((stream["width"].as_i64(), stream["height"].as_i64()), (Some(540), Some(960)), "{probe}");
    // The slot itself did not move: still a draft, no render started, no video seconds used.
    let shown = json_body(app.get(&slot.path(""), &slot.owner).await).await;
    assert_eq!((shown["status"].as_str(), shown["render_version"].as_i64()), (Some("draft"), Some(0)));
    assert_eq!(ledger_total(&app, "video_seconds").await, 0);
    // Asking again for the same content answers with the same preview; new content needs a new one.
    let again = json_body(app.post_json(&slot.path("/preview"), &slot.owner, json!({})).await).await;
    assert_eq!((again["status"].as_str(), &again["video"]["id"]), (Some("ready"), &ready["video"]["id"]));
    app.call("PATCH", &slot.path(""), Some(&slot.owner), Some(json!({"hook": "Salt it like the sea"}))).await;
    let stale = json_body(app.get(&slot.path("/preview"), &slot.owner).await).await;
    assert_eq!(stale["status"], "none", "{stale}");
    // A viewer may watch but not make one.
    let viewer = app.member(slot.org, &slot.owner, "viewer").await;
    assert_error(app.post_json(&slot.path("/preview"), &viewer, json!({})).await, 403, "forbidden").await;
    // A preview that fails says why: here a background whose header is a PNG's but whose pixels are not.
    let broken = upload(
        &app,
        &slot,
        "image/png",
        [&b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x0a\0\0\0\x0a"[..], &[0; 40]].concat(),
    )
    .await;
    let res = app.call("PUT", &slot.path("/background"), Some(&slot.owner), Some(json!({"asset_id": broken}))).await;
    assert_eq!(res.status(), 200);
    app.post_json(&slot.path("/preview"), &slot.owner, json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let failed = loop {
        let view = json_body(app.get(&slot.path("/preview"), &slot.owner).await).await;
        if view["status"] == "failed" {
            break view;
        }
        assert!(Instant::now() < deadline, "the broken preview never failed: {view}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(failed["error"].as_str().is_some_and(|e| e.contains("ffmpeg")), "{failed}");
    std::fs::remove_dir_all(dir).unwrap();
}
