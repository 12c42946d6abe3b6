//! The org's knowledge with the real embedding model, pgvector and Temporal:
//! brand documents indexed by the worker, found by meaning and by words,
//! never across orgs; drafting reads them, and the similarity guard sends
//! back a paraphrase of an earlier slot.

use crate::helpers::{TestApp, User, assert_error, json_body};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::llm::Scripted;
use uuid::Uuid;

const BRAND: &str = "# How we talk\n\nWe cook **fast weeknight dinners** for tired parents: twenty minutes, \
    one pan, food the kids will eat.\n\nWe never promise weight loss or health benefits; we talk about flavour \
    and time saved.";
const OTHER_BRAND: &str = "Quick family suppers after work: one pan, twenty minutes, children happy.";

async fn add_document(app: &TestApp, user: &User, org: Uuid, name: &str, text: &str) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/orgs/{org}/knowledge/documents?name={name}")))
        .bearer_auth(&user.token)
        .header("content-type", "text/markdown")
        .body(text.to_owned())
        .send()
        .await
        .unwrap()
}

async fn upload(
    app: &TestApp,
    user: &User,
    org: Uuid,
    name: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/orgs/{org}/knowledge/documents?name={name}")))
        .bearer_auth(&user.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A one-page PDF whose text layer prints `lines` in Helvetica, as a word
/// processor's export would hold it (objects, a content stream, an xref).
fn pdf_of(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
    for line in lines {
        content.push_str(&format!("({}) Tj T*\n", line.replace('(', "\\(").replace(')', "\\)")));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    pdf.extend(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).bytes());
    pdf
}

#[tokio::test]
async fn a_brand_guide_as_pdf_is_read_and_found_by_meaning() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "PDF Studio").await;
    let guide = pdf_of(&[
        "Brand guide 2027",
        "We film every recipe in one take on a small balcony garden.",
        "Our viewers grow herbs in pots and cook what they harvest.",
    ]);
    let res = upload(&app, &owner, org, "guide.pdf", "application/pdf", guide).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let added = json_body(res).await;
    assert_eq!(added["document"]["content_type"], "application/pdf");
    let hits = indexed(&app, &owner, org, "growing basil in containers on an apartment terrace").await;
    assert_eq!(hits[0]["meta"]["name"], "guide.pdf", "{hits:?}");
    let text = hits[0]["text"].as_str().unwrap();
    assert!(text.contains("balcony garden") && text.contains("herbs in pots"), "the text layer is read: {text}");
}

async fn search(app: &TestApp, user: &User, org: Uuid, query: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/orgs/{org}/knowledge/search?q={}", urlencode(query)), user).await;
    assert_eq!(res.status(), 200);
    json_body(res).await["hits"].as_array().unwrap().clone()
}

/// The test queries are plain words.
fn urlencode(text: &str) -> String {
    text.replace(' ', "%20")
}

