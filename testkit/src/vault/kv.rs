//! KV v2: versioned secrets under a mount (`data/`, `metadata/`, `delete/`,
//! `undelete/`, `destroy/`, `config`).

use super::{Fail, Op, Reply, bad, envelope, no_content, no_handler, not_found, number, ok, rfc3339, unsupported};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// KV v2 keeps this many versions when neither the key nor the mount says.
const DEFAULT_MAX_VERSIONS: u64 = 10;

pub(super) struct Secret {
    versions: BTreeMap<u64, Version>,
    current: u64,
    oldest: u64,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    custom_metadata: Value,
    max_versions: u64,
    cas_required: bool,
}

struct Version {
    data: Option<Value>,
    created: DateTime<Utc>,
    deleted: Option<DateTime<Utc>>,
    destroyed: bool,
}

/// Serves `rest`, the path below a KV v2 mount.
pub(super) fn route(
    store: &mut BTreeMap<String, Secret>,
    rest: &str,
    op: Op,
    query: &HashMap<&str, &str>,
    body: &Value,
    now: DateTime<Utc>,
    full_path: &str,
) -> Reply {
    let (kind, path) = rest.split_once('/').unwrap_or((rest, ""));
    match (kind, op) {
        ("config", Op::Read) if path.is_empty() => {
            ok(json!({"cas_required": false, "delete_version_after": "0s", "max_versions": 0}))
        }
        ("data", Op::Read) => {
            let secret = store.get(path).ok_or_else(not_found)?;
            let asked = query.get("version").map(|v| v.parse::<u64>()).transpose();
            let n = asked.map_err(|_| bad("invalid version"))?.filter(|&n| n > 0).unwrap_or(secret.current);
            let version = secret.versions.get(&n).ok_or_else(not_found)?;
            let metadata = secret.version_metadata(n);
            match (&version.data, version.deleted) {
                (Some(data), None) => ok(json!({"data": data, "metadata": metadata})),
                // A deleted or destroyed version is a 404 that still carries its metadata.
                _ => {
                    Err(Fail(StatusCode::NOT_FOUND, envelope(json!({"data": null, "metadata": metadata}), Value::Null)))
                }
            }
        }
        ("data", Op::Write) => {
            let data = body.get("data").filter(|d| d.is_object()).ok_or_else(|| bad("no data provided"))?;
            let existing = store.get(path);
            match (body.pointer("/options/cas").and_then(number), existing) {
                (Some(cas), _) if cas != existing.map_or(0, |s| s.current) => {
                    return Err(bad("check-and-set parameter did not match the current version"));
                }
                (None, Some(s)) if s.cas_required => return Err(bad("check-and-set parameter required for this call")),
                _ => {}
            }
            let secret = store.entry(path.to_owned()).or_insert_with(|| Secret::new(now));
            secret.current += 1;
            secret.updated = now;
            let version = Version { data: Some(data.clone()), created: now, deleted: None, destroyed: false };
            secret.versions.insert(secret.current, version);
            let max = if secret.max_versions > 0 { secret.max_versions } else { DEFAULT_MAX_VERSIONS };
            while secret.versions.len() as u64 > max {
                secret.versions.pop_first();
                secret.oldest = *secret.versions.keys().next().expect("at least one version");
            }
            ok(secret.version_metadata(secret.current))
        }
        ("data", Op::Delete) => {
            if let Some(v) = store.get_mut(path).and_then(|s| s.versions.get_mut(&s.current)) {
                v.deleted.get_or_insert(now);
            }
            no_content()
        }
        ("delete" | "undelete" | "destroy", Op::Write) => {
            let asked = body.get("versions").and_then(Value::as_array).filter(|v| !v.is_empty());
            let asked: Vec<u64> =
                asked.ok_or_else(|| bad("no version number provided"))?.iter().filter_map(number).collect();
            for v in store.get_mut(path).into_iter().flat_map(|s| s.versions.iter_mut()) {
                match (kind, asked.contains(v.0)) {
                    (_, false) => {}
                    ("delete", true) => _ = v.1.deleted.get_or_insert(now),
                    ("undelete", true) if !v.1.destroyed => v.1.deleted = None,
                    ("destroy", true) => (v.1.destroyed, v.1.data) = (true, None),
                    _ => {}
                }
            }
            no_content()
        }
        ("metadata", Op::Read) => store.get(path).map(|s| ok(s.metadata())).unwrap_or_else(|| Err(not_found())),
        ("metadata", Op::List) => {
            let prefix = if path.is_empty() || path.ends_with('/') { path.to_owned() } else { format!("{path}/") };
            let keys: BTreeSet<&str> = store
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .map(|k| k.find('/').map_or(k, |i| &k[..=i]))
                .collect();
            if keys.is_empty() { Err(not_found()) } else { ok(json!({"keys": keys})) }
        }
        ("metadata", Op::Write) => {
            let secret = store.entry(path.to_owned()).or_insert_with(|| Secret::new(now));
            if let Some(max) = body.get("max_versions").and_then(number) {
                secret.max_versions = max;
            }
            if let Some(cas) = body.get("cas_required").and_then(Value::as_bool) {
                secret.cas_required = cas;
            }
            if let Some(custom) = body.get("custom_metadata").filter(|c| c.is_object()) {
                secret.custom_metadata = custom.clone();
            }
            secret.updated = now;
            no_content()
        }
        ("metadata", Op::Delete) => {
            store.remove(path);
            no_content()
        }
        ("config" | "data" | "delete" | "undelete" | "destroy", _) => Err(unsupported()),
        _ => Err(no_handler(full_path)),
    }
}

impl Secret {
    fn new(now: DateTime<Utc>) -> Self {
        let (versions, custom_metadata, created, updated) = (BTreeMap::new(), Value::Null, now, now);
        Secret {
            versions,
            current: 0,
            oldest: 0,
            created,
            updated,
            custom_metadata,
            max_versions: 0,
            cas_required: false,
        }
    }

    fn version_metadata(&self, n: u64) -> Value {
        let v = &self.versions[&n];
        json!({
            "created_time": rfc3339(v.created), "custom_metadata": self.custom_metadata,
            "deletion_time": v.deleted.map(rfc3339).unwrap_or_default(), "destroyed": v.destroyed, "version": n,
        })
    }

    fn metadata(&self) -> Value {
        let versions: BTreeMap<String, Value> = self
            .versions
            .iter()
            .map(|(n, v)| {
                let (created_time, deletion_time) = (rfc3339(v.created), v.deleted.map(rfc3339).unwrap_or_default());
                let entry =
                    json!({"created_time": created_time, "deletion_time": deletion_time, "destroyed": v.destroyed});
                (n.to_string(), entry)
            })
            .collect();
        json!({
            "cas_required": self.cas_required, "created_time": rfc3339(self.created), "current_version": self.current,
            "custom_metadata": self.custom_metadata, "delete_version_after": "0s", "max_versions": self.max_versions,
            "oldest_version": self.oldest, "updated_time": rfc3339(self.updated), "versions": versions,
        })
    }
}
