//! The first workflow end to end: HTTP -> Temporal -> activity -> PostgreSQL
//! -> HTTP, and visible in the Temporal UI filtered by OrgId.

use crate::helpers::{TestApp, User, assert_error, json_body, required_env};
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

/// Waits until the plan has `status` and its run has ended (the plan is
/// marked ready by the run's last activity, a moment before the run ends).
async fn wait_for_plan(app: &TestApp, user: &User, org: uuid::Uuid, plan: &str, status: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), user).await).await;
        if body["status"] == status && body["run"]["status"] != "running" {
            return body;
        }
        assert!(Instant::now() < deadline, "plan never became {status} with its run ended: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn creating_a_plan_runs_a_workflow_that_lays_out_30_days_of_slots() {
    let app = TestApp::spawn().await;
    let owner = app.user("planner").await;
    let org = app.create_org(&owner, "Plan Studio").await;
    let editor = app.member(org, &owner, "editor").await;
    let project = app
        .create_project(
            &owner,
            org,
            json!({"name": "Cooking", "timezone": "Europe/Berlin", "posting_times": ["19:00", "09:00", "13:00"]}),
        )
        .await;

    let res = app
        .http
        .post(app.url(&format!("/api/orgs/{org}/projects/{project}/plans")))
        .bearer_auth(&editor.token)
        .header("x-request-id", "plan-req-0001")
        .json(&json!({"start_date": "2031-03-28"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let started = json_body(res).await;
    let plan_id = started["plan_id"].as_str().unwrap().to_owned();
    let workflow_id = started["run"]["workflow_id"].as_str().unwrap().to_owned();
    assert_eq!(workflow_id, format!("{org}:plan:{plan_id}"));
    assert!(started["run"]["temporal_ui_url"].as_str().unwrap().ends_with(&workflow_id));

    let plan = wait_for_plan(&app, &editor, org, &plan_id, "ready").await;
    assert_eq!(plan["slot_counts"]["draft"], 90, "{plan}");
    assert_eq!(plan["run"]["status"], "completed", "{plan}");
    assert_eq!((plan["batches_done"].as_i64(), plan["batches_total"].as_i64()), (Some(5), Some(5)), "{plan}");
    assert_eq!(plan["prompt_versions"], json!({"brand_voice": 0, "instructions": 0}));

    let slots = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan_id}/slots"), &editor).await).await;
    let slots = slots.as_array().unwrap();
    assert_eq!(slots.len(), 90);
    // Day 0 is 2031-03-28 in Berlin (UTC+1); day 2 is after the switch to summer time (UTC+2).
    assert_eq!(slots[0]["scheduled_at"], "2031-03-28T08:00:00Z");
    assert_eq!(slots[2]["scheduled_at"], "2031-03-28T18:00:00Z");
    assert_eq!(slots[6]["scheduled_at"], "2031-03-30T07:00:00Z");
    assert_eq!(slots[89]["day_index"], 29);
    assert_eq!(slots[89]["slot_index"], 2);
    for slot in slots {
        let confidence = slot["confidence"].as_f64().expect("every slot has a confidence");
        assert!((0.0..=1.0).contains(&confidence), "{slot}");
        for field in ["hook", "script", "caption", "rationale", "format"] {
            assert!(slot[field].as_str().is_some_and(|v| !v.is_empty()), "{field} of {slot}");
        }
        assert_eq!(slot["status"], "draft");
    }

    // The creative agent's call, then one per batch of 7 days, audited and metered.
    let calls = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan_id}/llm-calls"), &editor).await).await;
    let calls = calls.as_array().unwrap();
    let purposes: Vec<&str> = calls.iter().map(|c| c["purpose"].as_str().unwrap()).collect();
    assert_eq!(purposes, ["creative", "draft", "draft", "draft", "draft", "draft"], "{calls:?}");
    assert!(
        calls.iter().all(|c| c["outcome"] == "ok" && c["model"] == "sim/planner" && c["tokens_in"].as_i64() > Some(0))
    );
    assert_eq!(app.llm.drafting_requests().len(), 5);
    assert!(app.llm.authorizations().iter().all(|a| a.as_deref() == Some("Bearer sk-test-key")));
    let usage = json_body(app.get(&format!("/api/orgs/{org}/projects/{project}/usage"), &editor).await).await;
    let billed: i64 = calls.iter().map(|c| c["cost_micros"].as_i64().unwrap()).sum();
    assert!(billed > 0);
    assert_eq!(usage["llm_cost_micros_this_month"].as_i64(), Some(billed));
    // Each call's tokens and cost are in the usage ledger, once.
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let ledger = db
        .query_all(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT metric, count(*)::bigint AS n, sum(quantity)::bigint AS total FROM usage_ledger GROUP BY metric ORDER BY metric",
        ))
        .await
        .unwrap();
    let ledger: Vec<(String, i64, i64)> = ledger
        .iter()
        .map(|r| (r.try_get("", "metric").unwrap(), r.try_get("", "n").unwrap(), r.try_get("", "total").unwrap()))
        .collect();
    let tokens = |field: &str| calls.iter().map(|c| c[field].as_i64().unwrap()).sum::<i64>();
    assert_eq!(
        ledger,
        vec![
            ("llm_cost_micros".to_owned(), 6, billed),
            ("llm_tokens_in".to_owned(), 6, tokens("tokens_in")),
            ("llm_tokens_out".to_owned(), 6, tokens("tokens_out")),
        ]
    );

    // Asking again meets the same plan: no second plan, no second grid.
    let again = app
        .post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), &owner, json!({"start_date": "2031-03-28"}))
        .await;
    assert_eq!(again.status(), 200);
    let again = json_body(again).await;
    assert_eq!(again["plan_id"], plan_id.as_str());
    assert_eq!(again["created"], false);
    let listed = json_body(app.get(&format!("/api/orgs/{org}/projects/{project}/plans"), &owner).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Another org cannot see it, by the same id, even through its own org.
    let stranger = app.user("stranger").await;
    let other = app.create_org(&stranger, "Someone Else").await;
    assert_error(app.get(&format!("/api/orgs/{other}/plans/{plan_id}"), &stranger).await, 404, "not_found").await;
    assert_error(app.get(&format!("/api/orgs/{other}/plans/{plan_id}/slots"), &stranger).await, 404, "not_found").await;
    assert_error(app.get(&format!("/api/orgs/{org}/plans/{plan_id}"), &stranger).await, 404, "not_found").await;

    // The Temporal UI lists the run when filtered by OrgId, with its
    // project and the request id that started it.
    let ui = required_env("TEST_TEMPORAL_UI_URL");
    let query = format!("OrgId=\"{org}\"");
    let listed: serde_json::Value = app
        .http
        .get(format!("{ui}/api/v1/namespaces/default/workflows"))
        .query(&[("query", query.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let executions = listed["executions"].as_array().unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(executions.len(), 1, "{listed}");
    let run = &executions[0];
    assert_eq!(run["execution"]["workflowId"], workflow_id.as_str());
    assert_eq!(run["type"]["name"], "GenerateMonthPlan");
    let text = run.to_string();
    assert!(text.contains("ProjectId"), "search attributes carry the project: {text}");
    let encoded_request_id = base64_of("\"plan-req-0001\"");
    assert!(text.contains(&encoded_request_id), "the memo carries the request id: {text}");
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn a_plan_for_an_unknown_project_is_404_and_starts_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.user("lonely").await;
    let org = app.create_org(&owner, "Lonely").await;
    let path = format!("/api/orgs/{org}/projects/{}/plans", uuid::Uuid::new_v4());
    assert_error(app.post_json(&path, &owner, json!({"start_date": "2031-01-01"})).await, 404, "not_found").await;
    let res = app.get(&format!("/api/orgs/{org}/plans/{}", uuid::Uuid::new_v4()), &owner).await;
    assert_error(res, 404, "not_found").await;
}

/// Metrics flow back: the next month's drafting is told which earlier posts
/// did best and worst (by their latest snapshot), and people see the same.
#[tokio::test]
async fn the_next_month_is_drafted_knowing_what_worked_before() {
    let app = TestApp::spawn().await;
    let owner = app.user("learner").await;
    let org = app.create_org(&owner, "Learning Studio").await;
    let viewer = app.member(org, &owner, "viewer").await;
    let project = app.create_project(&owner, org, json!({"name": "Pasta", "timezone": "Europe/Berlin"})).await;
    let plans = format!("/api/orgs/{org}/projects/{project}/plans");
    let first = json_body(app.post_json(&plans, &owner, json!({"start_date": "2031-07-01"})).await).await;
    let first = first["plan_id"].as_str().unwrap().to_owned();
    wait_for_plan(&app, &owner, org, &first, "ready").await;
    let nothing = json_body(app.get(&format!("/api/orgs/{org}/projects/{project}/performance"), &viewer).await).await;
    assert_eq!(nothing["posts_measured"], 0, "{nothing}");

    // Three posts went out; their snapshots (the latest counts) differ.
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let results = [("Boil pasta in half the water", 9_000), ("Salt like the sea", 300), ("Never rinse pasta", 40)];
    for (i, (hook, views)) in results.iter().enumerate() {
        db.execute_unprepared(&format!(
            "WITH s AS (UPDATE slots SET status = 'published', hook = '{hook}' WHERE id = \
               (SELECT id FROM slots WHERE plan_id = '{first}' AND day_index = {i} AND slot_index = 0) RETURNING id, org_id),
             p AS (INSERT INTO publications (id, org_id, slot_id, post_mode, status, published_at)
                   SELECT gen_random_uuid(), org_id, id, 'direct', 'published', now() FROM s RETURNING id, org_id)
             INSERT INTO post_metrics (id, org_id, publication_id, captured_at, view_count, like_count, comment_count, share_count)
             SELECT gen_random_uuid(), org_id, id, now() - interval '1 day', 1, 0, 0, 0 FROM p
             UNION ALL SELECT gen_random_uuid(), org_id, id, now(), {views}, {likes}, 1, 1 FROM p",
            likes = views / 10
        ))
        .await
        .unwrap();
    }
    let seen = json_body(app.get(&format!("/api/orgs/{org}/projects/{project}/performance"), &viewer).await).await;
    assert_eq!(seen["posts_measured"], 3, "{seen}");
    assert_eq!(seen["best"][0]["hook"], "Boil pasta in half the water");
    assert_eq!(seen["best"][0]["views"], 9_000, "the latest snapshot counts, not the first");
    assert_eq!(seen["best"][0]["posting_time"], "09:00", "in the project's time zone");
    assert_eq!(seen["best"][2]["views"], 40);

    let before = app.llm.drafting_requests().len();
    let second = json_body(app.post_json(&plans, &owner, json!({"start_date": "2031-08-01"})).await).await;
    wait_for_plan(&app, &owner, org, second["plan_id"].as_str().unwrap(), "ready").await;
    let drafting: Vec<_> = app.llm.drafting_requests()[before..].to_vec();
    assert!(!drafting.is_empty());
    for request in &drafting {
        let task: serde_json::Value =
            serde_json::from_str(request["messages"][1]["content"].as_str().unwrap()).unwrap();
        let worked = &task["what_worked"];
        assert_eq!(worked["posts_measured"], 3, "every batch is told: {task}");
        assert_eq!(worked["best_posts"][0]["hook"], "Boil pasta in half the water");
        assert_eq!(worked["best_posts"][0]["views"], 9_000);
        assert!(worked["guidance"].as_str().unwrap().contains("never copy"), "{worked}");
        assert!(task["slots"].as_array().unwrap().iter().all(|s| s["suggested_format"].is_string()), "{task}");
    }
    // The learning scheduler gives the morning slots (where the hit was a
    // talking head) mostly talking heads, and still tries the untested formats.
    let mut morning: BTreeMap<String, usize> = BTreeMap::new();
    for request in &drafting {
        let task: serde_json::Value =
            serde_json::from_str(request["messages"][1]["content"].as_str().unwrap()).unwrap();
        for slot in task["slots"].as_array().unwrap().iter().filter(|s| s["slot_index"] == 0) {
            *morning.entry(slot["suggested_format"].as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    let favourite = morning.iter().max_by_key(|(_, n)| **n).map(|(f, _)| f.clone());
    assert_eq!(favourite.as_deref(), Some("talking_head"), "{morning:?}");
    assert!(morning.contains_key("story") && morning.contains_key("tutorial"), "{morning:?}");
    // The simulated model follows the guidance, as a real one is asked to.
    let slots = json_body(
        app.get(&format!("/api/orgs/{org}/plans/{}/slots", second["plan_id"].as_str().unwrap()), &viewer).await,
    )
    .await;
    assert!(slots[0]["rationale"].as_str().unwrap().contains("builds on \"Boil pasta in half the water\""), "{slots}");
}

/// Plans say which model drafted them, and plainly when that was the
/// small offline stand-in (`LLM_PLACEHOLDER`), so nobody takes its drafts
/// for posts.
#[tokio::test]
async fn a_plan_says_which_model_drafted_it_and_when_it_was_the_offline_stand_in() {
    for placeholder in [false, true] {
        let app = TestApp::spawn_with(crate::helpers::Storage::Local, |c| c.llm.placeholder = placeholder).await;
        let owner = app.user("planner").await;
        let org = app.create_org(&owner, "Drafts").await;
        let project = app.create_project(&owner, org, json!({"name": "Cooking"})).await;
        let started = app
            .post_json(
                &format!("/api/orgs/{org}/projects/{project}/plans"),
                &owner,
                json!({"start_date": "2031-05-04"}),
            )
            .await;
        let plan = json_body(started).await["plan_id"].as_str().unwrap().to_owned();
        let ready = wait_for_plan(&app, &owner, org, &plan, "ready").await;
        assert_eq!(ready["drafted_by"], "sim/planner", "{ready}");
        assert_eq!(ready["drafted_offline"], placeholder, "{ready}");
    }
}

/// The creative agent plans the month's series from what rises in the
/// project's own results (the trend agent's findings), and every batch is
/// drafted inside them.
#[tokio::test]
async fn the_creative_agent_plans_series_from_what_rises_and_every_slot_is_drafted_in_its_series() {
    let app = TestApp::spawn().await;
    let owner = app.user("creative").await;
    let org = app.create_org(&owner, "Series Studio").await;
    let project = app.create_project(&owner, org, json!({"name": "Pasta", "niche": "home cooking"})).await;
    let plans = format!("/api/orgs/{org}/projects/{project}/plans");
    let first = json_body(app.post_json(&plans, &owner, json!({"start_date": "2031-07-01"})).await).await;
    let first = first["plan_id"].as_str().unwrap().to_owned();
    wait_for_plan(&app, &owner, org, &first, "ready").await;

    rising_posts(&app, &first).await;

    let before = app.llm.requests().len();
    let second = json_body(app.post_json(&plans, &owner, json!({"start_date": "2031-08-01"})).await).await;
    let second = second["plan_id"].as_str().unwrap().to_owned();
    wait_for_plan(&app, &owner, org, &second, "ready").await;
    let plan = json_body(app.get(&format!("/api/orgs/{org}/plans/{second}"), &owner).await).await;
    let brief = &plan["brief"];
    let rising: Vec<&str> =
        brief["trends"]["rising"].as_array().unwrap().iter().map(|r| r["value"].as_str().unwrap()).collect();
    assert_eq!(rising, ["#pasta", "09:00", "tutorial"], "{brief}");
    assert_eq!(
        (brief["trends"]["recent_posts"].as_i64(), brief["trends"]["earlier_posts"].as_i64()),
        (Some(2), Some(2))
    );
    let series = brief["series"].as_array().unwrap();
    assert_eq!(series.len(), 3, "{brief}");
    assert!(series[0]["angle"].as_str().unwrap().contains("#pasta"), "the series builds on what rises: {brief}");

    let requests = app.llm.requests()[before..].to_vec();
    let task = |r: &serde_json::Value| -> serde_json::Value {
        serde_json::from_str(r["messages"][1]["content"].as_str().unwrap()).unwrap()
    };
    assert_eq!(task(&requests[0])["task"], "creative", "the creative agent goes first");
    assert_eq!(task(&requests[0])["what_rises"]["rising"][0]["value"], "#pasta");
    let drafting: Vec<serde_json::Value> = requests[1..].iter().map(task).collect();
    assert_eq!(drafting.len(), 5, "then one call per batch");
    for task in &drafting {
        assert_eq!(task["what_rises"]["rising"][0]["value"], "#pasta", "{task}");
        for slot in task["slots"].as_array().unwrap() {
            let day = slot["day_index"].as_i64().unwrap() + 1;
            let expected =
                &series.iter().find(|s| s["days"].as_array().unwrap().contains(&json!(day))).unwrap()["name"];
            assert_eq!(&slot["series"]["name"], expected, "day {day} is drafted in its series: {slot}");
        }
    }
    let calls = json_body(app.get(&format!("/api/orgs/{org}/plans/{second}/llm-calls"), &owner).await).await;
    let creative: Vec<&serde_json::Value> =
        calls.as_array().unwrap().iter().filter(|c| c["purpose"] == "creative").collect();
    assert_eq!(creative.len(), 1);
    assert_eq!(creative[0]["prompt_versions"], json!({"creative": 1, "brand_voice": 0}));

    // Regenerating keeps the month's series people have seen.
    let regen = app.post_json(&format!("/api/orgs/{org}/plans/{second}/regenerate"), &owner, json!({})).await;
    assert_eq!(regen.status(), 202, "{}", regen.text().await.unwrap());
    wait_for_plan(&app, &owner, org, &second, "ready").await;
    let again = json_body(app.get(&format!("/api/orgs/{org}/plans/{second}"), &owner).await).await;
    assert_eq!(again["brief"], *brief);
}

/// Four of the plan's slots went out as tutorials tagged #pasta: 500 views
/// each three weeks ago, 5,000 each this week.
async fn rising_posts(app: &TestApp, plan: &str) {
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    for (day, days_ago, views) in [(0, 20, 500), (1, 19, 500), (2, 3, 5_000), (3, 2, 5_000)] {
        db.execute_unprepared(&format!(
            "WITH s AS (UPDATE slots SET status = 'published', format = 'tutorial', hashtags = '[\"#pasta\"]' WHERE id = \
               (SELECT id FROM slots WHERE plan_id = '{plan}' AND day_index = {day} AND slot_index = 0) RETURNING id, org_id),
             p AS (INSERT INTO publications (id, org_id, slot_id, post_mode, status, published_at)
                   SELECT gen_random_uuid(), org_id, id, 'direct', 'published', now() - interval '{days_ago} days' FROM s
                   RETURNING id, org_id)
             INSERT INTO post_metrics (id, org_id, publication_id, captured_at, view_count, like_count, comment_count, share_count)
             SELECT gen_random_uuid(), org_id, id, now(), {views}, 1, 1, 1 FROM p"
        ))
        .await
        .unwrap();
    }
}

/// Waits until `n` runs of the project's weekly analytics have completed.
async fn analytics_runs_completed(app: &TestApp, schedule: &str, n: usize) {
    use futures::StreamExt;
    let state = crate::helpers::state_for(app.config.clone()).await;
    let query = format!("WorkflowId STARTS_WITH '{schedule}' AND ExecutionStatus = 'Completed'");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = state
            .temporal
            .list_workflows(query.clone(), temporalio_client::WorkflowListOptions::builder().limit(10).build());
        if listed.collect::<Vec<_>>().await.len() >= n {
            return;
        }
        assert!(Instant::now() < deadline, "the analytics run never completed");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The analytics agent: a weekly schedule per project from its creation,
/// nothing asked before any post has results, then a summary of what worked
/// and what to try that the project page reads; gone with the project.
#[tokio::test]
async fn the_analytics_agent_sums_up_a_projects_week_on_its_schedule() {
    let app = TestApp::spawn().await;
    let owner = app.user("analyst").await;
    let org = app.create_org(&owner, "Weekly Studio").await;
    let viewer = app.member(org, &owner, "viewer").await;
    let project = app.create_project(&owner, org, json!({"name": "Pasta", "niche": "home cooking"})).await;
    let schedule = temporal::analytics::analytics_schedule_id(org, project);
    let state = crate::helpers::state_for(app.config.clone()).await;
    state.temporal.get_schedule_handle(&schedule).describe(Default::default()).await.expect("created with the project");
    let summaries = format!("/api/orgs/{org}/projects/{project}/summaries");

    assert_error(app.post_json(&summaries, &viewer, json!({})).await, 403, "forbidden").await;
    let before = app.llm.requests().len();
    let res = app.post_json(&summaries, &owner, json!({})).await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    analytics_runs_completed(&app, &schedule, 1).await;
    assert_eq!(app.llm.requests().len(), before, "nothing measured, nothing asked");
    assert_eq!(json_body(app.get(&summaries, &viewer).await).await, json!([]));

    let plans = format!("/api/orgs/{org}/projects/{project}/plans");
    let plan = json_body(app.post_json(&plans, &owner, json!({"start_date": "2031-07-01"})).await).await;
    let plan = plan["plan_id"].as_str().unwrap().to_owned();
    wait_for_plan(&app, &owner, org, &plan, "ready").await;
    rising_posts(&app, &plan).await;
    assert_eq!(app.post_json(&summaries, &owner, json!({})).await.status(), 202);
    analytics_runs_completed(&app, &schedule, 2).await;
    let listed = json_body(app.get(&summaries, &viewer).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let week = &listed[0];
    assert_eq!(week["summary"]["headline"], "4 posts measured this week");
    assert!(week["summary"]["worked"][0].as_str().unwrap().contains("5000 views"), "{week}");
    assert!(week["summary"]["try_next"][0].as_str().unwrap().contains("#pasta"), "{week}");
    assert_eq!(week["summary"]["posts_measured"], 4);
    assert_eq!(week["prompt_version"], 1);
    let monday = chrono::NaiveDate::parse_from_str(week["week_start"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!(chrono::Datelike::weekday(&monday), chrono::Weekday::Mon);

    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let audited = db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!(
                "SELECT count(*)::bigint AS n FROM llm_calls WHERE project_id = '{project}' AND purpose = 'analytics' \
                     AND prompt_versions = '{{\"analytics\": 1}}'::jsonb AND outcome = 'ok'"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audited.try_get::<i64>("", "n").unwrap(), 1, "the agent's call is audited with its prompt version");

    // Asked again the same week, the week's summary is replaced, not repeated.
    assert_eq!(app.post_json(&summaries, &owner, json!({})).await.status(), 202);
    analytics_runs_completed(&app, &schedule, 3).await;
    assert_eq!(json_body(app.get(&summaries, &viewer).await).await.as_array().unwrap().len(), 1);

    assert_eq!(
        app.call("DELETE", &format!("/api/orgs/{org}/projects/{project}"), Some(&owner), None).await.status(),
        204
    );
    let described = state.temporal.get_schedule_handle(&schedule).describe(Default::default()).await;
    assert!(described.is_err(), "the schedule goes with the project");
}

/// The scheduler proposes posting times from results: a time far weaker
/// than the best one moves next to it, once each has three measured posts.
#[tokio::test]
async fn the_scheduler_proposes_moving_a_weak_posting_time_next_to_the_best_one() {
    let app = TestApp::spawn().await;
    let owner = app.user("scheduler").await;
    let org = app.create_org(&owner, "Timing Studio").await;
    let project = app.create_project(&owner, org, json!({"name": "Pasta"})).await;
    let plans = format!("/api/orgs/{org}/projects/{project}/plans");
    let plan = json_body(app.post_json(&plans, &owner, json!({"start_date": "2031-07-01"})).await).await;
    let plan = plan["plan_id"].as_str().unwrap().to_owned();
    wait_for_plan(&app, &owner, org, &plan, "ready").await;
    let performance = format!("/api/orgs/{org}/projects/{project}/performance");
    assert!(json_body(app.get(&performance, &owner).await).await["proposed_posting_times"].is_null());

    // 09:00 (slot 0) drew 100 views three times, 19:00 (slot 2) 5,000.
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    for (day, slot, views) in [(0, 0, 100), (1, 0, 100), (2, 0, 100), (0, 2, 5_000), (1, 2, 5_000), (2, 2, 5_000)] {
        db.execute_unprepared(&format!(
            "WITH s AS (UPDATE slots SET status = 'published' WHERE id = \
               (SELECT id FROM slots WHERE plan_id = '{plan}' AND day_index = {day} AND slot_index = {slot}) RETURNING id, org_id),
             p AS (INSERT INTO publications (id, org_id, slot_id, post_mode, status, published_at)
                   SELECT gen_random_uuid(), org_id, id, 'direct', 'published', now() FROM s RETURNING id, org_id)
             INSERT INTO post_metrics (id, org_id, publication_id, captured_at, view_count, like_count, comment_count, share_count)
             SELECT gen_random_uuid(), org_id, id, now(), {views}, 1, 1, 1 FROM p"
        ))
        .await
        .unwrap();
    }
    let proposed = json_body(app.get(&performance, &owner).await).await["proposed_posting_times"].clone();
    assert_eq!(proposed["times"], json!(["13:00", "19:00", "20:00"]), "{proposed}");
    assert!(
        proposed["reason"].as_str().unwrap().starts_with("19:00 averages 5000 views, 09:00 only 100"),
        "{proposed}"
    );
    // Applying it is an ordinary settings change.
    let res = app
        .call(
            "PATCH",
            &format!("/api/orgs/{org}/projects/{project}"),
            Some(&owner),
            Some(json!({"posting_times": proposed["times"]})),
        )
        .await;
    assert_eq!(json_body(res).await["posting_times"], proposed["times"]);
}
