//! Accounts and sessions against the real API, PostgreSQL and SMTP catcher.

use crate::helpers::{PASSWORD, TestApp, assert_error, json_body, mail_to, token_in, try_mail_to, unique_email};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn registration_verifies_the_address_once_and_does_not_reveal_existing_accounts() {
    let app = TestApp::spawn().await;
    let email = unique_email("newcomer");
    let first = app.register(&email, PASSWORD).await;
    assert_eq!(first.status(), 202);
    let first = json_body(first).await;

    let user = {
        let res = app.login(&email, PASSWORD).await;
        assert_eq!(res.status(), 200);
        json_body(res).await
    };
    assert_eq!(user["user"]["email_verified"], false);
    let token = user["access_token"].as_str().unwrap();

    let link = mail_to(&email, "Confirm your email").await;
    assert!(link.contains("http://web.test/verify-email?token=rpe_"), "{link}");
    let verify = json!({"token": token_in(&link)});
    assert_eq!(app.call("POST", "/api/auth/verify-email", None, Some(verify.clone())).await.status(), 204);
    let again = app.call("POST", "/api/auth/verify-email", None, Some(verify)).await;
    assert_error(again, 422, "validation_failed").await;
    let me = app.http.get(app.url("/api/me")).bearer_auth(token).send().await.unwrap();
    assert_eq!(json_body(me).await["email_verified"], true);

    // The same address again: the same answer, and a different mail.
    let second = app.register(&email.to_uppercase(), "another long passphrase 7").await;
    assert_eq!(second.status(), 202);
    assert_eq!(json_body(second).await, first, "no account enumeration through registration");
    mail_to(&email, "already have").await;
    let old_password_still_works = app.login(&email, PASSWORD).await;
    assert_eq!(old_password_still_works.status(), 200);
}

#[tokio::test]
async fn weak_passwords_and_bad_addresses_are_refused_with_the_field() {
    let app = TestApp::spawn().await;
    let res = app.register(&unique_email("weak"), "password123").await;
    assert_eq!(assert_error(res, 422, "validation_failed").await["error"]["field"], "password");
    let res = app.register(&unique_email("short"), "tiny").await;
    assert_eq!(assert_error(res, 422, "validation_failed").await["error"]["field"], "password");
    let res = app.register("not-an-email", PASSWORD).await;
    assert_eq!(assert_error(res, 422, "validation_failed").await["error"]["field"], "email");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let user = app.user("rotator").await;
    let refresh = |token: String| app.call("POST", "/api/auth/refresh", None, Some(json!({"refresh_token": token})));

    let first = refresh(user.refresh.clone()).await;
    assert_eq!(first.status(), 200);
    let first = json_body(first).await;
    let new_access = first["access_token"].as_str().unwrap().to_owned();
    let new_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, user.refresh);
    let me = app.http.get(app.url("/api/me")).bearer_auth(&new_access).send().await.unwrap();
    assert_eq!(me.status(), 200);

    // The old refresh token presented again after the grace window: theft
    // is assumed.
    age_used_refresh_tokens(&app, REFRESH_GRACE_SECS + 1).await;
    assert_error(refresh(user.refresh.clone()).await, 401, "unauthenticated").await;
    // Every token of that session dies with it, including the newest ones.
    let me = app.http.get(app.url("/api/me")).bearer_auth(&new_access).send().await.unwrap();
    assert_error(me, 401, "unauthenticated").await;
    assert_error(refresh(new_refresh).await, 401, "unauthenticated").await;
    // Other sessions of the same user are untouched.
    let other = json_body(app.login(&user.email, PASSWORD).await).await;
    let me =
        app.http.get(app.url("/api/me")).bearer_auth(other["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(me.status(), 200);
}

const REFRESH_GRACE_SECS: i64 = 30;

/// Moves every used refresh token's use `secs` into the past.
async fn age_used_refresh_tokens(app: &TestApp, secs: i64) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let sql =
        format!("UPDATE refresh_tokens SET used_at = used_at - interval '{secs} seconds' WHERE used_at IS NOT NULL");
    db.execute_unprepared(&sql).await.unwrap();
}

/// Two tabs refreshing at once used to end the session: the loser
/// presented a just-used token and tripped reuse detection.
#[tokio::test]
async fn tabs_refreshing_together_share_one_new_pair_and_keep_the_session() {
    let app = TestApp::spawn().await;
    let user = app.user("two-tabs").await;
    let refresh = || app.call("POST", "/api/auth/refresh", None, Some(json!({"refresh_token": user.refresh.clone()})));

    let (a, b) = tokio::join!(refresh(), refresh());
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let (a, b) = (json_body(a).await, json_body(b).await);
    assert_eq!(a["refresh_token"], b["refresh_token"], "both tabs hold the same new pair");
    assert_eq!(a["access_token"], b["access_token"]);
    // A third, later tab within the window too; the session lives on.
    let c = json_body(refresh().await).await;
    assert_eq!(c["refresh_token"], a["refresh_token"]);
    let access = a["access_token"].as_str().unwrap();
    assert_eq!(app.http.get(app.url("/api/me")).bearer_auth(access).send().await.unwrap().status(), 200);
    // The new pair rotates as usual.
    let next = app.call("POST", "/api/auth/refresh", None, Some(json!({"refresh_token": a["refresh_token"]}))).await;
    assert_eq!(next.status(), 200);

    // Past the window the old token is a replay again: the family dies.
    age_used_refresh_tokens(&app, REFRESH_GRACE_SECS + 1).await;
    assert_error(refresh().await, 401, "unauthenticated").await;
    let me = app.http.get(app.url("/api/me")).bearer_auth(access).send().await.unwrap();
    assert_error(me, 401, "unauthenticated").await;
}

