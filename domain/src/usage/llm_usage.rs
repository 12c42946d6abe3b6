//! The audit of every LLM call and its metering into the usage ledger, and
//! the totals budgets are checked against (see `budgets`).

use crate::{DomainError, OrgScope};
use chrono::{Datelike, TimeZone, Utc};
use entities::{llm_calls, usage_ledger};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, OnConflict},
};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct LlmCall {
    pub project_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    pub slot_id: Option<Uuid>,
    pub purpose: String,
    pub prompt_versions: Value,
    pub model: String,
    pub tokens_in: i32,
    pub tokens_out: i32,
    pub cost_micros: i64,
    pub latency_ms: i32,
    /// ok, invalid_output, http_error or timeout.
    pub outcome: &'static str,
    pub error: Option<String>,
    pub workflow_id: Option<String>,
    pub attempt: i32,
    /// The budget reservation the call drew on, released as it is metered.
    pub reservation: Option<crate::usage::budgets::Reservation>,
}

/// Records a call and, in the same transaction, its tokens and cost in the
/// usage ledger (keyed by the call, so it is metered once).
pub async fn record(db: &DatabaseConnection, scope: &OrgScope, call: LlmCall) -> Result<Uuid, DomainError> {
    let tx = scope.begin(db).await?;
    let id = Uuid::now_v7();
    let now = Utc::now().fixed_offset();
    llm_calls::ActiveModel {
        id: Set(id),
        org_id: Set(tx.org_id()),
        project_id: Set(call.project_id),
        plan_id: Set(call.plan_id),
        slot_id: Set(call.slot_id),
        purpose: Set(call.purpose),
        prompt_versions: Set(call.prompt_versions),
        model: Set(call.model),
        tokens_in: Set(call.tokens_in),
        tokens_out: Set(call.tokens_out),
        cost_micros: Set(call.cost_micros),
        latency_ms: Set(call.latency_ms),
        outcome: Set(call.outcome.to_owned()),
        error: Set(call.error.map(|e| e.chars().take(2000).collect())),
        workflow_id: Set(call.workflow_id),
        attempt: Set(call.attempt),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    let entries = [
        ("llm_tokens_in", call.tokens_in as i64),
        ("llm_tokens_out", call.tokens_out as i64),
        ("llm_cost_micros", call.cost_micros),
    ];
    let rows = entries.into_iter().filter(|(_, q)| *q > 0).map(|(metric, quantity)| {
        entry(&tx, call.project_id, metric, quantity, format!("llm_call:{id}"), format!("llm:{id}:{metric}"))
    });
    let rows: Vec<_> = rows.collect();
    if !rows.is_empty() {
        meter_once(&tx, rows).await?;
    }
    if let Some(reservation) = call.reservation {
        crate::usage::budgets::release_in(&tx, reservation).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Writes usage rows; a row whose idempotency key the org already has is
/// skipped, so a retried activity meters once.
/// A usage-ledger row of the scope's org, happening now: `quantity` of
/// `metric`, from `source`, written once per `idempotency_key`.
pub(crate) fn entry(
    tx: &crate::TenantTxn,
    project_id: Option<Uuid>,
    metric: &str,
    quantity: i64,
    source: String,
    idempotency_key: String,
) -> usage_ledger::ActiveModel {
    let now = Utc::now().fixed_offset();
    usage_ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        project_id: Set(project_id),
        metric: Set(metric.to_owned()),
        quantity: Set(quantity),
        source: Set(source),
        idempotency_key: Set(Some(idempotency_key)),
        occurred_at: Set(now),
        created_at: Set(now),
    }
}

pub(crate) async fn meter_once(
    tx: &crate::TenantTxn,
    rows: impl IntoIterator<Item = usage_ledger::ActiveModel>,
) -> Result<(), DomainError> {
    usage_ledger::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([usage_ledger::Column::OrgId, usage_ledger::Column::IdempotencyKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&**tx)
        .await?;
    Ok(())
}

/// LLM spend of the project this calendar month (UTC), in micro-dollars.
pub async fn month_cost_micros(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
) -> Result<i64, DomainError> {
    month_total(db, scope, project_id, "llm_cost_micros").await
}

/// A project's total of one usage metric this calendar month (UTC).
pub async fn month_total(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
    metric: &str,
) -> Result<i64, DomainError> {
    let now = Utc::now();
    let month_start =
        Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().expect("the first of a month exists");
    total_since(db, scope, project_id, metric, month_start).await
}

/// A project's total of one usage metric since `since`.
pub async fn total_since(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
    metric: &str,
    since: chrono::DateTime<Utc>,
) -> Result<i64, DomainError> {
    let tx = scope.begin(db).await?;
    let total: Option<Option<i64>> = tx
        .find::<usage_ledger::Entity>()
        .filter(usage_ledger::Column::ProjectId.eq(project_id))
        .filter(usage_ledger::Column::Metric.eq(metric))
        .filter(usage_ledger::Column::OccurredAt.gte(since))
        .select_only()
        .column_as(Expr::cust("coalesce(sum(quantity), 0)::bigint"), "total")
        .into_tuple()
        .one(&*tx)
        .await?;
    Ok(total.flatten().unwrap_or(0))
}

/// Every recorded call of a plan, oldest first (for the audit view).
pub async fn calls_for_plan(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
) -> Result<Vec<llm_calls::Model>, DomainError> {
    use sea_orm::QueryOrder;
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<llm_calls::Entity>()
        .filter(llm_calls::Column::PlanId.eq(plan_id))
        .order_by_asc(llm_calls::Column::CreatedAt)
        .all(&*tx)
        .await?)
}
