//! From approval to a TikTok post on the real Temporal server, PostgreSQL,
//! FFmpeg and the TikTok simulator: connecting an account, the gates,
//! autopilot, TikTok's failures and faults, and the simulator's ledger
//! proving every slot is posted at most once.

use crate::helpers::{TestApp, User, assert_error, json_body};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub(crate) struct Setup {
    pub(crate) owner: User,
    pub(crate) org: Uuid,
    pub(crate) slot: String,
}

impl Setup {
    pub(crate) fn slot_path(&self, rest: &str) -> String {
        format!("/api/orgs/{}/slots/{}{rest}", self.org, self.slot)
    }
}

/// Goes through TikTok's consent page (the simulator's), our callback and
/// the web app's two calls (exchange, then confirm) as `owner`.
pub(crate) async fn connect(app: &TestApp, owner: &User, org: Uuid) -> String {
    let (state, code) = consent(app, owner, org).await;
    let exchanged =
        app.post_json("/api/tiktok/connections/exchange", owner, json!({"state": state, "code": code})).await;
    assert_eq!(exchanged.status(), 200, "{}", exchanged.text().await.unwrap());
    let res = app.post_json("/api/tiktok/connections/confirm", owner, json!({"state": state})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let account = json_body(res).await["id"].as_str().unwrap().to_owned();
    // The same state cannot be used twice.
    let again = app.post_json("/api/tiktok/connections/confirm", owner, json!({"state": state})).await;
    assert_error(again, 400, "invalid_state").await;
    account
}

/// Starts a connection as `user` and follows TikTok's consent back through
/// our callback to the web app's page; returns its `state` and `code`.
pub(crate) async fn consent(app: &TestApp, user: &User, org: Uuid) -> (String, String) {
    let res = app.post_json(&format!("/api/orgs/{org}/tiktok/connect"), user, json!({})).await;
    let authorize = json_body(res).await["authorize_url"].as_str().unwrap().to_owned();
    assert!(authorize.contains("code_challenge_method=S256"), "{authorize}");
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let consent = no_redirects.get(&authorize).send().await.unwrap();
    let back = consent.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(&app.url("/api/tiktok/callback")), "{back}");
    let done = no_redirects.get(&back).send().await.unwrap();
    assert_eq!(done.status(), 303);
    let landing = reqwest::Url::parse(done.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(landing.path(), "/tiktok/callback", "{landing}");
    let param = |name: &str| {
        landing
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{landing}"))
    };
    (param("state"), param("code"))
}

pub(crate) async fn setup(app: &TestApp, project_patch: Value) -> Setup {
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Posting Co").await;
    let project = app.create_project(&owner, org, json!({"name": "Posting"})).await;
    let account = connect(app, &owner, org).await;
    let mut patch = json!({"tiktok_account_id": account});
    patch.as_object_mut().unwrap().extend(project_patch.as_object().unwrap().clone());
    let res = app.call("PATCH", &format!("/api/orgs/{org}/projects/{project}"), Some(&owner), Some(patch)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), &owner, json!({"start_date": "2031-07-01"}))
        .await;
    let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let slot = loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), &owner).await).await;
        if view["status"] == "ready" {
            let slots = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}/slots"), &owner).await).await;
            break slots[0]["id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "{view}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    // Its posting time is now, so the pipeline's timer does not hold the test.
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute(Statement::from_string(
        DatabaseBackend::Postgres,
        format!("UPDATE slots SET scheduled_at = now() - interval '1 minute', script = 'Salt the water like the sea. Stir once.' WHERE id = '{slot}'"),
    ))
    .await
    .unwrap();
    Setup { owner, org, slot }
}

