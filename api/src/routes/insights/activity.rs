//! The org-wide views behind the web app's queue, library and analytics:
//! what is running, waiting for a person, failed or dead-lettered (with live
//! progress and a link to the run), the rendered videos, and the posts'
//! metrics over a date range.
//!
//! Every list is a bounded page in an order the database applies; a page's
//! Temporal calls run a few at a time within one deadline, and an item whose
//! run did not answer in time is still served from the database with its run
//! `unknown`.

use crate::routes::{
    media::assets::{AssetView, asset_view},
    paging::{bad_cursor, newest_cursor, next_cursor_headers, page_limit},
    publishing::pipeline::{MetricPoint, PublicationView},
};
use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiQuery},
    runs::{self, RunView},
};
use axum::extract::State;
use chrono::{NaiveDate, Utc};
use domain::{
    identity::policy::Action,
    media::library::{self, AttentionItem, DateRange, RunningPipelines, TopViews},
};
use entities::{
    plans::{self, PlanStatus},
    slots::{self, SlotStatus},
};
use futures::StreamExt;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use temporal::pipeline::PipelineStage;
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(queue)).routes(routes!(videos)).routes(routes!(analytics))
}

/// Queue items per page unless `limit` says otherwise.
const QUEUE_LIMIT: u64 = 50;
/// Videos per page unless `limit` says otherwise (the library's first page).
const VIDEOS_LIMIT: u64 = 200;
/// Posts per page of the analytics table unless `limit` says otherwise.
const POSTS_LIMIT: u64 = 20;
/// The analytics' range unless `from`/`to` say otherwise.
const DEFAULT_RANGE_DAYS: i64 = 30;

const QUEUE_CURSOR: &str = "queue";
const VIDEOS_CURSOR: &str = "videos";
const POSTS_CURSOR: &str = "posts";
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct QueueQuery {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `next_cursor` of the previous page; without it, the first page.
    cursor: Option<String>,
}

/// Where a piece of work stands, from the operator's point of view.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QueueState {
    Running,
    /// A person must approve: the slot's approval or the publish gate.
    WaitingForApproval,
    /// Approved for publishing, waiting for the slot's time.
    Scheduled,
    /// A plan or a render that failed; `retry` says how to try again.
    Failed,
    /// A slot whose pipeline failed; `POST /slots/{id}/retry` runs it again.
    DeadLetter,
}

