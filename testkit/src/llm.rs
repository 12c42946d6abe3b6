//! An OpenAI-compatible chat-completions server (`POST /v1/chat/completions`,
//! the shape OpenRouter and OpenAI both speak). Scripted responses are
//! served first, in order (malformed JSON, schema violations, HTTP errors,
//! delays); after them it drafts valid content for whatever slots the
//! request asks for, a marked translation of the segments a translation
//! request sends, or highlights of a transcript. Every request is recorded.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// A 200 whose message content is exactly this text.
    Content(String),
    /// An HTTP error with an OpenAI-style error body.
    Error(u16),
    /// Wait, then answer normally (for timeouts).
    Delay(Duration),
    /// Answer normally, with every `from` in the content replaced by `to`
    /// (to plant restricted words or repeated ideas in valid answers).
    Replace { from: String, to: String },
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Scripted>,
    requests: Vec<Value>,
    authorizations: Vec<Option<String>>,
}

#[derive(Clone, Default)]
pub struct LlmSimulator {
    inner: Arc<Mutex<Inner>>,
}

impl LlmSimulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves on `addr` (port 0 picks one) in the background; returns the
    /// base URL to configure clients with (`http://host:port/v1`).
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}/v1", listener.local_addr()?);
        let app = self.router();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(base)
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route(
                "/v1/models",
                get(|| async { Json(json!({"object": "list", "data": [{"id": "sim/planner", "object": "model"}]})) }),
            )
            .with_state(self.clone())
    }

    pub fn push(&self, answer: Scripted) {
        self.inner.lock().unwrap().script.push_back(answer);
    }

    /// Every request body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// The drafting requests (a month's batches, repairs, improvements),
    /// in order: every request but the other agents' tasks.
    pub fn drafting_requests(&self) -> Vec<Value> {
        self.requests().into_iter().filter(|r| task_of(r).get("task").is_none()).collect()
    }

    /// The `Authorization` header of every request, in order.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.inner.lock().unwrap().authorizations.clone()
    }
}

async fn chat_completions(State(sim): State<LlmSimulator>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    // The script is for drafting calls; the other agents' tasks are answered as usual.
    let drafting = task_of(&body).get("task").is_none();
    let scripted = {
        let mut inner = sim.inner.lock().unwrap();
        inner.requests.push(body.clone());
        inner.authorizations.push(headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned));
        if drafting { inner.script.pop_front() } else { None }
    };
    let content = match scripted {
        Some(Scripted::Content(text)) => text,
        Some(Scripted::Error(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            // OpenRouter's error shape: the code is the HTTP status, a number.
            let body = json!({"error": {"message": format!("simulated {status}"), "code": status.as_u16()}});
            return (status, Json(body)).into_response();
        }
        Some(Scripted::Delay(d)) => {
            tokio::time::sleep(d).await;
            draft(&body)
        }
        Some(Scripted::Replace { from, to }) => draft(&body).replace(&from, &to),
        None => draft(&body),
    };
    let prompt_tokens = body.to_string().len() as u64 / 4;
    let completion_tokens = content.len() as u64 / 4;
    Json(json!({
        "id": "chatcmpl-sim",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens},
    }))
    .into_response()
}

const FORMATS: [&str; 4] = ["talking_head", "voiceover_broll", "listicle", "tutorial"];
const WORDS: [&str; 40] = [
    "quick",
    "secret",
    "simple",
    "honest",
    "bold",
    "lazy",
    "smart",
    "tiny",
    "weekly",
    "morning",
    "evening",
    "budget",
    "classic",
    "fresh",
    "hidden",
    "common",
    "expert",
    "first",
    "last",
    "better",
    "mistake",
    "habit",
    "trick",
    "rule",
    "swap",
    "hack",
    "myth",
    "story",
    "lesson",
    "question",
    "answer",
    "checklist",
    "shortcut",
    "routine",
    "upgrade",
    "tool",
    "idea",
    "test",
    "result",
    "challenge",
];

/// A tiny deterministic generator (splitmix64), so the same request always
/// gets the same answer and different slots get different words.
struct Words(u64);

impl Words {
    fn seeded(parts: &[&str]) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in parts.iter().flat_map(|p| p.bytes().chain([0])) {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        Words(h)
    }

    fn next(&mut self) -> &'static str {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        WORDS[((z ^ (z >> 31)) % WORDS.len() as u64) as usize]
    }

    fn phrase(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(" ")
    }
}

