//! A HashiCorp Vault server speaking the HTTP API (`/v1/...`) for the parts
//! Reelpilot uses: token and AppRole auth, KV v2, Transit and `sys/health`.
//! Paths, methods, status codes, field names and error texts follow Vault's
//! API docs and source. Every JSON answer carries Vault's whole envelope
//! (`request_id`, `lease_id`, ...), because vaultrs refuses answers without it.
//! Transit does real AEAD under HKDF-derived keys, so a wrong context or a
//! tampered ciphertext fails as it does on a real server. Every request is
//! recorded; faults, sealing, token expiry and the clock are scripted.

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use uuid::Uuid;

mod kv;
mod transit;

/// What `sys/health` reports as the server version.
pub const VERSION: &str = "1.20.0-sim";
/// Vault's default system max TTL (32 days): renewals never go past it.
const MAX_TTL: TimeDelta = TimeDelta::hours(768);

/// One request as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, `LIST`, ...
    pub method: String,
    /// Path and query exactly as sent, e.g. `/v1/secret/data/a?version=2`.
    pub path: String,
    /// The JSON body; `Null` when empty, a string when it was not JSON.
    pub body: Value,
    pub had_token: bool,
}

/// The simulator. Clones share one server state.
#[derive(Clone)]
pub struct VaultSimulator {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    sealed: bool,
    /// Added to the wall clock, so tests can age tokens without sleeping.
    skew: TimeDelta,
    root: String,
    tokens: HashMap<String, Token>,
    approles: HashMap<String, AppRole>,
    kv: HashMap<String, BTreeMap<String, kv::Secret>>,
    transit: HashMap<String, BTreeMap<String, transit::Key>>,
    requests: Vec<RecordedRequest>,
    faults: VecDeque<u16>,
    cluster_id: Uuid,
}

struct Token {
    accessor: String,
    policies: Vec<String>,
    meta: Value,
    path: &'static str,
    display_name: String,
    entity_id: String,
    issued: DateTime<Utc>,
    /// The TTL it was created with, in seconds (0: never expires, the root token).
    ttl: u64,
    expires: Option<DateTime<Utc>>,
}

struct AppRole {
    secret_id: String,
    ttl: Duration,
    entity_id: String,
}

/// What a request does, from its method (`GET ?list=true` is a list).
#[derive(Clone, Copy)]
enum Op {
    Read,
    Write,
    Delete,
    List,
}

/// A refusal: Vault's status code and JSON body.
struct Fail(StatusCode, Value);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

type Reply = Result<Response, Fail>;

impl VaultSimulator {
    /// A fresh, unsealed server whose root token is `root_token` (it never
    /// expires), with KV v2 at `secret/` (as `vault server -dev`) and Transit
    /// at `transit/`.
    pub fn new(root_token: impl Into<String>) -> Self {
        let root: String = root_token.into();
        let root_token = Token {
            accessor: random_id(24),
            policies: vec!["root".into()],
            meta: Value::Null,
            path: "auth/token/root",
            display_name: "root".into(),
            entity_id: String::new(),
            issued: Utc::now(),
            ttl: 0,
            expires: None,
        };
        let inner = Inner {
            sealed: false,
            skew: TimeDelta::zero(),
            tokens: HashMap::from([(root.clone(), root_token)]),
            root,
            approles: HashMap::new(),
            kv: HashMap::from([("secret".to_owned(), BTreeMap::new())]),
            transit: HashMap::from([("transit".to_owned(), BTreeMap::new())]),
            requests: Vec::new(),
            faults: VecDeque::new(),
            cluster_id: Uuid::new_v4(),
        };
        Self { inner: Arc::new(Mutex::new(inner)) }
    }

