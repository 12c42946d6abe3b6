use crate::{DomainError, OrgScope, TenantTxn, planning::projects};
use chrono::{Days, NaiveDate, NaiveTime, TimeZone, Utc};
use entities::{
    plans::{self, PlanStatus},
    slots::{self, SlotStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::OnConflict,
};
use uuid::Uuid;

/// A month of content: 30 days of the project's daily posting times.
pub const PLAN_DAYS: i32 = 30;

/// Finds the project's plan starting on `start_date`, or creates it in
/// `pending`. Returns whether it was created, so a repeated request meets
/// the same plan instead of making a second one.
pub async fn find_or_create(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
    start_date: NaiveDate,
    workflow_id: impl FnOnce(Uuid) -> String,
) -> Result<(plans::Model, bool), DomainError> {
    let tx = scope.begin(db).await?;
    let project = projects::get_in(&tx, project_id).await?;
    let slots_per_day = projects::posting_times(&project)?.len() as i32;
    let id = Uuid::now_v7();
    let now = Utc::now().fixed_offset();
    let inserted = plans::Entity::insert(plans::ActiveModel {
        id: Set(id),
        org_id: Set(tx.org_id()),
        project_id: Set(project.id),
        start_date: Set(start_date),
        days: Set(PLAN_DAYS),
        slots_per_day: Set(slots_per_day),
        status: Set(PlanStatus::Pending),
        workflow_id: Set(workflow_id(id)),
        failure: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::columns([plans::Column::ProjectId, plans::Column::StartDate]).do_nothing().to_owned())
    .exec_without_returning(&*tx)
    .await?;
    let plan = tx
        .find::<plans::Entity>()
        .filter(plans::Column::ProjectId.eq(project.id))
        .filter(plans::Column::StartDate.eq(start_date))
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("plan"))?;
    tx.commit().await?;
    Ok((plan, inserted == 1))
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<plans::Model, DomainError> {
    get_in(&scope.begin(db).await?, id).await
}

async fn get_in(tx: &TenantTxn, id: Uuid) -> Result<plans::Model, DomainError> {
    tx.find_by_id::<plans::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("plan"))
}

pub async fn list_for_project(
    db: &DatabaseConnection,
    scope: &OrgScope,
    project_id: Uuid,
) -> Result<Vec<plans::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    projects::get_in(&tx, project_id).await?;
    Ok(tx
        .find::<plans::Entity>()
        .filter(plans::Column::ProjectId.eq(project_id))
        .order_by_desc(plans::Column::StartDate)
        .all(&*tx)
        .await?)
}

pub async fn slots(db: &DatabaseConnection, scope: &OrgScope, plan_id: Uuid) -> Result<Vec<slots::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    get_in(&tx, plan_id).await?;
    Ok(tx
        .find::<slots::Entity>()
        .filter(slots::Column::PlanId.eq(plan_id))
        .order_by_asc(slots::Column::DayIndex)
        .order_by_asc(slots::Column::SlotIndex)
        .all(&*tx)
        .await?)
}

#[derive(Debug, FromQueryResult)]
struct StatusCount {
    status: SlotStatus,
    count: i64,
}

/// How many of the plan's slots are in each status.
pub async fn slot_counts(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
) -> Result<Vec<(SlotStatus, i64)>, DomainError> {
    let tx = scope.begin(db).await?;
    let rows = tx
        .find::<slots::Entity>()
        .filter(slots::Column::PlanId.eq(plan_id))
        .select_only()
        .column(slots::Column::Status)
        .column_as(slots::Column::Id.count(), "count")
        .group_by(slots::Column::Status)
        .into_model::<StatusCount>()
        .all(&*tx)
        .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.count)).collect())
}

/// The local posting moment as an instant. A time that does not exist on
/// that day (a DST gap) moves forward by the gap; an ambiguous one takes the
/// earlier instant.
fn local_to_utc(tz: chrono_tz::Tz, date: NaiveDate, time: NaiveTime) -> chrono::DateTime<Utc> {
    let naive = date.and_time(time);
    (0..=4)
        .find_map(|half_hours| tz.from_local_datetime(&(naive + chrono::Duration::minutes(30 * half_hours))).earliest())
        .expect("no time zone has a gap longer than two hours")
        .with_timezone(&Utc)
}

/// Lays out the plan's slot grid (idempotent: existing slots are kept).
/// Returns (slots inserted now, slots in the plan).
pub async fn create_slot_grid(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
) -> Result<(u32, u32), DomainError> {
    let tx = scope.begin(db).await?;
    let plan = get_in(&tx, plan_id).await?;
    let project = projects::get_in(&tx, plan.project_id).await?;
    let tz: chrono_tz::Tz =
        project.timezone.parse().map_err(|_| DomainError::invalid("timezone", "the project's time zone is unknown"))?;
    let times = projects::posting_times(&project)?;
    let now = Utc::now().fixed_offset();
    let mut grid = Vec::with_capacity(plan.days as usize * times.len());
    for day in 0..plan.days {
        let date = plan.start_date + Days::new(day as u64);
        for (index, time) in times.iter().enumerate() {
            grid.push(slots::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(tx.org_id()),
                project_id: Set(plan.project_id),
                plan_id: Set(plan.id),
                day_index: Set(day),
                slot_index: Set(index as i32),
                scheduled_at: Set(local_to_utc(tz, date, *time).fixed_offset()),
                status: Set(SlotStatus::Empty),
                hook: Set(String::new()),
                script: Set(String::new()),
                caption: Set(String::new()),
                hashtags: Set(serde_json::json!([])),
                format: Set(String::new()),
                confidence: Set(None),
                rationale: Set(String::new()),
                locked: Set(false),
                version: Set(1),
                approved_by: Set(None),
                approved_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    let inserted = slots::Entity::insert_many(grid)
        .on_conflict(
            OnConflict::columns([slots::Column::PlanId, slots::Column::DayIndex, slots::Column::SlotIndex])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&*tx)
        .await?;
    let in_plan = tx.find::<slots::Entity>().filter(slots::Column::PlanId.eq(plan.id)).count(&*tx).await?;
    tx.commit().await?;
    Ok((inserted as u32, in_plan as u32))
}

/// Records that the plan's workflow failed, with the step and reason.
pub async fn mark_failed(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
    reason: &str,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let mut failed: plans::ActiveModel = get_in(&tx, plan_id).await?.into();
    failed.status = Set(PlanStatus::Failed);
    failed.failure = Set(Some(reason.chars().take(2000).collect()));
    failed.update(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_posting_times_become_instants_across_dst() {
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let t = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let winter = local_to_utc(tz, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), t);
        assert_eq!(winter.to_rfc3339(), "2026-12-01T08:00:00+00:00");
        let summer = local_to_utc(tz, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(), t);
        assert_eq!(summer.to_rfc3339(), "2026-07-01T07:00:00+00:00");
        // 02:30 does not exist on 2026-03-29 in Berlin: it moves to 03:00 local.
        let gap =
            local_to_utc(tz, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(), NaiveTime::from_hms_opt(2, 30, 0).unwrap());
        assert_eq!(gap.to_rfc3339(), "2026-03-29T01:00:00+00:00");
    }
}
