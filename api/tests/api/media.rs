//! Uploads, signed media links and Range requests.

use crate::helpers::{Storage, TestApp, User, assert_error, json_body, state_for};
use platform::storage::{StorageKey, signing};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use std::{path::PathBuf, time::Duration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

/// The first bytes of an MP4 (an `ftyp` box, brand isom), then `len` more.
fn mp4(len: usize) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    bytes.extend((0..len as u32).map(|i| (i * 7 % 251) as u8));
    bytes
}

/// A PNG signature and IHDR claiming `width`x`height`, then padding.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0]);
    bytes.extend([0u8; 400]);
    bytes
}

async fn upload(app: &TestApp, user: &User, org: Uuid, content_type: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/orgs/{org}/uploads")))
        .bearer_auth(&user.token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn fetch(app: &TestApp, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(url);
    if let Some(range) = range {
        req = req.header("range", range);
    }
    req.send().await.unwrap()
}

on_both_backends!(uploads_are_served_by_signed_links_with_exact_ranges);
async fn uploads_are_served_by_signed_links_with_exact_ranges(storage: Storage) {
    let app = TestApp::spawn_on(storage).await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Media Co").await;
    let data = mp4(100_000 - 32);
    let res = upload(&app, &owner, org, "video/mp4", data.clone()).await;
    assert_eq!(res.status(), 201);
    let asset = json_body(res).await;
    assert_eq!(asset["size_bytes"], 100_000);
    let url = asset["url"].as_str().unwrap().to_owned();

    let whole = fetch(&app, &url, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), data.as_slice());

    let part = fetch(&app, &url, Some("bytes=1000-1999")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1999/100000");
    assert_eq!(part.headers()["content-length"], "1000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &data[1000..2000]);
    let tail = fetch(&app, &url, Some("bytes=-10")).await;
    assert_eq!(tail.headers()["content-range"], "bytes 99990-99999/100000");
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &data[99_990..]);
    let open = fetch(&app, &url, Some("bytes=99999-")).await;
    assert_eq!(open.bytes().await.unwrap().as_ref(), &data[99_999..]);
    let outside = fetch(&app, &url, Some("bytes=100000-")).await;
    assert_eq!(outside.headers()["content-range"], "bytes */100000");
    assert_error(outside, 416, "range_not_satisfiable").await;

    // S3 also hands out a presigned link to the object store itself.
    match (storage, asset["direct_url"].as_str()) {
        (Storage::Local, None) => {}
        (Storage::S3, Some(direct)) => {
            let part = fetch(&app, direct, Some("bytes=500-599")).await;
            assert_eq!(part.status(), 206);
            assert_eq!(part.bytes().await.unwrap().as_ref(), &data[500..600]);
        }
        (storage, direct) => panic!("{storage:?} gave direct_url {direct:?}"),
    }

    // The asset view hands out a fresh link; the bytes are metered.
    let again =
        json_body(app.get(&format!("/api/orgs/{org}/assets/{}", asset["id"].as_str().unwrap()), &owner).await).await;
    assert_eq!(fetch(&app, again["url"].as_str().unwrap(), Some("bytes=0-0")).await.status(), 206);
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT sum(quantity)::bigint AS total FROM usage_ledger WHERE metric = 'storage_bytes'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "total").unwrap(), 100_000);
}

fn query_param<'a>(url: &'a str, name: &str) -> &'a str {
    url.split(['?', '&']).find_map(|p| p.strip_prefix(&format!("{name}="))).unwrap()
}

