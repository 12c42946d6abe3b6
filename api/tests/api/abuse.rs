//! What a throwaway signup cannot do: spend the platform's model, CPU and
//! storage, or mail strangers, before confirming its address; and how fast
//! anyone can send invitations.

use crate::helpers::{TestApp, assert_error, json_body, mail_to, token_in, unique_email};
use serde_json::json;

#[tokio::test]
async fn nothing_that_spends_or_reaches_people_works_before_the_address_is_confirmed() {
    let app = TestApp::spawn().await;
    let newcomer = app.unverified_user("unverified").await;
    // Looking around is fine: an org and a project cost nothing.
    let org = app.create_org(&newcomer, "Fresh Co").await;
    let project = app.create_project(&newcomer, org, json!({"name": "First"})).await;

    let plans = format!("/api/orgs/{org}/projects/{project}/plans");
    let spending = [
        ("POST", plans.clone(), Some(json!({"start_date": "2031-03-01"}))),
        ("POST", format!("/api/orgs/{org}/invitations"), Some(json!({"email": unique_email("x"), "role": "viewer"}))),
        ("POST", format!("/api/orgs/{org}/tiktok/connect"), None),
        (
            "POST",
            format!("/api/orgs/{org}/credentials"),
            Some(json!({"provider": "llm", "label": "mine", "secret": "sk-or-v1-0123456789abcdef"})),
        ),
    ];
    for (method, path, body) in spending {
        let res = app.call(method, &path, Some(&newcomer), body).await;
        let body = assert_error(res, 403, "email_unverified").await;
        assert!(body["error"]["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("confirm your email"), "{body}");
    }
    let res = app
        .http
        .post(app.url(&format!("/api/orgs/{org}/uploads")))
        .bearer_auth(&newcomer.token)
        .header("content-type", "image/png")
        .body(vec![0x89, b'P', b'N', b'G'])
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "email_unverified").await;
    let listed = json_body(app.get(&plans, &newcomer).await).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "no plan was created: {listed}");

    // Following the mailed link unlocks drafting.
    let token = token_in(&mail_to(&newcomer.email, "Confirm").await);
    assert_eq!(app.call("POST", "/api/auth/verify-email", None, Some(json!({"token": token}))).await.status(), 204);
    let res = app.post_json(&plans, &newcomer, json!({"start_date": "2031-03-01"})).await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn an_invitation_is_accepted_only_by_a_confirmed_account() {
    let app = TestApp::spawn().await;
    let owner = app.user("inviter").await;
    let org = app.create_org(&owner, "Join Us").await;
    let invitee = app.unverified_user("invitee").await;
    let res = app
        .post_json(&format!("/api/orgs/{org}/invitations"), &owner, json!({"email": invitee.email, "role": "editor"}))
        .await;
    assert_eq!(res.status(), 201);
    let token = json!({"token": token_in(&mail_to(&invitee.email, "Join Join Us").await)});
    assert_error(app.post_json("/api/invitations/accept", &invitee, token.clone()).await, 403, "email_unverified")
        .await;

    let confirm = token_in(&mail_to(&invitee.email, "Confirm").await);
    assert_eq!(app.call("POST", "/api/auth/verify-email", None, Some(json!({"token": confirm}))).await.status(), 204);
    // The refused attempt did not use the invitation up.
    let res = app.post_json("/api/invitations/accept", &invitee, token).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn invitations_are_rate_limited_per_inviter() {
    let app = TestApp::spawn().await;
    let owner = app.user("spammer").await;
    let org = app.create_org(&owner, "Spam Co").await;
    let path = format!("/api/orgs/{org}/invitations");
    for i in 0..20 {
        let res =
            app.post_json(&path, &owner, json!({"email": unique_email(&format!("s{i}")), "role": "viewer"})).await;
        assert_eq!(res.status(), 201, "invitation {i}");
    }
    let res = app.post_json(&path, &owner, json!({"email": unique_email("one-too-many"), "role": "viewer"})).await;
    assert!(res.headers().get("retry-after").is_some());
    assert_error(res, 429, "rate_limited").await;
}

/// An authorize link sent to someone else used to link *their* TikTok
/// account into the sender's org. Now only the person who started the
/// connection can hand the code over, and they see the account first.
#[tokio::test]
async fn a_tiktok_connection_links_only_for_the_person_who_started_it_after_they_confirm() {
    let app = TestApp::spawn().await;
    let owner = app.user("connector").await;
    let org = app.create_org(&owner, "Linked Co").await;
    let admin = app.member(org, &owner, "admin").await;
    let stranger = app.user("stranger").await;
    let accounts = format!("/api/orgs/{org}/tiktok/accounts");

    let (state, code) = crate::publishing::consent(&app, &owner, org).await;
    for other in [&stranger, &admin] {
        let res = app.post_json("/api/tiktok/connections/exchange", other, json!({"state": state, "code": code})).await;
        assert_error(res, 403, "not_your_connection").await;
        let res = app.post_json("/api/tiktok/connections/confirm", other, json!({"state": state})).await;
        assert_error(res, 403, "not_your_connection").await;
    }
    let res = app.post_json("/api/tiktok/connections/exchange", &owner, json!({"state": state, "code": code})).await;
    assert_eq!(res.status(), 200);
    let pending = json_body(res).await;
    assert_eq!(pending["org_name"], "Linked Co");
    assert_eq!(pending["display_name"], app.tiktok.user().display_name, "{pending}");
    assert_eq!(pending["open_id"], app.tiktok.user().open_id);
    assert!(pending["reconnects_account_id"].is_null());
    // Asking again (a second render of the page) answers the same.
    let again = app.post_json("/api/tiktok/connections/exchange", &owner, json!({"state": state, "code": code})).await;
    assert_eq!(json_body(again).await["open_id"], pending["open_id"]);
    let listed = json_body(app.get(&accounts, &owner).await).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "nothing is linked before the confirmation");

    let res = app.post_json("/api/tiktok/connections/confirm", &owner, json!({"state": state})).await;
    assert_eq!(res.status(), 200);
    let listed = json_body(app.get(&accounts, &owner).await).await;
    assert_eq!(listed[0]["open_id"], pending["open_id"]);
    assert_eq!(listed[0]["status"], "connected");

    // Declining: nothing changes and the handshake is gone.
    let (state, code) = crate::publishing::consent(&app, &owner, org).await;
    let res = app.post_json("/api/tiktok/connections/exchange", &owner, json!({"state": state, "code": code})).await;
    assert_eq!(json_body(res).await["reconnects_account_id"], listed[0]["id"]);
    let res = app.post_json("/api/tiktok/connections/cancel", &owner, json!({"state": state})).await;
    assert_eq!(res.status(), 204);
    let res = app.post_json("/api/tiktok/connections/confirm", &owner, json!({"state": state})).await;
    assert_error(res, 400, "invalid_state").await;
    assert_eq!(json_body(app.get(&accounts, &owner).await).await, listed);
}

/// The refresh used to hold a row lock (in an open transaction) while
/// TikTok answered, and disconnect did not take it: a disconnect during a
/// refresh deleted the tokens, then the refresh stored fresh ones for a
/// disconnected account.
#[tokio::test]
async fn a_disconnect_during_a_token_refresh_wins_and_leaves_no_live_tokens_behind() {
    use secrecy::ExposeSecret;
    let app = TestApp::spawn().await;
    let owner = app.user("refresher").await;
    let org = app.create_org(&owner, "Refresh Co").await;
    let account: uuid::Uuid = crate::publishing::connect(&app, &owner, org).await.parse().unwrap();
    let state = crate::helpers::state_for(app.config.clone()).await;
    let scope = domain::OrgScope::new(org);
    let current =
        domain::publishing::tiktok::access_token(&state.db, &*state.secrets, &state.tiktok, &scope, account, None)
            .await
            .unwrap();

    // TikTok rotates the tokens, then takes two seconds to answer.
    app.tiktok.set_hang(std::time::Duration::from_secs(2));
    app.tiktok.timeout_after_side_effect(testkit::tiktok::TOKEN, 1);
    app.tiktok.clear_requests();
    let refreshing = tokio::spawn({
        let state = state.clone();
        async move {
            domain::publishing::tiktok::access_token(
                &state.db,
                &*state.secrets,
                &state.tiktok,
                &scope,
                account,
                Some(&current),
            )
            .await
            .map(|t| t.expose_secret().to_owned())
        }
    });
    while !app.tiktok.requests().iter().any(|r| r.path == testkit::tiktok::TOKEN) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let res = app.call("DELETE", &format!("/api/orgs/{org}/tiktok/accounts/{account}"), Some(&owner), None).await;
    assert_eq!(res.status(), 200);
    assert!(!refreshing.is_finished(), "the disconnect did not wait for TikTok's answer to the refresh");

    let refreshed = refreshing.await.unwrap();
    assert!(refreshed.is_err(), "a refresh finishing after the disconnect hands out no token: {refreshed:?}");
    let listed = json_body(app.get(&format!("/api/orgs/{org}/tiktok/accounts"), &owner).await).await;
    assert_eq!(listed[0]["status"], "disconnected");
    let path = platform::secrets::SecretPath::new(org, &format!("tiktok/{account}")).unwrap();
    assert!(state.secrets.read(&path, None).await.unwrap().is_none(), "no tokens are stored for the account");
}

/// Behind the bundled proxy every browser shared the proxy's address, so
/// one script looping on refresh got every user a 429; with trust on, the
/// left-most (client-chosen) X-Forwarded-For entry was believed.
#[tokio::test]
async fn rate_limits_key_on_the_client_behind_a_trusted_proxy_and_forged_entries_do_not_help() {
    let app = TestApp::spawn_with(crate::helpers::Storage::Local, |config| {
        config.api.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    let victim = app.user("victim").await;
    let refresh = |forwarded_for: String, token: String| {
        app.http
            .post(app.url("/api/auth/refresh"))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({"refresh_token": token}))
            .send()
    };
    // The limit counts per fixed minute: start well inside one, so the
    // loop's second or so never straddles two windows.
    let into_minute = chrono::Utc::now().timestamp().rem_euclid(60);
    if into_minute > 50 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - into_minute) as u64)).await;
    }
    // A script behind the proxy at 203.0.113.7 forges a new left-most
    // address on every request: the limit still finds it.
    let mut limited = None;
    for i in 0..130 {
        let res = refresh(format!("10.{}.0.1, 203.0.113.7", i % 250), "rpr_garbage".into()).await.unwrap();
        if res.status() == 429 {
            limited = Some(i);
            break;
        }
        assert_eq!(res.status(), 401);
    }
    assert_eq!(limited, Some(120), "the 121st refresh from one client is refused");
    // Another browser behind the same proxy is not affected.
    let res = refresh("198.51.100.2".into(), victim.refresh.clone()).await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Without a trusted proxy, a caller's own X-Forwarded-For is ignored.
#[tokio::test]
async fn a_direct_caller_cannot_choose_its_address() {
    let app = TestApp::spawn().await;
    for i in 0..121 {
        let res = app
            .http
            .post(app.url("/api/auth/refresh"))
            .header("x-forwarded-for", format!("10.0.{}.{}", i / 250, i % 250))
            .json(&json!({"refresh_token": "rpr_garbage"}))
            .send()
            .await
            .unwrap();
        let expected = if i < 120 { 401 } else { 429 };
        assert_eq!(res.status(), expected, "request {i}");
    }
}
