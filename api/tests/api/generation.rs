//! Month-plan generation against the real Temporal server and PostgreSQL,
//! with the OpenAI-compatible simulator scripting the model's failures.

use crate::helpers::{TestApp, User, assert_error, json_body};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::llm::Scripted;
use uuid::Uuid;

struct Setup {
    owner: User,
    org: Uuid,
    project: Uuid,
}

async fn setup(app: &TestApp) -> Setup {
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Gen Studio").await;
    let project = app
        .create_project(
            &owner,
            org,
            json!({"name": "Kitchen", "niche": "home cooking", "brand_voice": "warm and practical"}),
        )
        .await;
    Setup { owner, org, project }
}

async fn start_plan(app: &TestApp, s: &Setup, start_date: &str) -> String {
    let res = app
        .post_json(
            &format!("/api/orgs/{}/projects/{}/plans", s.org, s.project),
            &s.owner,
            json!({"start_date": start_date}),
        )
        .await;
    assert_eq!(res.status(), 202);
    json_body(res).await["plan_id"].as_str().unwrap().to_owned()
}

/// Polls the plan until `done` says so.
async fn wait_plan(app: &TestApp, s: &Setup, plan: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body = json_body(app.get(&format!("/api/orgs/{}/plans/{plan}", s.org), &s.owner).await).await;
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "the plan never got there: {body}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn slots(app: &TestApp, s: &Setup, plan: &str) -> Vec<Value> {
    json_body(app.get(&format!("/api/orgs/{}/plans/{plan}/slots", s.org), &s.owner).await)
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn all_calls(app: &TestApp, s: &Setup, plan: &str) -> Vec<Value> {
    json_body(app.get(&format!("/api/orgs/{}/plans/{plan}/llm-calls", s.org), &s.owner).await)
        .await
        .as_array()
        .unwrap()
        .clone()
}

/// The plan's drafting calls (not the creative or prompt engineering agents').
async fn calls(app: &TestApp, s: &Setup, plan: &str) -> Vec<Value> {
    all_calls(app, s, plan).await.into_iter().filter(|c| c["purpose"] == "draft" || c["purpose"] == "repair").collect()
}

#[tokio::test]
async fn malformed_and_schema_violating_answers_are_repaired_and_http_errors_retried() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    app.llm.push(Scripted::Error(429));
    app.llm.push(Scripted::Error(503));
    app.llm.push(Scripted::Content("{\"slots\": [ this is not json".into()));
    app.llm.push(Scripted::Replace { from: "\"confidence\":".into(), to: "\"confidence\": 170, \"was\":".into() });
    let plan = start_plan(&app, &s, "2032-05-01").await;
    let done = wait_plan(&app, &s, &plan, |p| p["status"] == "ready").await;
    assert_eq!(done["slot_counts"]["draft"], 90, "{done}");

    // The 429 (OpenRouter's body, which the client does not retry itself) failed
    // the activity and Temporal retried it; the client retried the 503; the two
    // bad answers were repaired.
    let requests = app.llm.drafting_requests();
    assert_eq!(requests.len(), 2 + 3 + 4, "two retried errors, three rounds for week one, one call per other week");
    assert_eq!(requests[0], requests[2], "the retried request is the same request");
    let outcomes: Vec<String> =
        calls(&app, &s, &plan).await.iter().map(|c| c["outcome"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        outcomes,
        ["http_error", "invalid_output", "invalid_output", "ok", "ok", "ok", "ok", "ok"],
        "every call is audited"
    );

    // The repair prompts carried the validator's findings back to the model.
    let feedback = requests[3]["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
    assert!(feedback.contains("not valid JSON"), "{feedback}");
    let second = requests[4]["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
    assert!(second.contains("/confidence"), "{second}");
    assert_eq!(requests[0]["response_format"]["type"], "json_schema");
}

#[tokio::test]
async fn an_llm_outage_beyond_the_client_retries_is_retried_by_temporal() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    // Four 503s exhaust the client's retries; the activity fails and Temporal retries it.
    for _ in 0..4 {
        app.llm.push(Scripted::Error(503));
    }
    let plan = start_plan(&app, &s, "2032-04-01").await;
    let done = wait_plan(&app, &s, &plan, |p| p["status"] == "ready").await;
    assert_eq!(done["slot_counts"]["draft"], 90, "{done}");
    let outcomes: Vec<String> =
        calls(&app, &s, &plan).await.iter().map(|c| c["outcome"].as_str().unwrap().to_owned()).collect();
    assert_eq!(outcomes[0], "http_error", "{outcomes:?}");
    assert_eq!(outcomes.len(), 6, "{outcomes:?}");
}

#[tokio::test]
async fn exhausted_repairs_fail_the_run_with_a_readable_reason() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    for _ in 0..3 {
        app.llm.push(Scripted::Content("I'm sorry, I can only answer in prose.".into()));
    }
    let plan = start_plan(&app, &s, "2032-06-01").await;
    let failed = wait_plan(&app, &s, &plan, |p| p["status"] == "failed").await;
    let reason = failed["failure"].as_str().unwrap();
    assert!(reason.contains("drafting days 1 to 7 failed"), "{reason}");
    assert!(reason.contains("still invalid after 2 repairs"), "{reason}");
    assert!(reason.contains("not valid JSON"), "{reason}");
    let calls = calls(&app, &s, &plan).await;
    assert_eq!(calls.len(), 3, "the failure is permanent: no activity retry repeats it");
    assert!(calls.iter().all(|c| c["outcome"] == "invalid_output"));
}

#[tokio::test]
async fn restricted_content_is_sent_back_then_kept_with_notes() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let poison = || Scripted::Replace { from: "Open on the problem".into(), to: "This miracle cure works".into() };
    for _ in 0..3 {
        app.llm.push(poison());
    }
    let plan = start_plan(&app, &s, "2032-07-01").await;
    wait_plan(&app, &s, &plan, |p| p["status"] == "ready").await;
    let requests = app.llm.drafting_requests();
    let feedback = requests[1]["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
    assert!(feedback.contains("medical_claims"), "{feedback}");
    let slots = slots(&app, &s, &plan).await;
    let flagged: Vec<&Value> =
        slots.iter().filter(|s| s["review_notes"].as_array().is_some_and(|n| !n.is_empty())).collect();
    assert_eq!(flagged.len(), 21, "the first week kept its notes for a person");
    assert!(
        flagged[0]["review_notes"][0]["reason"].as_str().unwrap().starts_with("TikTok guidelines: medical_claims: ")
    );
}

/// A script the QA agent passes: about ten seconds of plain spoken English.
const SCRIPT: &str = "Show the knife, explain how to hold it like a pen, slice one onion slowly, then ask the viewers \
                      which knife they reach for first at home.";

/// A valid first week in which slot (1, 0) repeats slot (0, 0).
fn week_with_a_repeat() -> String {
    let mut slots = Vec::new();
    for day in 0..7 {
        for index in 0..3 {
            let (hook, caption) = if (day, index) == (1, 0) {
                ("Five knife skills every cook needs".to_owned(), "knife skills that change everything".to_owned())
            } else if (day, index) == (0, 0) {
                ("Five knife skills every cook needs!".to_owned(), "Knife skills that change everything.".to_owned())
            } else {
                (
                    format!("Idea number {day}{index} about sauces {}", "x".repeat((day * 3 + index) as usize + 1)),
                    format!("caption {day} {index}"),
                )
            };
            slots.push(json!({"day_index": day, "slot_index": index, "hook": hook, "caption": caption,
                "script": SCRIPT, "hashtags": ["#cooking"],
                "format": "tutorial", "confidence": 0.6, "rationale": "tutorials do well at this hour",
                "shots": [{"text": SCRIPT, "visual": "footage", "search": []}]}));
        }
    }
    json!({"slots": slots}).to_string()
}

#[tokio::test]
async fn repeated_ideas_are_sent_back_by_the_similarity_guard() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    app.llm.push(Scripted::Content(week_with_a_repeat()));
    let plan = start_plan(&app, &s, "2032-07-15").await;
    wait_plan(&app, &s, &plan, |p| p["status"] == "ready").await;
    let requests = app.llm.drafting_requests();
    let feedback = requests[1]["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
    assert!(feedback.contains("day 2 slot 1: near-duplicate of day 1 slot 1"), "{feedback}");
    let slots = slots(&app, &s, &plan).await;
    assert!(slots.iter().all(|s| s["review_notes"].as_array().unwrap().is_empty()), "the repaired week has no notes");
    assert_ne!(slots[0]["hook"], slots[3]["hook"]);
}

#[tokio::test]
async fn locked_and_approved_slots_survive_regeneration_and_improve_touches_one_slot() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let viewer = app.member(s.org, &s.owner, "viewer").await;
    let plan = start_plan(&app, &s, "2032-09-01").await;
    wait_plan(&app, &s, &plan, |p| p["status"] == "ready").await;
    let before = slots(&app, &s, &plan).await;
    let (locked, approved, free) = (&before[0], &before[1], &before[2]);
    let slot_path = |slot: &Value| format!("/api/orgs/{}/slots/{}", s.org, slot["id"].as_str().unwrap());

    let res =
        app.call("PATCH", &slot_path(locked), Some(&s.owner), Some(json!({"hook": "My own hook, keep it"}))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.post_json(&format!("{}/lock", slot_path(locked)), &s.owner, json!({})).await.status(), 200);
    assert_error(app.approve(&slot_path(approved), &viewer).await, 403, "forbidden").await;
    // Approving what the person saw: a change landing in between (here an
    // edit) makes the approval a 409, and nothing is approved unseen.
    let seen = approved["version"].as_i64().unwrap();
    let res =
        app.call("PATCH", &slot_path(approved), Some(&s.owner), Some(json!({"caption": "Changed meanwhile"}))).await;
    assert_eq!(res.status(), 200);
    let approve_many = format!("/api/orgs/{}/plans/{plan}/approve", s.org);
    let res = app.post_json(&approve_many, &s.owner, json!({"slots": [{"id": approved["id"], "version": seen}]})).await;
    assert_error(res, 409, "stale_version").await;
    let res = app.post_json(&format!("{}/approve", slot_path(approved)), &s.owner, json!({"version": seen})).await;
    let body = assert_error(res, 409, "stale_version").await;
    assert!(body["error"]["message"].as_str().unwrap().contains(&format!("version {}", seen + 1)), "{body}");
    let now = json_body(app.get(&slot_path(approved), &s.owner).await).await;
    assert_eq!(now["status"], "draft");
    let res = app
        .post_json(&approve_many, &s.owner, json!({"slots": [{"id": approved["id"], "version": now["version"]}]}))
        .await;
    assert_eq!(json_body(res).await[0]["status"], "approved");

    let res = app.post_json(&format!("/api/orgs/{}/plans/{plan}/regenerate", s.org), &s.owner, json!({})).await;
    assert_eq!(res.status(), 202);
    let free_version = free["version"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let after = loop {
        let now = slots(&app, &s, &plan).await;
        let plan_now = json_body(app.get(&format!("/api/orgs/{}/plans/{plan}", s.org), &s.owner).await).await;
        if now.iter().all(|x| x["id"] != free["id"] || x["version"].as_i64() > Some(free_version))
            && plan_now["status"] == "ready"
        {
            break now;
        }
        assert!(Instant::now() < deadline, "regeneration never finished");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert_eq!(after[0]["hook"], "My own hook, keep it");
    assert_eq!(after[0]["locked"], true);
    assert_eq!(after[1]["status"], "approved");
    assert_eq!(after[1]["version"], now["version"]);

    // AI improve: only its slot changes.
    let target = &after[5];
    let res =
        app.post_json(&format!("{}/improve", slot_path(target)), &s.owner, json!({"instruction": "add a twist"})).await;
    assert_eq!(res.status(), 202);
    let run = json_body(res).await;
    assert!(run["workflow_id"].as_str().unwrap().contains(":slot-improve:"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let improved = loop {
        let now = slots(&app, &s, &plan).await;
        if now[5]["version"].as_i64() > target["version"].as_i64() {
            break now;
        }
        assert!(Instant::now() < deadline, "improve never finished");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert!(improved[5]["hook"].as_str().unwrap().contains("add a twist"), "{}", improved[5]);
    for (i, (a, b)) in after.iter().zip(&improved).enumerate() {
        if i != 5 {
            assert_eq!(a, b, "slot {i} changed");
        }
    }
    let res = app.post_json(&format!("{}/improve", slot_path(&after[0])), &s.owner, json!({})).await;
    assert_error(res, 409, "conflict").await;

    // Unapprove, and another org cannot reach the plan or its slots.
    assert_eq!(
        json_body(app.post_json(&format!("{}/unapprove", slot_path(approved)), &s.owner, json!({})).await).await["status"],
        "draft"
    );
    let stranger = app.user("stranger").await;
    let other = app.create_org(&stranger, "Elsewhere").await;
    assert_error(app.get(&format!("/api/orgs/{other}/plans/{plan}"), &stranger).await, 404, "not_found").await;
    let res = app.get(&format!("/api/orgs/{other}/slots/{}", after[5]["id"].as_str().unwrap()), &stranger).await;
    assert_error(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_project_over_its_llm_budget_is_refused_before_anything_starts() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let plan = start_plan(&app, &s, "2032-10-01").await;
    wait_plan(&app, &s, &plan, |p| p["status"] == "ready").await;
    let requests = app.llm.requests().len();

    let res = app
        .call(
            "PATCH",
            &format!("/api/orgs/{}/projects/{}", s.org, s.project),
            Some(&s.owner),
            Some(json!({"budgets": {"monthly_llm_micros": 1}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            &format!("/api/orgs/{}/projects/{}/plans", s.org, s.project),
            &s.owner,
            json!({"start_date": "2032-11-01"}),
        )
        .await;
    let body = assert_error(res, 402, "budget_exceeded").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("monthly LLM budget"), "{body}");
    let plans = json_body(app.get(&format!("/api/orgs/{}/projects/{}/plans", s.org, s.project), &s.owner).await).await;
    assert_eq!(plans.as_array().unwrap().len(), 1, "no plan was created");
    assert_eq!(app.llm.requests().len(), requests, "no model call was made");
}

#[tokio::test]
async fn brand_voice_versions_are_recorded_with_each_generation() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let res = app
        .call(
            "PATCH",
            &format!("/api/orgs/{}/projects/{}", s.org, s.project),
            Some(&s.owner),
            Some(json!({"brand_voice": "bold and funny"})),
        )
        .await;
    assert_eq!(json_body(res).await["brand_voice"], "bold and funny");
    let prompts =
        json_body(app.get(&format!("/api/orgs/{}/projects/{}/prompts", s.org, s.project), &s.owner).await).await;
    let versions: Vec<(String, i64)> = prompts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["kind"].as_str().unwrap().to_owned(), p["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(versions, vec![("brand_voice".to_owned(), 2), ("brand_voice".to_owned(), 1)]);

    let plan = start_plan(&app, &s, "2032-12-01").await;
    let done = wait_plan(&app, &s, &plan, |p| p["status"] == "ready").await;
    assert_eq!(done["prompt_versions"], json!({"brand_voice": 2, "instructions": 0}));
    let calls = all_calls(&app, &s, &plan).await;
    let (creative, drafting): (Vec<&Value>, Vec<&Value>) = calls.iter().partition(|c| c["purpose"] == "creative");
    assert!(drafting.iter().all(|c| c["prompt_versions"] == json!({"brand_voice": 2, "instructions": 0})));
    assert_eq!(creative.len(), 1, "the creative agent plans the month once: {calls:?}");
    assert_eq!(creative[0]["prompt_versions"], json!({"creative": 1, "brand_voice": 2}));
    assert_eq!(done["brief"]["prompt_version"], 1);
    let system = app.llm.drafting_requests()[0]["messages"][0]["content"].as_str().unwrap().to_owned();
    assert!(system.contains("Brand voice: bold and funny"), "{system}");
}

/// Waits for the plan's prompt engineering proposal.
async fn proposals(app: &TestApp, s: &Setup, user: &User) -> Vec<Value> {
    let path = format!("/api/orgs/{}/projects/{}/prompt-proposals", s.org, s.project);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = json_body(app.get(&path, user).await).await.as_array().unwrap().clone();
        if !listed.is_empty() {
            return listed;
        }
        assert!(Instant::now() < deadline, "no proposal came");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The prompt engineering agent: a month whose drafts kept a finding gets
/// revised instructions proposed (its own prompt version, audited); an
/// admin accepts them as the next version and the next month drafts with
/// them (a month without findings asks nothing: `plans::creating_a_plan_...`).
#[tokio::test]
async fn the_prompt_engineer_proposes_instructions_from_the_findings_and_an_accepted_one_drafts_the_next_month() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let editor = app.member(s.org, &s.owner, "editor").await;
    for _ in 0..3 {
        app.llm.push(Scripted::Replace { from: "Open on the problem".into(), to: "This miracle cure works".into() });
    }
    let plan = start_plan(&app, &s, "2032-07-01").await;
    wait_plan(&app, &s, &plan, |p| p["status"] == "ready").await;

    let listed = proposals(&app, &s, &editor).await;
    assert_eq!(listed.len(), 1, "one proposal per month: {listed:?}");
    let proposal = &listed[0];
    assert_eq!((proposal["plan_id"].as_str(), proposal["status"].as_str()), (Some(plan.as_str()), Some("pending")));
    assert_eq!((proposal["based_on_version"].as_i64(), proposal["prompt_version"].as_i64()), (Some(0), Some(1)));
    let body = proposal["body"].as_str().unwrap();
    assert!(body.starts_with(domain::planning::prompts::DEFAULT_INSTRUCTIONS), "{body}");
    assert!(body.contains("Never again: policy: TikTok guidelines: medical_claims"), "the top finding: {body}");
    assert!(proposal["rationale"].as_str().unwrap().starts_with("21 slots were flagged"), "{proposal}");
    let calls = all_calls(&app, &s, &plan).await;
    let review: Vec<&Value> = calls.iter().filter(|c| c["purpose"] == "prompt_review").collect();
    assert_eq!(review.len(), 1, "{calls:?}");
    assert_eq!(review[0]["prompt_versions"], json!({"prompt_engineer": 1, "instructions": 0}));

    let id = proposal["id"].as_str().unwrap();
    let accept = format!("/api/orgs/{}/prompt-proposals/{id}/accept", s.org);
    assert_error(app.post_json(&accept, &editor, json!({})).await, 403, "forbidden").await;
    let res = app.post_json(&accept, &s.owner, json!({})).await;
    assert_eq!(res.status(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let decided = json_body(res).await;
    assert_eq!(
        (decided["proposal"]["status"].as_str(), decided["prompt"]["version"].as_i64()),
        (Some("accepted"), Some(1))
    );
    assert_error(app.post_json(&accept, &s.owner, json!({})).await, 409, "conflict").await;
    let dismiss = format!("/api/orgs/{}/prompt-proposals/{id}/dismiss", s.org);
    assert_error(app.post_json(&dismiss, &s.owner, json!({})).await, 409, "conflict").await;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT request_id, details->>'new_version' AS v FROM audit_log WHERE action = 'prompt.proposal_accepted' AND target_id = '{id}'"),
        ))
        .await
        .unwrap()
        .expect("the acceptance is audited");
    assert_eq!(row.try_get::<Option<String>>("", "request_id").unwrap().as_deref(), Some(request_id.as_str()));
    assert_eq!(row.try_get::<Option<String>>("", "v").unwrap().as_deref(), Some("1"));

    let before = app.llm.drafting_requests().len();
    let next = start_plan(&app, &s, "2032-08-01").await;
    let done = wait_plan(&app, &s, &next, |p| p["status"] == "ready").await;
    assert_eq!(done["prompt_versions"]["instructions"], 1);
    let system = app.llm.drafting_requests()[before]["messages"][0]["content"].as_str().unwrap().to_owned();
    assert!(system.contains("Never again: policy: TikTok guidelines: medical_claims"), "{system}");
}
