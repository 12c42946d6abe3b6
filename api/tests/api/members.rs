//! Organisations, invitations, roles and ownership through the API.

use crate::helpers::{TestApp, assert_error, json_body, mail_to, token_in, unique_email};
use serde_json::json;

#[tokio::test]
async fn invitations_are_mailed_single_use_and_bound_to_the_invited_address() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Invite Co").await;
    let invitee = app.user("invitee").await;
    let intruder = app.user("intruder").await;

    let res = app
        .post_json(&format!("/api/orgs/{org}/invitations"), &owner, json!({"email": invitee.email, "role": "editor"}))
        .await;
    assert_eq!(res.status(), 201);
    let mail = mail_to(&invitee.email, "Join Invite Co").await;
    assert!(mail.contains("as editor") && mail.contains("http://web.test/invitations/accept?token="), "{mail}");
    let token = json!({"token": token_in(&mail)});

    let res = app.post_json("/api/invitations/accept", &intruder, token.clone()).await;
    assert_error(res, 422, "validation_failed").await;
    let res = app.post_json("/api/invitations/accept", &invitee, token.clone()).await;
    assert_eq!(res.status(), 200);
    let joined = json_body(res).await;
    assert_eq!(joined["id"], org.to_string());
    assert_eq!(joined["role"], "editor");
    assert_error(app.post_json("/api/invitations/accept", &invitee, token).await, 422, "validation_failed").await;
    let mine = json_body(app.get("/api/me", &invitee).await).await;
    assert_eq!(mine["orgs"][0]["role"], "editor");

    // Inviting a member again is a conflict; a revoked invitation cannot be used.
    let res = app
        .post_json(&format!("/api/orgs/{org}/invitations"), &owner, json!({"email": invitee.email, "role": "viewer"}))
        .await;
    assert_error(res, 409, "conflict").await;
    let late = unique_email("late");
    let res =
        app.post_json(&format!("/api/orgs/{org}/invitations"), &owner, json!({"email": late, "role": "viewer"})).await;
    let invitation = json_body(res).await["id"].as_str().unwrap().to_owned();
    let late_token = token_in(&mail_to(&late, "Join").await);
    let res = app.call("DELETE", &format!("/api/orgs/{org}/invitations/{invitation}"), Some(&owner), None).await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.register(&late, crate::helpers::PASSWORD).await.status(), 202);
    let late_user = json_body(app.login(&late, crate::helpers::PASSWORD).await).await;
    let res = app
        .http
        .post(app.url("/api/invitations/accept"))
        .bearer_auth(late_user["access_token"].as_str().unwrap())
        .json(&json!({"token": late_token}))
        .send()
        .await
        .unwrap();
    assert_error(res, 422, "validation_failed").await;
    let listed = json_body(app.get(&format!("/api/orgs/{org}/invitations"), &owner).await).await;
    let statuses: Vec<&str> = listed.as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["revoked", "accepted"]);

    let res =
        app.post_json(&format!("/api/orgs/{org}/invitations"), &owner, json!({"email": late, "role": "owner"})).await;
    assert_error(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn roles_change_members_leave_and_ownership_moves_with_exactly_one_owner() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Roles Ltd").await;
    let admin = app.member(org, &owner, "admin").await;
    let editor = app.member(org, &owner, "editor").await;
    let members_path = format!("/api/orgs/{org}/members");
    let members = |user| app.get(&members_path, user);

    let res = app
        .call("PATCH", &format!("/api/orgs/{org}/members/{}", editor.id), Some(&admin), Some(json!({"role": "viewer"})))
        .await;
    assert_eq!(json_body(res).await["role"], "viewer");
    let res = app
        .call("PATCH", &format!("/api/orgs/{org}/members/{}", owner.id), Some(&admin), Some(json!({"role": "viewer"})))
        .await;
    assert_error(res, 409, "conflict").await;
    let res = app
        .call("PATCH", &format!("/api/orgs/{org}/members/{}", editor.id), Some(&admin), Some(json!({"role": "owner"})))
        .await;
    assert_error(res, 422, "validation_failed").await;
    let res = app.call("DELETE", &format!("/api/orgs/{org}/members/{}", owner.id), Some(&admin), None).await;
    assert_error(res, 409, "conflict").await;

    let res = app.call("DELETE", &format!("/api/orgs/{org}/members/{}", editor.id), Some(&admin), None).await;
    assert_eq!(res.status(), 204);
    assert_error(members(&editor).await, 404, "not_found").await;

    let res = app.post_json(&format!("/api/orgs/{org}/transfer-ownership"), &owner, json!({"user_id": admin.id})).await;
    assert_eq!(res.status(), 204);
    let list = json_body(members(&admin).await).await;
    let owners: Vec<_> = list.as_array().unwrap().iter().filter(|m| m["role"] == "owner").collect();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0]["user_id"], admin.id.to_string());
    assert!(list.as_array().unwrap().iter().any(|m| m["user_id"] == owner.id.to_string() && m["role"] == "admin"));

    // The former owner is an admin now: renaming yes, deleting no.
    let res = app.call("PATCH", &format!("/api/orgs/{org}"), Some(&owner), Some(json!({"name": "Renamed Ltd"}))).await;
    assert_eq!(json_body(res).await["name"], "Renamed Ltd");
    assert_error(app.call("DELETE", &format!("/api/orgs/{org}"), Some(&owner), None).await, 403, "forbidden").await;
    assert_eq!(app.call("DELETE", &format!("/api/orgs/{org}"), Some(&admin), None).await.status(), 202);
    assert_error(members(&admin).await, 404, "not_found").await;
    assert!(json_body(app.get("/api/orgs", &owner).await).await.as_array().unwrap().is_empty());
}

