//! Tenant isolation, both walls: a member of org A gets 404 for anything of
//! org B, reading or writing, and PostgreSQL's row-level security hides B's
//! rows even from a query that forgets to filter by org.

use crate::helpers::{TestApp, json_body, unique_email};
use domain::OrgScope;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

#[tokio::test]
async fn a_member_of_one_org_gets_404_for_every_id_of_another() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let org_a = app.create_org(&alice, "Org A").await;
    let bob = app.user("bob").await;
    let org_b = app.create_org(&bob, "Org B").await;
    let b_member = app.member(org_b, &bob, "editor").await;
    let b_project = app.create_project(&bob, org_b, json!({"name": "B secret"})).await;
    let b_plan = json_body(
        app.post_json(
            &format!("/api/orgs/{org_b}/projects/{b_project}/plans"),
            &bob,
            json!({"start_date": "2032-02-01"}),
        )
        .await,
    )
    .await["plan_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_invitation = json_body(
        app.post_json(
            &format!("/api/orgs/{org_b}/invitations"),
            &bob,
            json!({"email": unique_email("b"), "role": "viewer"}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Alice owns org A: the strongest role, so only isolation can stop her.
    let attempts: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("GET", format!("/api/orgs/{org_b}"), None),
        ("PATCH", format!("/api/orgs/{org_b}"), Some(json!({"name": "pwned"}))),
        ("DELETE", format!("/api/orgs/{org_b}"), None),
        ("GET", format!("/api/orgs/{org_b}/members"), None),
        ("PATCH", format!("/api/orgs/{org_b}/members/{}", b_member.id), Some(json!({"role": "viewer"}))),
        ("DELETE", format!("/api/orgs/{org_b}/members/{}", b_member.id), None),
        ("POST", format!("/api/orgs/{org_b}/transfer-ownership"), Some(json!({"user_id": alice.id}))),
        ("GET", format!("/api/orgs/{org_b}/invitations"), None),
        ("POST", format!("/api/orgs/{org_b}/invitations"), Some(json!({"email": alice.email, "role": "admin"}))),
        ("DELETE", format!("/api/orgs/{org_b}/invitations/{b_invitation}"), None),
        ("GET", format!("/api/orgs/{org_b}/projects"), None),
        ("POST", format!("/api/orgs/{org_b}/projects"), Some(json!({"name": "planted"}))),
        ("GET", format!("/api/orgs/{org_b}/projects/{b_project}"), None),
        ("GET", format!("/api/orgs/{org_b}/projects/{b_project}/plans"), None),
        ("POST", format!("/api/orgs/{org_b}/projects/{b_project}/plans"), Some(json!({"start_date": "2032-03-01"}))),
        ("GET", format!("/api/orgs/{org_b}/plans/{b_plan}"), None),
        ("GET", format!("/api/orgs/{org_b}/plans/{b_plan}/slots"), None),
        // B's ids through Alice's own org.
        ("GET", format!("/api/orgs/{org_a}/projects/{b_project}"), None),
        ("GET", format!("/api/orgs/{org_a}/projects/{b_project}/plans"), None),
        ("POST", format!("/api/orgs/{org_a}/projects/{b_project}/plans"), Some(json!({"start_date": "2032-03-01"}))),
        ("GET", format!("/api/orgs/{org_a}/plans/{b_plan}"), None),
        ("GET", format!("/api/orgs/{org_a}/plans/{b_plan}/slots"), None),
        ("PATCH", format!("/api/orgs/{org_a}/members/{}", b_member.id), Some(json!({"role": "viewer"}))),
        ("DELETE", format!("/api/orgs/{org_a}/members/{}", b_member.id), None),
        ("DELETE", format!("/api/orgs/{org_a}/invitations/{b_invitation}"), None),
        ("POST", format!("/api/orgs/{org_a}/transfer-ownership"), Some(json!({"user_id": bob.id}))),
    ];
    for (method, path, body) in attempts {
        let res = app.call(method, &path, Some(&alice), body).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 404, "{method} {path}: {text}");
        assert!(!text.contains("B secret"), "{method} {path} leaked: {text}");
    }

    // Nothing of B changed.
    let org = json_body(app.get(&format!("/api/orgs/{org_b}"), &bob).await).await;
    assert_eq!(org["name"], "Org B");
    let members = json_body(app.get(&format!("/api/orgs/{org_b}/members"), &bob).await).await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert!(
        members.as_array().unwrap().iter().any(|m| m["user_id"] == b_member.id.to_string() && m["role"] == "editor")
    );
    let projects = json_body(app.get(&format!("/api/orgs/{org_b}/projects"), &bob).await).await;
    assert_eq!(projects.as_array().unwrap().len(), 1);
    let plans = json_body(app.get(&format!("/api/orgs/{org_b}/projects/{b_project}/plans"), &bob).await).await;
    assert_eq!(plans.as_array().unwrap().len(), 1);
    let invitations = json_body(app.get(&format!("/api/orgs/{org_b}/invitations"), &bob).await).await;
    assert_eq!(invitations[0]["status"], "pending");
    // And Alice's org list shows only her own.
    let mine = json_body(app.get("/api/orgs", &alice).await).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn row_level_security_blocks_a_query_that_forgets_the_org() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let org_a = app.create_org(&alice, "Org A").await;
    app.create_project(&alice, org_a, json!({"name": "A project"})).await;
    let bob = app.user("bob").await;
    let org_b = app.create_org(&bob, "Org B").await;
    let b_project = app.create_project(&bob, org_b, json!({"name": "B project"})).await;

    let db = Database::connect(&app.database_url).await.unwrap();
    let sql = |q: &str| Statement::from_string(db.get_database_backend(), q.to_owned());
    let tx = OrgScope::new(org_a).begin(&db).await.unwrap();
    // Deliberately unscoped: no WHERE org_id.
    let rows = tx.query_all(sql("SELECT name FROM projects")).await.unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.try_get("", "name").unwrap()).collect();
    assert_eq!(names, vec!["A project".to_owned()]);
    let orgs = tx.query_all(sql("SELECT id FROM organizations")).await.unwrap();
    assert_eq!(orgs.len(), 1, "only the scoped org is visible");
    let updated =
        tx.execute(sql(&format!("UPDATE projects SET name = 'pwned' WHERE id = '{b_project}'"))).await.unwrap();
    assert_eq!(updated.rows_affected(), 0);
    let memberships = tx.query_all(sql("SELECT user_id FROM memberships")).await.unwrap();
    assert_eq!(memberships.len(), 1);
    let emails = tx.query_all(sql("SELECT email FROM users")).await.unwrap();
    let emails: Vec<String> = emails.iter().map(|r| r.try_get("", "email").unwrap()).collect();
    assert_eq!(emails, vec![alice.email.clone()], "only the org's own members are visible");
    drop(tx);
    let tx = OrgScope::new(org_a).begin(&db).await.unwrap();
    let hashes = tx.query_all(sql("SELECT password_hash FROM users")).await;
    assert!(hashes.is_err(), "scoped transactions cannot read password hashes");
    drop(tx);

    let tx = OrgScope::new(org_a).begin(&db).await.unwrap();
    let planted = tx
        .execute(sql(&format!(
            "INSERT INTO projects (id, org_id, name) VALUES ('{}', '{org_b}', 'planted')",
            uuid::Uuid::new_v4()
        )))
        .await;
    let err = planted.expect_err("writing into another org is refused");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);

    // Outside any scope the application role sees nothing at all.
    let tx = sea_orm::TransactionTrait::begin(&db).await.unwrap();
    tx.execute(sql("SET LOCAL ROLE reelpilot_app")).await.unwrap();
    assert!(tx.query_all(sql("SELECT id FROM projects")).await.unwrap().is_empty());
    drop(tx);

    let still = json_body(app.get(&format!("/api/orgs/{org_b}/projects/{b_project}"), &bob).await).await;
    assert_eq!(still["name"], "B project");
}

