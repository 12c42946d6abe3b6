//! The org-wide reads the web app polls are bounded: the queue, the video
//! library and the analytics come a page at a time in an order the database
//! applies, the analytics over a date range, and the queue still answers
//! from the database when Temporal is slow.

use crate::helpers::{Storage, TestApp, User, assert_error, json_body};
use chrono::{DateTime, Duration as Days, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

struct Org {
    owner: User,
    org: Uuid,
    project: Uuid,
}

async fn org(app: &TestApp, name: &str) -> Org {
    let owner = app.user("reader").await;
    let org = app.create_org(&owner, name).await;
    let project = app.create_project(&owner, org, json!({"name": "Reads"})).await;
    Org { owner, org, project }
}

async fn db(app: &TestApp) -> DatabaseConnection {
    Database::connect(&app.database_url).await.unwrap()
}

async fn sql(db: &DatabaseConnection, statement: String) {
    db.execute_unprepared(&statement).await.unwrap_or_else(|e| panic!("{e}: {statement}"));
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// A plan row of its own (its own start date), in `status`, last updated at `updated`.
async fn plan(db: &DatabaseConnection, o: &Org, status: &str, start: NaiveDate, updated: DateTime<Utc>) -> Uuid {
    let id = Uuid::now_v7();
    sql(
        db,
        format!(
            "INSERT INTO plans (id, org_id, project_id, start_date, days, slots_per_day, status, workflow_id, failure, updated_at)
             VALUES ('{id}', '{}', '{}', '{start}', 3, 1, '{status}', 'test:plan:{id}', 'it broke', '{}')",
            o.org,
            o.project,
            at(updated)
        ),
    )
    .await;
    id
}

/// A slot row of `plan` in `status` with the hook `hook`, last updated at `updated`.
async fn slot(
    db: &DatabaseConnection,
    o: &Org,
    plan: Uuid,
    index: i32,
    status: &str,
    hook: &str,
    updated: DateTime<Utc>,
) -> Uuid {
    let id = Uuid::now_v7();
    sql(
        db,
        format!(
            "INSERT INTO slots (id, org_id, project_id, plan_id, day_index, slot_index, scheduled_at, status, hook, pipeline_error, updated_at)
             VALUES ('{id}', '{}', '{}', '{plan}', 0, {index}, now(), '{status}', '{hook}', 'TikTok said no', '{}')",
            o.org,
            o.project,
            at(updated)
        ),
    )
    .await;
    id
}

fn item_id(item: &Value) -> String {
    item["slot_id"].as_str().or(item["plan_id"].as_str()).unwrap().to_owned()
}

/// Every page of `path` (which has a `?`), `limit` at a time, in order;
/// each page's list and cursor are under `at` (`""` for the top level).
async fn all_pages(app: &TestApp, user: &User, path: &str, at: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&limit={limit}&cursor={c}"),
            None => format!("{path}&limit={limit}"),
        };
        let res = app.get(&url, user).await;
        assert_eq!(res.status(), 200, "{url}");
        let body = json_body(res).await;
        let page = body.pointer(at).unwrap_or_else(|| panic!("{at} in {body}"));
        let items = page["items"].as_array().unwrap_or_else(|| panic!("a page has items: {page}")).clone();
        assert!(items.len() <= limit, "at most {limit}: {page}");
        pages.push(items);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                return pages;
            }
        }
        assert!(pages.len() < 50, "the cursors never end");
    }
}

