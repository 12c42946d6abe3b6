//! `make eval-models`: how well an offline model drafts a month. Drives the
//! local model server (`reelpilot-llm-server`) the way the drafting activity
//! does, one day per call as `make dev` configures it: the production task,
//! batch schema (as a grammar), validation, review (policy, QA agent,
//! off-topic and similarity guards on the real embedding model) and repair
//! prompt, with one repair. Days build on each other like a plan's batches
//! (what a day said, the next day must not repeat).
//!
//! `offline_models URL MODEL_NAME DAYS` with `EMBEDDING_MODEL_DIR` and
//! `ONNXRUNTIME_LIB` set; prints one JSON line with the figures and writes it
//! to `$TEST_OUTPUT_DIR/bench/offline-model-<name>.json`.

#![allow(clippy::print_stdout)]

use anyhow::{Context, Result};
use chrono::{Duration as Days, NaiveDate};
use domain::knowledge::KnownSlot;
use domain::planning::{
    drafting::{DraftContext, Knowledge, Target},
    generation,
    prompts::{DEFAULT_INSTRUCTIONS, PromptSet},
};
use domain::policy::RuleSet;
use embed::Embedder;
use platform::{config::LlmConfig, llm::LlmClient};
use serde_json::json;
use std::{collections::BTreeMap, path::PathBuf, time::Duration};
use uuid::Uuid;

const REPAIRS: usize = 1;
const SLOTS_PER_DAY: i32 = 3;

#[derive(Default)]
struct Tally {
    slots: usize,
    passed_first: usize,
    passed_after_repair: usize,
    invalid_answers: usize,
    calls: usize,
    tokens_out: i64,
    generation_secs: f64,
    day_secs: Vec<f64>,
    reasons: BTreeMap<String, usize>,
    samples: Vec<serde_json::Value>,
}

fn env_path(name: &str) -> Result<PathBuf> {
    Ok(PathBuf::from(std::env::var(name).with_context(|| format!("{name} is not set"))?))
}

/// The first words of a review note, so notes of one kind count together.
fn reason_kind(problem: &str) -> String {
    let reason = problem.split_once(": ").map_or(problem, |(_, r)| r);
    reason.split(['(', ';', '"']).next().unwrap_or(reason).split_whitespace().take(6).collect::<Vec<_>>().join(" ")
}