/// A table that holds an org's rows without row-level security would be
/// readable by any scoped query: every table with an `org_id` column has
/// RLS switched on and the tenant policy (a new table cannot forget it).
#[tokio::test]
async fn every_table_with_an_org_id_has_row_level_security_and_the_tenant_policy() {
    let db = Database::connect(&crate::helpers::fresh_database().await).await.unwrap();
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT c.relname::text AS table_name, c.relrowsecurity AS rls,
                    EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                             AND p.polname = 'tenant_isolation') AS policy
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
              WHERE c.relkind = 'r'
              ORDER BY 1"
                .to_owned(),
        ))
        .await
        .unwrap();
    let tables: Vec<(String, bool, bool)> = rows
        .iter()
        .map(|r| {
            (r.try_get("", "table_name").unwrap(), r.try_get("", "rls").unwrap(), r.try_get("", "policy").unwrap())
        })
        .collect();
    let names: Vec<&str> = tables.iter().map(|(t, ..)| t.as_str()).collect();
    for expected in ["projects", "slots", "imports", "transcripts", "transcript_segments", "highlights"] {
        assert!(names.contains(&expected), "{expected} has an org_id: {names:?}");
    }
    // The one exception: a TikTok OAuth handshake is found by the hash of
    // its unguessable state when TikTok's redirect comes back, before any
    // org is known; it is bound to the user who started it instead.
    const OUTSIDE_RLS: [&str; 1] = ["oauth_states"];
    let open: Vec<&(String, bool, bool)> = tables
        .iter()
        .filter(|(table, rls, policy)| (!rls || !policy) && !OUTSIDE_RLS.contains(&table.as_str()))
        .collect();
    assert!(open.is_empty(), "tables with org_id but without RLS and the tenant policy: {open:?}");
}