/// Waits until the worker has embedded the org's chunks (a hit carries a
/// similarity once its chunk has an embedding).
async fn indexed(app: &TestApp, user: &User, org: Uuid, query: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let hits = search(app, user, org, query).await;
        if !hits.is_empty() && hits.iter().all(|h| h["similarity"].is_number()) {
            return hits;
        }
        assert!(Instant::now() < deadline, "the documents were never indexed: {hits:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_org_finds_its_brand_documents_by_meaning_and_never_another_orgs() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Pan Studio").await;
    let viewer = app.member(org, &owner, "viewer").await;
    let rival = app.user("rival").await;
    let rival_org = app.create_org(&rival, "Rival Studio").await;

    // Bad documents are refused with what is wrong.
    let png = upload(&app, &owner, org, "logo.png", "image/png", b"\x89PNG\r\n".to_vec()).await;
    assert_error(png, 415, "unsupported_media_type").await;
    let broken = upload(&app, &owner, org, "guide.pdf", "application/pdf", b"%PDF-1.7 not really".to_vec()).await;
    let refused = assert_error(broken, 422, "validation_failed").await;
    assert!(refused["error"]["message"].as_str().unwrap().contains("the PDF cannot be read"), "{refused}");
    assert_error(add_document(&app, &owner, org, "empty", "  \n\n ").await, 422, "validation_failed").await;
    assert_error(add_document(&app, &viewer, org, "voice", BRAND).await, 403, "forbidden").await;

    let res = add_document(&app, &owner, org, "voice.md", BRAND).await;
    assert_eq!(res.status(), 201);
    let added = json_body(res).await;
    assert_eq!(added["document"]["chunks"], 1, "{added}");
    assert!(added["indexing"]["workflow_id"].as_str().unwrap().starts_with(&format!("{org}:knowledge:")));
    assert_eq!(add_document(&app, &rival, rival_org, "theirs.md", OTHER_BRAND).await.status(), 201);

    // A paraphrase sharing no word with the document finds it by meaning.
    let hits = indexed(&app, &viewer, org, "speedy evening meals for exhausted mums and dads").await;
    assert_eq!(hits[0]["source"], "document");
    assert_eq!(hits[0]["meta"]["name"], "voice.md");
    assert!(hits[0]["text"].as_str().unwrap().starts_with("How we talk We cook fast weeknight dinners"), "{hits:?}");
    assert!(hits[0]["similarity"].as_f64().unwrap() > 0.3, "{hits:?}");
    // Never the other org's document, though it means the same.
    assert!(hits.iter().all(|h| h["meta"]["name"] != "theirs.md"), "{hits:?}");
    let theirs = indexed(&app, &rival, rival_org, "speedy evening meals for exhausted mums and dads").await;
    assert!(theirs.iter().all(|h| h["meta"]["name"] == "theirs.md"), "{theirs:?}");
    // By words too: an exact word the meaning alone would rank lower.
    let by_word = search(&app, &viewer, org, "flavour").await;
    assert_eq!(by_word[0]["meta"]["name"], "voice.md");

    // Row-level security hides the other org's chunks even from a query
    // that forgets to filter by org.
    let db = platform::db::connect(&app.config.database).await.unwrap();
    let tx = domain::OrgScope::new(org).begin(&db).await.unwrap();
    let row = tx
        .query_one(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n, count(*) FILTER (WHERE meta->>'name' = 'theirs.md') AS theirs FROM knowledge_chunks",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    assert_eq!(row.try_get::<i64>("", "theirs").unwrap(), 0);
    drop(tx);

    // Bad searches are 4xx, another org's search is refused.
    assert_error(app.get(&format!("/api/orgs/{org}/knowledge/search?q=%20"), &owner).await, 422, "validation_failed")
        .await;
    assert_error(
        app.get(&format!("/api/orgs/{org}/knowledge/search?q=x&source=tweet"), &owner).await,
        400,
        "invalid_query",
    )
    .await;
    assert_error(app.get(&format!("/api/orgs/{rival_org}/knowledge/search?q=dinner"), &owner).await, 404, "not_found")
        .await;

    // Listed, then removed with what retrieval knew of it.
    let listed = json_body(app.get(&format!("/api/orgs/{org}/knowledge/documents"), &viewer).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let id = listed[0]["id"].as_str().unwrap();
    let res = app.call("DELETE", &format!("/api/orgs/{org}/knowledge/documents/{id}"), Some(&owner), None).await;
    assert_eq!(res.status(), 204);
    assert!(search(&app, &owner, org, "weeknight dinners").await.is_empty());
}

/// A week whose every slot says `hook` and `script`.
fn week_of(hook: &str, script: &str) -> String {
    let slots: Vec<Value> = (0..7)
        .flat_map(|day| (0..3).map(move |index| (day, index)))
        .map(|(day, index)| {
            json!({"day_index": day, "slot_index": index, "hook": format!("{hook} ({day}{index})"),
                "caption": format!("caption {day} {index}"), "script": script, "hashtags": ["#cooking"],
                "format": "tutorial", "confidence": 0.6, "rationale": "tutorials do well at this hour",
                "shots": [{"text": script, "visual": "footage", "search": []}]})
        })
        .collect();
    json!({"slots": slots}).to_string()
}

async fn plan_ready(app: &TestApp, owner: &User, org: Uuid, project: Uuid, start: &str) -> Vec<Value> {
    let res =
        app.post_json(&format!("/api/orgs/{org}/projects/{project}/plans"), owner, json!({"start_date": start})).await;
    assert_eq!(res.status(), 202);
    let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let body = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), owner).await).await;
        if body["status"] == "ready" {
            break;
        }
        assert_ne!(body["status"], "failed", "{body}");
        assert!(Instant::now() < deadline, "the plan never got ready: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}/slots"), owner).await).await.as_array().unwrap().clone()
}

