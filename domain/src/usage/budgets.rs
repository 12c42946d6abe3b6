//! Budgets: what a project (or, for storage, an org) may still spend, and
//! taking it atomically *inside the step that spends*. A step reserves its
//! worst case under a per-budget advisory lock (checked against the ledger
//! plus live reservations), spends, then meters the real usage and drops
//! the reservation in the same transaction. So twenty concurrent requests
//! cannot all pass a check made before any of them spent.
//!
//! Each limit is the smaller of the project's own and the platform's
//! default (`BUDGET_DEFAULT_*`); only the operator can lift a default, by
//! setting it to `unlimited`.

use crate::{DomainError, OrgScope, TenantTxn, planning::projects::Budgets};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use entities::{budget_reservations, projects};
use platform::config::BudgetDefaults;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, Statement};
use uuid::Uuid;

/// A budget that spending draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meter {
    /// LLM spend of a project this calendar month, micro-dollars.
    LlmMicros,
    /// Rendered video seconds of a project this calendar month.
    VideoSeconds,
    /// Bytes an org stores (uploads and renders), all time.
    StorageBytes,
    /// Posts a project sends to TikTok this UTC day.
    PostsToday,
    /// Seconds of imported speech a project transcribes this calendar month.
    AsrSeconds,
}

impl Meter {
    /// The usage-ledger metric it draws from.
    pub fn metric(self) -> &'static str {
        match self {
            Meter::LlmMicros => "llm_cost_micros",
            Meter::VideoSeconds => "video_seconds",
            Meter::StorageBytes => "storage_bytes",
            Meter::PostsToday => "publishes",
            Meter::AsrSeconds => "asr_seconds",
        }
    }

    /// Storage is the org's; the rest are per project.
    fn per_project(self) -> bool {
        !matches!(self, Meter::StorageBytes)
    }

    fn window_start(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Meter::StorageBytes => None,
            Meter::LlmMicros | Meter::VideoSeconds | Meter::AsrSeconds => {
                Some(Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().expect("a month's first day"))
            }
            Meter::PostsToday => Some(now.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()),
        }
    }

    fn describe(self, quantity: i64) -> String {
        match self {
            // Cents, or tenths of a cent for small amounts (one call's worth).
            Meter::LlmMicros if quantity.abs() < 100_000 => format!("${:.4}", quantity as f64 / 1e6),
            Meter::LlmMicros => format!("${:.2}", quantity as f64 / 1e6),
            Meter::VideoSeconds => format!("{quantity} s of video"),
            Meter::StorageBytes => format!("{:.1} MB", quantity as f64 / 1e6),
            Meter::PostsToday => format!("{quantity} posts"),
            Meter::AsrSeconds => format!("{} min of transcription", (quantity + 59) / 60),
        }
    }

    fn budget_name(self) -> &'static str {
        match self {
            Meter::LlmMicros => "monthly LLM budget",
            Meter::VideoSeconds => "monthly video budget",
            Meter::StorageBytes => "storage quota",
            Meter::PostsToday => "posts-per-day budget",
            Meter::AsrSeconds => "monthly transcription budget",
        }
    }
}

/// The limit in force for `meter`: the project's own when it is smaller
/// than the platform's default; `None` only when the default is lifted and
/// the project sets none.
pub fn limit(meter: Meter, project: Option<&projects::Model>, defaults: &BudgetDefaults) -> Option<i64> {
    let own = project.map(Budgets::of);
    let (own, default) = match meter {
        Meter::LlmMicros => (own.and_then(|b| b.monthly_llm_micros), defaults.monthly_llm_micros.0),
        Meter::VideoSeconds => (own.and_then(|b| b.monthly_video_seconds), defaults.monthly_video_seconds.0),
        Meter::StorageBytes => (None, defaults.storage_bytes.0),
        Meter::PostsToday => (own.and_then(|b| b.posts_per_day).map(i64::from), defaults.posts_per_day.0),
        Meter::AsrSeconds => (own.and_then(|b| b.monthly_asr_seconds), defaults.monthly_asr_seconds.0),
    };
    match (own, default) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The posts-per-day limit in force for a project.
pub fn posts_per_day(project: &projects::Model, defaults: &BudgetDefaults) -> Option<i64> {
    limit(Meter::PostsToday, Some(project), defaults)
}

/// Spending taken from a budget and not yet metered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reservation {
    pub id: Uuid,
}