    /// Serves on `addr` (port 0 picks one) in the background; returns the
    /// address to give clients as `VAULT_ADDR` (`http://host:port`, no `/v1`).
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let app = self.router();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(base)
    }

    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    pub fn root_token(&self) -> String {
        self.lock().root.clone()
    }

    /// Mounts another KV v2 engine at `mount` (e.g. `kv/reelpilot`).
    pub fn enable_kv(&self, mount: &str) {
        self.lock().kv.entry(mount.trim_matches('/').to_owned()).or_default();
    }

    /// Mounts another Transit engine at `mount`.
    pub fn enable_transit(&self, mount: &str) {
        self.lock().transit.entry(mount.trim_matches('/').to_owned()).or_default();
    }

    /// Lets `auth/approle/login` accept this pair; its tokens live `ttl` and
    /// are renewable. The role is named after `role_id` in token metadata.
    pub fn add_approle(&self, role_id: &str, secret_id: &str, ttl: Duration) {
        let role = AppRole { secret_id: secret_id.to_owned(), ttl, entity_id: Uuid::new_v4().to_string() };
        self.lock().approles.insert(role_id.to_owned(), role);
    }

    /// Issues a renewable service token living `ttl` (like `vault token create -ttl`).
    pub fn create_token(&self, ttl: Duration) -> String {
        self.lock().issue("auth/token/create", "token", Value::Null, String::new(), ttl)
    }

    /// Revokes every token but the root token, as if they had all expired.
    pub fn expire_tokens(&self) {
        let mut inner = self.lock();
        let root = inner.root.clone();
        inner.tokens.retain(|id, _| *id == root);
    }

    /// Moves the server's clock forward: tokens age, timestamps advance.
    pub fn advance(&self, by: Duration) {
        self.lock().skew += TimeDelta::from_std(by).expect("a sane duration");
    }

    /// While sealed, `sys/health` answers 503 and everything else 503 "Vault is sealed".
    pub fn seal(&self) {
        self.lock().sealed = true;
    }

    pub fn unseal(&self) {
        self.lock().sealed = false;
    }

    /// The next `n` requests, whatever they are, fail with `status` and a
    /// Vault error body.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.lock().faults.extend(std::iter::repeat_n(status, n));
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn handle(
    State(sim): State<VaultSimulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = match body.iter().all(u8::is_ascii_whitespace) {
        true => Ok(Value::Null),
        false => serde_json::from_slice::<Value>(&body),
    };
    // Vault also takes the token as a bearer token.
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let token = header("x-vault-token")
        .or_else(|| header("authorization").and_then(|a| a.strip_prefix("Bearer ")))
        .filter(|t| !t.is_empty());
    let mut inner = sim.lock();
    inner.requests.push(RecordedRequest {
        method: method.to_string(),
        path: uri.path_and_query().map_or(uri.path(), |p| p.as_str()).to_owned(),
        body: parsed.as_ref().cloned().unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into())),
        had_token: token.is_some(),
    });
    inner.route(&method, &uri, token, parsed).unwrap_or_else(IntoResponse::into_response)
}