/// Polls the pipeline until `done` says so.
pub(crate) async fn wait_pipeline(app: &TestApp, s: &Setup, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let view = json_body(app.get(&s.slot_path("/pipeline"), &s.owner).await).await;
        if done(&view) {
            return view;
        }
        if Instant::now() > deadline {
            let address = std::env::var("TEST_TEMPORAL_ADDRESS").unwrap().replace("http://", "");
            let out =
                std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.reelpilot/venv/bin/temporal"))
                    .args([
                        "workflow",
                        "show",
                        "--output",
                        "json",
                        "--address",
                        &address,
                        "-w",
                        view["run"]["workflow_id"].as_str().unwrap(),
                    ])
                    .output()
                    .map(|o| o.stdout)
                    .unwrap_or_default();
            panic!("the pipeline never got there: {view}\n{}", String::from_utf8_lossy(&out));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn ledger(app: &TestApp, metric: &str) -> i64 {
    let db = Database::connect(&app.database_url).await.unwrap();
    db.query_one(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT coalesce(sum(quantity), 0)::bigint AS total FROM usage_ledger WHERE metric = $1",
        [metric.into()],
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "total")
    .unwrap()
}

/// The account's metrics schedule snapshots the slot's post; counters grow.
async fn metrics_grow(app: &TestApp, s: &Setup) {
    let accounts = json_body(app.get(&format!("/api/orgs/{}/tiktok/accounts", s.org), &s.owner).await).await;
    let account = accounts[0]["id"].as_str().unwrap().to_owned();
    let refresh = format!("/api/orgs/{}/tiktok/accounts/{account}/refresh-metrics", s.org);
    let snapshots = |n: usize| async move {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let points = json_body(app.get(&s.slot_path("/metrics"), &s.owner).await).await;
            if points.as_array().unwrap().len() >= n {
                return points;
            }
            assert!(Instant::now() < deadline, "no metrics snapshot: {points}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    assert_eq!(app.post_json(&refresh, &s.owner, json!({})).await.status(), 202);
    snapshots(1).await;
    app.tiktok.advance(Duration::from_secs(3600));
    assert_eq!(app.post_json(&refresh, &s.owner, json!({})).await.status(), 202);
    let points = snapshots(2).await;
    let views: Vec<i64> = points.as_array().unwrap().iter().map(|p| p["view_count"].as_i64().unwrap()).collect();
    assert!(views[1] > views[0], "views grow over time: {views:?}");
}

#[tokio::test]
async fn a_direct_post_goes_from_approval_through_both_gates_to_a_public_post_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"post_mode": "direct"})).await;
    let viewer = app.member(s.org, &s.owner, "viewer").await;
    // Due in a month: "post now" at the publish gate must not wait for it.
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute(Statement::from_string(
        DatabaseBackend::Postgres,
        format!("UPDATE slots SET scheduled_at = now() + interval '30 days' WHERE id = '{}'", s.slot),
    ))
    .await
    .unwrap();

    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    wait_pipeline(&app, &s, |v| v["stage"] == "waiting_for_approval").await;
    let in_queue = wait_queue(&app, &s, &viewer, "waiting_for_approval").await;
    assert_eq!(in_queue["stage"], "waiting_for_approval");
    assert!(in_queue["run"]["temporal_ui_url"].as_str().unwrap().contains(":slot:"), "{in_queue}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = json_body(app.get(&s.slot_path("/pipeline"), &s.owner).await).await;
    assert_eq!(still["stage"], "waiting_for_approval", "the gate holds until a person approves");
    assert_error(app.approve(&s.slot_path(""), &viewer).await, 403, "forbidden").await;
    assert_eq!(app.approve(&s.slot_path(""), &s.owner).await.status(), 200);

    wait_pipeline(&app, &s, |v| v["stage"] == "waiting_for_publish_approval").await;
    let gate = json_body(app.get(&s.slot_path("/publish-gate"), &s.owner).await).await;
    assert_eq!(gate["privacy_level_options"], json!(["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]));
    assert_eq!(gate["can_post"], true);
    assert!(gate["consent_text"].as_str().unwrap().contains("Music Usage Confirmation"));
    let bad = app
        .post_json(&s.slot_path("/publish"), &s.owner, json!({"privacy_level": "FOLLOWER_OF_CREATOR", "consent": true}))
        .await;
    assert_error(bad, 422, "validation_failed").await;
    let no_consent = app
        .post_json(&s.slot_path("/publish"), &s.owner, json!({"privacy_level": "PUBLIC_TO_EVERYONE", "consent": false}))
        .await;
    assert_error(no_consent, 422, "validation_failed").await;
    assert!(app.tiktok.publishes().is_empty(), "refusals happen before TikTok is called");
    let res = app
        .post_json(
            &s.slot_path("/publish"),
            &s.owner,
            json!({"privacy_level": "PUBLIC_TO_EVERYONE", "allow_comment": true, "consent": true, "post_now": true}),
        )
        .await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());

    let done = wait_pipeline(&app, &s, |v| v["stage"] == "done" || v["stage"] == "failed").await;
    assert_eq!(done["stage"], "done", "{done}");
    let slot = json_body(app.get(&s.slot_path(""), &s.owner).await).await;
    let at = chrono::DateTime::parse_from_rfc3339(slot["scheduled_at"].as_str().unwrap()).unwrap();
    assert!(at <= chrono::Utc::now(), "posting now moves the slot's time to now: {at}");
    assert_eq!(done["slot_status"], "published");
    let publication = &done["publication"];
    assert_eq!(publication["status"], "published");
    assert!(publication["public_post_id"].as_str().is_some_and(|id| id.len() >= 18), "{publication}");
    let posts = app.tiktok.posts();
    assert_eq!(posts.len(), 1, "exactly one post: {posts:?}");
    assert_eq!(ledger(&app, "publishes").await, 1);
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"reelpilot_tiktok_posts_total{mode="direct"} 1"#), "{metrics}");
    assert!(
        metrics.contains(r#"reelpilot_tiktok_calls_total{operation="/v2/post/publish/video/init/",outcome="ok"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"reelpilot_llm_calls_total{outcome="ok"}"#), "{metrics}");
    let plan =
        json_body(app.get(&format!("/api/orgs/{}/plans/{}", s.org, slot["plan_id"].as_str().unwrap()), &viewer).await)
            .await;
    let usage_path = format!("/api/orgs/{}/projects/{}/usage", s.org, plan["project_id"].as_str().unwrap());
    let usage = json_body(app.get(&usage_path, &viewer).await).await;
    assert_eq!(usage["publishes_today"], 1, "{usage}");
    assert_eq!(usage["publishes_this_month"], 1, "{usage}");
    assert_eq!(usage["llm_cost_micros_per_post"], usage["llm_cost_micros_this_month"], "one post carries the spend");
    assert!(usage["video_seconds_this_month"].as_i64().unwrap() > 0, "{usage}");

    metrics_grow(&app, &s).await;
    // The library and analytics show it to every member.
    let videos = json_body(app.get(&format!("/api/orgs/{}/videos", s.org), &viewer).await).await;
    assert_eq!(videos.as_array().unwrap().len(), 1, "{videos}");
    assert_eq!(videos[0]["slot_id"], s.slot.as_str());
    assert_eq!(videos[0]["publication"]["status"], "published");
    assert!(videos[0]["video"]["url"].as_str().unwrap().contains("/api/media?"), "{videos}");
    assert!(videos[0]["thumbnail"]["url"].is_string(), "{videos}");
    let analytics = json_body(app.get(&format!("/api/orgs/{}/analytics", s.org), &viewer).await).await;
    let post = &analytics["posts"]["items"][0];
    assert_eq!(post["slot_id"], s.slot.as_str());
    assert!(post["snapshots"].as_i64().unwrap() >= 2, "{analytics}");
    let queue = json_body(app.get(&format!("/api/orgs/{}/queue", s.org), &viewer).await).await;
    assert!(
        !queue["items"].as_array().unwrap().iter().any(|i| i["slot_id"] == s.slot.as_str()),
        "a published slot leaves the queue: {queue}"
    );
}

/// Polls the org's queue until the slot shows in `state`.
pub(crate) async fn wait_queue(app: &TestApp, s: &Setup, user: &User, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let queue = json_body(app.get(&format!("/api/orgs/{}/queue", s.org), user).await).await;
        let item =
            queue["items"].as_array().unwrap().iter().find(|i| i["slot_id"] == s.slot.as_str() && i["state"] == state);
        if let Some(item) = item {
            return item.clone();
        }
        assert!(Instant::now() < deadline, "the slot never showed as {state}: {queue}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn an_inbox_draft_is_sent_then_posted_by_the_creator_once() {
    let app = TestApp::spawn().await;
    let s = setup(
        &app,
        json!({"post_mode": "inbox", "autopilot": true, "publish_defaults": {"privacy_level": "PUBLIC_TO_EVERYONE"}}),
    )
    .await;
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    let waiting = wait_pipeline(&app, &s, |v| v["stage"] == "waiting_in_inbox" || v["stage"] == "failed").await;
    assert_eq!(waiting["publication"]["status"], "sent_to_inbox", "{waiting}");
    assert!(app.tiktok.posts().is_empty(), "nothing is posted until the creator posts the draft");
    let publish_id = waiting["publication"]["publish_id"].as_str().unwrap().to_owned();
    app.tiktok.user_posts_inbox_draft(&publish_id).unwrap();
    let done = wait_pipeline(&app, &s, |v| v["stage"] == "done" || v["stage"] == "failed").await;
    assert_eq!(done["publication"]["status"], "published", "{done}");
    assert!(done["publication"]["public_post_id"].is_string(), "{done}");
    assert_eq!(app.tiktok.posts().len(), 1);
    metrics_grow(&app, &s).await;
}

#[tokio::test]
async fn the_posts_per_day_budget_stops_the_next_post_before_tiktok_is_asked() {
    let app = TestApp::spawn().await;
    let s = setup(
        &app,
        json!({"autopilot": true, "publish_defaults": {"privacy_level": "SELF_ONLY"}, "budgets": {"posts_per_day": 1}}),
    )
    .await;
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    wait_pipeline(&app, &s, |v| v["stage"] == "done" || v["error"].is_string()).await;
    // A second slot of the same project, due now.
    let db = Database::connect(&app.database_url).await.unwrap();
    let second: String = db
        .query_one(Statement::from_string(
            DatabaseBackend::Postgres,
            format!(
                "UPDATE slots SET scheduled_at = now(), script = 'Stir the pot. Taste the water.' WHERE id = \
                 (SELECT id FROM slots WHERE plan_id = (SELECT plan_id FROM slots WHERE id = '{}') AND id <> '{}' \
                 ORDER BY day_index, slot_index LIMIT 1) RETURNING id::text AS id",
                s.slot, s.slot
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    let next = Setup { owner: s.owner.clone(), org: s.org, slot: second };
    assert_eq!(app.post_json(&next.slot_path("/schedule"), &next.owner, json!({})).await.status(), 202);
    let failed = wait_pipeline(&app, &next, |v| v["error"].is_string() || v["stage"] == "done").await;
    assert!(failed["error"].as_str().unwrap().contains("posts-per-day budget"), "{failed}");
    assert_eq!(app.tiktok.publishes().len(), 1, "the second post never reached TikTok");
}

#[tokio::test]
async fn a_failed_post_shows_tiktoks_reason_in_the_dead_letters_and_retry_posts_it_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"autopilot": true, "publish_defaults": {"privacy_level": "SELF_ONLY"}})).await;
    app.tiktok.fail_next_publish("spam_risk_text");
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    // Failed once the reason is recorded on the slot.
    let failed = wait_pipeline(&app, &s, |v| v["error"].is_string() || v["stage"] == "done").await;
    assert_eq!(failed["stage"], "failed", "{failed}");
    assert_eq!(failed["publication"]["fail_reason"], "spam_risk_text");
    let letters = json_body(app.get(&format!("/api/orgs/{}/dead-letters", s.org), &s.owner).await).await;
    assert_eq!(letters[0]["slot_id"], s.slot.as_str());
    assert!(letters[0]["reason"].as_str().unwrap().contains("spam_risk_text"), "{letters}");
    assert!(app.tiktok.posts().is_empty());

    assert_eq!(app.post_json(&s.slot_path("/retry"), &s.owner, json!({})).await.status(), 202);
    let done = wait_pipeline(&app, &s, |v| v["stage"] == "done" && v["run"]["status"] == "completed").await;
    assert_eq!(done["publication"]["status"], "published");
    assert!(done["publication"]["public_post_id"].is_null(), "a private post gets no public id");
    assert_eq!(app.tiktok.posts().len(), 1);
    let letters = json_body(app.get(&format!("/api/orgs/{}/dead-letters", s.org), &s.owner).await).await;
    assert_eq!(letters.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_unaudited_app_offers_only_self_only_and_refuses_the_rest_before_calling_tiktok() {
    platform::telemetry::init_with_writer(
        &platform::config::TelemetryConfig {
            format: platform::config::LogFormat::Pretty,
            filter: "info,activities=debug".into(),
        },
        std::io::stderr,
    );
    let app = TestApp::spawn().await;
    app.tiktok.set_audited(false);
    let s = setup(&app, json!({"autopilot": true, "publish_defaults": {"privacy_level": "PUBLIC_TO_EVERYONE"}})).await;
    let gate = json_body(app.get(&s.slot_path("/publish-gate"), &s.owner).await).await;
    assert_eq!(gate["privacy_level_options"], json!(["SELF_ONLY"]));
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    let failed = wait_pipeline(&app, &s, |v| v["error"].is_string() || v["stage"] == "done").await;
    assert!(failed["error"].as_str().unwrap().contains("privacy_level"), "{failed}");
    assert!(app.tiktok.publishes().is_empty(), "TikTok was never asked to post");
}

#[tokio::test]
async fn faults_lost_answers_and_an_expired_token_still_post_exactly_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"autopilot": true, "publish_defaults": {"privacy_level": "PUBLIC_TO_EVERYONE"}})).await;
    app.tiktok.fail_next("/v2/post/publish/video/init/", 2, 500, "internal_error");
    app.tiktok.fail_next("/v2/post/publish/status/fetch/", 2, 429, "rate_limit_exceeded");
    app.tiktok.timeout_after_side_effect("/v2/post/publish/video/init/", 1);
    app.tiktok.expire_access_tokens();
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    let done = wait_pipeline(&app, &s, |v| v["stage"] == "done" || v["stage"] == "failed").await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(app.tiktok.posts().len(), 1, "one post despite the faults: {:?}", app.tiktok.publishes());
    assert_eq!(ledger(&app, "publishes").await, 1);
}

#[tokio::test]
async fn killing_the_worker_while_rendering_initiating_and_processing_never_posts_twice() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"autopilot": true, "publish_defaults": {"privacy_level": "PUBLIC_TO_EVERYONE"}})).await;
    app.tiktok.set_processing_delay(Duration::from_secs(8));
    // The first init takes effect at TikTok, then its answer never comes.
    app.tiktok.timeout_after_side_effect("/v2/post/publish/video/init/", 1);
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);

    // 1. While FFmpeg renders.
    wait_pipeline(&app, &s, |v| v["stage"] == "rendering").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.crash_worker();
    app.start_worker();

    // 2. While the init is at TikTok and its answer is lost.
    let deadline = Instant::now() + Duration::from_secs(120);
    while app.tiktok.publishes().is_empty() {
        assert!(Instant::now() < deadline, "the init never reached TikTok");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.crash_worker();
    app.start_worker();

    // 3. While TikTok processes and the pipeline waits on its timers.
    wait_pipeline(&app, &s, |v| v["publication"]["status"] == "processing" || v["stage"] == "failed").await;
    app.crash_worker();
    app.start_worker();

    let done = wait_pipeline(&app, &s, |v| v["stage"] == "done" || v["stage"] == "failed").await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(app.tiktok.posts().len(), 1, "one post for the slot: {:?}", app.tiktok.publishes());
    assert_eq!(ledger(&app, "publishes").await, 1);
}