/// Opens a transaction that makes `new_owner` the owner (as a transfer
/// does) and returns it uncommitted, holding the membership rows' locks.
async fn transfer_in_flight(
    db: &sea_orm::DatabaseConnection,
    org: uuid::Uuid,
    owner: uuid::Uuid,
    new_owner: uuid::Uuid,
) -> sea_orm::DatabaseTransaction {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let txn = db.begin().await.unwrap();
    for (user, role) in [(owner, "admin"), (new_owner, "owner")] {
        txn.execute_unprepared(&format!(
            "UPDATE memberships SET role = '{role}' WHERE org_id = '{org}' AND user_id = '{user}'"
        ))
        .await
        .unwrap();
    }
    txn
}

/// Waits until some statement of this database waits for a row lock.
async fn until_a_statement_waits_for_a_lock(db: &sea_orm::DatabaseConnection) {
    use sea_orm::{ConnectionTrait, Statement};
    for _ in 0..200 {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no statement ever waited for the in-flight transfer");
}

async fn owners_of(db: &sea_orm::DatabaseConnection, org: uuid::Uuid) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = format!("SELECT count(*) AS n FROM memberships WHERE org_id = '{org}' AND role = 'owner'");
    let row = db.query_one(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get("", "n").unwrap()
}

/// change-role and remove-member used to read the role, then write: a
/// transfer committing in between left the org with no owner.
#[tokio::test]
async fn a_transfer_racing_a_role_change_or_removal_never_leaves_the_org_without_an_owner() {
    let app = TestApp::spawn().await;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    for removal in [false, true] {
        let owner = app.user("race-owner").await;
        let org = app.create_org(&owner, "Race Co").await;
        let heir = app.member(org, &owner, "admin").await;

        let transfer = transfer_in_flight(&db, org, owner.id, heir.id).await;
        let path = format!("/api/orgs/{org}/members/{}", heir.id);
        let demote = {
            let (app_http, url, token) = (app.http.clone(), app.url(&path), owner.token.clone());
            tokio::spawn(async move {
                let req =
                    if removal { app_http.delete(url) } else { app_http.patch(url).json(&json!({"role": "viewer"})) };
                req.bearer_auth(token).send().await.unwrap()
            })
        };
        until_a_statement_waits_for_a_lock(&db).await;
        transfer.commit().await.unwrap();

        assert_error(demote.await.unwrap(), 409, "conflict").await;
        assert_eq!(owners_of(&db, org).await, 1, "removal={removal}: the org keeps exactly one owner");
        let members = json_body(app.get(&format!("/api/orgs/{org}/members"), &heir).await).await;
        let heir_row = members.as_array().unwrap().iter().find(|m| m["user_id"] == heir.id.to_string()).cloned();
        assert_eq!(heir_row.map(|m| m["role"].clone()), Some(json!("owner")), "{members}");
    }
}