impl Inner {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.skew
    }

    fn route(&mut self, method: &Method, uri: &Uri, token: Option<&str>, body: serde_json::Result<Value>) -> Reply {
        if let Some(status) = self.faults.pop_front() {
            return Err(error(status, "simulated failure"));
        }
        let Some(path) = uri.path().strip_prefix("/v1/") else { return Err(not_found()) };
        let query: HashMap<&str, &str> =
            uri.query().unwrap_or("").split('&').map(|kv| kv.split_once('=').unwrap_or((kv, ""))).collect();
        let op = match (method.as_str(), query.get("list").copied()) {
            ("LIST", _) | ("GET", Some("true")) => Op::List,
            ("GET" | "HEAD", _) => Op::Read,
            ("POST" | "PUT", _) => Op::Write,
            ("DELETE", _) => Op::Delete,
            _ => return Err(unsupported()),
        };
        if path == "sys/health" {
            return Ok(self.health(&query));
        }
        if self.sealed {
            return Err(error(503, "Vault is sealed"));
        }
        let body = body.map_err(|e| error(400, &format!("failed to parse JSON input: {e}")))?;
        if path == "auth/approle/login" {
            return self.approle_login(op, &body);
        }
        let now = self.now();
        // Vault revokes a token when its lease runs out.
        self.tokens.retain(|_, t| t.expires.is_none_or(|e| e > now));
        let token = token.filter(|t| self.tokens.contains_key(*t)).ok_or_else(|| error(403, "permission denied"))?;
        match (path, op) {
            ("auth/token/lookup-self", Op::Read | Op::Write) => return ok(self.lookup(token)),
            ("auth/token/renew-self", Op::Write) => return self.renew(token, &body),
            ("auth/token/revoke-self", Op::Write) => {
                self.tokens.remove(token);
                return no_content();
            }
            ("auth/token/lookup-self" | "auth/token/renew-self" | "auth/token/revoke-self", _) => {
                return Err(unsupported());
            }
            _ => {}
        }
        if let Some((mount, rest)) = split_mount(self.kv.keys(), path) {
            let store = self.kv.get_mut(&mount).expect("mount exists");
            return kv::route(store, rest, op, &query, &body, now, path);
        }
        if let Some((mount, rest)) = split_mount(self.transit.keys(), path) {
            let keys = self.transit.get_mut(&mount).expect("mount exists");
            return transit::route(keys, rest, op, &body, now, path);
        }
        Err(no_handler(path))
    }

    fn health(&self, query: &HashMap<&str, &str>) -> Response {
        // Load balancers override the codes with ?sealedcode= / ?activecode=.
        let code = |name, default| query.get(name).and_then(|c| c.parse().ok()).unwrap_or(default);
        let status = if self.sealed { code("sealedcode", 503) } else { code("activecode", 200) };
        let mut body = json!({
            "initialized": true, "sealed": self.sealed, "standby": false, "performance_standby": false,
            "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
            "server_time_utc": self.now().timestamp(), "version": VERSION, "enterprise": false,
            "echo_duration_ms": 0, "clock_skew_ms": 0, "replication_primary_canary_age_ms": 0,
            "removed_from_cluster": false,
        });
        // A sealed Vault does not know its cluster.
        if !self.sealed {
            body["cluster_name"] = json!("vault-cluster-sim");
            body["cluster_id"] = json!(self.cluster_id);
        }
        (status_code(status), Json(body)).into_response()
    }

    fn issue(&mut self, path: &'static str, display: &str, meta: Value, entity_id: String, ttl: Duration) -> String {
        let id = format!("hvs.{}", random_id(24));
        let issued = self.now();
        let expires = Some(issued + TimeDelta::from_std(ttl).expect("a sane TTL"));
        let policies = vec!["default".to_owned()];
        let (accessor, display_name) = (random_id(24), display.to_owned());
        let token =
            Token { accessor, policies, meta, path, display_name, entity_id, issued, ttl: ttl.as_secs(), expires };
        self.tokens.insert(id.clone(), token);
        id
    }

    fn approle_login(&mut self, op: Op, body: &Value) -> Reply {
        let Op::Write = op else { return Err(unsupported()) };
        let field = |name| body.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
        let role_id = field("role_id").ok_or_else(|| bad("missing role_id"))?;
        let secret_id = field("secret_id").ok_or_else(|| bad("missing secret_id"))?;
        let role = self.approles.get(role_id).filter(|r| r.secret_id == secret_id);
        let role = role.ok_or_else(|| bad("invalid role or secret ID"))?;
        let (ttl, entity_id) = (role.ttl, role.entity_id.clone());
        let meta = json!({"role_name": role_id});
        let id = self.issue("auth/approle/login", "approle", meta, entity_id, ttl);
        Ok(Json(envelope(Value::Null, self.auth_block(&id, ttl.as_secs()))).into_response())
    }

    fn renew(&mut self, id: &str, body: &Value) -> Reply {
        let now = self.now();
        let token = self.tokens.get_mut(id).expect("authenticated");
        let Some(expires) = token.expires.as_mut() else { return Err(bad("lease is not renewable")) };
        let increment = match body.get("increment") {
            None | Some(Value::Null) => token.ttl,
            Some(Value::Number(n)) => n.as_u64().ok_or_else(|| bad("invalid increment"))?,
            Some(Value::String(s)) => parse_duration(s).ok_or_else(|| bad(&format!("invalid increment {s:?}")))?,
            Some(_) => return Err(bad("invalid increment")),
        };
        // A zero increment means "the TTL the token was created with".
        let increment = if increment == 0 { token.ttl } else { increment };
        *expires = (now + TimeDelta::seconds(increment as i64)).min(token.issued + MAX_TTL);
        let granted = (*expires - now).num_seconds().max(0) as u64;
        Ok(Json(envelope(Value::Null, self.auth_block(id, granted))).into_response())
    }

    /// The `auth` block of login and renew answers (vaultrs' `AuthInfo`);
    /// `lease_duration` is the TTL just granted.
    fn auth_block(&self, id: &str, lease_duration: u64) -> Value {
        let t = &self.tokens[id];
        json!({
            "client_token": id, "accessor": t.accessor, "policies": t.policies, "token_policies": t.policies,
            "metadata": t.meta, "lease_duration": lease_duration, "renewable": t.expires.is_some(),
            "entity_id": t.entity_id, "token_type": "service", "orphan": true, "mfa_requirement": null, "num_uses": 0,
        })
    }

    /// `lookup-self` data (vaultrs' `LookupTokenResponse`).
    fn lookup(&self, id: &str) -> Value {
        let t = &self.tokens[id];
        json!({
            "accessor": t.accessor, "creation_time": t.issued.timestamp(), "creation_ttl": t.ttl,
            "display_name": t.display_name, "entity_id": t.entity_id, "expire_time": t.expires.map(rfc3339),
            "explicit_max_ttl": 0, "id": id, "issue_time": rfc3339(t.issued), "meta": t.meta, "num_uses": 0,
            "orphan": true, "path": t.path, "policies": t.policies, "renewable": t.expires.is_some(),
            "ttl": self.remaining(t), "type": "service",
        })
    }

    /// Seconds left, rounded as Vault does.
    fn remaining(&self, t: &Token) -> u64 {
        t.expires.map_or(0, |e| ((e - self.now()).num_milliseconds().max(0) as u64 + 500) / 1000)
    }
}

