//! The org's content policy on the real Temporal server, PostgreSQL, FFmpeg
//! and the TikTok and LLM simulators: a rule sends drafts back, stops a
//! slot's pipeline before the render and before the post with the rule and
//! reason on the slot, in the queue and in the run, and only an admin's
//! override (audited, with a reason) lets it through.

use crate::helpers::{TestApp, User, assert_error, json_body};
use crate::publishing::{Setup, setup, wait_pipeline, wait_queue};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn add_rule(app: &TestApp, org: Uuid, user: &User, rule: Value) -> Value {
    let res = app.post_json(&format!("/api/orgs/{org}/policy/rules"), user, rule).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    json_body(res).await
}

/// The audit rows of `action` on `target`: (actor, request id, details).
async fn audited(app: &TestApp, action: &str, target: &str) -> Vec<(Option<Uuid>, Option<String>, Value)> {
    let db = Database::connect(&app.database_url).await.unwrap();
    db.query_all(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT actor_user_id, request_id, details FROM audit_log WHERE action = $1 AND target_id = $2 ORDER BY created_at",
        [action.into(), target.into()],
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get("", "actor_user_id").unwrap(), r.try_get("", "request_id").unwrap(), r.try_get("", "details").unwrap()))
    .collect()
}

#[tokio::test]
async fn rules_are_written_by_admins_checked_when_written_and_audited() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Rules Co").await;
    let editor = app.member(org, &owner, "editor").await;
    let rules = format!("/api/orgs/{org}/policy/rules");
    let rule = json!({"name": "no rivals", "test": {"kind": "terms", "terms": ["AcmeCorp"]}, "severity": "block"});
    assert_error(app.post_json(&rules, &editor, rule.clone()).await, 403, "forbidden").await;
    let bad = json!({"name": "broken", "test": {"kind": "pattern", "pattern": "(unclosed"}, "severity": "warn"});
    let refused = assert_error(app.post_json(&rules, &owner, bad).await, 422, "validation_failed").await;
    assert!(refused["error"]["message"].as_str().unwrap().contains("does not compile"), "{refused}");
    let unknown = json!({"name": "stars", "test": {"kind": "category", "category": "astrology"}, "severity": "warn"});
    assert_error(app.post_json(&rules, &owner, unknown).await, 422, "validation_failed").await;

    let res = app.post_json(&rules, &owner, rule.clone()).await;
    assert_eq!(res.status(), 201);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let created = json_body(res).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["test"], json!({"kind": "terms", "terms": ["AcmeCorp"]}));
    assert_error(app.post_json(&rules, &owner, rule).await, 409, "conflict").await;
    let listed = json_body(app.get(&rules, &editor).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "members read the rules: {listed}");

    let res = app
        .call("PATCH", &format!("{rules}/{id}"), Some(&owner), Some(json!({"severity": "warn", "enabled": false})))
        .await;
    let changed = json_body(res).await;
    assert_eq!((changed["severity"].as_str(), changed["enabled"].as_bool()), (Some("warn"), Some(false)), "{changed}");
    assert_eq!(app.call("DELETE", &format!("{rules}/{id}"), Some(&owner), None).await.status(), 204);
    assert_error(app.call("DELETE", &format!("{rules}/{id}"), Some(&owner), None).await, 404, "not_found").await;

    let created = audited(&app, "policy.rule_created", &id).await;
    assert_eq!(created.len(), 1);
    assert_eq!((created[0].0, created[0].1.as_deref()), (Some(owner.id), Some(request_id.as_str())));
    assert_eq!(audited(&app, "policy.rule_changed", &id).await[0].2["severity"], "warn");
    assert_eq!(audited(&app, "policy.rule_removed", &id).await.len(), 1);
}

