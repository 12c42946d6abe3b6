//! One typed configuration, read from environment variables.
//!
//! Every variable is declared once in [`ENV_VARS`]; `.env.example` and
//! `docker-compose.yml` are checked against that list by tests, so the
//! documentation cannot drift from what the code reads. Secrets are
//! [`SecretString`]s: `Debug` prints `[REDACTED]` and there is no `Display`.

use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

/// A variable the configuration reads.
#[derive(Debug, Clone, Copy)]
pub struct EnvVar {
    pub name: &'static str,
    pub default: Option<&'static str>,
    pub secret: bool,
    pub help: &'static str,
}

const fn var(name: &'static str, default: Option<&'static str>, help: &'static str) -> EnvVar {
    EnvVar { name, default, secret: false, help }
}

const fn secret(name: &'static str, help: &'static str) -> EnvVar {
    EnvVar { name, default: None, secret: true, help }
}

/// Every environment variable Reelpilot's binaries read.
pub const ENV_VARS: &[EnvVar] = &[
    secret("DATABASE_URL", "PostgreSQL URL, e.g. postgres://user:pass@host:5432/reelpilot"),
    var("DATABASE_MAX_CONNECTIONS", Some("10"), "connection pool size"),
    var("API_HOST", Some("127.0.0.1"), "address the API listens on"),
    var("API_PORT", Some("8080"), "port the API listens on"),
    var("PUBLIC_BASE_URL", None, "external URL of the API (defaults to http://API_HOST:API_PORT)"),
    var("PUBLIC_WEB_URL", Some("http://127.0.0.1:5173"), "external URL of the web app, for links in emails"),
    var(
        "TRUSTED_PROXIES",
        Some(""),
        "addresses/networks of your own proxies (comma-separated, e.g. 172.16.0.0/12); only their X-Forwarded-For is read",
    ),
    var("TEMPORAL_ADDRESS", Some("http://127.0.0.1:7233"), "Temporal frontend gRPC address"),
    var("TEMPORAL_NAMESPACE", Some("default"), "Temporal namespace"),
    var("TEMPORAL_TASK_QUEUE_PREFIX", Some(""), "prefix for every task queue (isolates test runs)"),
    var("TEMPORAL_UI_URL", Some("http://127.0.0.1:8233"), "Temporal Web UI, for links to runs"),
    var("TEMPORAL_CONNECT_TIMEOUT_SECS", Some("30"), "how long to retry the first Temporal connection"),
    var("STORAGE_BACKEND", Some("local"), "object storage backend: local or s3"),
    var("STORAGE_LOCAL_DIR", Some(".reelpilot/storage"), "directory of the local storage backend"),
    var("S3_ENDPOINT", Some(""), "S3-compatible endpoint URL; empty for AWS itself"),
    var("S3_REGION", Some("us-east-1"), "S3 region"),
    var("S3_BUCKET", Some("reelpilot"), "S3 bucket holding every org's objects (under org/{org_id}/)"),
    var("S3_ACCESS_KEY_ID", None, "S3 access key id (required with STORAGE_BACKEND=s3)"),
    secret("S3_SECRET_ACCESS_KEY", "S3 secret access key (required with STORAGE_BACKEND=s3)"),
    var("S3_FORCE_PATH_STYLE", Some("true"), "path-style URLs (most self-hosted S3 servers need them)"),
    var("SECRET_STORE", Some("embedded"), "secret store backend: embedded or vault"),
    var("SECRETS_DIR", Some(".reelpilot/secrets"), "directory of the embedded secret store"),
    secret("SECRETS_MASTER_KEY", "embedded store: base64 of 32 bytes; unset = a generated 0600 key file"),
    var("VAULT_ADDR", Some("http://127.0.0.1:8200"), "Vault address"),
    secret("VAULT_TOKEN", "Vault token (or use AppRole: VAULT_ROLE_ID and VAULT_SECRET_ID)"),
    var("VAULT_ROLE_ID", None, "Vault AppRole role id"),
    secret("VAULT_SECRET_ID", "Vault AppRole secret id"),
    var("VAULT_APPROLE_MOUNT", Some("approle"), "mount of the AppRole auth method"),
    var("VAULT_KV_MOUNT", Some("secret"), "mount of the KV v2 engine"),
    var("VAULT_TRANSIT_MOUNT", Some("transit"), "mount of the Transit engine"),
    var("VAULT_TRANSIT_KEY", Some("reelpilot"), "Transit key (created as a derived key if missing)"),
    var("VAULT_PATH_PREFIX", Some("reelpilot"), "KV path prefix for Reelpilot's secrets"),
    EnvVar {
        name: "SMTP_URL",
        default: Some("smtp://127.0.0.1:1025"),
        secret: true,
        help: "outgoing mail: smtp://host:port (plain), smtp://user:pass@host:587?tls=required, smtps://...",
    },
    var("MAIL_FROM", Some("Reelpilot <no-reply@reelpilot.local>"), "sender of account emails"),
    var(
        "LLM_BASE_URL",
        Some("https://openrouter.ai/api/v1"),
        "OpenAI-compatible API: OpenRouter, OpenAI, or a local server",
    ),
    secret("LLM_API_KEY", "key of the LLM API (optional for local servers)"),
    var("LLM_MODEL", Some("openai/gpt-4o-mini"), "model name as the API knows it"),
    var(
        "LLM_PLACEHOLDER",
        Some("false"),
        "true when LLM_MODEL is a small offline stand-in: plans it drafts say so in the web app",
    ),
    var("LLM_TIMEOUT_SECS", Some("120"), "timeout of one LLM request"),
    var("LLM_REPAIR_ATTEMPTS", Some("2"), "times the model may correct an invalid answer"),
    var("LLM_PRICE_IN_MICROS_PER_MTOK", Some("150000"), "price of a million input tokens in micro-dollars"),
    var("LLM_PRICE_OUT_MICROS_PER_MTOK", Some("600000"), "price of a million output tokens in micro-dollars"),
    var("LLM_MAX_OUTPUT_TOKENS", Some("4096"), "longest answer asked of the model (bounds each call's cost)"),
    var("PLAN_BATCH_DAYS", Some("7"), "days drafted per LLM call"),
    var(
        "BUDGET_DEFAULT_MONTHLY_LLM_MICROS",
        Some("5000000"),
        "LLM spend per project and month, micro-dollars, unless the project sets less; `unlimited` to lift it",
    ),
    var(
        "BUDGET_DEFAULT_MONTHLY_VIDEO_SECONDS",
        Some("3600"),
        "rendered seconds per project and month, unless the project sets less; `unlimited` to lift it",
    ),
    var(
        "BUDGET_DEFAULT_POSTS_PER_DAY",
        Some("20"),
        "posts per project and day, unless the project sets less; `unlimited`",
    ),
    var(
        "BUDGET_DEFAULT_STORAGE_BYTES",
        Some("5368709120"),
        "stored bytes (uploads and renders) per organisation; `unlimited` to lift it",
    ),
    var(
        "BUDGET_DEFAULT_MONTHLY_ASR_SECONDS",
        Some("36000"),
        "transcribed seconds of imports per project and month, unless the project sets less; `unlimited`",
    ),
    var("TIKTOK_API_BASE", Some("https://open.tiktokapis.com"), "TikTok API (the local sandbox in make dev)"),
    var("TIKTOK_AUTH_URL", Some("https://www.tiktok.com/v2/auth/authorize/"), "TikTok's OAuth authorize page"),
    var("TIKTOK_CLIENT_KEY", None, "TikTok app client key (connecting accounts needs it)"),
    secret("TIKTOK_CLIENT_SECRET", "TikTok app client secret"),
    var(
        "TIKTOK_REDIRECT_URI",
        None,
        "OAuth redirect registered with TikTok (default PUBLIC_BASE_URL/api/tiktok/callback)",
    ),
    var(
        "TIKTOK_SCOPES",
        Some("user.info.basic,video.list,video.upload,video.publish"),
        "scopes asked for when connecting an account",
    ),
    var("TIKTOK_CHUNK_BYTES", Some("10000000"), "upload chunk size, 5 to 64 MB"),
    var("TIKTOK_TIMEOUT_SECS", Some("30"), "timeout of one TikTok API call"),
    var("PUBLISH_STATUS_POLL_SECS", Some("5"), "first wait before checking a post's status (it backs off to 30 s)"),
    var("TIKTOK_REFRESH_BEFORE_SECS", Some("3600"), "refresh a TikTok access token this long before it expires"),
    var("METRICS_EVERY_SECS", Some("21600"), "between metric snapshots of each connected account's posts"),
    var("POST_ID_POLL_SECS", Some("600"), "between checks for a public post's id after moderation (for 24 h)"),
    var("LOG_FORMAT", Some("json"), "json or pretty"),
    var("RUST_LOG", Some("info,sqlx=warn"), "tracing filter directives"),
    var("WORKER_MAX_CONCURRENT_ACTIVITIES", Some("16"), "activity slots of the main worker"),
    var("WORKER_METRICS_ADDR", None, "where the worker serves Prometheus metrics at /metrics (unset: not served)"),
    var(
        "TEMPORAL_SDK_METRICS_ADDR",
        None,
        "where the worker serves the Temporal SDK's own Prometheus metrics (task latencies, polls, slots; unset: not served)",
    ),
    var("RENDER_MAX_CONCURRENT", Some("1"), "renders one worker runs at once (each uses every core)"),
    var("RENDER_WORK_DIR", Some(".reelpilot/render"), "scratch space of renders (cleaned after each)"),
    var("TTS_VOICE", Some("piper"), "voice-over engine: piper (falls back to espeak-ng) or espeak"),
    var("PIPER_PYTHON", Some(".reelpilot/venv/bin/python"), "Python with piper-tts installed"),
    var("PIPER_MODEL", Some(""), "Piper .onnx voice; empty for the bundled en_US Joe voice"),
    var("IMPORT_MAX_CONCURRENT", Some("1"), "imports (download and transcription) one worker runs at once"),
    var("IMPORT_WORK_DIR", Some(".reelpilot/imports"), "scratch space of imports (cleaned after each step)"),
    var("IMPORT_MAX_DURATION_SECS", Some("7200"), "longest video an import accepts"),
    var("IMPORT_MAX_BYTES", Some("2147483648"), "largest download an import accepts"),
    var("IMPORT_FETCH_TIMEOUT_SECS", Some("1800"), "longest time one download may take"),
    var(
        "IMPORT_ALLOW_ADDRESSES",
        Some(""),
        "hosts an import URL may reach although they are not public (comma-separated host[:port]; for local test servers only)",
    ),
    var("YT_DLP", Some(".reelpilot/venv/bin/yt-dlp"), "yt-dlp executable (pinned, installed by make dev)"),
    var(
        "WHISPER_MODEL",
        Some(".reelpilot/models/ggml-whisper-base-1.0.0.bin"),
        "multilingual Whisper ggml model (converted at install by make dev)",
    ),
    var("ASR_THREADS", Some("1"), "CPU threads of one transcription"),
    var(
        "EMBEDDING_MODEL_DIR",
        Some(".reelpilot/models/all-MiniLM-L6-v2-int8-1.0.0"),
        "all-MiniLM-L6-v2 (ONNX and tokenizer files) for retrieval and the similarity guard (installed by make dev)",
    ),
    var(
        "ONNXRUNTIME_LIB",
        Some(".reelpilot/venv/lib/python3.11/site-packages/onnxruntime/capi/libonnxruntime.so.1.32.0"),
        "the onnxruntime shared library that runs the embedding model (the one piper-tts installs)",
    ),
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
    #[error("invalid value for {var}: {reason}")]
    Invalid { var: &'static str, reason: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub api: ApiConfig,
    pub temporal: TemporalConfig,
    pub storage: StorageConfig,
    pub secrets: SecretStoreConfig,
    pub telemetry: TelemetryConfig,
    pub worker: WorkerConfig,
    pub render: RenderConfig,
    pub import: ImportConfig,
    pub embedding: EmbeddingConfig,
    pub tiktok: TikTokConfig,
    pub mail: MailConfig,
    pub llm: LlmConfig,
    pub budgets: BudgetDefaults,
}

/// A limit from config: a number, or `unlimited` (only ever by explicit setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<i64>);

impl FromStr for Limit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "unlimited" => Ok(Limit(None)),
            n => n
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(|n| Limit(Some(n)))
                .ok_or_else(|| "must be a whole number of at least 0, or `unlimited`".to_owned()),
        }
    }
}

