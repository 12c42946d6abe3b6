//! Workflow code must stay deterministic, so the workflows crate must not
//! be able to reach databases, HTTP, cloud SDKs or sockets. The Temporal SDK
//! crates themselves pull tonic and tokio (its protos carry gRPC clients);
//! they are the one audited exception, so the walk does not descend into
//! `temporalio-*` packages, and the network runtime of the SDK (client,
//! core, sdk) must not be a dependency at all.

use std::{collections::BTreeSet, process::Command};

const FORBIDDEN_PREFIXES: &[&str] = &[
    "sea-orm",
    "sea-query",
    "sqlx",
    "reqwest",
    "aws-",
    "hyper",
    "tokio",
    "mio",
    "h2",
    "tonic",
    "axum",
    "vaultrs",
    "ffmpeg",
    "whisper",
    "socket2",
    "postgres",
    "rustls",
];
const FORBIDDEN_TEMPORAL_RUNTIME: &[&str] = &["temporalio-sdk", "temporalio-sdk-core", "temporalio-client"];

/// `cargo tree -p workflows` resolves features for this crate alone, unlike
/// `cargo metadata`, whose graph is unified across the workspace.
fn dependency_lines(extra: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "workflows", "-e", "normal,build", "--prefix", "none", "--format", "{p}"])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn workflows_cannot_reach_io_crates() {
    let all: BTreeSet<String> = dependency_lines(&[]).into_iter().collect();
    let runtime: Vec<_> = all.iter().filter(|p| FORBIDDEN_TEMPORAL_RUNTIME.contains(&p.as_str())).collect();
    assert!(runtime.is_empty(), "workflows depends on the Temporal network runtime: {runtime:?}");

    let mut prune = Vec::new();
    for sdk_crate in all.iter().filter(|p| p.starts_with("temporalio-")) {
        prune.extend(["--prune".to_owned(), sdk_crate.clone()]);
    }
    let prune: Vec<&str> = prune.iter().map(String::as_str).collect();
    let reachable: BTreeSet<String> = dependency_lines(&prune).into_iter().collect();

    let offending: Vec<_> = reachable.iter().filter(|p| FORBIDDEN_PREFIXES.iter().any(|f| p.starts_with(f))).collect();
    assert!(offending.is_empty(), "workflows reaches I/O crates outside the Temporal SDK: {offending:?}");
    assert!(reachable.contains("temporal"), "the walk must cover the contracts crate");
}

#[test]
fn workflow_sources_avoid_nondeterministic_apis() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let banned = [
        "SystemTime",
        "Instant::now",
        "Utc::now",
        "thread_rng",
        "rand::",
        "Uuid::new_v4",
        "tokio::",
        "std::thread",
        "HashMap",
        "HashSet",
        "std::fs",
        "std::net",
        "std::env",
    ];
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let code: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for b in banned {
            assert!(!code.contains(b), "{} uses {b}; use the workflow context instead", path.display());
        }
    }
}
