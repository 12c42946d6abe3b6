//! Uploads, signed media links and Range requests.

use crate::helpers::{Storage, TestApp, User, assert_error, json_body};
use platform::storage::{StorageKey, signing};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use uuid::Uuid;

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
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
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
    let a = json_body(upload(&app, &alice, org_a, "image/png", vec![1; 500]).await).await;
    let b = json_body(upload(&app, &bob, org_b, "image/png", vec![2; 500]).await).await;
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