/// How to try a failed item again.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RetryAction {
    /// `POST /plans/{plan_id}/regenerate`.
    Regenerate,
    /// `POST /slots/{slot_id}/render`.
    Render,
    /// `POST /slots/{slot_id}/retry`.
    Pipeline,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct QueueItem {
    /// `plan` (drafting a month) or `slot` (render and publish).
    kind: &'static str,
    state: QueueState,
    /// The pipeline's own stage, when a run answers (see `PipelineView.stage`).
    stage: Option<String>,
    project_id: Uuid,
    plan_id: Uuid,
    slot_id: Option<Uuid>,
    /// The slot's status in the database (slot items only).
    slot_status: Option<SlotStatus>,
    /// The slot's hook, or the plan's first day.
    title: String,
    day_index: Option<i32>,
    slot_index: Option<i32>,
    scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// 0 to 1 while drafting or rendering.
    progress: Option<f64>,
    /// Why it failed, or which policy rule stops it.
    reason: Option<String>,
    retry: Option<RetryAction>,
    updated_at: chrono::DateTime<chrono::FixedOffset>,
    /// The run; its `status` is `unknown` when Temporal did not answer in time.
    run: RunView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct QueuePage {
    /// Newest first (`updated_at`, then id, both descending).
    items: Vec<QueueItem>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
    /// How many items need attention, on all pages.
    total: u64,
}

/// Running, waiting-for-approval, scheduled, failed and dead-lettered work
/// of the org, newest first, a page at a time, each with its run in the
/// Temporal UI. Which drafts wait in a running pipeline comes from one
/// Temporal listing; when Temporal does not answer within 2 s the page is
/// served from the database (slots on their way to TikTok counted as
/// running) with the runs' status `unknown`.
#[utoipa::path(get, path = "/api/orgs/{org_id}/queue", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), QueueQuery), responses((status = 200, body = QueuePage), ErrorResponses))]
async fn queue(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<ApiJson<QueuePage>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let limit = page_limit(query.limit, QUEUE_LIMIT)?;
    let after = newest_cursor(QUEUE_CURSOR, query.cursor.as_deref())?;
    let deadline = Instant::now() + runs::READ_DEADLINE;
    let running: Option<BTreeSet<Uuid>> =
        runs::within(deadline, "running pipelines", runs::running_pipelines(&state, scope.org_id()))
            .await
            .flatten()
            .map(|ids| ids.into_iter().collect());
    let running_ids: Option<Vec<Uuid>> = running.as_ref().map(|r| r.iter().copied().collect());
    let membership = match &running_ids {
        Some(ids) => RunningPipelines::Known(ids),
        None => RunningPipelines::Unknown,
    };
    let page = library::attention(&state.db, &scope, membership, after, limit).await?;
    let items = futures::stream::iter(page.items)
        .map(|item| queue_item(&state, item, running.as_ref(), deadline))
        .buffered(runs::CALLS_AT_ONCE)
        .collect()
        .await;
    Ok(ApiJson(QueuePage { items, next_cursor: page.next.map(|k| k.to_cursor(QUEUE_CURSOR)), total: page.total }))
}

async fn queue_item(
    state: &AppState,
    item: AttentionItem,
    running: Option<&BTreeSet<Uuid>>,
    deadline: Instant,
) -> QueueItem {
    match item {
        AttentionItem::Plan(plan) => plan_item(state, *plan, deadline).await,
        AttentionItem::Slot(slot) => {
            // Without Temporal's listing, the database's word: a slot on its
            // way to TikTok has its pipeline running.
            let pipeline_running = match running {
                Some(running) => running.contains(&slot.id),
                None => {
                    matches!(slot.status, SlotStatus::Rendered | SlotStatus::PublishApproved | SlotStatus::Publishing)
                }
            };
            slot_item(state, *slot, pipeline_running, deadline).await
        }
    }
}

async fn plan_item(state: &AppState, plan: plans::Model, deadline: Instant) -> QueueItem {
    let failed = plan.status == PlanStatus::Failed;
    let progress = (!failed && plan.batches_total > 0).then(|| plan.batches_done as f64 / plan.batches_total as f64);
    let run = runs::within(deadline, "plan run", runs::describe(state, &plan.workflow_id))
        .await
        .unwrap_or_else(|| runs::unknown(state, &plan.workflow_id));
    QueueItem {
        kind: "plan",
        state: if failed { QueueState::Failed } else { QueueState::Running },
        stage: Some(format!("{:?}", plan.status).to_lowercase()),
        project_id: plan.project_id,
        plan_id: plan.id,
        slot_id: None,
        slot_status: None,
        title: format!("Month from {}", plan.start_date),
        day_index: None,
        slot_index: None,
        scheduled_at: None,
        progress,
        reason: plan.failure.clone(),
        retry: failed.then_some(RetryAction::Regenerate),
        updated_at: plan.updated_at,
        run,
    }
}

/// What Temporal says about a slot's item: its run, the pipeline's stage
/// and the render's progress, as far as they apply and answered in time.
struct Live {
    run: RunView,
    stage: Option<PipelineStage>,
    progress: Option<f64>,
}

/// Which run an item of this slot shows: its pipeline's while that runs,
/// else its render's while rendering or after a failed render, else (a
/// dead letter) its failed pipeline's.
async fn live(state: &AppState, slot: &slots::Model, pipeline_running: bool, deadline: Instant) -> Live {
    let pipeline_id = temporal::ids::slot_workflow_id(slot.org_id, slot.id);
    let render_id = temporal::ids::slot_render_workflow_id(slot.org_id, slot.id, slot.render_version);
    if pipeline_running && slot.status != SlotStatus::Rendering {
        return match runs::within(deadline, "pipeline run", runs::describe_pipeline(state, slot)).await {
            Some((run, status)) => Live { run, stage: status.map(|s| s.stage), progress: None },
            None => Live { run: runs::unknown(state, &pipeline_id), stage: None, progress: None },
        };
    }
    match slot.status {
        SlotStatus::Rendering => {
            // The pipeline's stage (when it runs) and the render's progress.
            let stage = async {
                if pipeline_running { runs::describe_pipeline(state, slot).await.1.map(|s| s.stage) } else { None }
            };
            match runs::within(
                deadline,
                "render run",
                futures::future::join(runs::describe_render(state, &render_id), stage),
            )
            .await
            {
                Some(((run, progress), stage)) => Live { run, stage, progress: Some(progress.unwrap_or(0.0)) },
                None => Live { run: runs::unknown(state, &render_id), stage: None, progress: None },
            }
        }
        SlotStatus::Failed => Live {
            run: runs::within(deadline, "pipeline run", runs::describe(state, &pipeline_id))
                .await
                .unwrap_or_else(|| runs::unknown(state, &pipeline_id)),
            stage: None,
            progress: None,
        },
        _ => Live {
            run: runs::within(deadline, "render run", runs::describe(state, &render_id))
                .await
                .unwrap_or_else(|| runs::unknown(state, &render_id)),
            stage: None,
            progress: None,
        },
    }
}

async fn slot_item(state: &AppState, slot: slots::Model, pipeline_running: bool, deadline: Instant) -> QueueItem {
    let Live { run, stage, progress } = live(state, &slot, pipeline_running, deadline).await;
    let (queue_state, reason, retry) = match slot.status {
        SlotStatus::Rendering => (QueueState::Running, None, None),
        SlotStatus::Failed => (QueueState::DeadLetter, slot.pipeline_error.clone(), Some(RetryAction::Pipeline)),
        SlotStatus::Approved if slot.render_error.is_some() && !pipeline_running => {
            (QueueState::Failed, slot.render_error.clone(), Some(RetryAction::Render))
        }
        _ => {
            let queue_state = match stage {
                Some(s) if s.waits_for_a_person() => QueueState::WaitingForApproval,
                Some(PipelineStage::WaitingForSlotTime) => QueueState::Scheduled,
                _ => QueueState::Running,
            };
            // A slot the policy stops says which rule and why.
            (queue_state, domain::policy::gate::block_of(&slot).map(|b| b.summary()), None)
        }
    };
    QueueItem {
        kind: "slot",
        state: queue_state,
        stage: stage.map(|s| s.as_str().to_owned()),
        project_id: slot.project_id,
        plan_id: slot.plan_id,
        slot_id: Some(slot.id),
        slot_status: Some(slot.status),
        title: slot.hook,
        day_index: Some(slot.day_index),
        slot_index: Some(slot.slot_index),
        scheduled_at: Some(slot.scheduled_at),
        progress,
        reason,
        retry,
        updated_at: slot.updated_at,
        run,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VideosQuery {
    /// Videos per page, 1 to 200 (default 200).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `X-Next-Cursor` of the previous page; without it, the first page.
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VideoView {
    slot_id: Uuid,
    project_id: Uuid,
    plan_id: Uuid,
    hook: String,
    caption: String,
    day_index: i32,
    slot_index: i32,
    scheduled_at: chrono::DateTime<chrono::FixedOffset>,
    slot_status: SlotStatus,
    render_version: i32,
    duration_ms: Option<i32>,
    video: AssetView,
    thumbnail: Option<AssetView>,
    publication: Option<PublicationView>,
}

/// The org's rendered videos, newest first, a page at a time, with signed
/// links to each video and thumbnail. When more follow, the `X-Next-Cursor`
/// header holds the cursor of the next page.
#[utoipa::path(get, path = "/api/orgs/{org_id}/videos", tag = "renders", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), VideosQuery),
    responses((status = 200, body = Vec<VideoView>, headers(
        ("x-next-cursor" = String, description = "The cursor of the next page; absent on the last page")
    )), ErrorResponses))]
async fn videos(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<VideosQuery>,
) -> Result<(HeaderMap, ApiJson<Vec<VideoView>>), ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let limit = page_limit(query.limit, VIDEOS_LIMIT)?;
    let after = newest_cursor(VIDEOS_CURSOR, query.cursor.as_deref())?;
    let page = library::rendered(&state.db, &scope, after, limit).await?;
    let mut out = Vec::with_capacity(page.items.len());
    for entry in page.items {
        let thumbnail = match entry.thumbnail {
            Some(t) => Some(asset_view(&state, t).await?),
            None => None,
        };
        let slot = entry.slot;
        out.push(VideoView {
            slot_id: slot.id,
            project_id: slot.project_id,
            plan_id: slot.plan_id,
            hook: slot.hook,
            caption: slot.caption,
            day_index: slot.day_index,
            slot_index: slot.slot_index,
            scheduled_at: slot.scheduled_at,
            slot_status: slot.status,
            render_version: slot.render_version,
            duration_ms: entry.video.duration_ms,
            video: asset_view(&state, entry.video).await?,
            thumbnail,
            publication: entry.publication.map(PublicationView::from),
        });
    }
    let headers = next_cursor_headers(VIDEOS_CURSOR, page.next)?;
    Ok((headers, ApiJson(out)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AnalyticsQuery {
    /// The first day (UTC) of the range; default 29 days before `to`.
    from: Option<NaiveDate>,
    /// The last day (UTC) of the range, included; default today. At most
    /// 366 days from `from`.
    to: Option<NaiveDate>,
    /// Posts per page of `posts`, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `posts.next_cursor` of the previous page; without it, the most viewed posts.
    cursor: Option<String>,
}

/// Counters summed over posts, each post counting with its latest snapshot.
#[derive(Serialize, ToSchema)]
pub(crate) struct MetricTotals {
    view_count: i64,
    like_count: i64,
    comment_count: i64,
    share_count: i64,
}

impl From<library::Counts> for MetricTotals {
    fn from(c: library::Counts) -> Self {
        MetricTotals {
            view_count: c.view_count,
            like_count: c.like_count,
            comment_count: c.comment_count,
            share_count: c.share_count,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DayMetrics {
    /// A UTC day.
    day: NaiveDate,
    /// The sum over posts of each post's latest snapshot of the day.
    #[serde(flatten)]
    counts: MetricTotals,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PostMetrics {
    slot_id: Uuid,
    project_id: Uuid,
    hook: String,
    publication: PublicationView,
    /// The latest snapshot in the range (`null` without one).
    latest: Option<MetricPoint>,
    /// Snapshots taken in the range.
    snapshots: i64,
    /// The latest snapshot of each day of the range, oldest first.
    points: Vec<MetricPoint>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PostPage {
    /// Most viewed first (views at the end of the range).
    items: Vec<PostMetrics>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AnalyticsView {
    from: NaiveDate,
    to: NaiveDate,
    /// Posts in the range: published in it or with a snapshot in it.
    post_count: i64,
    /// The posts' latest snapshots in the range, summed.
    totals: MetricTotals,
    /// One entry per day with snapshots, oldest first.
    days: Vec<DayMetrics>,
    /// The projects the range's posts belong to.
    project_ids: Vec<Uuid>,
    posts: PostPage,
}

/// The org's post metrics over a range of UTC days (default the last 30,
/// at most 366; 422 `validation_failed` otherwise), aggregated by the
/// database: totals, a series per day, and a page of the posts, most viewed
/// first, each with its latest snapshot of every day.
#[utoipa::path(get, path = "/api/orgs/{org_id}/analytics", tag = "pipeline", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), AnalyticsQuery), responses((status = 200, body = AnalyticsView), ErrorResponses))]
async fn analytics(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<AnalyticsQuery>,
) -> Result<ApiJson<AnalyticsView>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let limit = page_limit(query.limit, POSTS_LIMIT)?;
    let to = query.to.unwrap_or_else(|| Utc::now().date_naive());
    let range = match query.from {
        Some(from) => DateRange::new(from, to)?,
        None => DateRange::last_days(to, DEFAULT_RANGE_DAYS)?,
    };
    let after = query
        .cursor
        .as_deref()
        .map(|c| {
            domain::paging::cursor::decode(POSTS_CURSOR, c)
                .map(|(views, publication_id)| TopViews { views, publication_id })
                .ok_or_else(bad_cursor)
        })
        .transpose()?;
    let found = library::analytics(&state.db, &scope, range, after, limit).await?;
    let next_cursor = found.top.next.map(|k| domain::paging::cursor::encode(POSTS_CURSOR, k.views, k.publication_id));
    let items = found
        .top
        .items
        .into_iter()
        .map(|post| PostMetrics {
            slot_id: post.slot.id,
            project_id: post.slot.project_id,
            hook: post.slot.hook,
            publication: post.publication.into(),
            latest: post.daily.last().cloned().map(MetricPoint::from),
            snapshots: post.snapshots,
            points: post.daily.into_iter().map(MetricPoint::from).collect(),
        })
        .collect();
    Ok(ApiJson(AnalyticsView {
        from: range.from(),
        to: range.to(),
        post_count: found.posts,
        totals: found.totals.into(),
        days: found.days.into_iter().map(|d| DayMetrics { day: d.day, counts: d.counts.into() }).collect(),
        project_ids: found.project_ids,
        posts: PostPage { items, next_cursor },
    }))
}
