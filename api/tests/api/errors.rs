//! Malformed requests get a 4xx JSON error with a code and the request id,
//! never a 500.

use crate::helpers::{TestApp, assert_error};
use serde_json::json;

#[tokio::test]
async fn malformed_requests_get_coded_4xx_errors() {
    let app = TestApp::spawn().await;
    let owner = app.user("errors").await;
    let org = app.create_org(&owner, "Errors Inc").await;
    let projects = format!("/api/orgs/{org}/projects");
    let post_raw = |body: &'static str, json_type: bool| {
        let mut req = app.http.post(app.url(&projects)).bearer_auth(&owner.token).body(body);
        if json_type {
            req = req.header("content-type", "application/json");
        }
        req.send()
    };

    assert_error(post_raw("{not json", true).await.unwrap(), 400, "malformed_json").await;
    assert_error(post_raw(r#"{"name":"x"}"#, false).await.unwrap(), 415, "unsupported_media_type").await;

    let res = app.post_json(&projects, &owner, json!({"name": "x", "colour": "red"})).await;
    assert_error(res, 400, "invalid_body").await;

    let res = app.post_json(&projects, &owner, json!({"name": 42})).await;
    assert_error(res, 400, "invalid_body").await;

    let res = app.post_json(&projects, &owner, json!({"name": "x", "timezone": "Mars/Olympus"})).await;
    let body = assert_error(res, 422, "validation_failed").await;
    assert_eq!(body["error"]["field"], "timezone");

    let res = app.post_json(&projects, &owner, json!({"name": "x", "posting_times": ["9am"]})).await;
    assert_error(res, 422, "validation_failed").await;

    assert_error(app.get("/api/orgs/not-a-uuid/projects", &owner).await, 400, "invalid_path_parameter").await;
    assert_error(app.get(&format!("{projects}/not-a-uuid"), &owner).await, 400, "invalid_path_parameter").await;
    let res = app.get(&format!("/api/orgs/{}/projects", uuid::Uuid::new_v4()), &owner).await;
    assert_error(res, 404, "not_found").await;
    // Every slot route answers 404 for a slot that does not exist (metrics used to say 200 []).
    let res = app.get(&format!("/api/orgs/{org}/slots/{}/metrics", uuid::Uuid::new_v4()), &owner).await;
    assert_error(res, 404, "not_found").await;
    assert_error(app.get("/api/nothing-here", &owner).await, 404, "not_found").await;

    let res = app.http.delete(app.url("/healthz")).send().await.unwrap();
    assert_error(res, 405, "method_not_allowed").await;

    let huge = "x".repeat(3 * 1024 * 1024);
    assert_error(app.post_json(&projects, &owner, json!({"name": huge})).await, 413, "payload_too_large").await;
    let res = app.call("POST", "/api/auth/login", None, Some(json!({"email": "a@b.test", "password": huge}))).await;
    assert_error(res, 413, "payload_too_large").await;

    let res = app
        .post_json(&format!("{projects}/{}/plans", uuid::Uuid::new_v4()), &owner, json!({"start_date": "2031-02-30"}))
        .await;
    assert_error(res, 400, "invalid_body").await;

    assert_eq!(app.post_json(&projects, &owner, json!({"name": "dup"})).await.status(), 201);
    assert_error(app.post_json(&projects, &owner, json!({"name": "dup"})).await, 409, "conflict").await;

    // Without a token, or with a bad one: 401 with the same shape.
    let res = app.call("GET", &projects, None, None).await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_error(res, 401, "unauthenticated").await;
    let res = app.http.get(app.url(&projects)).bearer_auth("rpa_forged").send().await.unwrap();
    assert_error(res, 401, "unauthenticated").await;
}

/// PostgreSQL cannot store NUL in text; before the extractor refused it,
/// each of these answered 500 (two of them without signing in).
#[tokio::test]
async fn text_with_nul_is_refused_as_422_everywhere() {
    let app = TestApp::spawn().await;
    let owner = app.user("nul").await;
    let org = app.create_org(&owner, "Nul Inc").await;
    let project = app.create_project(&owner, org, json!({"name": "Nul project"})).await;
    let nul = "a\u{0}b@example.com";

    let anonymous = [
        ("/api/auth/password/forgot", json!({"email": nul}), "email"),
        ("/api/auth/login", json!({"email": nul, "password": "whatever password 1"}), "email"),
        ("/api/auth/register", json!({"email": nul, "password": "long enough password 9"}), "email"),
    ];
    for (path, body, field) in anonymous {
        let res = app.call("POST", path, None, Some(body)).await;
        let body = assert_error(res, 422, "invalid_text").await;
        assert_eq!(body["error"]["field"], field, "{path}");
        assert!(body["error"]["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{path}: {body}");
    }
    let signed_in = [
        ("POST", "/api/orgs".to_owned(), json!({"name": "Evil\u{0}Org"}), "name"),
        ("PATCH", format!("/api/orgs/{org}"), json!({"name": "Evil\u{0}Org"}), "name"),
        ("POST", format!("/api/orgs/{org}/projects"), json!({"name": "p", "niche": "x\u{0}"}), "niche"),
        (
            "PATCH",
            format!("/api/orgs/{org}/projects/{project}"),
            json!({"posting_times": ["09:00", "\u{0}"]}),
            "posting_times[1]",
        ),
        (
            "POST",
            format!("/api/orgs/{org}/projects/{project}/prompts"),
            json!({"kind": "brand_voice", "body": "calm\u{0}"}),
            "body",
        ),
        (
            "POST",
            format!("/api/orgs/{org}/credentials"),
            json!({"provider": "llm", "label": "k\u{0}", "secret": "sk-or-v1-abcdefabcdef"}),
            "label",
        ),
        ("POST", format!("/api/orgs/{org}/invitations"), json!({"email": nul, "role": "viewer"}), "email"),
    ];
    for (method, path, body, field) in signed_in {
        let res = app.call(method, &path, Some(&owner), Some(body)).await;
        let body = assert_error(res, 422, "invalid_text").await;
        assert_eq!(body["error"]["field"], field, "{method} {path}");
    }
    let res = app.get("/api/media?key=org%00x&expires=1&signature=x", &owner).await;
    assert_error(res, 422, "invalid_text").await;
    // Nothing was stored on the way.
    let orgs = crate::helpers::json_body(app.get("/api/orgs", &owner).await).await;
    assert_eq!(orgs.as_array().map(Vec::len), Some(1), "{orgs}");
}
