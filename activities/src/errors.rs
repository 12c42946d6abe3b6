//! How domain failures become activity failures: what retrying cannot fix
//! (bad input, missing rows, another org's data) fails at once; the rest
//! (database hiccups) is retried by the workflow's retry policy.

use domain::DomainError;
use temporalio_sdk::{ApplicationFailure, activities::ActivityError};

pub fn from_domain(step: &'static str, err: DomainError) -> ActivityError {
    let message = format!("{step}: {err}");
    match err {
        // A sealed, unreachable or misconfigured store is fixed by people,
        // not by giving up: the workflow retries until it answers.
        DomainError::SecretStore(ref e)
            if e.is_retryable() || matches!(e, platform::secrets::SecretStoreError::Denied(_)) =>
        {
            tracing::warn!(step, error = %err, "secret store unavailable; will retry");
            ActivityError::Application(Box::new(ApplicationFailure::new(message)))
        }
        DomainError::Db(_) | DomainError::RateLimited { .. } => {
            tracing::warn!(step, error = %err, "retryable activity failure");
            ActivityError::Application(Box::new(ApplicationFailure::new(message)))
        }
        DomainError::NotFound(_)
        | DomainError::Invalid { .. }
        | DomainError::Conflict(_)
        | DomainError::StaleVersion { .. }
        | DomainError::Unauthenticated(_)
        | DomainError::Forbidden(_)
        | DomainError::EmailUnverified(_)
        | DomainError::BudgetExceeded(_)
        | DomainError::SecretStore(_) => {
            tracing::error!(step, error = %err, "permanent activity failure");
            permanent(message)
        }
    }
}

/// A failure of `what` that another attempt may not meet (I/O, FFmpeg, a
/// store): left to the workflow's retry policy.
pub fn retryable(what: &str, err: impl std::fmt::Display) -> ActivityError {
    ActivityError::Application(Box::new(ApplicationFailure::new(format!("{what}: {err}"))))
}

pub fn permanent(message: String) -> ActivityError {
    ActivityError::Application(Box::new(ApplicationFailure::non_retryable(message)))
}