#[tokio::test]
async fn a_rule_sends_drafts_back_and_what_remains_shows_on_the_slot_with_the_classifiers_calls() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Drafts Co").await;
    let project = app.create_project(&owner, org, json!({"name": "Kitchen", "niche": "home cooking"})).await;
    // The simulator tags every draft #howto, so repairs cannot fix it.
    add_rule(
        &app,
        org,
        &owner,
        json!({"name": "no how-tos", "test": {"kind": "terms", "terms": ["howto"]}, "severity": "block"}),
    )
    .await;
    let question = "Does it mention \"home cooking\"?";
    add_rule(
        &app,
        org,
        &owner,
        json!({"name": "niche named", "test": {"kind": "classifier", "question": question}, "severity": "warn"}),
    )
    .await;
    let res = app
        .post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), &owner, json!({"start_date": "2033-04-01"}))
        .await;
    let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), &owner).await).await;
        if view["status"] == "ready" {
            break;
        }
        assert!(Instant::now() < deadline && view["status"] != "failed", "{view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let slots = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}/slots"), &owner).await).await;
    for slot in slots.as_array().unwrap() {
        let notes: Vec<&str> = slot["review_notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["check"] == "policy")
            .filter_map(|n| n["reason"].as_str())
            .collect();
        assert!(notes.contains(&"no how-tos: says \"howto\""), "{slot}");
        assert!(notes.contains(&"niche named: it mentions \"home cooking\""), "the classifier's warning: {slot}");
    }
    let calls = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}/llm-calls"), &owner).await).await;
    let calls = calls.as_array().unwrap();
    let policy: Vec<&Value> = calls.iter().filter(|c| c["purpose"] == "policy").collect();
    assert!(!policy.is_empty(), "the classifier's calls are the plan's: {calls:?}");
    assert!(policy.iter().all(|c| c["prompt_versions"] == json!({"policy_classifier": 1}) && c["outcome"] == "ok"));
    // Every batch was sent back for the blocking rule until its repairs ran
    // out (2 each), and the model judged each round.
    let count = |purpose: &str| calls.iter().filter(|c| c["purpose"] == purpose).count();
    assert!(count("draft") >= 1 && count("repair") == 2 * count("draft"), "{calls:?}");
    assert_eq!(policy.len(), count("draft") + count("repair"));
}

#[tokio::test]
async fn a_blocked_pipeline_waits_before_the_render_until_an_admin_overrides_it_and_then_posts_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"autopilot": true, "publish_defaults": {"privacy_level": "SELF_ONLY"}})).await;
    let admin = app.member(s.org, &s.owner, "admin").await;
    let editor = app.member(s.org, &s.owner, "editor").await;
    // The slot's script says "Salt the water like the sea. Stir once."
    add_rule(
        &app,
        s.org,
        &s.owner,
        json!({"name": "no seafood", "test": {"kind": "pattern", "pattern": r"\bsea\b"}, "severity": "block"}),
    )
    .await;
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);

    let blocked = wait_pipeline(&app, &s, |v| v["stage"] == "blocked_by_policy" || v["stage"] == "failed").await;
    let reason = "stopped by policy before the render: no seafood: says \"sea\"";
    assert_eq!(blocked["policy_block"], reason, "{blocked}");
    let slot = json_body(app.get(&s.slot_path(""), &editor).await).await;
    assert_eq!(slot["policy_block"]["moment"], "before_render");
    assert_eq!(slot["policy_block"]["findings"][0]["rule"], "no seafood");
    assert_eq!(slot["render_version"], 0, "nothing was rendered");
    let queued = wait_queue(&app, &s, &editor, "waiting_for_approval").await;
    assert_eq!((queued["stage"].as_str(), queued["reason"].as_str()), (Some("blocked_by_policy"), Some(reason)));
    let blocks = audited(&app, "slot.policy_blocked", &s.slot).await;
    assert_eq!(blocks.len(), 1);
    assert_eq!((blocks[0].0, blocks[0].2["moment"].as_str()), (None, Some("before_render")), "the system blocked it");

    let override_path = s.slot_path("/policy-override");
    assert_error(app.post_json(&override_path, &editor, json!({"reason": "it is fine"})).await, 403, "forbidden").await;
    assert_error(app.post_json(&override_path, &admin, json!({"reason": "ok"})).await, 422, "validation_failed").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(json_body(app.get(&s.slot_path("/pipeline"), &s.owner).await).await["stage"], "blocked_by_policy");
    assert!(app.tiktok.publishes().is_empty());

    let res = app.post_json(&override_path, &admin, json!({"reason": "sea salt is our product, not seafood"})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let slot = json_body(res).await;
    assert!(slot["policy_block"].is_null(), "{slot}");
    assert_eq!(slot["policy_override"]["by"], admin.id.to_string());
    let overrides = audited(&app, "slot.policy_override", &s.slot).await;
    assert_eq!(overrides.len(), 1);
    assert_eq!((overrides[0].0, overrides[0].1.as_deref()), (Some(admin.id), Some(request_id.as_str())));
    assert_eq!(overrides[0].2["reason"], "sea salt is our product, not seafood");
    assert_eq!(overrides[0].2["findings"][0]["rule"], "no seafood");
    // Nothing blocks now: a second override has nothing to override.
    assert_error(app.post_json(&override_path, &admin, json!({"reason": "again"})).await, 409, "conflict").await;

    let done = wait_pipeline(&app, &s, |v| v["stage"] == "done" || v["stage"] == "failed").await;
    assert_eq!(done["publication"]["status"], "published", "{done}");
    assert!(done["policy_block"].is_null());
    assert_eq!(app.tiktok.posts().len(), 1, "overridden once, posted once");
    let slot = json_body(app.get(&s.slot_path(""), &s.owner).await).await;
    assert!(
        slot["review_notes"].as_array().unwrap().iter().any(|n| n["reason"] == "no seafood: says \"sea\""),
        "the overridden finding stays on the slot as a note: {slot}"
    );
}