on_both_backends!(tampered_expired_and_cross_org_links_are_refused);
async fn tampered_expired_and_cross_org_links_are_refused(storage: Storage) {
    let app = TestApp::spawn_on(storage).await;
    let alice = app.user("alice").await;
    let org_a = app.create_org(&alice, "A").await;
    let bob = app.user("bob").await;
    let org_b = app.create_org(&bob, "B").await;
    let a = json_body(upload(&app, &alice, org_a, "image/png", png(10, 10)).await).await;
    let b = json_body(upload(&app, &bob, org_b, "image/png", png(20, 20)).await).await;
    let url = a["url"].as_str().unwrap();

    let mut forged = url.to_owned();
    let signature = query_param(url, "signature");
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    forged = forged.replace(signature, &format!("{flipped}{}", &signature[1..]));
    assert_error(fetch(&app, &forged, None).await, 403, "invalid_link").await;

    // A's signature on B's key: refused.
    let b_key = query_param(b["url"].as_str().unwrap(), "key");
    let cross = url.replace(query_param(url, "key"), b_key);
    assert_error(fetch(&app, &cross, None).await, 403, "invalid_link").await;

    // A correctly signed link past its expiry.
    let secret =
        platform::secrets::from_config(&app.config.secrets).derive_key(api::routes::MEDIA_KEY_PURPOSE).await.unwrap();
    let key = StorageKey::parse(query_param(url, "key")).unwrap();
    let past = chrono::Utc::now().timestamp() - 5;
    let expired = format!(
        "{}/api/media?key={}&expires={past}&signature={}",
        app.base,
        key.as_str(),
        signing::sign(&secret, &key, past)
    );
    let body = assert_error(fetch(&app, &expired, None).await, 403, "invalid_link").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("expired"), "{body}");

    // B cannot read A's asset through the API either.
    let res = app.get(&format!("/api/orgs/{org_b}/assets/{}", a["id"].as_str().unwrap()), &bob).await;
    assert_error(res, 404, "not_found").await;
    let res = app.get(&format!("/api/orgs/{org_a}/assets/{}", a["id"].as_str().unwrap()), &bob).await;
    assert_error(res, 404, "not_found").await;
}

#[tokio::test]
async fn uploads_are_limited_by_role_type_and_content() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Limits").await;
    let viewer = app.member(org, &owner, "viewer").await;
    assert_error(upload(&app, &viewer, org, "image/png", vec![1; 10]).await, 403, "forbidden").await;
    let res = upload(&app, &owner, org, "application/x-msdownload", vec![1; 10]).await;
    let body: Value = assert_error(res, 422, "validation_failed").await;
    assert_eq!(body["error"]["field"], "content_type");
    assert_error(upload(&app, &owner, org, "image/png", Vec::new()).await, 422, "validation_failed").await;
}

/// The files under the app's local storage directory (objects and partial
/// files alike), relative to it.
fn stored_files(app: &TestApp) -> Vec<String> {
    let platform::config::StorageConfig::Local { dir } = &app.config.storage else { panic!("a local-storage test") };
    let mut names = Vec::new();
    let mut dirs: Vec<PathBuf> = vec![dir.clone()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
            } else {
                names.push(entry.path().strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    names.sort();
    names
}

async fn asset_count(app: &TestApp) -> i64 {
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT count(*)::bigint AS n FROM assets",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn uploads_are_typed_by_their_bytes_and_oversized_images_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Sniffing").await;

    // A PNG declared as a video.
    let body =
        assert_error(upload(&app, &owner, org, "video/mp4", png(64, 64)).await, 415, "unsupported_media_type").await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("video/mp4") && message.contains("image/png"), "{message}");
    // Playlists and concat lists dressed as media never reach storage (or FFmpeg).
    let playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXTINF:10,\nhttp://169.254.169.254/latest\n#EXT-X-ENDLIST\n";
    assert_error(upload(&app, &owner, org, "video/mp4", playlist.to_vec()).await, 415, "unsupported_media_type").await;
    let concat = b"ffconcat version 1.0\nfile 'file:/etc/passwd'\n";
    assert_error(upload(&app, &owner, org, "video/quicktime", concat.to_vec()).await, 415, "unsupported_media_type")
        .await;
    let res = upload(&app, &owner, org, "application/octet-stream", playlist.to_vec()).await;
    assert_error(res, 415, "unsupported_media_type").await;
    assert_error(upload(&app, &owner, org, "audio/wav", vec![1; 64]).await, 415, "unsupported_media_type").await;

    // A PNG header claiming 100000x100000 pixels, and a JPEG frame header claiming 9000x9000.
    let body =
        assert_error(upload(&app, &owner, org, "image/png", png(100_000, 100_000)).await, 422, "validation_failed")
            .await;
    assert!(body["error"]["message"].as_str().unwrap().contains("100000x100000"), "{body}");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    jpeg.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    jpeg.extend([0xFF, 0xC0, 0, 17, 8, 0x23, 0x28, 0x23, 0x28, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    jpeg.extend([0u8; 200]);
    let body = assert_error(upload(&app, &owner, org, "image/jpeg", jpeg).await, 422, "validation_failed").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("9000x9000"), "{body}");
    assert_eq!(stored_files(&app), Vec::<String>::new(), "nothing refused was stored");
    assert_eq!(asset_count(&app).await, 0);

    // Without a type (or as octet-stream) the bytes' type is taken; MP4 and
    // QuickTime are one container, and the brand decides.
    let asset = json_body(upload(&app, &owner, org, "application/octet-stream", png(640, 480)).await).await;
    assert_eq!(asset["content_type"], "image/png", "{asset}");
    let mut mov = b"\0\0\0\x14ftypqt  \0\0\x02\0qt  ".to_vec();
    mov.extend([0u8; 100]);
    let asset = json_body(upload(&app, &owner, org, "video/mp4", mov).await).await;
    assert_eq!(asset["content_type"], "video/quicktime", "{asset}");
    let files = stored_files(&app);
    assert!(files.len() == 2 && files[0].ends_with(".mov") != files[1].ends_with(".mov"), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with(".png")), "{files:?}");
}