#[tokio::test]
async fn a_rejected_slot_ends_its_waiting_pipeline_without_posting_and_is_audited() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    wait_pipeline(&app, &s, |v| v["stage"] == "waiting_for_approval").await;
    let res = app.post_json(&s.slot_path("/reject"), &s.owner, json!({"reason": "off brand"})).await;
    assert_eq!(json_body(res).await["status"], "draft");
    let done = wait_pipeline(&app, &s, |v| v["run"]["status"] == "completed").await;
    assert_eq!(done["stage"], "done");
    assert!(app.tiktok.publishes().is_empty());
    let db = Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(Statement::from_string(
            DatabaseBackend::Postgres,
            format!("SELECT actor_user_id, details->>'reason' AS reason FROM audit_log WHERE action = 'slot.rejected' AND target_id = '{}'", s.slot),
        ))
        .await
        .unwrap()
        .expect("the rejection is audited");
    assert_eq!(row.try_get::<Option<Uuid>>("", "actor_user_id").unwrap(), Some(s.owner.id));
    assert_eq!(row.try_get::<String>("", "reason").unwrap(), "off brand");
}

#[tokio::test]
async fn each_connected_account_has_one_run_refreshing_its_tokens_before_they_expire() {
    // Refresh almost a day early: the run refreshes right after connecting.
    let app = TestApp::spawn_with(crate::helpers::Storage::Local, |config| {
        config.tiktok.refresh_before = Duration::from_secs(86_400 - 2)
    })
    .await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Fresh Tokens").await;
    let account = connect(&app, &owner, org).await;
    let refreshes = || {
        app.tiktok
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/v2/oauth/token/") && r.body.to_string().contains("refresh_token"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while refreshes() < 2 {
        assert!(Instant::now() < deadline, "the tokens were not refreshed ({} refreshes)", refreshes());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The rotated tokens work: the account still answers creator_info.
    let accounts = json_body(app.get(&format!("/api/orgs/{org}/tiktok/accounts"), &owner).await).await;
    assert_eq!(accounts[0]["status"], "connected");
    let res = app.call("DELETE", &format!("/api/orgs/{org}/tiktok/accounts/{account}"), Some(&owner), None).await;
    assert_eq!(json_body(res).await["status"], "disconnected");
}

#[tokio::test]
async fn with_faults_at_a_high_rate_every_slot_is_posted_exactly_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"autopilot": true, "publish_defaults": {"privacy_level": "SELF_ONLY"}})).await;
    // Two more slots of the same plan, due now.
    let db = Database::connect(&app.database_url).await.unwrap();
    let plan: String = db
        .query_one(Statement::from_string(
            DatabaseBackend::Postgres,
            format!("SELECT plan_id::text AS p FROM slots WHERE id = '{}'", s.slot),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "p")
        .unwrap();
    let rows = db
        .query_all(Statement::from_string(
            DatabaseBackend::Postgres,
            format!(
                "UPDATE slots SET scheduled_at = now(), script = 'Stir the pot. Taste the water.' WHERE plan_id = '{plan}' \
                 AND id <> '{}' AND (day_index, slot_index) IN ((0, 1), (0, 2)) RETURNING id::text AS id",
                s.slot
            ),
        ))
        .await
        .unwrap();
    let mut slots: Vec<String> = rows.iter().map(|r| r.try_get("", "id").unwrap()).collect();
    slots.push(s.slot.clone());
    assert_eq!(slots.len(), 3);

    app.tiktok.fail_next("/v2/post/publish/video/init/", 3, 500, "internal_error");
    app.tiktok.fail_next("/v2/post/publish/status/fetch/", 6, 429, "rate_limit_exceeded");
    app.tiktok.fail_next("/upload/", 2, 503, "internal_error");
    app.tiktok.fail_next("/v2/post/publish/creator_info/query/", 2, 500, "internal_error");
    app.tiktok.timeout_after_side_effect("/v2/post/publish/video/init/", 2);
    for slot in &slots {
        let res = app.post_json(&format!("/api/orgs/{}/slots/{slot}/schedule", s.org), &s.owner, json!({})).await;
        assert_eq!(res.status(), 202);
    }
    let deadline = Instant::now() + Duration::from_secs(240);
    for slot in &slots {
        loop {
            let view = json_body(app.get(&format!("/api/orgs/{}/slots/{slot}/pipeline", s.org), &s.owner).await).await;
            if view["stage"] == "done" {
                assert_eq!(view["publication"]["status"], "published", "{view}");
                break;
            }
            assert!(view["stage"] != "failed" && Instant::now() < deadline, "{view}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let posts = app.tiktok.posts();
    assert_eq!(posts.len(), 3, "one post per slot: {posts:?}");
    let mut ids: Vec<&str> = posts.iter().map(|p| p.publish_id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    assert_eq!(ledger(&app, "publishes").await, 3);
}

/// The approval reaches the run, then a person takes it back before the
/// render starts: the render refuses the draft, and retry must not approve
/// it again (it used to set the slot back to approved, and the pipeline
/// rendered and posted what the person had taken back).
#[tokio::test]
async fn retry_never_approves_again_a_slot_a_person_took_back_before_its_render() {
    let app = TestApp::spawn().await;
    let s = setup(
        &app,
        json!({"gates": {"approve_slot": true, "approve_publish": false}, "publish_defaults": {"privacy_level": "SELF_ONLY"}}),
    )
    .await;
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    wait_pipeline(&app, &s, |v| v["stage"] == "waiting_for_approval").await;
    // With the worker away, the approval is queued for the run while the
    // take-back only reaches the database (unapproving sends no signal):
    // the run passes its gate holding an approval the slot no longer has.
    app.crash_worker();
    assert_eq!(app.approve(&s.slot_path(""), &s.owner).await.status(), 200);
    let res = app.post_json(&s.slot_path("/unapprove"), &s.owner, json!({})).await;
    assert_eq!(json_body(res).await["status"], "draft");
    app.start_worker();

    let ended = wait_pipeline(&app, &s, |v| v["run"]["status"] != "running").await;
    assert_eq!(ended["slot_status"], "draft", "the person's draft stays a draft: {ended}");
    let retry = app.post_json(&s.slot_path("/retry"), &s.owner, json!({})).await;
    assert_error(retry, 409, "conflict").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let slot = json_body(app.get(&s.slot_path(""), &s.owner).await).await;
    assert_eq!(slot["status"], "draft", "{slot}");
    assert!(app.tiktok.publishes().is_empty(), "TikTok was never asked: {:?}", app.tiktok.publishes());
    assert!(app.tiktok.posts().is_empty());
}

/// A decision at the publish gate with no pipeline waiting is refused and
/// changes nothing: not the slot's time ("post now"), not the stored
/// decision; a pipeline scheduled later still stops at the gate.
#[tokio::test]
async fn a_publish_decision_no_pipeline_waits_for_changes_nothing_and_the_gate_still_holds() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute(Statement::from_string(
        DatabaseBackend::Postgres,
        format!("UPDATE slots SET scheduled_at = now() + interval '30 days' WHERE id = '{}'", s.slot),
    ))
    .await
    .unwrap();
    // Rendered on its own, without a pipeline.
    assert_eq!(app.approve(&s.slot_path(""), &s.owner).await.status(), 200);
    assert_eq!(app.post_json(&s.slot_path("/render"), &s.owner, json!({})).await.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(120);
    let before = loop {
        let slot = json_body(app.get(&s.slot_path(""), &s.owner).await).await;
        if slot["status"] == "rendered" {
            break slot;
        }
        assert!(Instant::now() < deadline && slot["status"] == "rendering", "{slot}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    let refused = app
        .post_json(
            &s.slot_path("/publish"),
            &s.owner,
            json!({"privacy_level": "SELF_ONLY", "consent": true, "post_now": true}),
        )
        .await;
    assert_error(refused, 409, "conflict").await;
    let after = json_body(app.get(&s.slot_path(""), &s.owner).await).await;
    assert_eq!(after["scheduled_at"], before["scheduled_at"], "the slot's time did not move");
    assert_eq!(after["status"], "rendered");
    let view = json_body(app.get(&s.slot_path("/pipeline"), &s.owner).await).await;
    assert!(view["publication"].is_null(), "no decision was stored: {view}");
    let audited = db
        .query_one(Statement::from_string(
            DatabaseBackend::Postgres,
            format!(
                "SELECT count(*) AS n FROM audit_log WHERE action = 'slot.publish_approved' AND target_id = '{}'",
                s.slot
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(audited, 0, "nothing was audited as decided");

    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    let at_gate = wait_pipeline(&app, &s, |v| {
        ["waiting_for_publish_approval", "waiting_for_slot_time", "publishing", "done", "failed"]
            .iter()
            .any(|stage| v["stage"] == *stage)
    })
    .await;
    assert_eq!(at_gate["stage"], "waiting_for_publish_approval", "{at_gate}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = json_body(app.get(&s.slot_path("/pipeline"), &s.owner).await).await;
    assert_eq!(still["stage"], "waiting_for_publish_approval", "{still}");
    assert!(app.tiktok.publishes().is_empty());
}

/// An inbox draft the creator does not post while the run watches ends the
/// run with the slot in its own final state, not `publishing` for ever.
#[tokio::test]
async fn an_inbox_draft_left_in_the_inbox_ends_the_slot_as_sent_to_inbox() {
    let app =
        TestApp::spawn_with(crate::helpers::Storage::Local, |config| config.tiktok.poll.post_id_for_secs = 3).await;
    let s = setup(
        &app,
        json!({"post_mode": "inbox", "autopilot": true, "publish_defaults": {"privacy_level": "PUBLIC_TO_EVERYONE"}}),
    )
    .await;
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    let ended = wait_pipeline(&app, &s, |v| v["run"]["status"] != "running").await;
    assert_eq!(ended["run"]["status"], "completed", "{ended}");
    assert_eq!(ended["stage"], "done", "{ended}");
    assert_eq!(ended["slot_status"], "sent_to_inbox", "{ended}");
    assert_eq!(ended["publication"]["status"], "sent_to_inbox", "{ended}");
    let slot = json_body(app.get(&s.slot_path(""), &s.owner).await).await;
    assert_eq!(slot["status"], "sent_to_inbox", "{slot}");
    assert!(app.tiktok.posts().is_empty(), "the creator has not posted it");
    assert_eq!(ledger(&app, "publishes").await, 1, "a draft sent counts once");
    // It is done: scheduling it again is refused.
    assert_error(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await, 409, "conflict").await;
}
