use sea_orm::DbErr;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The thing does not exist, or belongs to another organisation (the
    /// two are indistinguishable on purpose).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    /// The slot changed since the person saw it; they should look again.
    #[error("slot {slot_id} changed since you saw it (now version {current}); review it before approving")]
    StaleVersion { slot_id: Uuid, current: i32 },
    /// Authentication failed; one message for every cause, so callers
    /// cannot learn which accounts exist.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The caller's role does not allow the action.
    #[error("your role does not allow {0}")]
    Forbidden(&'static str),
    /// The action needs a confirmed email address; names the action.
    #[error("confirm your email address before {0}")]
    EmailUnverified(&'static str),
    /// A budget or quota would be exceeded; the message says which and what to do.
    #[error("{0}")]
    BudgetExceeded(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("secret store: {0}")]
    SecretStore(#[from] platform::secrets::SecretStoreError),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }
}

/// Maps a unique-constraint violation to a conflict with a readable message.
pub(crate) fn on_unique_violation(err: DbErr, message: impl FnOnce() -> String) -> DomainError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(message()),
        _ => DomainError::Db(err),
    }
}