/// The mount `path` falls under (the longest that matches) and the rest of it.
fn split_mount<'p>(mounts: impl Iterator<Item = &'p String>, path: &str) -> Option<(String, &str)> {
    mounts
        .filter(|m| path == m.as_str() || path.starts_with(&format!("{m}/")))
        .max_by_key(|m| m.len())
        .map(|m| (m.clone(), path[m.len()..].trim_start_matches('/')))
}

/// Vault takes numbers as JSON numbers or numeric strings.
fn number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// Go-style durations as Vault takes them: `3600`, `90s`, `1h30m`, `2d`.
fn parse_duration(s: &str) -> Option<u64> {
    if let Ok(secs) = s.parse() {
        return Some(secs);
    }
    let (mut total, mut rest) = (0u64, s);
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let scale = [('s', 1), ('m', 60), ('h', 3600), ('d', 86400)]
            .into_iter()
            .find(|(u, _)| rest[digits..].starts_with(*u))?
            .1;
        total += rest[..digits].parse::<u64>().ok()? * scale;
        rest = &rest[digits + 1..];
    }
    Some(total)
}

fn random_id(len: usize) -> String {
    let mut id = Uuid::new_v4().simple().to_string();
    id.push_str(&Uuid::new_v4().simple().to_string());
    id.truncate(len);
    id
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Vault's response envelope; vaultrs requires every field to be present.
fn envelope(data: Value, auth: Value) -> Value {
    json!({
        "request_id": Uuid::new_v4(), "lease_id": "", "renewable": false, "lease_duration": 0,
        "data": data, "wrap_info": null, "warnings": null, "auth": auth,
    })
}

fn ok(data: Value) -> Reply {
    Ok(Json(envelope(data, Value::Null)).into_response())
}

fn no_content() -> Reply {
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn error(status: u16, message: &str) -> Fail {
    Fail(status_code(status), json!({"errors": [message]}))
}

fn bad(message: &str) -> Fail {
    error(400, message)
}

/// Vault's 404 for a path that exists but holds nothing.
fn not_found() -> Fail {
    Fail(StatusCode::NOT_FOUND, json!({"errors": []}))
}

fn no_handler(path: &str) -> Fail {
    error(404, &format!("no handler for route {path:?}. route entry not found."))
}

fn unsupported() -> Fail {
    error(405, "1 error occurred:\n\t* unsupported operation\n\n")
}

#[cfg(test)]
mod tests;