/// What is used and held of a budget now.
async fn used_and_held(
    tx: &TenantTxn,
    meter: Meter,
    project_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<i64, DomainError> {
    let since = meter.window_start(now).unwrap_or(DateTime::UNIX_EPOCH);
    let row = tx
        .query_one(Statement::from_sql_and_values(
            tx.get_database_backend(),
            "SELECT (
               (SELECT coalesce(sum(quantity), 0) FROM usage_ledger
                 WHERE org_id = $1 AND metric = $2 AND occurred_at >= $3
                   AND ($4::uuid IS NULL OR project_id = $4))
             + (SELECT coalesce(sum(quantity), 0) FROM budget_reservations
                 WHERE org_id = $1 AND metric = $2 AND expires_at > $5
                   AND ($4::uuid IS NULL OR project_id = $4)))::bigint AS total",
            [tx.org_id().into(), meter.metric().into(), since.into(), project_id.into(), now.into()],
        ))
        .await?
        .expect("a sum yields a row");
    Ok(row.try_get::<i64>("", "total")?)
}

/// Refuses when `quantity` more would pass the budget; a plain check for
/// the API to answer early (the step still reserves when it spends).
pub async fn check(
    db: &DatabaseConnection,
    scope: &OrgScope,
    meter: Meter,
    project: Option<&projects::Model>,
    defaults: &BudgetDefaults,
    quantity: i64,
) -> Result<(), DomainError> {
    let Some(limit) = limit(meter, project, defaults) else { return Ok(()) };
    let tx = scope.begin(db).await?;
    let project_id = project.filter(|_| meter.per_project()).map(|p| p.id);
    let used = used_and_held(&tx, meter, project_id, Utc::now()).await?;
    refuse_past(meter, project, limit, used, quantity)
}

fn refuse_past(
    meter: Meter,
    project: Option<&projects::Model>,
    limit: i64,
    used: i64,
    quantity: i64,
) -> Result<(), DomainError> {
    if used.saturating_add(quantity) <= limit && (quantity > 0 || used < limit) {
        return Ok(());
    }
    let whose = match project.filter(|_| meter.per_project()) {
        Some(p) => format!("project {:?}", p.name),
        None => "the organisation".to_owned(),
    };
    Err(DomainError::BudgetExceeded(format!(
        "{whose} has used {} of its {} {}; this needs {} more. Raise the budget or wait for it to reset",
        meter.describe(used),
        meter.describe(limit),
        meter.budget_name(),
        meter.describe(quantity),
    )))
}

/// Takes `quantity` from the budget for `ttl`, atomically: concurrent
/// reservations of the same budget queue on an advisory lock, and each sees
/// the ones before it.
pub async fn reserve(
    db: &DatabaseConnection,
    scope: &OrgScope,
    meter: Meter,
    project: Option<&projects::Model>,
    defaults: &BudgetDefaults,
    quantity: i64,
    ttl: Duration,
) -> Result<Reservation, DomainError> {
    reserve_as(db, scope, Reservation { id: Uuid::now_v7() }, meter, project, defaults, quantity, ttl).await
}

/// The reservation a step spanning several activities takes under a name
/// of its own (`publish:{slot}`): taking it again returns it, so a retried
/// step holds its share once, and a later activity can release it by name.
pub fn named(name: &str) -> Reservation {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Reservation { id: uuid::Builder::from_custom_bytes(bytes).into_uuid() }
}

#[allow(clippy::too_many_arguments)]
pub async fn reserve_as(
    db: &DatabaseConnection,
    scope: &OrgScope,
    reservation: Reservation,
    meter: Meter,
    project: Option<&projects::Model>,
    defaults: &BudgetDefaults,
    quantity: i64,
    ttl: Duration,
) -> Result<Reservation, DomainError> {
    let tx = scope.begin(db).await?;
    let project_id = project.filter(|_| meter.per_project()).map(|p| p.id);
    let now = Utc::now();
    let id = reservation.id;
    let held = tx.find_by_id::<budget_reservations::Entity>(id).one(&*tx).await?;
    if held.is_some_and(|r| r.expires_at.to_utc() > now) {
        return Ok(reservation);
    }
    if let Some(limit) = limit(meter, project, defaults) {
        let key = format!(
            "budget:{}:{}:{}",
            tx.org_id(),
            project_id.map(|p| p.to_string()).unwrap_or_default(),
            meter.metric()
        );
        tx.execute(Statement::from_sql_and_values(
            tx.get_database_backend(),
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        ))
        .await?;
        let used = used_and_held(&tx, meter, project_id, now).await?;
        refuse_past(meter, project, limit, used, quantity)?;
    }
    let row = budget_reservations::ActiveModel {
        id: Set(id),
        org_id: Set(tx.org_id()),
        project_id: Set(project_id),
        metric: Set(meter.metric().to_owned()),
        quantity: Set(quantity.max(0)),
        expires_at: Set((now + ttl).fixed_offset()),
        created_at: Set(now.fixed_offset()),
    };
    // A named reservation that expired is taken afresh.
    budget_reservations::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(budget_reservations::Column::Id)
                .update_columns([budget_reservations::Column::ExpiresAt, budget_reservations::Column::Quantity])
                .to_owned(),
        )
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(reservation)
}