/// The platform's budgets, applied to every project (and, for storage,
/// every org) that does not set a smaller one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetDefaults {
    pub monthly_llm_micros: Limit,
    pub monthly_video_seconds: Limit,
    pub posts_per_day: Limit,
    pub storage_bytes: Limit,
    pub monthly_asr_seconds: Limit,
}

#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
    pub timeout: Duration,
    pub repair_attempts: u32,
    pub price_in_micros_per_mtok: i64,
    pub price_out_micros_per_mtok: i64,
    /// Sent as `max_tokens`; with the prompt's size it bounds what one call
    /// can cost, which is what a call reserves from the budget.
    pub max_output_tokens: u32,
    pub batch_days: u32,
    /// The model is a small offline stand-in (the built-in SmolLM2): what
    /// it drafts is marked as such for people.
    pub placeholder: bool,
}

#[derive(Debug, Clone)]
pub struct TikTokConfig {
    pub api_base: String,
    pub auth_url: String,
    /// `None` until the operator registers an app; connecting is refused then.
    pub client_key: Option<String>,
    pub client_secret: Option<SecretString>,
    pub redirect_uri: String,
    pub scopes: String,
    pub chunk_bytes: u64,
    pub timeout: Duration,
    /// How often publish status and the public post id are checked.
    pub poll: PollIntervals,
    /// Between metric snapshots of an account's posts.
    pub metrics_every: Duration,
    /// Tokens are refreshed this long before they expire.
    pub refresh_before: Duration,
}

