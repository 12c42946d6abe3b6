use crate::{
    ApiError, AppState,
    extract::{ApiJson, ApiPath},
    routes::Tenant,
    runs::{self, RunView},
};
use axum::{Router, extract::State, routing::get};
use chrono::NaiveDate;
use entities::{plans, slots};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPlan {
    /// First day of the plan, in the project's time zone.
    start_date: NaiveDate,
}

#[derive(Serialize)]
struct PlanView {
    id: Uuid,
    org_id: Uuid,
    project_id: Uuid,
    start_date: NaiveDate,
    days: i32,
    slots_per_day: i32,
    status: plans::PlanStatus,
    failure: Option<String>,
    slot_counts: BTreeMap<String, i64>,
    run: RunView,
    created_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Serialize)]
struct PlanStarted {
    plan_id: Uuid,
    /// false when this plan already existed: the request met it.
    created: bool,
    run: RunView,
}

#[derive(Serialize)]
struct SlotView {
    id: Uuid,
    day_index: i32,
    slot_index: i32,
    scheduled_at: chrono::DateTime<chrono::FixedOffset>,
    status: slots::SlotStatus,
    hook: String,
    caption: String,
    format: String,
    confidence: Option<f32>,
    locked: bool,
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/orgs/{org_id}/projects/{project_id}/plans",
            get(list).post(create),
        )
        .route("/api/orgs/{org_id}/plans/{plan_id}", get(show))
        .route("/api/orgs/{org_id}/plans/{plan_id}/slots", get(list_slots))
}

/// Creates the project's plan for `start_date` and starts its workflow;
/// repeating the request returns the same plan and run.
async fn create(
    State(state): State<AppState>,
    Tenant(scope): Tenant,
    ApiPath((_, project_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<NewPlan>,
) -> Result<(StatusCode, ApiJson<PlanStarted>), ApiError> {
    let (plan, created) =
        domain::plans::find_or_create(&state.db, &scope, project_id, body.start_date, |plan_id| {
            temporal::ids::plan_workflow_id(scope.org_id(), plan_id)
        })
        .await?;
    let run = if plan.status == plans::PlanStatus::Ready {
        runs::describe(&state, &plan.workflow_id).await
    } else {
        runs::start_month_plan(&state, &plan).await?
    };
    let status = if created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        ApiJson(PlanStarted {
            plan_id: plan.id,
            created,
            run,
        }),
    ))
}

async fn list(
    State(state): State<AppState>,
    Tenant(scope): Tenant,
    ApiPath((_, project_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<ApiJson<Vec<serde_json::Value>>, ApiError> {
    let plans = domain::plans::list_for_project(&state.db, &scope, project_id).await?;
    Ok(ApiJson(
        plans
            .into_iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.id, "start_date": p.start_date, "days": p.days, "status": p.status,
                    "workflow_id": p.workflow_id, "failure": p.failure,
                })
            })
            .collect(),
    ))
}

async fn show(
    State(state): State<AppState>,
    Tenant(scope): Tenant,
    ApiPath((_, plan_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<ApiJson<PlanView>, ApiError> {
    let plan = domain::plans::get(&state.db, &scope, plan_id).await?;
    let counts = domain::plans::slot_counts(&state.db, &scope, plan_id).await?;
    let run = runs::describe(&state, &plan.workflow_id).await;
    Ok(ApiJson(PlanView {
        id: plan.id,
        org_id: plan.org_id,
        project_id: plan.project_id,
        start_date: plan.start_date,
        days: plan.days,
        slots_per_day: plan.slots_per_day,
        status: plan.status,
        failure: plan.failure,
        slot_counts: counts
            .into_iter()
            .map(|(status, n)| {
                (
                    serde_json::to_value(status)
                        .unwrap()
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                    n,
                )
            })
            .collect(),
        run,
        created_at: plan.created_at,
    }))
}

async fn list_slots(
    State(state): State<AppState>,
    Tenant(scope): Tenant,
    ApiPath((_, plan_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<ApiJson<Vec<SlotView>>, ApiError> {
    let slots = domain::plans::slots(&state.db, &scope, plan_id).await?;
    Ok(ApiJson(
        slots
            .into_iter()
            .map(|s| SlotView {
                id: s.id,
                day_index: s.day_index,
                slot_index: s.slot_index,
                scheduled_at: s.scheduled_at,
                status: s.status,
                hook: s.hook,
                caption: s.caption,
                format: s.format,
                confidence: s.confidence,
                locked: s.locked,
            })
            .collect(),
    ))
}