fn project() -> entities::projects::Model {
    let now = chrono::Utc::now().fixed_offset();
    entities::projects::Model {
        id: Uuid::new_v4(),
        org_id: Uuid::new_v4(),
        name: "Weeknight Kitchen".into(),
        niche: "quick home cooking for weeknights".into(),
        audience: "busy parents who cook after work".into(),
        language: "en".into(),
        timezone: "UTC".into(),
        posting_times: json!(["09:00", "13:00", "19:00"]),
        autopilot: false,
        gates: json!({}),
        budgets: json!({}),
        brand_voice: String::new(),
        tiktok_account_id: None,
        post_mode: "direct".into(),
        publish_defaults: None,
        video_style: json!({}),
        created_at: now,
        updated_at: now,
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().context("usage: offline_models URL MODEL_NAME DAYS")?;
    let name = args.next().context("the model's name")?;
    let days: i32 = args.next().context("how many days")?.parse()?;
    let embedder = Embedder::load(&env_path("EMBEDDING_MODEL_DIR")?, &env_path("ONNXRUNTIME_LIB")?)?;
    let client = LlmClient::new(&LlmConfig {
        base_url: url,
        api_key: None,
        model: name.clone(),
        timeout: Duration::from_secs(1800),
        repair_attempts: REPAIRS as u32,
        price_in_micros_per_mtok: 0,
        price_out_micros_per_mtok: 0,
        max_output_tokens: 4096,
        batch_days: 1,
        placeholder: true,
    });

    let project = project();
    let mut context = DraftContext {
        prompts: PromptSet { brand_voice: (0, String::new()), instructions: (0, DEFAULT_INSTRUCTIONS.into()) },
        plan_id: Uuid::new_v4(),
        targets: vec![],
        known: vec![],
        what_worked: None,
        knowledge: Knowledge::default(),
        rules: RuleSet::builtin(),
        brief: None,
        project,
    };
    context.knowledge.topic = Some(embedder.embed_one(&context.topic_text())?);
    let first = NaiveDate::from_ymd_opt(2033, 3, 1).expect("a date");
    let mut tally = Tally::default();

    for day in 0..days {
        let date = (first + Days::days(i64::from(day))).to_string();
        context.targets = (0..SLOTS_PER_DAY)
            .map(|slot| Target {
                slot_id: Uuid::new_v4(),
                day_index: day,
                slot_index: slot,
                local_time: ["09:00", "13:00", "19:00"][slot as usize].into(),
                date: date.clone(),
                suggestion: None,
            })
            .collect();
        let expected = context.expected();
        let bounds = context.bounds();
        let schema = generation::batch_schema(&expected, &bounds);
        let mut messages = context.messages(None);
        let mut day_secs = 0.0;
        let mut kept = None;
        for round in 0..=REPAIRS {
            let answer = client.complete(&messages, &schema).await.context("the model answers")?;
            tally.calls += 1;
            tally.tokens_out += i64::from(answer.tokens_out);
            tally.generation_secs += answer.latency.as_secs_f64();
            day_secs += answer.latency.as_secs_f64();
            let problems = match generation::validate_batch(&answer.content, &expected, &bounds) {
                Ok(drafts) => {
                    let meanings = embedder.embed(&drafts.iter().map(DraftContext::draft_text).collect::<Vec<_>>())?;
                    let (problems, notes) = context.review(&drafts, &meanings, &Default::default());
                    let clean = drafts.iter().filter(|d| !notes.contains_key(&(d.day_index, d.slot_index))).count();
                    if round == 0 {
                        tally.passed_first += clean;
                    }
                    if problems.is_empty() || round == REPAIRS {
                        tally.passed_after_repair += clean;
                        for p in &problems {
                            *tally.reasons.entry(reason_kind(p)).or_default() += 1;
                        }
                        kept = Some((drafts, meanings));
                    }
                    problems
                }
                Err(errors) => {
                    tally.invalid_answers += 1;
                    errors
                }
            };
            if kept.is_some() {
                break;
            }
            DraftContext::repair(&mut messages, &answer.content, &problems);
        }
        tally.slots += expected.len();
        tally.day_secs.push(day_secs);
        if let Some((drafts, meanings)) = kept {
            for (d, meaning) in drafts.iter().zip(meanings) {
                if tally.samples.len() < 6 {
                    tally.samples.push(json!({"hook": d.hook, "script": d.script, "hashtags": d.hashtags}));
                }
                let at = format!("{date} {}", context.targets[d.slot_index as usize].local_time);
                context.known.push((format!("the post of {at}"), generation::shingles(&d.hook, &d.caption)));
                context.knowledge.known.push(KnownSlot {
                    slot_id: Uuid::new_v4(),
                    scheduled_at: at,
                    hook: d.hook.clone(),
                    published: false,
                    meaning,
                });
            }
        }
        eprintln!("{name}: day {} drafted in {day_secs:.0} s", day + 1);
    }

    let share = |n: usize| (n as f64 / tally.slots.max(1) as f64 * 100.0).round();
    let mean_day = tally.day_secs.iter().sum::<f64>() / tally.day_secs.len().max(1) as f64;
    let figures = json!({
        "model": name,
        "days": days,
        "slots": tally.slots,
        "calls": tally.calls,
        "invalid_answers": tally.invalid_answers,
        "tokens_per_second": (tally.tokens_out as f64 / tally.generation_secs.max(1e-9) * 10.0).round() / 10.0,
        "passed_first_try_percent": share(tally.passed_first),
        "passed_after_repair_percent": share(tally.passed_after_repair),
        "seconds_per_day": mean_day.round(),
        "minutes_per_month": (mean_day * 30.0 / 60.0).round(),
        "remaining_problems": tally.reasons,
        "samples": tally.samples,
    });
    println!("{figures}");
    if let Ok(dir) = std::env::var("TEST_OUTPUT_DIR") {
        let dir = PathBuf::from(dir).join("bench");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("offline-model-{name}.json")), serde_json::to_string_pretty(&figures)?)?;
    }
    Ok(())
}
