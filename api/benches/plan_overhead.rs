//! Orchestration overhead of a 90-slot month plan with a zero-latency model
//! (the OpenAI-compatible simulator answers in well under a millisecond), so
//! what is measured is Temporal, the worker, PostgreSQL and the API. Needs
//! the servers `make bench` starts. Prints timings and the ratio to the 3 s
//! target; it asserts nothing about time.

// Printing the figures is the point of a benchmark.
#![allow(unreachable_pub, dead_code, clippy::print_stdout)]

#[path = "../tests/api/helpers.rs"]
mod helpers;

use helpers::{TestApp, json_body};
use serde_json::json;
use std::time::{Duration, Instant};

const RUNS: usize = 5;
const TARGET: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() {
    let app = TestApp::spawn().await;
    let owner = app.user("bench").await;
    let org = app.create_org(&owner, "Bench").await;
    let project = app.create_project(&owner, org, json!({"name": "Bench", "niche": "benchmarks"})).await;

    let mut times = Vec::with_capacity(RUNS);
    for run in 0..RUNS {
        let started = Instant::now();
        let res = app
            .post_json(
                &format!("/api/orgs/{org}/projects/{project}/plans"),
                &owner,
                json!({"start_date": format!("2033-{:02}-01", run + 1)}),
            )
            .await;
        let plan = json_body(res).await["plan_id"].as_str().unwrap().to_owned();
        loop {
            let body = json_body(app.get(&format!("/api/orgs/{org}/plans/{plan}"), &owner).await).await;
            if body["status"] == "ready" {
                assert_eq!(body["slot_counts"]["draft"], 90);
                break;
            }
            assert_ne!(body["status"], "failed", "{body}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[RUNS / 2];
    let calls = app.llm.requests().len() / RUNS;
    println!("month plan, 90 slots, zero-latency model, {RUNS} runs (request to ready, polled every 20 ms)");
    println!(
        "  min {:.3} s  median {:.3} s  max {:.3} s",
        times[0].as_secs_f64(),
        median.as_secs_f64(),
        times[RUNS - 1].as_secs_f64()
    );
    println!("  LLM calls per plan: {calls}; overhead per slot: {:.1} ms", median.as_secs_f64() * 1000.0 / 90.0);
    println!(
        "  target {:.1} s / median = {:.1}x headroom",
        TARGET.as_secs_f64(),
        TARGET.as_secs_f64() / median.as_secs_f64()
    );
}