/// A translation task (`{"task": "translate", "target_language", "segments":
/// [{index, text}]}`) answered as a model would shape it: each segment once,
/// its text marked with the target language (the simulator knows no
/// languages), so tests can tell a translation from its source.
fn translate(task: &Value) -> String {
    let language = task["target_language"].as_str().unwrap_or("xx");
    let segments: Vec<Value> = task["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| json!({"index": s["index"], "text": format!("[{language}] {}", s["text"].as_str().unwrap_or(""))}))
        .collect();
    json!({"segments": segments}).to_string()
}

/// A highlights task (`{"task": "highlights", "min_seconds", "max_seconds",
/// "max_highlights", "segments": [{index, start_ms, end_ms, text}]}`)
/// answered as a careful model would: consecutive runs of segments, each
/// just long enough, none overlapping, hooked on their first words.
fn highlights(task: &Value) -> String {
    let min_ms = task["min_seconds"].as_i64().unwrap_or(15) * 1000;
    let max_ms = task["max_seconds"].as_i64().unwrap_or(60) * 1000;
    let most = task["max_highlights"].as_u64().unwrap_or(3) as usize;
    let segments: Vec<&Value> = task["segments"].as_array().into_iter().flatten().collect();
    let mut found = Vec::new();
    let mut first = 0;
    while first < segments.len() && found.len() < most {
        let start = segments[first]["start_ms"].as_i64().unwrap_or(0);
        let last = (first..segments.len()).find(|&i| segments[i]["end_ms"].as_i64().unwrap_or(0) - start >= min_ms);
        let Some(last) = last else { break };
        if segments[last]["end_ms"].as_i64().unwrap_or(0) - start <= max_ms {
            let opening: String =
                segments[first]["text"].as_str().unwrap_or("").split_whitespace().take(6).collect::<Vec<_>>().join(" ");
            found.push(json!({
                "first_segment": first,
                "last_segment": last,
                "hook": format!("Watch this: {opening}"),
                "reason": "a self-contained point that opens strong",
            }));
        }
        first = last + 1;
    }
    json!({"highlights": found}).to_string()
}

/// The task of a request: its first user message, as JSON.
fn task_of(body: &Value) -> Value {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "user")
        .find_map(|m| m["content"].as_str().and_then(|c| serde_json::from_str::<Value>(c).ok()))
        .unwrap_or(Value::Null)
}

/// A creative task (`{"task": "creative", "niche", "days", "what_rises"?}`)
/// answered as a planner would: three series taking turns day by day (days
/// 1, 4, 7, ... for the first), the first leaning on the strongest rising
/// choice when there is one.
fn creative(task: &Value) -> String {
    let niche = task["niche"].as_str().filter(|n| !n.is_empty()).unwrap_or("everyday life");
    let days = task["days"].as_i64().unwrap_or(30);
    let rising = task["what_rises"]["rising"][0]["value"].as_str();
    let names = ["Five-minute fixes", "Myth or fact", "Behind the scenes"];
    let series: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let angle = match (i, rising) {
                (0, Some(value)) => format!("quick {niche} wins, leaning on {value}, which rises in our results"),
                _ => format!("{name}: {niche} for people who want it simple"),
            };
            let days: Vec<i64> = (1..=days).filter(|d| (d - 1) % 3 == i as i64).take(10).collect();
            json!({"name": name, "angle": angle, "days": days})
        })
        .collect();
    json!({"series": series}).to_string()
}

/// An analytics task (`{"task": "analytics", "what_worked", "what_rises"?}`)
/// answered from its own figures, as a careful analyst would: the best
/// post and its views, the strongest rising choice, one thing to try.
fn analytics(task: &Value) -> String {
    let best = &task["what_worked"]["best_posts"][0];
    let worked = match best["hook"].as_str() {
        Some(hook) => {
            vec![format!("\"{hook}\" drew {} views as a {}", best["views"], best["format"].as_str().unwrap_or("post"))]
        }
        None => vec![],
    };
    let rising = task["what_rises"]["rising"][0]["value"].as_str();
    let try_next = match rising {
        Some(value) => format!("More posts with {value}, which rises in our results"),
        None => "Test a new hook style on two posts".to_owned(),
    };
    json!({"headline": format!("{} posts measured this week", task["what_worked"]["posts_measured"]), "worked": worked, "try_next": [try_next]}).to_string()
}

/// A prompt review task (`{"task": "prompt_review", "instructions",
/// "findings": [{finding, slots}]}`) answered as a prompt engineer would:
/// the instructions kept, with a rule against the most frequent finding.
fn prompt_review(task: &Value) -> String {
    let instructions = task["instructions"].as_str().unwrap_or("");
    let top = task["findings"][0]["finding"].as_str().unwrap_or("repetition");
    json!({
        "instructions": format!("{instructions}\n\nNever again: {top}."),
        "rationale": format!("{} slots were flagged for \"{top}\"", task["findings"][0]["slots"]),
    })
    .to_string()
}

