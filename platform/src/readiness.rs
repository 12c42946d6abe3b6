//! Readiness: every dependency a request may need, checked concurrently
//! with a deadline, reported by name.

use futures::future::BoxFuture;
use serde::Serialize;
use std::{collections::BTreeMap, time::Duration};

/// One named dependency check.
pub struct Probe {
    pub name: &'static str,
    pub check: BoxFuture<'static, Result<(), String>>,
}

impl Probe {
    pub fn new<F, E>(name: &'static str, check: F) -> Self
    where
        F: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        Probe { name, check: Box::pin(async move { check.await.map_err(|e| e.to_string()) }) }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CheckResult {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub ready: bool,
    /// Names of the dependencies that failed, for a quick look.
    pub failed: Vec<&'static str>,
    pub checks: BTreeMap<&'static str, CheckResult>,
}

/// Runs every probe at once, each bounded by `deadline`.
pub async fn run(probes: Vec<Probe>, deadline: Duration) -> Report {
    let results = futures::future::join_all(probes.into_iter().map(|p| async move {
        let outcome = match tokio::time::timeout(deadline, p.check).await {
            Ok(Ok(())) => CheckResult { ok: true, error: None },
            Ok(Err(e)) => CheckResult { ok: false, error: Some(e) },
            Err(_) => CheckResult { ok: false, error: Some(format!("no answer within {deadline:?}")) },
        };
        (p.name, outcome)
    }))
    .await;
    let failed = results.iter().filter(|(_, r)| !r.ok).map(|(n, _)| *n).collect::<Vec<_>>();
    Report { ready: failed.is_empty(), failed, checks: results.into_iter().collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_every_failed_and_slow_dependency() {
        let report = run(
            vec![
                Probe::new("fast", async { Ok::<_, String>(()) }),
                Probe::new("broken", async { Err::<(), _>("connection refused") }),
                Probe::new("slow", async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    Ok::<_, String>(())
                }),
            ],
            Duration::from_millis(50),
        )
        .await;
        assert!(!report.ready);
        assert_eq!(report.failed, vec!["broken", "slow"]);
        assert_eq!(report.checks["broken"].error.as_deref(), Some("connection refused"));
        assert!(report.checks["fast"].ok);
    }
}
