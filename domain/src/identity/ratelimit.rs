//! Fixed-window rate limits kept in PostgreSQL, so every API instance
//! counts the same attempts.

use crate::DomainError;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub max: i32,
    pub window_secs: i64,
}

pub const LOGIN_PER_ACCOUNT: Limit = Limit { name: "login:account", max: 5, window_secs: 300 };
pub const LOGIN_PER_IP: Limit = Limit { name: "login:ip", max: 30, window_secs: 300 };
pub const REGISTER_PER_IP: Limit = Limit { name: "register:ip", max: 20, window_secs: 600 };
/// Bounds the mail one address can be sent by strangers registering it.
pub const REGISTER_PER_ACCOUNT: Limit = Limit { name: "register:account", max: 3, window_secs: 3600 };
pub const REFRESH_PER_IP: Limit = Limit { name: "refresh:ip", max: 120, window_secs: 60 };
/// Invitations put an org name anyone can choose into mail to strangers.
pub const INVITE_PER_USER: Limit = Limit { name: "invite:user", max: 20, window_secs: 3600 };
pub const INVITE_PER_ORG: Limit = Limit { name: "invite:org", max: 50, window_secs: 86_400 };
pub const RESET_PER_ACCOUNT: Limit = Limit { name: "reset:account", max: 3, window_secs: 900 };
pub const RESET_PER_IP: Limit = Limit { name: "reset:ip", max: 20, window_secs: 600 };

/// Counts one attempt by `subject` against `limit`; past the limit it
/// answers how long until the window ends.
pub async fn hit(db: &DatabaseConnection, limit: Limit, subject: &str) -> Result<(), DomainError> {
    hit_at(db, limit, subject, Utc::now()).await
}

async fn hit_at(db: &DatabaseConnection, limit: Limit, subject: &str, now: DateTime<Utc>) -> Result<(), DomainError> {
    let start_secs = now.timestamp() - now.timestamp().rem_euclid(limit.window_secs);
    let window_start = DateTime::from_timestamp(start_secs, 0).expect("a valid timestamp");
    let key = format!("{}:{}", limit.name, subject.to_lowercase());
    let backend = db.get_database_backend();
    db.execute(Statement::from_sql_and_values(
        backend,
        "DELETE FROM rate_limits WHERE key = $1 AND window_start < $2",
        [key.clone().into(), window_start.into()],
    ))
    .await?;
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1
             RETURNING hits",
            [key.into(), window_start.into()],
        ))
        .await?
        .expect("RETURNING yields a row");
    let hits: i32 = row.try_get("", "hits")?;
    if hits > limit.max {
        let retry_after_secs = (start_secs + limit.window_secs - now.timestamp()).max(1) as u64;
        return Err(DomainError::RateLimited { retry_after_secs });
    }
    Ok(())
}