#[tokio::test]
async fn drafting_reads_the_brand_and_the_guard_sends_back_a_paraphrase_of_an_earlier_slot() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    let org = app.create_org(&owner, "Pan Studio").await;
    let project = app
        .create_project(&owner, org, json!({"name": "Pan Nights", "niche": "weeknight cooking", "audience": "parents"}))
        .await;
    assert_eq!(add_document(&app, &owner, org, "voice.md", BRAND).await.status(), 201);

    // The first plan's first answer says one idea 21 times: sent back by
    // meaning (the hooks differ, the words of hook and caption too).
    let script = "Heat one pan, add the garlic and the tomatoes, then toss the pasta in the sauce for two minutes \
                  and serve it to the family straight from the pan.";
    app.llm.push(Scripted::Content(week_of("Dinner idea", script)));
    let first = plan_ready(&app, &owner, org, project, "2033-03-01").await;
    let requests = app.llm.drafting_requests();
    let task: Value = serde_json::from_str(requests[0]["messages"][1]["content"].as_str().unwrap()).unwrap();
    assert!(
        task["knowledge"]["what_the_brand_says"][0].as_str().unwrap().contains("fast weeknight dinners"),
        "the model reads the brand document: {task}"
    );
    let feedback = requests[1]["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap();
    assert!(feedback.contains("day 1 slot 2: means the same as day 1 slot 1 of this plan"), "{feedback}");
    assert!(first.iter().all(|s| s["review_notes"].as_array().unwrap().is_empty()), "the repaired plan is clean");

    // A person writes the first slot; the next plan's model, three times
    // (the draft and both repairs), rewords it: kept with the note naming it.
    let slot = format!("/api/orgs/{org}/slots/{}", first[0]["id"].as_str().unwrap());
    let res = app
        .call("PATCH", &slot, Some(&owner), Some(json!({"hook": "One pan pasta for busy nights", "script": script})))
        .await;
    assert_eq!(res.status(), 200);
    let reworded = "Heat a pan, add garlic and tomatoes, then toss the pasta through the sauce for two minutes and \
                    serve the family straight from the pan.";
    for _ in 0..3 {
        app.llm.push(Scripted::Content(week_of("One pan pasta for a busy night", reworded)));
    }
    let second = plan_ready(&app, &owner, org, project, "2033-04-01").await;
    let notes = second[0]["review_notes"].as_array().unwrap();
    let note = notes.iter().find(|n| n["check"] == "similarity").unwrap_or_else(|| panic!("{notes:?}"));
    let reason = note["reason"].as_str().unwrap();
    assert!(reason.starts_with("means the same as the slot of 2033-03-0"), "{reason}");
    assert!(reason.contains("One pan pasta for busy nights"), "{reason}: names the slot it resembles");

    // The plan's slots are knowledge too, found by meaning.
    let hits = search(&app, &owner, org, "pasta tossed in tomato sauce in a single pan").await;
    assert!(hits.iter().any(|h| h["source"] == "slot"), "{hits:?}");
}
