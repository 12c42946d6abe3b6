//! What both the API and the worker need without linking FFmpeg, Whisper or
//! the local model: typed configuration, telemetry, the database
//! connection, storage, the secret store, readiness probes, and the clients
//! of the providers we call over HTTP (TikTok, the LLM API), in one place.

pub mod client_ip;
pub mod config;
pub mod db;
pub mod egress;
pub mod llm;
pub mod mail;
pub mod metrics;
pub mod readiness;
pub mod secrets;
pub mod storage;
pub mod telemetry;
pub mod tiktok;
pub mod tls;

pub use config::Config;

/// Lower-case hexadecimal of `bytes` (digests, signatures, PKCE challenges).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
