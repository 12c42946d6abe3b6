//! Malformed requests get a 4xx JSON error with a code and the request id,
//! never a 500.

use crate::helpers::{TestApp, assert_error};
use serde_json::json;

#[tokio::test]
async fn malformed_requests_get_coded_4xx_errors() {
    let app = TestApp::spawn().await;
    let org = app.create_org("Errors Inc").await;
    let projects = format!("/api/orgs/{org}/projects");

    let res = app
        .http
        .post(app.url(&projects))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "malformed_json").await;

    let res = app
        .http
        .post(app.url(&projects))
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_error(res, 415, "unsupported_media_type").await;

    let res = app
        .post_json(&projects, json!({"name": "x", "colour": "red"}))
        .await;
    assert_error(res, 400, "invalid_body").await;

    let res = app.post_json(&projects, json!({"name": 42})).await;
    assert_error(res, 400, "invalid_body").await;

    let res = app
        .post_json(&projects, json!({"name": "x", "timezone": "Mars/Olympus"}))
        .await;
    let body = assert_error(res, 422, "validation_failed").await;
    assert_eq!(body["error"]["field"], "timezone");

    let res = app
        .post_json(&projects, json!({"name": "x", "posting_times": ["9am"]}))
        .await;
    assert_error(res, 422, "validation_failed").await;

    let res = app.get("/api/orgs/not-a-uuid/projects").await;
    assert_error(res, 400, "invalid_path_parameter").await;

    let res = app
        .get(&format!("/api/orgs/{org}/projects/not-a-uuid"))
        .await;
    assert_error(res, 400, "invalid_path_parameter").await;

    let res = app
        .get(&format!("/api/orgs/{}/projects", uuid::Uuid::new_v4()))
        .await;
    assert_error(res, 404, "not_found").await;

    let res = app.get("/api/nothing-here").await;
    assert_error(res, 404, "not_found").await;

    let res = app.http.delete(app.url("/healthz")).send().await.unwrap();
    assert_error(res, 405, "method_not_allowed").await;

    let huge = "x".repeat(3 * 1024 * 1024);
    let res = app.post_json(&projects, json!({"name": huge})).await;
    assert_error(res, 413, "payload_too_large").await;

    let res = app
        .post_json(
            &format!("/api/orgs/{org}/projects/{}/plans", uuid::Uuid::new_v4()),
            json!({"start_date": "2031-02-30"}),
        )
        .await;
    assert_error(res, 400, "invalid_body").await;

    let res = app.post_json(&projects, json!({"name": "dup"})).await;
    assert_eq!(res.status(), 201);
    let res = app.post_json(&projects, json!({"name": "dup"})).await;
    assert_error(res, 409, "conflict").await;
}