#[tokio::test]
async fn the_queue_comes_in_pages_that_visit_every_item_once_newest_first() {
    let app = TestApp::spawn().await;
    let o = org(&app, "Queue pages").await;
    let other = org(&app, "Someone else").await;
    let db = db(&app).await;
    let base = Utc::now() - Days::hours(1);
    // 5 failed plans and 8 dead letters; three at a time share one instant,
    // so the order needs the id to be stable.
    let mut expected: Vec<(DateTime<Utc>, String)> = Vec::new();
    let start = NaiveDate::from_ymd_opt(2031, 1, 1).unwrap();
    let holder = plan(&db, &o, "ready", start, base).await;
    for i in 0..13i64 {
        let updated = base - Days::minutes(i / 3);
        let id = if i % 5 == 0 {
            plan(&db, &o, "failed", start + Days::days(31 * (i + 1)), updated).await
        } else {
            slot(&db, &o, holder, i as i32, "failed", &format!("Dead letter {i}"), updated).await
        };
        expected.push((updated, id.to_string()));
    }
    // Not in the queue: a ready plan, a draft, and another org's dead letter.
    slot(&db, &o, holder, 99, "draft", "Just a draft", base).await;
    let elsewhere = plan(&db, &other, "ready", start, base).await;
    slot(&db, &other, elsewhere, 0, "failed", "Not yours", base).await;
    expected.sort_by(|a, b| b.cmp(a));
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

    let path = format!("/api/orgs/{}/queue?", o.org);
    let pages = all_pages(&app, &o.owner, &path, "", 5).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![5, 5, 3]);
    let seen: Vec<String> = pages.iter().flatten().map(item_id).collect();
    assert_eq!(seen, expected, "every item once, updated_at then id descending");
    let dead = pages.iter().flatten().find(|i| i["kind"] == "slot").unwrap();
    assert_eq!(dead["state"], "dead_letter", "{dead}");
    assert_eq!(dead["slot_status"], "failed", "{dead}");
    assert_eq!(dead["reason"], "TikTok said no", "{dead}");

    // The first page by default holds up to 50 and says how many there are.
    let first = json_body(app.get(&format!("/api/orgs/{}/queue", o.org), &o.owner).await).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 13, "{first}");
    assert!(first["next_cursor"].is_null(), "{first}");
    assert_eq!(first["total"], 13, "{first}");
    let small = json_body(app.get(&format!("/api/orgs/{}/queue?limit=1", o.org), &o.owner).await).await;
    assert_eq!(small["total"], 13, "the total counts every page: {small}");

    for limit in ["0", "201"] {
        let res = app.get(&format!("/api/orgs/{}/queue?limit={limit}", o.org), &o.owner).await;
        assert_error(res, 422, "validation_failed").await;
    }
}

#[tokio::test]
async fn a_cursor_no_list_handed_out_is_refused_with_400() {
    let app = TestApp::spawn().await;
    let o = org(&app, "Bad cursors").await;
    // Another list's cursor (the videos'), then plain garbage.
    let videos_cursor = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("videos:0:{}", Uuid::nil()))
    };
    for path in ["queue", "videos", "analytics", "dead-letters"] {
        for cursor in ["not-a-cursor", "%2F%2F%2F", videos_cursor.as_str()] {
            if path == "videos" && cursor == videos_cursor {
                continue;
            }
            let res = app.get(&format!("/api/orgs/{}/{path}?cursor={cursor}", o.org), &o.owner).await;
            assert_error(res, 400, "invalid_cursor").await;
        }
    }
}

