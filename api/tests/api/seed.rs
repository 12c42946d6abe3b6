use crate::helpers::{TestApp, json_body, state_for};
use std::time::{Duration, Instant};

#[tokio::test]
async fn seeding_twice_gives_one_demo_org_with_a_ready_plan_and_a_working_login() {
    let app = TestApp::spawn().await;
    api::seed::run(state_for(app.config.clone()).await).await.unwrap();
    api::seed::run(state_for(app.config.clone()).await).await.unwrap();

    let login = json_body(app.login(api::seed::DEMO_EMAIL, api::seed::DEMO_PASSWORD).await).await;
    let token = login["access_token"].as_str().expect("the demo account signs in").to_owned();
    assert_eq!(login["user"]["email_verified"], true);
    let me: serde_json::Value =
        app.http.get(app.url("/api/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let orgs = me["orgs"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{me}");
    assert_eq!(orgs[0]["name"], api::seed::DEMO_ORG);
    assert_eq!(orgs[0]["role"], "owner");
    let org = orgs[0]["org_id"].as_str().unwrap();

    let get = |path: String| {
        let req = app.http.get(app.url(&path)).bearer_auth(&token);
        async move { req.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let projects = get(format!("/api/orgs/{org}/projects")).await;
    assert_eq!(projects.as_array().unwrap().len(), 1);
    let project = projects[0]["id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let plans = get(format!("/api/orgs/{org}/projects/{project}/plans")).await;
        assert_eq!(plans.as_array().unwrap().len(), 1, "{plans}");
        if plans[0]["status"] == "ready" {
            break;
        }
        assert!(Instant::now() < deadline, "the demo plan never became ready: {plans}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