#[tokio::test]
async fn logout_and_session_revocation_take_effect_at_once() {
    let app = TestApp::spawn().await;
    let laptop = app.user("traveller").await;
    let phone_login = app
        .http
        .post(app.url("/api/auth/login"))
        .header("user-agent", "ReelpilotPhone/1.0")
        .json(&json!({"email": laptop.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let phone = json_body(phone_login).await;
    let phone_token = phone["access_token"].as_str().unwrap().to_owned();
    let phone_session = phone["session_id"].as_str().unwrap().to_owned();

    let sessions = json_body(app.get("/api/me/sessions", &laptop).await).await;
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_row = sessions.iter().find(|s| s["id"] == phone_session.as_str()).unwrap();
    assert_eq!(phone_row["user_agent"], "ReelpilotPhone/1.0");
    assert_eq!(phone_row["ip"], "127.0.0.1");

    let res = app.call("DELETE", &format!("/api/me/sessions/{phone_session}"), Some(&laptop), None).await;
    assert_eq!(res.status(), 204);
    let res = app.http.get(app.url("/api/me")).bearer_auth(&phone_token).send().await.unwrap();
    assert_error(res, 401, "unauthenticated").await;
    // Someone else's session id is simply not found.
    let stranger = app.user("stranger").await;
    let res = app.call("DELETE", &format!("/api/me/sessions/{phone_session}"), Some(&stranger), None).await;
    assert_error(res, 404, "not_found").await;

    let third = json_body(app.login(&laptop.email, PASSWORD).await).await;
    let res = app.post_json("/api/me/sessions/revoke-others", &laptop, json!({})).await;
    assert_eq!(json_body(res).await["revoked"], 1);
    let res =
        app.http.get(app.url("/api/me")).bearer_auth(third["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_error(res, 401, "unauthenticated").await;

    assert_eq!(app.call("POST", "/api/auth/logout", Some(&laptop), None).await.status(), 204);
    assert_error(app.get("/api/me", &laptop).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn password_reset_mail_works_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.user("forgetful").await;
    let forgot = |email: String| app.call("POST", "/api/auth/password/forgot", None, Some(json!({"email": email})));

    let known = forgot(user.email.clone()).await;
    assert_eq!(known.status(), 202);
    let known = json_body(known).await;
    let unknown_email = unique_email("nobody");
    let unknown = forgot(unknown_email.clone()).await;
    assert_eq!(unknown.status(), 202);
    assert_eq!(json_body(unknown).await, known, "no account enumeration through reset");
    assert!(try_mail_to(&unknown_email, "Reset", Duration::from_millis(500)).await.is_none());

    let link = mail_to(&user.email, "Reset your password").await;
    assert!(link.contains("http://web.test/reset-password?token="), "{link}");
    let token = token_in(&link);
    let new_password = "a brand new passphrase 99";
    let reset = |token: String| {
        app.call("POST", "/api/auth/password/reset", None, Some(json!({"token": token, "password": new_password})))
    };
    assert_eq!(reset(token.clone()).await.status(), 204);
    assert_error(reset(token).await, 422, "validation_failed").await;

    assert_error(app.get("/api/me", &user).await, 401, "unauthenticated").await;
    let refresh = app.call("POST", "/api/auth/refresh", None, Some(json!({"refresh_token": user.refresh}))).await;
    assert_error(refresh, 401, "unauthenticated").await;
    assert_error(app.login(&user.email, PASSWORD).await, 401, "unauthenticated").await;
    assert_eq!(app.login(&user.email, new_password).await.status(), 200);
}

#[tokio::test]
async fn brute_forcing_login_hits_429_and_unknown_accounts_look_the_same() {
    let app = TestApp::spawn().await;
    let user = app.user("target").await;

    let wrong = json_body(app.login(&user.email, "not the password at all").await).await;
    let unknown = json_body(app.login(&unique_email("ghost"), "not the password at all").await).await;
    assert_eq!(wrong["error"]["code"], "unauthenticated");
    assert_eq!(wrong["error"]["message"], unknown["error"]["message"], "no enumeration through login");

    let mut limited = None;
    for _ in 0..10 {
        let res = app.login(&user.email, "still not the password").await;
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
        assert_eq!(res.status(), 401);
    }
    let res = limited.expect("repeated failures are rate limited");
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    assert_error(res, 429, "rate_limited").await;
    // Even the right password waits out the window.
    assert_error(app.login(&user.email, PASSWORD).await, 429, "rate_limited").await;
}