#[tokio::test]
async fn the_library_comes_in_pages_with_the_next_cursor_in_a_header() {
    let app = TestApp::spawn().await;
    let o = org(&app, "Library pages").await;
    let db = db(&app).await;
    let base = Utc::now() - Days::hours(1);
    let holder = plan(&db, &o, "ready", NaiveDate::from_ymd_opt(2031, 1, 1).unwrap(), base).await;
    let mut expected = Vec::new();
    for i in 0..3 {
        let id = slot(&db, &o, holder, i, "rendered", &format!("Video {i}"), base - Days::minutes(i as i64)).await;
        let asset = Uuid::now_v7();
        sql(
            &db,
            format!(
                "INSERT INTO assets (id, org_id, project_id, slot_id, kind, storage_key, content_type, size_bytes, render_version)
                 VALUES ('{asset}', '{}', '{}', '{id}', 'video', 'org/{}/slots/{id}/v1/video.mp4', 'video/mp4', 10, 1);
                 SET session_replication_role = replica; -- keeps this updated_at (no touch trigger)
                 UPDATE slots SET video_asset_id = '{asset}', render_version = 1, updated_at = '{}' WHERE id = '{id}';
                 SET session_replication_role = origin",
                o.org,
                o.project,
                o.org,
                at(base - Days::minutes(i as i64))
            ),
        )
        .await;
        expected.push(id.to_string());
    }
    let res = app.get(&format!("/api/orgs/{}/videos?limit=2", o.org), &o.owner).await;
    assert_eq!(res.status(), 200);
    let next = res.headers().get("x-next-cursor").expect("more videos follow").to_str().unwrap().to_owned();
    let first = json_body(res).await;
    let res = app.get(&format!("/api/orgs/{}/videos?limit=2&cursor={next}", o.org), &o.owner).await;
    assert!(res.headers().get("x-next-cursor").is_none(), "the last page");
    let second = json_body(res).await;
    let seen: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .chain(second.as_array().unwrap())
        .map(|v| v["slot_id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, expected, "newest first, each once");
}

#[tokio::test]
async fn dead_letters_come_in_pages_most_recently_failed_first_with_the_next_cursor_in_a_header() {
    let app = TestApp::spawn().await;
    let o = org(&app, "Dead letter pages").await;
    let db = db(&app).await;
    let base = Utc::now() - Days::hours(1);
    let holder = plan(&db, &o, "ready", NaiveDate::from_ymd_opt(2031, 2, 1).unwrap(), base).await;
    let mut expected = Vec::new();
    for i in 0..5 {
        let id = slot(&db, &o, holder, i, "failed", &format!("Failed {i}"), base - Days::minutes(i as i64)).await;
        expected.push(id.to_string());
    }
    // Neither a slot of another status nor another org's failed slot is a dead letter here.
    slot(&db, &o, holder, 9, "rendered", "Fine", base).await;
    let other = org(&app, "Someone else").await;
    let theirs = plan(&db, &other, "ready", NaiveDate::from_ymd_opt(2031, 2, 1).unwrap(), base).await;
    slot(&db, &other, theirs, 0, "failed", "Not yours", base).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        assert!(page < 5, "the cursors never end");
        let url = match &cursor {
            Some(c) => format!("/api/orgs/{}/dead-letters?limit=2&cursor={c}", o.org),
            None => format!("/api/orgs/{}/dead-letters?limit=2", o.org),
        };
        let res = app.get(&url, &o.owner).await;
        assert_eq!(res.status(), 200);
        cursor = res.headers().get("x-next-cursor").map(|v| v.to_str().unwrap().to_owned());
        let letters = json_body(res).await;
        let letters = letters.as_array().unwrap();
        assert!(letters.len() <= 2);
        for letter in letters {
            assert_eq!(letter["reason"], "TikTok said no");
            seen.push(letter["slot_id"].as_str().unwrap().to_owned());
        }
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected, "most recently failed first, each once, only this org's");
    let res = app.get(&format!("/api/orgs/{}/dead-letters?limit=201", o.org), &o.owner).await;
    assert_error(res, 422, "validation_failed").await;
}

/// A published post of its own slot, published at `published`, with
/// `(captured_at, views)` snapshots (likes a tenth of the views).
async fn post(
    db: &DatabaseConnection,
    o: &Org,
    plan: Uuid,
    index: i32,
    published: DateTime<Utc>,
    snapshots: &[(DateTime<Utc>, i64)],
) -> Uuid {
    let slot = slot(db, o, plan, index, "published", &format!("Post {index}"), published).await;
    let publication = Uuid::now_v7();
    sql(
        db,
        format!(
            "INSERT INTO publications (id, org_id, slot_id, post_mode, privacy_level, status, published_at)
             VALUES ('{publication}', '{}', '{slot}', 'direct', 'PUBLIC_TO_EVERYONE', 'published', '{}')",
            o.org,
            at(published)
        ),
    )
    .await;
    for (captured, views) in snapshots {
        sql(
            db,
            format!(
                "INSERT INTO post_metrics (id, org_id, publication_id, captured_at, view_count, like_count, comment_count, share_count)
                 VALUES ('{}', '{}', '{publication}', '{}', {views}, {}, 1, 1)",
                Uuid::now_v7(),
                o.org,
                at(*captured),
                views / 10
            ),
        )
        .await;
    }
    slot
}

#[tokio::test]
async fn analytics_aggregate_over_the_range_only_and_page_the_posts() {
    let app = TestApp::spawn().await;
    let o = org(&app, "Analytics range").await;
    let db = db(&app).await;
    let today = Utc::now().date_naive();
    let day = |ago: i64, hour: u32| (today - Days::days(ago)).and_hms_opt(hour, 0, 0).unwrap().and_utc();
    let holder = plan(&db, &o, "ready", NaiveDate::from_ymd_opt(2031, 1, 1).unwrap(), Utc::now()).await;
    // Published 40 days ago: its first snapshot is outside the default range.
    let old = post(
        &db,
        &o,
        holder,
        0,
        day(40, 12),
        &[(day(40, 12), 1000), (day(3, 8), 2000), (day(3, 20), 2500), (day(1, 12), 3000)],
    )
    .await;
    let new = post(&db, &o, holder, 1, day(2, 12), &[(day(1, 6), 500)]).await;
    // Published long ago and not measured since: not a post of the range.
    post(&db, &o, holder, 2, day(100, 12), &[(day(99, 12), 7)]).await;

    let base = format!("/api/orgs/{}/analytics", o.org);
    let view = json_body(app.get(&base, &o.owner).await).await;
    assert_eq!(view["from"], (today - Days::days(29)).to_string(), "the last 30 days by default: {view}");
    assert_eq!(view["to"], today.to_string());
    assert_eq!(view["post_count"], 2, "{view}");
    assert_eq!(view["totals"]["view_count"], 3500, "each post's latest snapshot in the range: {view}");
    assert_eq!(view["totals"]["like_count"], 350, "{view}");
    assert_eq!(view["totals"]["comment_count"], 2, "{view}");
    let days: Vec<(String, i64)> = view["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["day"].as_str().unwrap().to_owned(), d["view_count"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        days,
        vec![((today - Days::days(3)).to_string(), 2500), ((today - Days::days(1)).to_string(), 3500)],
        "each post's latest snapshot per day, nothing from before the range"
    );
    let posts = view["posts"]["items"].as_array().unwrap();
    assert_eq!(posts.len(), 2, "{view}");
    assert_eq!(posts[0]["slot_id"], old.to_string(), "most viewed first");
    assert_eq!(posts[0]["latest"]["view_count"], 3000);
    assert_eq!(posts[0]["snapshots"], 3, "the snapshot before the range is not counted");
    assert_eq!(posts[0]["points"].as_array().unwrap().len(), 2, "one point per day");
    assert_eq!(posts[0]["publication"]["privacy_level"], "PUBLIC_TO_EVERYONE");
    assert_eq!(posts[1]["slot_id"], new.to_string());
    assert_eq!(view["project_ids"], json!([o.project]));

    // The posts come a page at a time.
    let pages = all_pages(&app, &o.owner, &format!("{base}?x=1"), "/posts", 1).await;
    let seen: Vec<String> = pages.iter().flatten().map(|p| p["slot_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(seen, vec![old.to_string(), new.to_string()]);

    // An explicit range sees only its own snapshots.
    let (from, to) = (today - Days::days(45), today - Days::days(35));
    let back = json_body(app.get(&format!("{base}?from={from}&to={to}"), &o.owner).await).await;
    assert_eq!(back["post_count"], 1, "{back}");
    assert_eq!(back["totals"]["view_count"], 1000, "{back}");
    assert_eq!(back["days"].as_array().unwrap().len(), 1, "{back}");

    // At most 366 days, and in order.
    let year = format!("{base}?from=2031-01-01&to=2032-01-01");
    assert_eq!(app.get(&year, &o.owner).await.status(), 200, "366 days are allowed");
    assert_error(app.get(&format!("{base}?from=2031-01-01&to=2032-01-02"), &o.owner).await, 422, "validation_failed")
        .await;
    assert_error(app.get(&format!("{base}?from=2031-02-01&to=2031-01-01"), &o.owner).await, 422, "validation_failed")
        .await;
    assert_error(app.get(&format!("{base}?from=2031-13-01"), &o.owner).await, 400, "invalid_query").await;
}

/// A TCP relay in front of Temporal that, while `slow` is set, holds
/// Temporal's answers back.
///
/// It runs on a thread and runtime of its own: the test's runtime blocks
/// while the worker (which connects through the relay too) starts.
fn slow_relay(upstream: String) -> (String, Arc<AtomicBool>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let slow = Arc::new(AtomicBool::new(false));
    let flag = slow.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else { continue };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let flag = flag.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        while flag.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    });
    (address, slow)
}

#[tokio::test]
async fn the_queue_answers_from_the_database_when_temporal_is_slow() {
    let upstream = crate::helpers::required_env("TEST_TEMPORAL_ADDRESS").replace("http://", "");
    let (relay, slow) = slow_relay(upstream);
    let app = TestApp::spawn_with(Storage::Local, |c| c.temporal.address = relay.parse().unwrap()).await;
    let o = org(&app, "Slow Temporal").await;
    // A real plan run that finishes; then the plan is marked failed, so the
    // queue shows it with its (completed) run.
    let res = app
        .post_json(
            &format!("/api/orgs/{}/projects/{}/plans", o.org, o.project),
            &o.owner,
            json!({"start_date": "2031-07-01"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let plan_id = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let view = json_body(app.get(&format!("/api/orgs/{}/plans/{plan_id}", o.org), &o.owner).await).await;
        if view["status"] == "ready" {
            break;
        }
        assert!(Instant::now() < deadline, "the plan never became ready: {view}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    sql(&db(&app).await, format!("UPDATE plans SET status = 'failed', failure = 'marked' WHERE id = '{plan_id}'"))
        .await;
    let queue = format!("/api/orgs/{}/queue", o.org);
    let wait_done = Instant::now() + Duration::from_secs(30);
    loop {
        let page = json_body(app.get(&queue, &o.owner).await).await;
        let status = page["items"][0]["run"]["status"].clone();
        if status == "completed" {
            break;
        }
        assert!(Instant::now() < wait_done, "the run never completed: {page}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    slow.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let res = app
        .http
        .get(app.url(&queue))
        .bearer_auth(&o.owner.token)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("the queue answers while Temporal is slow");
    let took = started.elapsed();
    assert_eq!(res.status(), 200);
    let page = json_body(res).await;
    slow.store(false, Ordering::SeqCst);
    assert!(took < Duration::from_secs(6), "the queue waited {took:?} for Temporal");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["plan_id"], plan_id.as_str());
    assert_eq!(items[0]["state"], "failed", "the database's state: {page}");
    assert_eq!(items[0]["reason"], "marked");
    assert_eq!(items[0]["run"]["status"], "unknown", "{page}");
    assert!(items[0]["run"]["temporal_ui_url"].as_str().unwrap().contains(":plan:"), "{page}");
}
