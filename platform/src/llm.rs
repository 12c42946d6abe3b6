//! The language model client: one OpenAI-compatible chat-completions call
//! (OpenRouter by default, any compatible server by base URL), asking for
//! JSON that follows a schema, with a timeout and the token usage and cost
//! of the answer. async-openai itself retries 429 and 5xx answers three
//! times with exponential backoff (0.1 s doubling, at most 8 s); what still
//! fails is left to the activity's Temporal retry policy.

use crate::{
    config::LlmConfig,
    metrics::{LLM_CALLS, LLM_TOKENS},
};
use async_openai::{Client, config::OpenAIConfig, error::OpenAIError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Completion {
    pub content: String,
    pub tokens_in: i32,
    pub tokens_out: i32,
    pub cost_micros: i64,
    pub latency: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the LLM API is rate limiting (429)")]
    RateLimited,
    #[error("the LLM API failed with {0}")]
    Server(u16),
    #[error("the LLM API did not answer in time")]
    Timeout,
    #[error("the LLM API could not be reached: {0}")]
    Unreachable(String),
    #[error("the LLM API refused the request: {0}")]
    Refused(String),
    #[error("the LLM API's answer could not be read: {0}")]
    Unreadable(String),
}

impl LlmError {
    /// Worth another attempt: the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, LlmError::RateLimited | LlmError::Server(_) | LlmError::Timeout | LlmError::Unreachable(_))
    }

    /// The outcome recorded in the audit.
    pub fn outcome(&self) -> &'static str {
        if matches!(self, LlmError::Timeout) { "timeout" } else { "http_error" }
    }
}

pub struct LlmClient {
    client: Client<OpenAIConfig>,
    cfg: LlmConfig,
}

impl LlmClient {
    /// The same client with another key (an org's own).
    pub fn with_api_key(&self, key: &SecretString) -> LlmClient {
        LlmClient::new(&LlmConfig { api_key: Some(key.clone()), ..self.cfg.clone() })
    }

    pub fn new(cfg: &LlmConfig) -> Self {
        // reqwest is built without a default TLS provider; ring is the one the
        // rest of the process uses. A second install is refused, harmlessly.
        crate::tls::install_ring_provider();
        let mut config = OpenAIConfig::new().with_api_base(&cfg.base_url);
        if let Some(key) = &cfg.api_key {
            config = config.with_api_key(key.expose_secret());
        }
        let http = http_client::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("the HTTP client builds");
        LlmClient { client: Client::with_config(config).with_http_client(http), cfg: cfg.clone() }
    }

    pub fn model(&self) -> &str {
        &self.cfg.model
    }

    pub fn repair_attempts(&self) -> u32 {
        self.cfg.repair_attempts
    }

    fn cost_micros(&self, tokens_in: i64, tokens_out: i64) -> i64 {
        (tokens_in * self.cfg.price_in_micros_per_mtok + tokens_out * self.cfg.price_out_micros_per_mtok) / 1_000_000
    }

    /// The most one call with these messages can cost: every two bytes of
    /// the request counted as a token (real tokenisers give about four) and
    /// the whole `max_tokens` answer.
    pub fn worst_case_cost_micros(&self, messages: &[Value], schema: &Value) -> i64 {
        let request_bytes = serde_json::to_string(messages).map_or(0, |m| m.len()) + schema.to_string().len();
        self.cost_micros(request_bytes as i64 / 2 + 64, i64::from(self.cfg.max_output_tokens)).max(1)
    }

    /// One chat completion asking for JSON that follows `schema`.
    pub async fn complete(&self, messages: &[Value], schema: &Value) -> Result<Completion, LlmError> {
        let request = json!({
            "model": self.cfg.model,
            "messages": messages,
            "temperature": 0.8,
            "max_tokens": self.cfg.max_output_tokens,
            "stream": false,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "slots", "strict": false, "schema": schema},
            },
        });
        let started = Instant::now();
        let response: Value = match self.client.chat().create_byot(request).await {
            Ok(response) => response,
            Err(e) => {
                LLM_CALLS.with_label_values(&["error"]).inc();
                return Err(classify(e));
            }
        };
        let latency = started.elapsed();
        let content = response["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| LlmError::Unreadable("no message content in the answer".into()))?
            .to_owned();
        let tokens_in = response["usage"]["prompt_tokens"].as_i64().unwrap_or(0);
        let tokens_out = response["usage"]["completion_tokens"].as_i64().unwrap_or(0);
        LLM_CALLS.with_label_values(&["ok"]).inc();
        LLM_TOKENS.with_label_values(&["in"]).inc_by(tokens_in.max(0) as u64);
        LLM_TOKENS.with_label_values(&["out"]).inc_by(tokens_out.max(0) as u64);
        Ok(Completion {
            content,
            tokens_in: tokens_in as i32,
            tokens_out: tokens_out as i32,
            cost_micros: self.cost_micros(tokens_in, tokens_out),
            latency,
        })
    }
}

fn classify(err: OpenAIError) -> LlmError {
    match err {
        OpenAIError::ApiError(api) => match api.status_code.as_u16() {
            429 => LlmError::RateLimited,
            s if s >= 500 => LlmError::Server(s),
            s => LlmError::Refused(format!("{s}: {}", api.api_error.message)),
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => LlmError::Timeout,
        OpenAIError::Reqwest(e) => match e.status() {
            Some(s) if s.as_u16() == 429 => LlmError::RateLimited,
            Some(s) if s.is_server_error() => LlmError::Server(s.as_u16()),
            // Never the URL: errors reach logs and the plan's failure.
            _ => LlmError::Unreachable(crate::tiktok::describe_http_error(e)),
        },
        // OpenRouter's error bodies carry a numeric `code` (its HTTP status),
        // which async-openai's OpenAI-shaped error type cannot read.
        OpenAIError::JSONDeserialize(e, content) => {
            let body: Value = serde_json::from_str(&content).unwrap_or(Value::Null);
            match body["error"]["code"].as_u64() {
                Some(429) => LlmError::RateLimited,
                Some(code @ 500..=599) => LlmError::Server(code as u16),
                Some(code) => LlmError::Refused(format!("{code}: {}", body["error"]["message"].as_str().unwrap_or(""))),
                None => LlmError::Unreadable(e.to_string()),
            }
        }
        other => LlmError::Unreadable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_llm_api_is_reported_without_its_url() {
        // A port nothing listens on: the connection is refused.
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        crate::tls::install_ring_provider();
        let err = http_client::Client::new()
            .get(format!("http://{dead}/v1/chat/completions?key=canary-in-the-url"))
            .send()
            .await
            .unwrap_err();
        let classified = classify(OpenAIError::Reqwest(err));
        assert!(matches!(classified, LlmError::Unreachable(_)), "{classified:?}");
        let text = format!("{classified} {classified:?}");
        assert!(!text.contains("canary-in-the-url") && !text.contains("/v1/chat"), "{text}");
    }
}