/// A second API server on the same database and storage as `app`, with
/// short timeouts.
async fn serve_with(app: &TestApp, timeouts: api::Timeouts) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = state_for(app.config.clone()).await;
    let service = api::app_with(state, timeouts).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(axum::serve(listener, service).into_future());
    addr
}

/// An upload over a raw connection: the head, then `body` in `chunks`
/// pieces `gap` apart. Returns the connection for the caller to finish.
async fn start_upload(addr: std::net::SocketAddr, user: &User, org: Uuid, length: usize) -> tokio::net::TcpStream {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/orgs/{org}/uploads HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: video/mp4\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        user.token
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn
}

/// The status and JSON body of the answer on `conn`.
async fn answer(mut conn: tokio::net::TcpStream) -> (u16, Value) {
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut raw)).await.expect("an answer").unwrap();
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("a status: {text}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_slow_upload_outlives_the_request_timeout_while_a_stalled_one_is_ended_and_leaves_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Slow links").await;
    // The total timeout of other requests is 1 s here; uploads wait at most
    // 1.5 s for their next bytes instead.
    let timeouts = api::Timeouts { request: Duration::from_secs(1), upload_idle: Duration::from_millis(1500) };
    let addr = serve_with(&app, timeouts).await;

    // 3 s of trickling, never quiet for longer than 250 ms.
    let data = mp4(12 * 1000 - 32);
    let mut conn = start_upload(addr, &owner, org, data.len()).await;
    for piece in data.chunks(1000) {
        conn.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, asset) = answer(conn).await;
    assert_eq!(status, 201, "{asset}");
    assert_eq!(asset["size_bytes"], data.len());
    let stored = stored_files(&app);
    assert_eq!(stored.len(), 1, "{stored:?}");

    // Quiet for longer than the idle timeout: 408, and nothing is kept.
    let mut conn = start_upload(addr, &owner, org, 50_000).await;
    conn.write_all(&mp4(10_000)).await.unwrap();
    let (status, body) = answer(conn).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"]["code"], "upload_stalled", "{body}");
    assert!(body["error"]["request_id"].is_string(), "{body}");
    assert_eq!(stored_files(&app), stored, "the stalled upload left nothing behind");
    assert_eq!(asset_count(&app).await, 1);
}

#[tokio::test]
async fn an_upload_aborted_half_way_leaves_no_object_or_partial_file() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Flaky links").await;
    let addr = serve_with(&app, api::Timeouts::default()).await;

    let mut conn = start_upload(addr, &owner, org, 400_000).await;
    conn.write_all(&mp4(200_000)).await.unwrap();
    // The upload is being written...
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !stored_files(&app).iter().any(|f| f.contains(".partial-")) {
        assert!(tokio::time::Instant::now() < deadline, "the upload never started writing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...when the client goes away.
    drop(conn);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !stored_files(&app).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "left behind: {:?}", stored_files(&app));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(asset_count(&app).await, 0);
    let ledger = sea_orm::Database::connect(&app.database_url)
        .await
        .unwrap()
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT count(*)::bigint AS n FROM usage_ledger WHERE metric = 'storage_bytes'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ledger.try_get::<i64>("", "n").unwrap(), 0, "nothing was metered");
}