/// A policy task (`{"task": "policy", "rules": [{rule, question}], "items":
/// [{key, text}]}`) answered as a literal-minded model would: an item
/// breaks a rule when its text contains a phrase the question quotes
/// (`Does it mention "AcmeCorp"?`), so tests choose what a rule catches.
fn policy(task: &Value) -> String {
    let mut verdicts = Vec::new();
    for item in task["items"].as_array().into_iter().flatten() {
        let text = item["text"].as_str().unwrap_or("").to_lowercase();
        for rule in task["rules"].as_array().into_iter().flatten() {
            let question = rule["question"].as_str().unwrap_or("");
            let quoted =
                question.split('"').skip(1).step_by(2).find(|q| !q.is_empty() && text.contains(&q.to_lowercase()));
            verdicts.push(json!({
                "key": item["key"],
                "rule": rule["rule"],
                "violates": quoted.is_some(),
                "reason": quoted.map(|q| format!("it mentions \"{q}\"")).unwrap_or_default(),
            }));
        }
    }
    json!({"verdicts": verdicts}).to_string()
}

/// Valid content for the slots the request's task asks for: the first user
/// message is the task as JSON with a `slots` list of `{day_index,
/// slot_index, date}`, a `niche`, and optionally an `instruction` and
/// `what_worked`; a slot may carry a `suggested_format`, which it follows.
/// Each slot gets its own words, so slots never look alike.
fn draft(body: &Value) -> String {
    let task = task_of(body);
    if task["task"] == "creative" {
        return creative(&task);
    }
    if task["task"] == "analytics" {
        return analytics(&task);
    }
    if task["task"] == "prompt_review" {
        return prompt_review(&task);
    }
    if task["task"] == "translate" {
        return translate(&task);
    }
    if task["task"] == "highlights" {
        return highlights(&task);
    }
    if task["task"] == "policy" {
        return policy(&task);
    }
    let niche = task["niche"].as_str().filter(|n| !n.is_empty()).unwrap_or("everyday life");
    let twist = task["instruction"].as_str().map(|i| format!(" ({i})")).unwrap_or_default();
    // Like a real model given `what_worked`: lean on the best post's format and say so.
    let best = &task["what_worked"]["best_posts"][0];
    let best_format = best["format"].as_str().and_then(|f| FORMATS.iter().find(|known| **known == f));
    let slots: Vec<Value> = task["slots"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let (day, index) = (s["day_index"].as_i64().unwrap_or(0), s["slot_index"].as_i64().unwrap_or(0));
            let date = s["date"].as_str().unwrap_or("");
            let mut words = Words::seeded(&[niche, date, &day.to_string(), &index.to_string(), &twist]);
            let suggested = s["suggested_format"].as_str().and_then(|f| FORMATS.iter().find(|known| **known == f));
            let format = suggested
                .or(best_format)
                .copied()
                .unwrap_or(FORMATS[((day + index) % FORMATS.len() as i64) as usize]);
            let builds_on = match best["hook"].as_str() {
                Some(hook) => format!(" and builds on \"{hook}\" ({} views)", best["views"]),
                None => String::new(),
            };
            let (problem, fix) = (words.phrase(5), words.phrase(5));
            let sentences = [
                format!("Open on the problem: {problem}."),
                format!("Show the fix: {fix}."),
                "Close with a question for viewers.".to_owned(),
            ];
            // Like a model answering the shot list: one scene per sentence.
            let shots: Vec<Value> = sentences
                .iter()
                .zip(["footage", "text_card", "still"])
                .map(|(text, visual)| {
                    let search: Vec<&str> = text.split(' ').filter(|w| w.len() > 4).take(2).collect();
                    let search: Vec<String> = search.iter().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned()).collect();
                    json!({"text": text, "visual": visual, "search": search})
                })
                .collect();
            json!({
                "day_index": day,
                "slot_index": index,
                "hook": format!("The {} {niche} {}{twist}", words.phrase(4), words.phrase(3)),
                "script": sentences.join(" "),
                "shots": shots,
                "caption": format!("{} {}", words.phrase(5), niche),
                "hashtags": [format!("#{}", words.next()), "#howto".to_owned()],
                "format": format,
                "confidence": 0.5 + ((day * 3 + index) % 5) as f64 / 10.0,
                "rationale": format!("{format} posts in this slot fit the audience; the angle is {}{builds_on}", words.phrase(2)),
            })
        })
        .collect();
    json!({"slots": slots}).to_string()
}
