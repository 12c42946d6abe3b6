//! Walks every route of the OpenAPI document with every role and checks the
//! answer against the one permission matrix (`domain::identity::policy`).

use crate::helpers::{TestApp, User, json_body, unique_email};
use domain::identity::policy::{self, Action};
use entities::memberships::Role;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

#[derive(Clone, Copy, Debug)]
enum Access {
    Public,
    SignedIn,
    Org(Action),
}

/// Every route, what it requires; the test fails if the OpenAPI document
/// and this table ever disagree, so a new route cannot skip this walk.
const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Access::Public),
    ("GET", "/readyz", Access::Public),
    ("GET", "/api/media", Access::Public),
    ("POST", "/api/auth/register", Access::Public),
    ("POST", "/api/auth/verify-email", Access::Public),
    ("POST", "/api/auth/login", Access::Public),
    ("POST", "/api/auth/refresh", Access::Public),
    ("POST", "/api/auth/password/forgot", Access::Public),
    ("POST", "/api/auth/password/reset", Access::Public),
    ("POST", "/api/auth/verify-email/resend", Access::SignedIn),
    ("POST", "/api/auth/logout", Access::SignedIn),
    ("GET", "/api/me", Access::SignedIn),
    ("GET", "/api/me/sessions", Access::SignedIn),
    ("DELETE", "/api/me/sessions/{session_id}", Access::SignedIn),
    ("POST", "/api/me/sessions/revoke-others", Access::SignedIn),
    ("GET", "/api/orgs", Access::SignedIn),
    ("POST", "/api/orgs", Access::SignedIn),
    ("POST", "/api/invitations/accept", Access::SignedIn),
    ("GET", "/api/orgs/{org_id}", Access::Org(Action::Read)),
    ("PATCH", "/api/orgs/{org_id}", Access::Org(Action::RenameOrg)),
    ("GET", "/api/orgs/{org_id}/members", Access::Org(Action::Read)),
    ("PATCH", "/api/orgs/{org_id}/members/{user_id}", Access::Org(Action::ManageMembers)),
    ("DELETE", "/api/orgs/{org_id}/members/{user_id}", Access::Org(Action::ManageMembers)),
    ("POST", "/api/orgs/{org_id}/transfer-ownership", Access::Org(Action::TransferOwnership)),
    ("GET", "/api/orgs/{org_id}/invitations", Access::Org(Action::ManageMembers)),
    ("POST", "/api/orgs/{org_id}/invitations", Access::Org(Action::ManageMembers)),
    ("DELETE", "/api/orgs/{org_id}/invitations/{invitation_id}", Access::Org(Action::ManageMembers)),
    ("GET", "/api/orgs/{org_id}/projects", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/projects", Access::Org(Action::ManageProjects)),
    ("GET", "/api/orgs/{org_id}/projects/{project_id}", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/projects/{project_id}/plans", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/projects/{project_id}/plans", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/plans/{plan_id}", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/plans/{plan_id}/slots", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/plans/{plan_id}/llm-calls", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/plans/{plan_id}/regenerate", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/plans/{plan_id}/approve", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/slots/{slot_id}", Access::Org(Action::Read)),
    ("PATCH", "/api/orgs/{org_id}/slots/{slot_id}", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/approve", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/unapprove", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/reject", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/lock", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/unlock", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/improve", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/slots/{slot_id}/render", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/render", Access::Org(Action::EditContent)),
    ("DELETE", "/api/orgs/{org_id}/slots/{slot_id}/render", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/uploads", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/knowledge/search", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/knowledge/documents", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/knowledge/documents", Access::Org(Action::EditContent)),
    ("DELETE", "/api/orgs/{org_id}/knowledge/documents/{document_id}", Access::Org(Action::EditContent)),
    ("PATCH", "/api/orgs/{org_id}/assets/{asset_id}", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/policy/rules", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/policy/rules", Access::Org(Action::ManagePolicy)),
    ("PATCH", "/api/orgs/{org_id}/policy/rules/{rule_id}", Access::Org(Action::ManagePolicy)),
    ("DELETE", "/api/orgs/{org_id}/policy/rules/{rule_id}", Access::Org(Action::ManagePolicy)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/policy-override", Access::Org(Action::ManagePolicy)),
    ("GET", "/api/orgs/{org_id}/slots/{slot_id}/preview", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/preview", Access::Org(Action::EditContent)),
    ("PUT", "/api/orgs/{org_id}/slots/{slot_id}/background", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/projects/{project_id}/prompts", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/projects/{project_id}/prompts", Access::Org(Action::ManageProjects)),
    ("GET", "/api/orgs/{org_id}/projects/{project_id}/prompt-proposals", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/prompt-proposals/{proposal_id}/accept", Access::Org(Action::ManageProjects)),
    ("POST", "/api/orgs/{org_id}/prompt-proposals/{proposal_id}/dismiss", Access::Org(Action::ManageProjects)),
    ("GET", "/api/orgs/{org_id}/projects/{project_id}/usage", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/uploads", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/tiktok/connect", Access::Org(Action::ManageCredentials)),
    ("GET", "/api/tiktok/callback", Access::Public),
    ("POST", "/api/tiktok/connections/exchange", Access::SignedIn),
    ("POST", "/api/tiktok/connections/confirm", Access::SignedIn),
    ("POST", "/api/tiktok/connections/cancel", Access::SignedIn),
    ("GET", "/api/orgs/{org_id}/tiktok/accounts", Access::Org(Action::Read)),
    ("DELETE", "/api/orgs/{org_id}/tiktok/accounts/{account_id}", Access::Org(Action::ManageCredentials)),
    ("POST", "/api/orgs/{org_id}/tiktok/accounts/{account_id}/refresh-metrics", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/schedule", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/slots/{slot_id}/pipeline", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/slots/{slot_id}/publish-gate", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/publish", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/dead-letters", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/queue", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/projects/{project_id}/performance", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/projects/{project_id}/summaries", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/projects/{project_id}/summaries", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/videos", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/analytics", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/slots/{slot_id}/retry", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/slots/{slot_id}/metrics", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/credentials", Access::Org(Action::ManageCredentials)),
    ("POST", "/api/orgs/{org_id}/credentials", Access::Org(Action::ManageCredentials)),
    ("POST", "/api/orgs/{org_id}/credentials/{credential_id}/rotate", Access::Org(Action::ManageCredentials)),
    ("POST", "/api/orgs/{org_id}/credentials/{credential_id}/confirm", Access::Org(Action::ManageCredentials)),
    ("DELETE", "/api/orgs/{org_id}/credentials/{credential_id}", Access::Org(Action::ManageCredentials)),
    ("GET", "/api/orgs/{org_id}/assets/{asset_id}", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/imports", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/imports", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/imports/{import_id}", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/imports/{import_id}/cancel", Access::Org(Action::EditContent)),
    ("POST", "/api/orgs/{org_id}/imports/{import_id}/retry", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/imports/{import_id}/transcripts", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/imports/{import_id}/transcripts/search", Access::Org(Action::Read)),
    ("GET", "/api/orgs/{org_id}/imports/{import_id}/highlights", Access::Org(Action::Read)),
    ("POST", "/api/orgs/{org_id}/imports/{import_id}/slots", Access::Org(Action::EditContent)),
    ("GET", "/api/orgs/{org_id}/clips", Access::Org(Action::Read)),
    ("PATCH", "/api/orgs/{org_id}/projects/{project_id}", Access::Org(Action::ManageProjects)),
    // Near the end: they delete what the walk uses.
    ("DELETE", "/api/orgs/{org_id}/projects/{project_id}", Access::Org(Action::ManageProjects)),
    // Last: it deletes the organisation the walk uses.
    ("DELETE", "/api/orgs/{org_id}", Access::Org(Action::DeleteOrg)),
];

async fn spec_operations(app: &TestApp) -> BTreeSet<(String, String)> {
    let spec: Value = app.http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| r.keys().any(|k| k.starts_with('4')))
                    || path.ends_with("z"),
                "{method} {path} documents no error responses"
            );
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

/// A valid body, so a refusal can only come from the policy, not validation.
fn body_for(method: &str, path: &str, n: usize) -> Option<Value> {
    let body = match (method, path) {
        ("PATCH", "/api/orgs/{org_id}") => json!({"name": format!("Renamed {n}")}),
        ("PATCH", "/api/orgs/{org_id}/members/{user_id}") => json!({"role": "viewer"}),
        ("POST", "/api/orgs/{org_id}/transfer-ownership") => json!({"user_id": Uuid::new_v4()}),
        ("POST", "/api/orgs/{org_id}/invitations") => json!({"email": unique_email("invitee"), "role": "viewer"}),
        ("POST", "/api/orgs/{org_id}/projects") => json!({"name": format!("Project {n}")}),
        ("POST", "/api/orgs/{org_id}/projects/{project_id}/plans") => {
            json!({"start_date": format!("2032-01-{:02}", n % 28 + 1)})
        }
        ("POST", "/api/orgs/{org_id}/plans/{plan_id}/approve") => {
            json!({"slots": [{"id": Uuid::new_v4(), "version": 1}]})
        }
        ("POST", "/api/orgs/{org_id}/slots/{slot_id}/approve") => json!({"version": 1}),
        ("PATCH", "/api/orgs/{org_id}/slots/{slot_id}") => json!({"caption": format!("Edited caption {n}")}),
        ("POST", "/api/orgs/{org_id}/slots/{slot_id}/improve") => json!({"instruction": "shorter"}),
        ("POST", "/api/orgs/{org_id}/slots/{slot_id}/reject") => json!({"reason": "off brand"}),
        ("PUT", "/api/orgs/{org_id}/slots/{slot_id}/background") => json!({"asset_id": null}),
        ("PATCH", "/api/orgs/{org_id}/assets/{asset_id}") => json!({"tags": [format!("tag{n}")]}),
        ("POST", "/api/orgs/{org_id}/policy/rules") => {
            json!({"name": format!("Rule {n}"), "test": {"kind": "terms", "terms": ["walked"]}, "severity": "warn"})
        }
        ("PATCH", "/api/orgs/{org_id}/policy/rules/{rule_id}") => json!({"enabled": false}),
        ("POST", "/api/orgs/{org_id}/slots/{slot_id}/policy-override") => json!({"reason": "walked through"}),
        ("POST", "/api/orgs/{org_id}/slots/{slot_id}/publish") => {
            json!({"privacy_level": "SELF_ONLY", "consent": true})
        }
        ("POST", "/api/orgs/{org_id}/credentials") => {
            json!({"provider": "tiktok", "label": format!("Key {n}"), "secret": format!("walk-secret-{n}")})
        }
        ("POST", "/api/orgs/{org_id}/credentials/{credential_id}/rotate") => {
            json!({"secret": format!("rotated-{n}-key")})
        }
        ("POST", "/api/orgs/{org_id}/projects/{project_id}/prompts") => {
            json!({"kind": "brand_voice", "body": format!("Voice {n}")})
        }
        ("PATCH", "/api/orgs/{org_id}/projects/{project_id}") => json!({"niche": format!("niche {n}")}),
        // A project that does not exist: allowed roles get 404, the rest 403.
        ("POST", "/api/orgs/{org_id}/imports") => {
            json!({"project_id": Uuid::new_v4(), "url": format!("https://example.com/watch?v={n}")})
        }
        ("POST", "/api/orgs/{org_id}/imports/{import_id}/slots") => json!({"plan_id": Uuid::new_v4()}),
        _ => return None,
    };
    Some(body)
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_says() {
    let app = TestApp::spawn().await;

    let documented = spec_operations(&app).await;
    let listed: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, listed, "the route table and the OpenAPI document must list the same routes");

    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Policy Walk").await;
    let mut members: Vec<(Role, User)> = vec![
        (Role::Viewer, app.member(org, &owner, "viewer").await),
        (Role::Editor, app.member(org, &owner, "editor").await),
        (Role::Admin, app.member(org, &owner, "admin").await),
    ];
    members.push((Role::Owner, owner.clone()));
    let target = app.member(org, &owner, "viewer").await;
    let project = app.create_project(&owner, org, json!({"name": "Walked"})).await;
    let plan = json_body(
        app.post_json(
            &format!("/api/orgs/{org}/projects/{project}/plans"),
            &owner,
            json!({"start_date": "2032-06-01"}),
        )
        .await,
    )
    .await["plan_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let slot = wait_for_slots(&app, &owner, org, &plan).await;
    let invitation = json_body(
        app.post_json(
            &format!("/api/orgs/{org}/invitations"),
            &owner,
            json!({"email": unique_email("x"), "role": "editor"}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut n = 0;
    for (method, template, access) in ROUTES {
        let path = template
            .replace("{org_id}", &org.to_string())
            .replace("{project_id}", &project.to_string())
            .replace("{plan_id}", &plan)
            .replace("{user_id}", &target.id.to_string())
            .replace("{invitation_id}", &invitation)
            .replace("{slot_id}", &slot)
            .replace("{asset_id}", &Uuid::new_v4().to_string())
            .replace("{credential_id}", &Uuid::new_v4().to_string())
            .replace("{account_id}", &Uuid::new_v4().to_string())
            .replace("{session_id}", &Uuid::new_v4().to_string())
            .replace("{import_id}", &Uuid::new_v4().to_string())
            .replace("{document_id}", &Uuid::new_v4().to_string())
            .replace("{rule_id}", &Uuid::new_v4().to_string())
            .replace("{proposal_id}", &Uuid::new_v4().to_string());
        match access {
            Access::Public => {
                n += 1;
                let res = app.call(method, &path, None, body_for(method, template, n).or(Some(json!({})))).await;
                assert_ne!(res.status(), 401, "{method} {template} is public");
            }
            Access::SignedIn => {
                let res = app.call(method, &path, None, Some(json!({}))).await;
                assert_eq!(res.status(), 401, "{method} {template} must require a token");
            }
            Access::Org(action) => {
                let res = app.call(method, &path, None, body_for(method, template, n)).await;
                assert_eq!(res.status(), 401, "{method} {template} must require a token");
                for (role, user) in &members {
                    n += 1;
                    let res = app.call(method, &path, Some(user), body_for(method, template, n)).await;
                    let status = res.status().as_u16();
                    let text = res.text().await.unwrap();
                    if policy::allows(*role, *action) {
                        assert!(
                            status < 500 && status != 401 && status != 403,
                            "{role:?} may {action:?}: {method} {template} gave {status} {text}"
                        );
                    } else {
                        assert_eq!(
                            status, 403,
                            "{role:?} may not {action:?}: {method} {template} gave {status} {text}"
                        );
                        assert!(text.contains("\"forbidden\""), "{text}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_change_anything() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Read Only").await;
    let viewer = app.member(org, &owner, "viewer").await;
    let project = app.create_project(&owner, org, json!({"name": "Visible"})).await;

    assert_eq!(app.get(&format!("/api/orgs/{org}/projects/{project}"), &viewer).await.status(), 200);
    let res = app
        .post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), &viewer, json!({"start_date": "2032-01-01"}))
        .await;
    assert_eq!(res.status(), 403);
    let plans = json_body(app.get(&format!("/api/orgs/{org}/projects/{project}/plans"), &viewer).await).await;
    assert_eq!(plans.as_array().unwrap().len(), 0, "a refused request changes nothing");
    let res = app.post_json(&format!("/api/orgs/{org}/projects"), &viewer, json!({"name": "Mine"})).await;
    assert_eq!(res.status(), 403);
}

/// The first slot of a plan once its grid is laid out.
async fn wait_for_slots(app: &TestApp, user: &User, org: Uuid, plan: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let slots = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}/slots"), user).await).await;
        if let Some(first) = slots.as_array().and_then(|s| s.first()) {
            return first["id"].as_str().unwrap().to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "the plan's slots never appeared");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