/// Waits for the render, then sets a rule the model judges and asks to
/// post: the gate before the post stops it.
async fn blocked_before_the_post(app: &TestApp, s: &Setup) -> Value {
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    wait_pipeline(app, s, |v| v["stage"] == "waiting_for_approval").await;
    assert_eq!(app.approve(&s.slot_path(""), &s.owner).await.status(), 200);
    wait_pipeline(app, s, |v| v["stage"] == "waiting_for_publish_approval" || v["stage"] == "failed").await;
    let question = "Does it tell viewers to \"stir once\"?";
    add_rule(
        app,
        s.org,
        &s.owner,
        json!({"name": "stirring", "test": {"kind": "classifier", "question": question}, "severity": "block"}),
    )
    .await;
    let publish = json!({"privacy_level": "SELF_ONLY", "consent": true, "post_now": true});
    assert_eq!(app.post_json(&s.slot_path("/publish"), &s.owner, publish).await.status(), 202);
    wait_pipeline(app, s, |v| v["stage"] == "blocked_by_policy" || v["stage"] == "failed").await
}

#[tokio::test]
async fn a_rule_added_after_the_render_stops_the_post_and_a_rejection_ends_it_without_posting() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"post_mode": "direct"})).await;
    let blocked = blocked_before_the_post(&app, &s).await;
    assert_eq!(
        blocked["policy_block"], "stopped by policy before the post: stirring: it mentions \"stir once\"",
        "{blocked}"
    );
    let slot = json_body(app.get(&s.slot_path(""), &s.owner).await).await;
    assert_eq!(slot["policy_block"]["moment"], "before_publish");
    assert!(slot["render_version"].as_i64().unwrap() >= 1, "it was rendered before: {slot}");
    assert!(app.tiktok.publishes().is_empty(), "TikTok is never asked");

    let res = app.post_json(&s.slot_path("/reject"), &s.owner, json!({"reason": "not for us"})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let done = wait_pipeline(&app, &s, |v| v["run"]["status"] == "completed").await;
    assert_eq!(done["stage"], "done");
    assert!(app.tiktok.publishes().is_empty(), "nothing a person rejected is posted");
}

#[tokio::test]
async fn an_edit_approved_again_is_checked_afresh_and_goes_on_when_it_passes() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"autopilot": true, "publish_defaults": {"privacy_level": "SELF_ONLY"}})).await;
    add_rule(
        &app,
        s.org,
        &s.owner,
        json!({"name": "no seafood", "test": {"kind": "terms", "terms": ["sea"]}, "severity": "block"}),
    )
    .await;
    assert_eq!(app.post_json(&s.slot_path("/schedule"), &s.owner, json!({})).await.status(), 202);
    wait_pipeline(&app, &s, |v| v["stage"] == "blocked_by_policy" || v["stage"] == "failed").await;

    let edit = json!({"script": "Salt the water well, like a chef would. Stir once."});
    let res = app.call("PATCH", &s.slot_path(""), Some(&s.owner), Some(edit)).await;
    assert_eq!(json_body(res).await["status"], "draft", "an edit takes the approval back");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(json_body(app.get(&s.slot_path("/pipeline"), &s.owner).await).await["stage"], "blocked_by_policy");
    assert_eq!(app.approve(&s.slot_path(""), &s.owner).await.status(), 200);

    let done = wait_pipeline(&app, &s, |v| v["stage"] == "done" || v["stage"] == "failed").await;
    assert_eq!(done["publication"]["status"], "published", "{done}");
    assert!(done["policy_block"].is_null(), "{done}");
    assert_eq!(app.tiktok.posts().len(), 1);
    assert!(audited(&app, "slot.policy_override", &s.slot).await.is_empty(), "no override was needed");
}
