//! `reelpilot-llm-server MODEL.gguf [ADDR]`: an OpenAI-compatible
//! `POST /v1/chat/completions` on a local GGUF model through llama.cpp.
//! `response_format: {"type": "json_schema", ...}` becomes a grammar, so the
//! answer always parses as JSON of that schema. One model, one request at a
//! time, on its own thread (llama.cpp contexts are not shared across threads).

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::IntoResponse,
    routing::{get, post},
};
use llama_cpp_2::{
    context::params::LlamaContextParams,
    llama_backend::LlamaBackend,
    llama_batch::LlamaBatch,
    model::{LlamaChatMessage, LlamaModel, params::LlamaModelParams},
    sampling::LlamaSampler,
};
use serde_json::{Value, json};
use std::{num::NonZeroU32, sync::mpsc, time::Instant};
use tokio::sync::oneshot;

const CONTEXT_TOKENS: u32 = 8192;
const DEFAULT_MAX_TOKENS: usize = 4096;

struct Job {
    request: Value,
    reply: oneshot::Sender<Result<Value, String>>,
}

#[derive(Clone)]
struct Queue {
    jobs: mpsc::Sender<Job>,
    model_name: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: reelpilot-llm-server MODEL.gguf [127.0.0.1:11436]")?;
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:11436".into());
    let model_name = std::path::Path::new(&path).file_stem().and_then(|s| s.to_str()).unwrap_or("local").to_owned();

    let (jobs, queue) = mpsc::channel::<Job>();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let backend = LlamaBackend::init().expect("llama.cpp initialises");
        let model = LlamaModel::load_from_file(&backend, &path, &LlamaModelParams::default()).expect("the model loads");
        ready_tx.send(()).expect("the server waits for the model");
        for job in queue {
            let result = complete(&backend, &model, &job.request);
            let _ = job.reply.send(result);
        }
    });
    ready_rx.recv()?;
    eprintln!("model {model_name} loaded; OpenAI-compatible API at http://{addr}/v1");

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/models", get(models))
            .with_state(Queue { jobs, model_name });
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        axum::serve(listener, app).with_graceful_shutdown(shutdown()).await
    })?;
    Ok(())
}

/// Ctrl-C or SIGTERM: finish the request in hand, then stop.
async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

async fn models(State(q): State<Queue>) -> Json<Value> {
    Json(json!({"object": "list", "data": [{"id": q.model_name, "object": "model"}]}))
}

async fn chat(State(q): State<Queue>, Json(request): Json<Value>) -> impl IntoResponse {
    let (reply, answer) = oneshot::channel();
    if q.jobs.send(Job { request, reply }).is_err() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the model thread stopped".into());
    }
    match answer.await {
        Ok(Ok(body)) => (StatusCode::OK, Json(body)).into_response(),
        Ok(Err(message)) => error(StatusCode::BAD_REQUEST, message),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the model thread dropped the request".into()),
    }
}

fn error(status: StatusCode, message: String) -> axum::response::Response {
    (status, Json(json!({"error": {"message": message, "type": "invalid_request_error", "code": null}})))
        .into_response()
}

/// Runs one chat completion to the end of the answer or `max_tokens`.
fn complete(backend: &LlamaBackend, model: &LlamaModel, request: &Value) -> Result<Value, String> {
    let started = Instant::now();
    let messages: Vec<LlamaChatMessage> = request["messages"]
        .as_array()
        .ok_or("messages must be an array")?
        .iter()
        .map(|m| {
            LlamaChatMessage::new(
                m["role"].as_str().unwrap_or("user").to_owned(),
                m["content"].as_str().unwrap_or("").to_owned(),
            )
            .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let template = model.chat_template(None).map_err(|e| format!("the model has no chat template: {e}"))?;
    let prompt = model.apply_chat_template(&template, &messages, true).map_err(|e| e.to_string())?;

    let vocab = model.vocab();
    let tokens = vocab.tokenize(prompt.as_bytes(), vocab.should_add_bos(), true);
    let max_tokens = request["max_tokens"].as_u64().map(|n| n as usize).unwrap_or(DEFAULT_MAX_TOKENS);
    if tokens.len() + max_tokens > CONTEXT_TOKENS as usize {
        return Err(format!(
            "the prompt ({} tokens) and answer do not fit the {CONTEXT_TOKENS}-token context",
            tokens.len()
        ));
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get() as i32);
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(CONTEXT_TOKENS))
        .with_n_batch(CONTEXT_TOKENS)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut ctx = model.new_context(backend, params).map_err(|e| e.to_string())?;

    let mut samplers = Vec::new();
    let schema = &request["response_format"]["json_schema"]["schema"];
    if request["response_format"]["type"] == "json_schema" && schema.is_object() {
        let grammar =
            llama_cpp_2::json_schema_to_grammar(&schema.to_string()).map_err(|e| format!("unsupported schema: {e}"))?;
        samplers.push(LlamaSampler::grammar(model, &grammar, "root").map_err(|e| format!("grammar: {e}"))?);
    }
    let temperature = request["temperature"].as_f64().unwrap_or(0.7) as f32;
    samplers.push(LlamaSampler::temp(temperature));
    samplers.push(LlamaSampler::dist(request["seed"].as_u64().unwrap_or(7) as u32));
    let mut sampler = LlamaSampler::chain_simple(samplers);

    let mut batch = LlamaBatch::new(CONTEXT_TOKENS as usize, 1);
    let last = tokens.len() as i32 - 1;
    for (i, token) in tokens.iter().enumerate() {
        batch.add(*token, i as i32, &[0], i as i32 == last).map_err(|e| e.to_string())?;
    }
    ctx.decode(&mut batch).map_err(|e| e.to_string())?;

    let mut answer = Vec::new();
    let mut position = tokens.len() as i32;
    let mut produced = 0;
    let mut finish = "length";
    while produced < max_tokens {
        // Sampling also accepts the token into the chain (and its grammar).
        let token = sampler.sample(&ctx, batch.n_tokens() - 1);
        if vocab.is_eog(token) {
            finish = "stop";
            break;
        }
        answer.extend(vocab.token_to_piece(token, false, None));
        produced += 1;
        batch.clear();
        batch.add(token, position, &[0], true).map_err(|e| e.to_string())?;
        position += 1;
        ctx.decode(&mut batch).map_err(|e| e.to_string())?;
    }
    let content = String::from_utf8_lossy(&answer).into_owned();
    eprintln!("answered {produced} tokens in {:.1} s", started.elapsed().as_secs_f64());
    Ok(json!({
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": 0,
        "model": request["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": tokens.len(), "completion_tokens": produced, "total_tokens": tokens.len() + produced},
    }))
}
