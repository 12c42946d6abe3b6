//! Budgets are taken inside the step that spends, atomically, and every
//! project has the platform's default unless it sets less.

use crate::helpers::{TestApp, json_body};
use domain::usage::budgets::{self, Meter};
use platform::config::{BudgetDefaults, Limit};
use serde_json::json;
use std::time::{Duration, Instant};

/// Twenty reservations racing for a budget that fits seven: exactly seven
/// are taken, and what is held never passes the limit.
#[tokio::test]
async fn twenty_concurrent_reservations_cannot_overshoot_a_budget() {
    let app = TestApp::spawn().await;
    let owner = app.user("budget").await;
    let org = app.create_org(&owner, "Budget Co").await;
    let project_id = app.create_project(&owner, org, json!({"name": "Tight"})).await;
    let state = crate::helpers::state_for(app.config.clone()).await;
    let scope = domain::OrgScope::new(org);
    let project = domain::planning::projects::get(&state.db, &scope, project_id).await.unwrap();
    let defaults = BudgetDefaults { monthly_video_seconds: Limit(Some(70)), ..app.config.budgets };

    let attempts = (0..20).map(|_| {
        let (db, project) = (state.db.clone(), project.clone());
        tokio::spawn(async move {
            budgets::reserve(
                &db,
                &scope,
                Meter::VideoSeconds,
                Some(&project),
                &defaults,
                10,
                chrono::Duration::minutes(5),
            )
            .await
        })
    });
    let results: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    let taken = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(taken, 7, "70 s fit seven 10 s renders: {results:?}");
    let refusal = results.iter().find_map(|r| r.as_ref().err()).unwrap().to_string();
    assert!(refusal.contains("70 s of video") && refusal.contains("monthly video budget"), "{refusal}");

    // A released reservation gives its share back.
    let first = results.iter().find_map(|r| r.as_ref().ok()).copied().unwrap();
    budgets::release(&state.db, &scope, first).await.unwrap();
    let again = budgets::reserve(
        &state.db,
        &scope,
        Meter::VideoSeconds,
        Some(&project),
        &defaults,
        10,
        chrono::Duration::minutes(5),
    )
    .await;
    assert!(again.is_ok(), "{again:?}");
}

/// The request-time check passes (nothing is spent yet), but the model
/// call's own reservation does not fit: the improve stops before the model
/// is asked, with the budget named.
#[tokio::test]
async fn a_model_call_that_does_not_fit_the_budget_is_never_made() {
    let app = TestApp::spawn_with(crate::helpers::Storage::Local, |config| {
        // Far below what one drafting call can cost.
        config.budgets.monthly_llm_micros = Limit(Some(500));
    })
    .await;
    let owner = app.user("frugal").await;
    let org = app.create_org(&owner, "Frugal Co").await;
    let project = app.create_project(&owner, org, json!({"name": "Frugal"})).await;
    let res = app
        .post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), &owner, json!({"start_date": "2031-05-01"}))
        .await;
    assert_eq!(res.status(), 202, "nothing is spent yet, so the early check passes");
    let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let failed = loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), &owner).await).await;
        if view["status"] == "failed" {
            break view;
        }
        assert!(Instant::now() < deadline, "the plan never stopped: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let reason = failed["failure"].as_str().unwrap();
    assert!(reason.contains("monthly LLM budget") && reason.contains("of its $0.0005"), "{reason}");
    assert!(app.llm.requests().is_empty(), "the model was never called");
    let usage = json_body(app.get(&format!("/api/orgs/{org}/projects/{project}/usage"), &owner).await).await;
    assert_eq!(usage["llm_cost_micros_this_month"], 0);
    assert_eq!(usage["monthly_llm_budget_micros"], 500, "the platform default is the budget in force: {usage}");
}

/// Storage is the org's quota: an upload past it is refused before a byte
/// is stored, with the quota named.
#[tokio::test]
async fn uploads_past_the_storage_quota_are_refused_before_anything_is_stored() {
    let app = TestApp::spawn_with(crate::helpers::Storage::Local, |config| {
        config.budgets.storage_bytes = Limit(Some(1500));
    })
    .await;
    let owner = app.user("hoarder").await;
    let org = app.create_org(&owner, "Full Co").await;
    let png = |size: usize| {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x0a\0\0\0\x0a".to_vec();
        bytes.resize(size, 0);
        bytes
    };
    let upload = |bytes: Vec<u8>| {
        app.http
            .post(app.url(&format!("/api/orgs/{org}/uploads")))
            .bearer_auth(&owner.token)
            .header("content-type", "image/png")
            .body(bytes)
            .send()
    };
    assert_eq!(upload(png(1000)).await.unwrap().status(), 201);
    let body = crate::helpers::assert_error(upload(png(1000)).await.unwrap(), 402, "budget_exceeded").await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("storage quota") && message.contains("the organisation"), "{message}");
    assert_eq!(upload(png(400)).await.unwrap().status(), 201, "what still fits is taken");
    let stored = walk_files(match &app.config.storage {
        platform::config::StorageConfig::Local { dir } => dir,
        other => panic!("{other:?}"),
    });
    assert_eq!(stored, 2, "the refused upload stored nothing");
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map_or(0, |entries| entries.flatten().map(|e| if e.path().is_dir() { walk_files(&e.path()) } else { 1 }).sum())
}