/// Seconds between TikTok checks (see `temporal::pipeline::PollSettings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollIntervals {
    pub status_first_secs: u64,
    pub status_max_secs: u64,
    pub status_deadline_secs: u64,
    pub post_id_every_secs: u64,
    pub post_id_for_secs: u64,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp_url: SecretString,
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    pub public_base_url: String,
    pub public_web_url: String,
    /// Proxies whose `X-Forwarded-For` names the client (see `client_ip`).
    pub trusted_proxies: crate::client_ip::TrustedProxies,
}

#[derive(Debug, Clone)]
pub struct TemporalConfig {
    pub address: url::Url,
    pub namespace: String,
    pub task_queue_prefix: String,
    pub ui_url: String,
    pub connect_timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum StorageConfig {
    Local { dir: PathBuf },
    S3(S3Config),
}

#[derive(Debug, Clone)]
pub struct S3Config {
    /// `None` for AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub force_path_style: bool,
}

#[derive(Debug)]
pub enum SecretStoreConfig {
    Embedded { dir: PathBuf, master_key: Option<SecretBox<[u8; 32]>> },
    Vault(VaultConfig),
}

impl Clone for SecretStoreConfig {
    fn clone(&self) -> Self {
        match self {
            SecretStoreConfig::Embedded { dir, master_key } => SecretStoreConfig::Embedded {
                dir: dir.clone(),
                master_key: master_key.as_ref().map(|k| SecretBox::new(Box::new(*k.expose_secret()))),
            },
            SecretStoreConfig::Vault(v) => SecretStoreConfig::Vault(v.clone()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct VaultConfig {
    pub address: String,
    pub auth: VaultAuth,
    pub kv_mount: String,
    pub transit_mount: String,
    pub transit_key: String,
    pub path_prefix: String,
}

#[derive(Debug, Clone)]
pub enum VaultAuth {
    Token(SecretString),
    AppRole { mount: String, role_id: String, secret_id: SecretString },
}

impl VaultAuth {
    /// Whether a refused token can be replaced by logging in again.
    pub fn can_log_in(&self) -> bool {
        matches!(self, VaultAuth::AppRole { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub max_concurrent_activities: usize,
    /// Where `/metrics` is served, if at all.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Where the Temporal SDK's own metrics are served, if at all.
    pub sdk_metrics_addr: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceConfig {
    Piper { python: PathBuf, model: Option<PathBuf> },
    Espeak,
}

/// Imports: where yt-dlp and Whisper are, what an import may reach, and
/// how much it may bring in.
#[derive(Debug, Clone)]
pub struct ImportConfig {
    pub max_concurrent: usize,
    pub work_dir: PathBuf,
    pub max_duration: Duration,
    pub max_bytes: u64,
    pub fetch_timeout: Duration,
    /// Hosts reachable despite not being public (`host[:port]`), checked by
    /// `egress::AddressPolicy::from_list` when read.
    pub allow_addresses: String,
    pub yt_dlp: PathBuf,
    pub whisper_model: PathBuf,
    pub asr_threads: u16,
}

/// The embedding model of retrieval and the similarity guard.
#[derive(Debug, Clone)]
pub struct EmbeddingConfig {
    pub model_dir: PathBuf,
    pub onnxruntime_lib: PathBuf,
}

#[derive(Debug, Clone)]
pub struct RenderConfig {
    pub max_concurrent: usize,
    pub work_dir: PathBuf,
    pub voice: VoiceConfig,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&lookup);
        let host: std::net::IpAddr = vars.parse("API_HOST")?;
        let port: u16 = vars.parse("API_PORT")?;
        let listen = SocketAddr::new(host, port);
        let public_base_url = vars
            .optional("PUBLIC_BASE_URL")
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();

        let storage = match vars.get("STORAGE_BACKEND")?.as_str() {
            "local" => StorageConfig::Local { dir: vars.get("STORAGE_LOCAL_DIR")?.into() },
            "s3" => StorageConfig::S3(S3Config {
                endpoint: vars
                    .optional("S3_ENDPOINT")
                    .filter(|e| !e.is_empty())
                    .map(|e| e.trim_end_matches('/').into()),
                region: vars.get("S3_REGION")?,
                bucket: vars.get("S3_BUCKET")?,
                access_key_id: vars.get("S3_ACCESS_KEY_ID")?,
                secret_access_key: SecretString::from(vars.get("S3_SECRET_ACCESS_KEY")?),
                force_path_style: vars.parse("S3_FORCE_PATH_STYLE")?,
            }),
            other => {
                return Err(invalid("STORAGE_BACKEND", format!("unknown backend {other:?}")));
            }
        };
        let secrets = match vars.get("SECRET_STORE")?.as_str() {
            "embedded" => SecretStoreConfig::Embedded {
                dir: vars.get("SECRETS_DIR")?.into(),
                master_key: match vars.optional("SECRETS_MASTER_KEY") {
                    None => None,
                    Some(encoded) => {
                        use base64::Engine;
                        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok();
                        let key: [u8; 32] = bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| {
                            invalid("SECRETS_MASTER_KEY", "must be base64 of exactly 32 bytes".into())
                        })?;
                        Some(SecretBox::new(Box::new(key)))
                    }
                },
            },
            "vault" => SecretStoreConfig::Vault(VaultConfig {
                address: vars.get("VAULT_ADDR")?,
                auth: match (vars.optional("VAULT_TOKEN"), vars.optional("VAULT_ROLE_ID")) {
                    (Some(token), _) => VaultAuth::Token(SecretString::from(token)),
                    (None, Some(role_id)) => VaultAuth::AppRole {
                        mount: vars.get("VAULT_APPROLE_MOUNT")?,
                        role_id,
                        secret_id: SecretString::from(vars.get("VAULT_SECRET_ID")?),
                    },
                    (None, None) => return Err(ConfigError::Missing("VAULT_TOKEN")),
                },
                kv_mount: vars.get("VAULT_KV_MOUNT")?,
                transit_mount: vars.get("VAULT_TRANSIT_MOUNT")?,
                transit_key: vars.get("VAULT_TRANSIT_KEY")?,
                path_prefix: vars.get("VAULT_PATH_PREFIX")?,
            }),
            other => {
                return Err(invalid("SECRET_STORE", format!("unknown backend {other:?}")));
            }
        };
        let voice = match vars.get("TTS_VOICE")?.as_str() {
            "piper" => VoiceConfig::Piper {
                python: vars.get("PIPER_PYTHON")?.into(),
                model: vars.optional("PIPER_MODEL").filter(|m| !m.is_empty()).map(PathBuf::from),
            },
            "espeak" => VoiceConfig::Espeak,
            other => {
                return Err(invalid("TTS_VOICE", format!("expected piper or espeak, got {other:?}")));
            }
        };
        let format = match vars.get("LOG_FORMAT")?.as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                return Err(invalid("LOG_FORMAT", format!("expected json or pretty, got {other:?}")));
            }
        };

        let database_url = vars.get("DATABASE_URL")?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            // Never echo the value: it usually carries a password.
            return Err(invalid("DATABASE_URL", "must be a postgres:// URL".into()));
        }

        Ok(Config {
            database: DatabaseConfig {
                url: SecretString::from(database_url),
                max_connections: vars.parse("DATABASE_MAX_CONNECTIONS")?,
            },
            api: ApiConfig {
                listen,
                public_base_url: public_base_url.clone(),
                public_web_url: vars.get("PUBLIC_WEB_URL")?.trim_end_matches('/').to_owned(),
                trusted_proxies: vars.parse("TRUSTED_PROXIES")?,
            },
            temporal: TemporalConfig {
                address: vars.parse("TEMPORAL_ADDRESS")?,
                namespace: vars.get("TEMPORAL_NAMESPACE")?,
                task_queue_prefix: vars.get("TEMPORAL_TASK_QUEUE_PREFIX")?,
                ui_url: vars.get("TEMPORAL_UI_URL")?.trim_end_matches('/').to_owned(),
                connect_timeout: Duration::from_secs(vars.parse("TEMPORAL_CONNECT_TIMEOUT_SECS")?),
            },
            storage,
            secrets,
            telemetry: TelemetryConfig { format, filter: vars.get("RUST_LOG")? },
            worker: WorkerConfig {
                max_concurrent_activities: vars.parse("WORKER_MAX_CONCURRENT_ACTIVITIES")?,
                metrics_addr: socket_addr(&vars, "WORKER_METRICS_ADDR")?,
                sdk_metrics_addr: socket_addr(&vars, "TEMPORAL_SDK_METRICS_ADDR")?,
            },
            render: RenderConfig {
                max_concurrent: vars.parse::<usize>("RENDER_MAX_CONCURRENT")?.max(1),
                work_dir: vars.get("RENDER_WORK_DIR")?.into(),
                voice,
            },
            import: {
                let allow_addresses = vars.get("IMPORT_ALLOW_ADDRESSES")?;
                crate::egress::AddressPolicy::from_list(&allow_addresses)
                    .map_err(|reason| invalid("IMPORT_ALLOW_ADDRESSES", reason))?;
                ImportConfig {
                    max_concurrent: vars.parse::<usize>("IMPORT_MAX_CONCURRENT")?.max(1),
                    work_dir: vars.get("IMPORT_WORK_DIR")?.into(),
                    max_duration: Duration::from_secs(vars.parse("IMPORT_MAX_DURATION_SECS")?),
                    max_bytes: vars.parse("IMPORT_MAX_BYTES")?,
                    fetch_timeout: Duration::from_secs(vars.parse::<u64>("IMPORT_FETCH_TIMEOUT_SECS")?.max(10)),
                    allow_addresses,
                    yt_dlp: vars.get("YT_DLP")?.into(),
                    whisper_model: vars.get("WHISPER_MODEL")?.into(),
                    asr_threads: vars.parse::<u16>("ASR_THREADS")?.clamp(1, 64),
                }
            },
            embedding: EmbeddingConfig {
                model_dir: vars.get("EMBEDDING_MODEL_DIR")?.into(),
                onnxruntime_lib: vars.get("ONNXRUNTIME_LIB")?.into(),
            },
            mail: MailConfig { smtp_url: SecretString::from(vars.get("SMTP_URL")?), from: vars.get("MAIL_FROM")? },
            tiktok: TikTokConfig {
                api_base: vars.get("TIKTOK_API_BASE")?.trim_end_matches('/').to_owned(),
                auth_url: vars.get("TIKTOK_AUTH_URL")?,
                client_key: vars.optional("TIKTOK_CLIENT_KEY").filter(|k| !k.is_empty()),
                client_secret: vars.optional("TIKTOK_CLIENT_SECRET").filter(|k| !k.is_empty()).map(SecretString::from),
                redirect_uri: vars
                    .optional("TIKTOK_REDIRECT_URI")
                    .unwrap_or_else(|| format!("{public_base_url}/api/tiktok/callback")),
                scopes: vars.get("TIKTOK_SCOPES")?,
                chunk_bytes: vars.parse::<u64>("TIKTOK_CHUNK_BYTES")?.clamp(5_000_000, 64_000_000),
                timeout: Duration::from_secs(vars.parse("TIKTOK_TIMEOUT_SECS")?),
                metrics_every: Duration::from_secs(vars.parse::<u64>("METRICS_EVERY_SECS")?.max(60)),
                refresh_before: Duration::from_secs(vars.parse("TIKTOK_REFRESH_BEFORE_SECS")?),
                poll: PollIntervals {
                    status_first_secs: vars.parse("PUBLISH_STATUS_POLL_SECS")?,
                    status_max_secs: vars.parse::<u64>("PUBLISH_STATUS_POLL_SECS")?.max(30),
                    status_deadline_secs: 3600,
                    post_id_every_secs: vars.parse("POST_ID_POLL_SECS")?,
                    post_id_for_secs: 86_400,
                },
            },
            llm: LlmConfig {
                base_url: vars.get("LLM_BASE_URL")?.trim_end_matches('/').to_owned(),
                api_key: vars.optional("LLM_API_KEY").map(SecretString::from),
                model: vars.get("LLM_MODEL")?,
                timeout: Duration::from_secs(vars.parse("LLM_TIMEOUT_SECS")?),
                repair_attempts: vars.parse("LLM_REPAIR_ATTEMPTS")?,
                price_in_micros_per_mtok: vars.parse("LLM_PRICE_IN_MICROS_PER_MTOK")?,
                price_out_micros_per_mtok: vars.parse("LLM_PRICE_OUT_MICROS_PER_MTOK")?,
                max_output_tokens: vars.parse::<u32>("LLM_MAX_OUTPUT_TOKENS")?.clamp(256, 65_536),
                batch_days: vars.parse::<u32>("PLAN_BATCH_DAYS")?.clamp(1, 30),
                placeholder: vars.parse("LLM_PLACEHOLDER")?,
            },
            budgets: BudgetDefaults {
                monthly_llm_micros: vars.parse("BUDGET_DEFAULT_MONTHLY_LLM_MICROS")?,
                monthly_video_seconds: vars.parse("BUDGET_DEFAULT_MONTHLY_VIDEO_SECONDS")?,
                posts_per_day: vars.parse("BUDGET_DEFAULT_POSTS_PER_DAY")?,
                storage_bytes: vars.parse("BUDGET_DEFAULT_STORAGE_BYTES")?,
                monthly_asr_seconds: vars.parse("BUDGET_DEFAULT_MONTHLY_ASR_SECONDS")?,
            },
        })
    }
}

impl DatabaseConfig {
    pub fn url(&self) -> &str {
        self.url.expose_secret()
    }
}

/// An optional `host:port`; empty means unset.
fn socket_addr(vars: &Vars, name: &'static str) -> Result<Option<std::net::SocketAddr>, ConfigError> {
    match vars.optional(name).filter(|a| !a.is_empty()) {
        Some(addr) => addr
            .parse()
            .map(Some)
            .map_err(|_| invalid(name, format!("expected host:port like 127.0.0.1:9464, got {addr:?}"))),
        None => Ok(None),
    }
}

fn invalid(var: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { var, reason }
}

struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn declared(name: &str) -> &'static EnvVar {
        ENV_VARS
            .iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("{name} is read but not declared in ENV_VARS"))
    }