/// Drops a reservation, inside the transaction that meters the real usage
/// (or alone, when the spend did not happen). Dropping twice is harmless.
pub async fn release_in(tx: &TenantTxn, reservation: Reservation) -> Result<(), DomainError> {
    budget_reservations::Entity::delete_many()
        .filter(budget_reservations::Column::OrgId.eq(tx.org_id()))
        .filter(budget_reservations::Column::Id.eq(reservation.id))
        .exec(&**tx)
        .await?;
    Ok(())
}

pub async fn release(db: &DatabaseConnection, scope: &OrgScope, reservation: Reservation) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    release_in(&tx, reservation).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::config::Limit;

    fn project(budgets: serde_json::Value) -> projects::Model {
        let now = Utc::now().fixed_offset();
        projects::Model {
            id: Uuid::nil(),
            org_id: Uuid::nil(),
            name: "p".into(),
            niche: String::new(),
            audience: String::new(),
            language: "en".into(),
            timezone: "UTC".into(),
            posting_times: serde_json::json!([]),
            autopilot: false,
            gates: serde_json::json!({}),
            budgets,
            brand_voice: String::new(),
            tiktok_account_id: None,
            post_mode: "direct".into(),
            video_style: serde_json::json!({}),
            publish_defaults: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn the_smaller_of_the_project_and_the_platform_wins_and_unlimited_is_explicit() {
        let defaults = BudgetDefaults {
            monthly_llm_micros: Limit(Some(5_000_000)),
            monthly_video_seconds: Limit(None),
            posts_per_day: Limit(Some(20)),
            storage_bytes: Limit(Some(1000)),
            monthly_asr_seconds: Limit(Some(600)),
        };
        let unset = project(serde_json::json!({}));
        let narrow =
            project(serde_json::json!({"monthly_llm_micros": 1_000, "monthly_video_seconds": 30, "posts_per_day": 3}));
        let wide = project(serde_json::json!({"monthly_llm_micros": 9_000_000_000i64, "posts_per_day": 50}));
        assert_eq!(limit(Meter::LlmMicros, Some(&unset), &defaults), Some(5_000_000), "no project budget: the default");
        assert_eq!(limit(Meter::LlmMicros, Some(&narrow), &defaults), Some(1_000), "a project may narrow it");
        assert_eq!(limit(Meter::LlmMicros, Some(&wide), &defaults), Some(5_000_000), "but not widen it");
        assert_eq!(limit(Meter::VideoSeconds, Some(&unset), &defaults), None, "the operator lifted this default");
        assert_eq!(limit(Meter::VideoSeconds, Some(&narrow), &defaults), Some(30));
        assert_eq!(limit(Meter::StorageBytes, Some(&narrow), &defaults), Some(1000), "storage is the org's");
        assert_eq!(limit(Meter::AsrSeconds, Some(&unset), &defaults), Some(600));
        assert_eq!(posts_per_day(&unset, &defaults), Some(20));
        assert_eq!(posts_per_day(&narrow, &defaults), Some(3));
        assert_eq!(posts_per_day(&wide, &defaults), Some(20));
    }

    #[test]
    fn refusals_say_what_is_used_what_is_allowed_and_what_was_asked() {
        assert!(refuse_past(Meter::VideoSeconds, None, 60, 50, 10).is_ok(), "exactly at the limit fits");
        let err = refuse_past(Meter::VideoSeconds, None, 60, 50, 11).unwrap_err().to_string();
        assert!(err.contains("50 s of video") && err.contains("60 s of video") && err.contains("11 s"), "{err}");
        assert!(refuse_past(Meter::LlmMicros, None, 100, 100, 0).is_err(), "a used-up budget refuses even a free call");
        assert!(refuse_past(Meter::LlmMicros, None, 100, 99, 0).is_ok());
    }
}
