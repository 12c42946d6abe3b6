//! Deleting an organisation: the org is gone for its members at once, and
//! the `DeleteOrg` run leaves nothing behind: no running work, no schedule,
//! no live TikTok grant, no secret, no stored object, no row.

use crate::{
    helpers::{TestApp, User, assert_error, json_body, state_for},
    publishing::connect,
};
use futures::StreamExt;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use temporal::org::{DeletionStatus, DeletionStep, delete_org_workflow_id};
use temporalio_client::{WorkflowDescribeOptions, WorkflowGetResultOptions, WorkflowListOptions};
use uuid::Uuid;
use workflows::DeleteOrgWorkflow;

/// A PNG header (10x10) and padding.
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x0a\0\0\0\x0a".to_vec();
    bytes.extend([8, 6, 0, 0, 0]);
    bytes.extend([0u8; 300]);
    bytes
}

async fn upload(app: &TestApp, user: &User, org: Uuid) -> Value {
    let res = app
        .http
        .post(app.url(&format!("/api/orgs/{org}/uploads")))
        .bearer_auth(&user.token)
        .header("content-type", "image/png")
        .body(png())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    json_body(res).await
}

async fn add_credential(app: &TestApp, user: &User, org: Uuid) -> Uuid {
    let body = json!({"provider": "llm", "label": "k", "secret": format!("sk-or-v1-{}", Uuid::new_v4().simple())});
    let res = app.post_json(&format!("/api/orgs/{org}/credentials"), user, body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    json_body(res).await["id"].as_str().unwrap().parse().unwrap()
}

fn storage_dir(app: &TestApp) -> PathBuf {
    match &app.config.storage {
        platform::config::StorageConfig::Local { dir } => dir.clone(),
        platform::config::StorageConfig::S3(_) => panic!("these tests use the local store"),
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Rows of `org` in every table that has an `org_id`, plus its own row.
async fn rows_of(app: &TestApp, org: Uuid) -> Vec<(String, i64)> {
    let db = Database::connect(&app.database_url).await.unwrap();
    let tables: Vec<String> = db
        .query_all(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT table_name::text AS t FROM information_schema.columns
             WHERE table_schema = 'public' AND column_name = 'org_id' ORDER BY 1",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "t").unwrap())
        .collect();
    assert!(tables.len() > 10, "{tables:?}");
    let mut counts = Vec::new();
    for (table, column) in tables.iter().map(|t| (t.as_str(), "org_id")).chain([("organizations", "id")]) {
        let row = db
            .query_one(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                format!("SELECT count(*)::bigint AS n FROM {table} WHERE {column} = $1"),
                [org.into()],
            ))
            .await
            .unwrap()
            .unwrap();
        counts.push((table.to_owned(), row.try_get("", "n").unwrap()));
    }
    db.close().await.unwrap();
    counts
}

fn nonzero(counts: &[(String, i64)]) -> Vec<&(String, i64)> {
    counts.iter().filter(|(_, n)| *n > 0).collect()
}

async fn audit_count(app: &TestApp, org: Uuid, action: &str) -> i64 {
    let db = Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT count(*)::bigint AS n FROM audit_log WHERE org_id = $1 AND action = $2",
            [org.into(), action.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// The deletion's result, once its run has finished.
async fn deletion_result(app: &TestApp, org: Uuid) -> DeletionStatus {
    let state = state_for(app.config.clone()).await;
    let handle = state.temporal.get_workflow_handle::<DeleteOrgWorkflow>(&delete_org_workflow_id(org));
    tokio::time::timeout(Duration::from_secs(120), handle.get_result(WorkflowGetResultOptions::default()))
        .await
        .expect("the deletion finished in time")
        .expect("the deletion succeeded")
}

/// A run's status as Temporal reports it (running, completed, terminated...).
async fn run_status(app: &TestApp, workflow_id: &str) -> String {
    let state = state_for(app.config.clone()).await;
    api::runs::describe(&state, workflow_id).await.status
}

/// How many runs Temporal has for a workflow id.
async fn runs_of(app: &TestApp, workflow_id: &str) -> usize {
    let state = state_for(app.config.clone()).await;
    let query = format!("WorkflowId = '{workflow_id}'");
    let listed = state.temporal.list_workflows(query, WorkflowListOptions::builder().limit(10).build());
    listed.collect::<Vec<_>>().await.len()
}

/// A plan drafted and one of its slots scheduled: a `SlotPipeline` run
/// waiting at the approval gate. Returns its workflow id.
async fn waiting_pipeline(app: &TestApp, owner: &User, org: Uuid) -> String {
    let project = app.create_project(owner, org, json!({"name": "Doomed"})).await;
    let res = app
        .post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), owner, json!({"start_date": "2031-09-01"}))
        .await;
    let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let slot = loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), owner).await).await;
        if view["status"] == "ready" {
            let slots = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}/slots"), owner).await).await;
            break slots[0]["id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "{view}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    let res = app.post_json(&format!("/api/orgs/{org}/slots/{slot}/schedule"), owner, json!({})).await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = json_body(app.get(&format!("/api/orgs/{org}/slots/{slot}/pipeline"), owner).await).await;
        if view["stage"] == "waiting_for_approval" {
            return view["run"]["workflow_id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "the pipeline never waited for approval: {view}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The TikTok tokens the secret store holds for an account.
async fn stored_access_token(app: &TestApp, org: Uuid, account: &str) -> String {
    let store = platform::secrets::from_config(&app.config.secrets);
    let path = platform::secrets::SecretPath::new(org, &format!("tiktok/{account}")).unwrap();
    let stored = store.read(&path, None).await.unwrap().expect("the account's tokens are stored");
    let tokens: Value = serde_json::from_str(secrecy::ExposeSecret::expose_secret(&stored.value)).unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// Whether TikTok (the simulator) still accepts `token`.
async fn token_works(app: &TestApp, token: &str) -> bool {
    let url = format!("{}{}", app.config.tiktok.api_base, testkit::tiktok::CREATOR_INFO);
    app.http.post(url).bearer_auth(token).json(&json!({})).send().await.unwrap().status().is_success()
}

fn revokes(app: &TestApp) -> usize {
    app.tiktok.requests().iter().filter(|r| r.path.starts_with(testkit::tiktok::REVOKE)).count()
}

#[tokio::test]
async fn deleting_an_org_hides_it_at_once_and_its_run_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Doomed Co").await;
    let admin = app.member(org, &owner, "admin").await;
    let account = connect(&app, &owner, org).await;
    let access_token = stored_access_token(&app, org, &account).await;
    assert!(token_works(&app, &access_token).await);
    let credential = add_credential(&app, &owner, org).await;
    let uploaded = upload(&app, &owner, org).await;
    let pipeline = waiting_pipeline(&app, &owner, org).await;
    let account_id: Uuid = account.parse().unwrap();
    let refresh_run = temporal::ids::tiktok_refresh_workflow_id(org, account_id);
    assert_eq!(run_status(&app, &refresh_run).await, "running");
    let state = state_for(app.config.clone()).await;
    let schedule = temporal::ids::metrics_schedule_id(org, account_id);
    state.temporal.get_schedule_handle(&schedule).describe(Default::default()).await.expect("the schedule exists");
    let projects = json_body(app.get(&format!("/api/orgs/{org}/projects"), &owner).await).await;
    let project: Uuid = projects[0]["id"].as_str().unwrap().parse().unwrap();
    let analytics = temporal::analytics::analytics_schedule_id(org, project);
    let handle = state.temporal.get_schedule_handle(&analytics);
    handle.describe(Default::default()).await.expect("the project's weekly analytics schedule exists");
    let org_dir = storage_dir(&app).join("org").join(org.to_string());
    assert!(!files_under(&org_dir).is_empty(), "the upload is stored under {}", org_dir.display());
    assert!(uploaded["id"].is_string(), "{uploaded}");

    // Another org, with a secret and an object of its own, is left alone.
    let neighbour = app.user("neighbour").await;
    let other = app.create_org(&neighbour, "Neighbour").await;
    let other_credential = add_credential(&app, &neighbour, other).await;
    upload(&app, &neighbour, other).await;

    // Only the owner may delete.
    assert_error(app.call("DELETE", &format!("/api/orgs/{org}"), Some(&admin), None).await, 403, "forbidden").await;

    // Two requests at once: one marks the org, both answer the same run.
    let path = format!("/api/orgs/{org}");
    let (first, second) =
        tokio::join!(app.call("DELETE", &path, Some(&owner), None), app.call("DELETE", &path, Some(&owner), None));
    assert_eq!(first.status(), 202);
    assert_eq!(second.status(), 202);
    let (first, second) = (json_body(first).await, json_body(second).await);
    assert_eq!(first["workflow_id"], delete_org_workflow_id(org).as_str(), "{first}");
    assert_eq!(second["workflow_id"], first["workflow_id"], "{second}");
    assert!(first["temporal_ui_url"].as_str().unwrap().ends_with(&delete_org_workflow_id(org)), "{first}");

    // Gone for every member from the answer on.
    for user in [&owner, &admin] {
        assert_error(app.get(&path, user).await, 404, "not_found").await;
        assert_error(app.get(&format!("{path}/projects"), user).await, 404, "not_found").await;
        let listed = json_body(app.get("/api/orgs", user).await).await;
        assert!(listed.as_array().unwrap().iter().all(|o| o["id"] != org.to_string()), "{listed}");
    }
    assert_error(app.call("DELETE", &path, Some(&admin), None).await, 404, "not_found").await;

    let result = deletion_result(&app, org).await;
    assert_eq!(result.step, DeletionStep::Done);
    assert_eq!(result.tiktok_accounts, 1, "{result:?}");
    assert_eq!(result.secrets, 2, "the credential and the account's tokens: {result:?}");
    assert_eq!(result.objects, 1, "{result:?}");
    assert_eq!(result.stopped.schedules, 2, "metrics of the account, analytics of the project: {result:?}");
    assert!(result.stopped.runs >= 2, "the token refresh and the pipeline: {result:?}");
    assert_eq!(runs_of(&app, &delete_org_workflow_id(org)).await, 1, "one run for both requests");

    // No work of the org is left: its pipeline and token refresh were
    // stopped, its metrics schedule is gone.
    assert_eq!(run_status(&app, &pipeline).await, "terminated");
    assert_eq!(run_status(&app, &refresh_run).await, "terminated");
    let described = state.temporal.get_schedule_handle(&schedule).describe(Default::default()).await;
    assert!(described.is_err(), "the metrics schedule is deleted");
    let described = state.temporal.get_schedule_handle(&analytics).describe(Default::default()).await;
    assert!(described.is_err(), "the analytics schedule is deleted");

    // TikTok revoked the grant.
    assert_eq!(revokes(&app), 1);
    assert!(!token_works(&app, &access_token).await, "the account's token is revoked at TikTok");

    // No secret at the org's paths, no stored object, no row.
    let store = platform::secrets::from_config(&app.config.secrets);
    for rest in [format!("credentials/{credential}"), format!("tiktok/{account}")] {
        let path = platform::secrets::SecretPath::new(org, &rest).unwrap();
        assert!(store.read(&path, None).await.unwrap().is_none(), "{rest} is destroyed");
    }
    assert_eq!(files_under(&org_dir), Vec::<PathBuf>::new());
    let left = rows_of(&app, org).await;
    assert!(nonzero(&left).is_empty(), "rows of the deleted org remain: {:?}", nonzero(&left));

    // The neighbour's secret, object and rows are untouched.
    let path = platform::secrets::SecretPath::new(other, &format!("credentials/{other_credential}")).unwrap();
    assert!(store.read(&path, None).await.unwrap().is_some());
    assert_eq!(files_under(&storage_dir(&app).join("org").join(other.to_string())).len(), 1);
    assert_eq!(app.get(&format!("/api/orgs/{other}"), &neighbour).await.status(), 200);

    // Deleted: nothing left to delete.
    assert_error(app.call("DELETE", &format!("/api/orgs/{org}"), Some(&owner), None).await, 404, "not_found").await;
}

#[tokio::test]
async fn a_deletion_requested_while_no_worker_runs_hides_the_org_and_finishes_when_one_returns() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Patient Co").await;
    upload(&app, &owner, org).await;
    app.crash_worker();

    let path = format!("/api/orgs/{org}");
    let first = app.call("DELETE", &path, Some(&owner), None).await;
    assert_eq!(first.status(), 202);
    let first = json_body(first).await;
    assert_eq!(first["status"], "running", "{first}");
    assert_error(app.get(&path, &owner).await, 404, "not_found").await;
    // Repeated, it answers the same run; the request is audited once.
    let again = json_body(app.call("DELETE", &path, Some(&owner), None).await).await;
    assert_eq!(again["workflow_id"], first["workflow_id"]);
    assert_eq!(audit_count(&app, org, "org.deletion_requested").await, 1);
    assert_eq!(runs_of(&app, &delete_org_workflow_id(org)).await, 1);

    app.start_worker();
    let result = deletion_result(&app, org).await;
    assert_eq!((result.step, result.objects), (DeletionStep::Done, 1), "{result:?}");
    assert!(nonzero(&rows_of(&app, org).await).is_empty());
    assert!(files_under(&storage_dir(&app).join("org").join(org.to_string())).is_empty());
}

#[tokio::test]
async fn a_worker_crash_mid_deletion_repeats_the_step_and_the_deletion_completes() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Crashy Co").await;
    let account = connect(&app, &owner, org).await;
    let access_token = stored_access_token(&app, org, &account).await;
    upload(&app, &owner, org).await;
    // TikTok revokes, then keeps the worker waiting: the crash comes while
    // the revoke step is in flight.
    app.tiktok.timeout_after_side_effect(testkit::tiktok::REVOKE, 1);
    let res = app.call("DELETE", &format!("/api/orgs/{org}"), Some(&owner), None).await;
    assert_eq!(res.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(30);
    while revokes(&app) == 0 {
        assert!(Instant::now() < deadline, "the deletion never reached TikTok");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.crash_worker();
    let state = state_for(app.config.clone()).await;
    let handle = state.temporal.get_workflow_handle::<DeleteOrgWorkflow>(&delete_org_workflow_id(org));
    let described = handle.describe(WorkflowDescribeOptions::default()).await.unwrap();
    assert_eq!(format!("{:?}", described.status()).to_lowercase(), "running");
    assert_error(app.get(&format!("/api/orgs/{org}"), &owner).await, 404, "not_found").await;

    app.start_worker();
    let result = deletion_result(&app, org).await;
    assert_eq!(result.step, DeletionStep::Done);
    assert_eq!((result.tiktok_accounts, result.objects), (1, 1), "{result:?}");
    assert_eq!(revokes(&app), 2, "the interrupted step ran again");
    assert!(!token_works(&app, &access_token).await);
    let store = platform::secrets::from_config(&app.config.secrets);
    let path = platform::secrets::SecretPath::new(org, &format!("tiktok/{account}")).unwrap();
    assert!(store.read(&path, None).await.unwrap().is_none());
    assert!(nonzero(&rows_of(&app, org).await).is_empty());
    assert!(files_under(&storage_dir(&app).join("org").join(org.to_string())).is_empty());
}