    fn optional(&self, name: &str) -> Option<String> {
        let declared = Self::declared(name);
        (self.0)(name)
            .filter(|v| !v.is_empty() || declared.default == Some(""))
            .or_else(|| declared.default.map(str::to_owned))
    }

    fn get(&self, name: &str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(Self::declared(name).name))
    }

    fn parse<T: FromStr>(&self, name: &str) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        let declared = Self::declared(name);
        let raw = self.get(name)?;
        raw.parse().map_err(|e: T::Err| {
            let reason = if declared.secret { e.to_string() } else { format!("{raw:?}: {e}") };
            invalid(declared.name, reason)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_apply_and_only_the_database_url_is_required() {
        let err = Config::from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("DATABASE_URL"));

        let cfg = Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://u:p@h/db")])).unwrap();
        assert_eq!(cfg.api.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(cfg.api.public_base_url, "http://127.0.0.1:8080");
        assert_eq!(cfg.temporal.namespace, "default");
        assert_eq!(cfg.temporal.task_queue_prefix, "");
        assert_eq!(cfg.database.max_connections, 10);
        assert_eq!(cfg.telemetry.format, LogFormat::Json);
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let err =
            Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://h/db"), ("API_PORT", "eighty")])).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { var: "API_PORT", .. }), "{err:?}");
        let err = Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://h/db"), ("STORAGE_BACKEND", "floppy")]))
            .unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { var: "STORAGE_BACKEND", .. }));
    }

    #[test]
    fn s3_storage_needs_credentials_and_never_prints_the_secret() {
        let base = [("DATABASE_URL", "postgres://h/db"), ("STORAGE_BACKEND", "s3")];
        assert_eq!(Config::from_lookup(lookup(&base)).unwrap_err(), ConfigError::Missing("S3_ACCESS_KEY_ID"));
        let full = [&base[..], &[("S3_ACCESS_KEY_ID", "AKIA1"), ("S3_SECRET_ACCESS_KEY", "s3-hunter2")]].concat();
        let cfg = Config::from_lookup(lookup(&full)).unwrap();
        let StorageConfig::S3(s3) = &cfg.storage else { panic!("{:?}", cfg.storage) };
        assert_eq!((s3.endpoint.as_deref(), s3.bucket.as_str(), s3.force_path_style), (None, "reelpilot", true));
        assert!(!format!("{cfg:?}").contains("s3-hunter2"));
        let voice =
            Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://h/db"), ("TTS_VOICE", "espeak")])).unwrap();
        assert_eq!(voice.render.voice, VoiceConfig::Espeak);
    }

    #[test]
    fn the_database_password_never_appears_in_debug_output_or_errors() {
        let cfg = Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://u:hunter2@h/db")])).unwrap();
        let printed = format!("{cfg:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(cfg.database.url(), "postgres://u:hunter2@h/db");

        let err = Config::from_lookup(lookup(&[("DATABASE_URL", "mysql://u:hunter2@h/db")])).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn every_declared_variable_is_documented_in_env_example() {
        let example = include_str!("../../.env.example");
        for v in ENV_VARS {
            assert!(
                example.lines().any(|l| l.trim_start_matches("# ").starts_with(&format!("{}=", v.name))),
                "{} is missing from .env.example",
                v.name
            );
        }
    }
}
