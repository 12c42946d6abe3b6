//! Read models across an org's slots for the web app: the library of
//! rendered videos, the posts' metrics over a date range, and the slots and
//! plans an operator has to look at (running, failed).
//!
//! Every list here is bounded: a page of at most [`PAGE_MAX`] rows, in a
//! stable order the database applies, continued from a cursor (the key of
//! the last row shown; [`crate::paging`]), so no request loads everything.

use crate::{
    DomainError, OrgScope, TenantTxn,
    paging::{Newest, PAGE_MAX, Page, more},
};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use entities::{
    assets,
    plans::{self, PlanStatus},
    post_metrics, publications,
    slots::{self, SlotStatus},
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The longest date range the analytics aggregate over, in days.
pub const RANGE_MAX_DAYS: i64 = 366;

pub struct LibraryEntry {
    pub slot: slots::Model,
    pub video: assets::Model,
    pub thumbnail: Option<assets::Model>,
    pub publication: Option<publications::Model>,
}

/// Slots with a rendered video, newest first, `limit` of them after `after`.
pub async fn rendered(
    db: &DatabaseConnection,
    scope: &OrgScope,
    after: Option<Newest>,
    limit: u64,
) -> Result<Page<LibraryEntry, Newest>, DomainError> {
    let tx = scope.begin(db).await?;
    let mut query = tx.find::<slots::Entity>().filter(slots::Column::VideoAssetId.is_not_null());
    if let Some(after) = after {
        query = query.filter(after.after(slots::Column::UpdatedAt, slots::Column::Id));
    }
    let mut with_video = query
        .order_by_desc(slots::Column::UpdatedAt)
        .order_by_desc(slots::Column::Id)
        .limit(limit.min(PAGE_MAX) + 1)
        .all(&*tx)
        .await?;
    let next = more(&mut with_video, limit.min(PAGE_MAX)).map(|s| Newest { at: s.updated_at, id: s.id });
    let slot_ids: Vec<Uuid> = with_video.iter().map(|s| s.id).collect();
    let mut media: BTreeMap<(Uuid, i32, String), assets::Model> = BTreeMap::new();
    for asset in tx
        .find::<assets::Entity>()
        .filter(assets::Column::SlotId.is_in(slot_ids.clone()))
        .filter(assets::Column::Kind.is_in(["video", "thumbnail"]))
        .all(&*tx)
        .await?
    {
        if let Some(slot_id) = asset.slot_id {
            media.insert((slot_id, asset.render_version, asset.kind.clone()), asset);
        }
    }
    let mut publications: BTreeMap<Uuid, publications::Model> = tx
        .find::<publications::Entity>()
        .filter(publications::Column::SlotId.is_in(slot_ids))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|p| (p.slot_id, p))
        .collect();
    let mut items = Vec::with_capacity(with_video.len());
    for slot in with_video {
        let key = |kind: &str| (slot.id, slot.render_version, kind.to_owned());
        let Some(video) = media.remove(&key("video")) else { continue };
        let thumbnail = media.remove(&key("thumbnail"));
        let publication = publications.remove(&slot.id);
        items.push(LibraryEntry { slot, video, thumbnail, publication });
    }
    Ok(Page { items, next })
}

/// Whole UTC days, `from` to `to` inclusive, at most [`RANGE_MAX_DAYS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl DateRange {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<DateRange, DomainError> {
        if from > to {
            return Err(DomainError::Invalid { field: "from", message: "must not be after `to`".into() });
        }
        let days = (to - from).num_days() + 1;
        if days > RANGE_MAX_DAYS {
            return Err(DomainError::Invalid {
                field: "from",
                message: format!("the range spans {days} days; at most {RANGE_MAX_DAYS} are allowed"),
            });
        }
        Ok(DateRange { from, to })
    }

    /// The `days` days up to and including `to`.
    pub fn last_days(to: NaiveDate, days: i64) -> Result<DateRange, DomainError> {
        DateRange::new(to - Duration::days(days - 1), to)
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    fn start(&self) -> DateTime<Utc> {
        self.from.and_time(NaiveTime::MIN).and_utc()
    }

    /// The instant after the range (midnight after `to`).
    fn end(&self) -> DateTime<Utc> {
        (self.to + Duration::days(1)).and_time(NaiveTime::MIN).and_utc()
    }
}

/// A post's or the org's counters; snapshots are cumulative, so a sum over
/// posts takes each post's latest snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct Counts {
    pub view_count: i64,
    pub like_count: i64,
    pub comment_count: i64,
    pub share_count: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayCounts {
    pub day: NaiveDate,
    /// The sum over posts of each post's latest snapshot of that day.
    pub counts: Counts,
}

pub struct PostMetrics {
    pub slot: slots::Model,
    pub publication: publications::Model,
    /// Snapshots in the range.
    pub snapshots: i64,
    /// Each day's latest snapshot in the range, oldest first; the last is
    /// the post's numbers at the end of the range.
    pub daily: Vec<post_metrics::Model>,
}

/// A post's place in the views-first order: its views at the end of the
/// range (-1 without a snapshot in it), then its publication id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopViews {
    pub views: i64,
    pub publication_id: Uuid,
}

pub struct Analytics {
    /// Posts in the range: published in it, or with a snapshot in it.
    pub posts: i64,
    pub totals: Counts,
    /// Days with snapshots, oldest first.
    pub days: Vec<DayCounts>,
    /// The projects of the posts in the range.
    pub project_ids: Vec<Uuid>,
    /// One page of the posts, most viewed first.
    pub top: Page<PostMetrics, TopViews>,
}

/// The posts of the range with each one's latest snapshot in it (`rn = 1`).
const POSTS_IN_RANGE: &str = "
WITH in_range AS (
    SELECT m.publication_id, m.view_count, m.like_count, m.comment_count, m.share_count,
           row_number() OVER (PARTITION BY m.publication_id ORDER BY m.captured_at DESC, m.id DESC) AS rn
      FROM post_metrics m
     WHERE m.org_id = $1 AND m.captured_at >= $2 AND m.captured_at < $3
), posts AS (
    SELECT p.id, p.slot_id, COALESCE(l.view_count, -1) AS rank,
           COALESCE(l.view_count, 0) AS view_count, COALESCE(l.like_count, 0) AS like_count,
           COALESCE(l.comment_count, 0) AS comment_count, COALESCE(l.share_count, 0) AS share_count
      FROM publications p
      LEFT JOIN in_range l ON l.publication_id = p.id AND l.rn = 1
     WHERE p.org_id = $1 AND p.status IN ('published', 'sent_to_inbox')
       AND (l.publication_id IS NOT NULL
            OR (COALESCE(p.published_at, p.created_at) >= $2 AND COALESCE(p.published_at, p.created_at) < $3))
)";

/// The day (UTC) of a snapshot.
const DAY: &str = "((m.captured_at AT TIME ZONE 'UTC')::date)";

/// The org's metrics over `range`, aggregated by the database: totals,
/// one row per day, and `limit` posts (most viewed first) after `after`.
pub async fn analytics(
    db: &DatabaseConnection,
    scope: &OrgScope,
    range: DateRange,
    after: Option<TopViews>,
    limit: u64,
) -> Result<Analytics, DomainError> {
    let limit = limit.min(PAGE_MAX);
    let tx = scope.begin(db).await?;
    let bounds = || -> Vec<sea_orm::Value> { vec![tx.org_id().into(), range.start().into(), range.end().into()] };
    let statement = |sql: String, values: Vec<sea_orm::Value>| {
        Statement::from_sql_and_values(tx.get_database_backend(), sql, values)
    };

    #[derive(FromQueryResult)]
    struct Totals {
        posts: i64,
        view_count: i64,
        like_count: i64,
        comment_count: i64,
        share_count: i64,
    }
    let totals = Totals::find_by_statement(statement(
        format!(
            "{POSTS_IN_RANGE}
             SELECT count(*)::bigint AS posts, COALESCE(sum(view_count), 0)::bigint AS view_count,
                    COALESCE(sum(like_count), 0)::bigint AS like_count,
                    COALESCE(sum(comment_count), 0)::bigint AS comment_count,
                    COALESCE(sum(share_count), 0)::bigint AS share_count
               FROM posts"
        ),
        bounds(),
    ))
    .one(&*tx)
    .await?
    .expect("an aggregate yields a row");

    #[derive(FromQueryResult)]
    struct Day {
        day: NaiveDate,
        view_count: i64,
        like_count: i64,
        comment_count: i64,
        share_count: i64,
    }
    let days = Day::find_by_statement(statement(
        format!(
            "SELECT day, sum(view_count)::bigint AS view_count, sum(like_count)::bigint AS like_count,
                    sum(comment_count)::bigint AS comment_count, sum(share_count)::bigint AS share_count
               FROM (SELECT DISTINCT ON (m.publication_id, {DAY}) {DAY} AS day,
                            m.view_count, m.like_count, m.comment_count, m.share_count
                       FROM post_metrics m
                       JOIN publications p ON p.id = m.publication_id
                      WHERE m.org_id = $1 AND m.captured_at >= $2 AND m.captured_at < $3
                        AND p.status IN ('published', 'sent_to_inbox')
                      ORDER BY m.publication_id, {DAY}, m.captured_at DESC, m.id DESC) latest
              GROUP BY day ORDER BY day"
        ),
        bounds(),
    ))
    .all(&*tx)
    .await?
    .into_iter()
    .map(|d| DayCounts {
        day: d.day,
        counts: Counts {
            view_count: d.view_count,
            like_count: d.like_count,
            comment_count: d.comment_count,
            share_count: d.share_count,
        },
    })
    .collect();

    let project_ids: Vec<Uuid> = tx
        .query_all(statement(
            format!(
                "{POSTS_IN_RANGE}
                 SELECT DISTINCT s.project_id FROM posts JOIN slots s ON s.id = posts.slot_id ORDER BY s.project_id"
            ),
            bounds(),
        ))
        .await?
        .iter()
        .map(|row| row.try_get::<Uuid>("", "project_id"))
        .collect::<Result<_, _>>()?;

    #[derive(FromQueryResult)]
    struct Ranked {
        id: Uuid,
        rank: i64,
    }
    let mut values = bounds();
    values.extend([after.map(|a| a.views).into(), after.map(|a| a.publication_id).into(), ((limit + 1) as i64).into()]);
    let mut ranked = Ranked::find_by_statement(statement(
        format!(
            "{POSTS_IN_RANGE}
             SELECT id, rank FROM posts
              WHERE $4::bigint IS NULL OR (rank, id) < ($4::bigint, $5::uuid)
              ORDER BY rank DESC, id DESC LIMIT $6"
        ),
        values,
    ))
    .all(&*tx)
    .await?;
    let next = more(&mut ranked, limit).map(|r| TopViews { views: r.rank, publication_id: r.id });
    let top = page_of_posts(&tx, range, ranked.iter().map(|r| r.id).collect()).await?;

    Ok(Analytics {
        posts: totals.posts,
        totals: Counts {
            view_count: totals.view_count,
            like_count: totals.like_count,
            comment_count: totals.comment_count,
            share_count: totals.share_count,
        },
        days,
        project_ids,
        top: Page { items: top, next },
    })
}

/// The posts of `ids` (in that order) with their snapshots of the range.
async fn page_of_posts(tx: &TenantTxn, range: DateRange, ids: Vec<Uuid>) -> Result<Vec<PostMetrics>, DomainError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut publications: BTreeMap<Uuid, publications::Model> = tx
        .find::<publications::Entity>()
        .filter(publications::Column::Id.is_in(ids.clone()))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut slots: BTreeMap<Uuid, slots::Model> = tx
        .find::<slots::Entity>()
        .filter(slots::Column::Id.is_in(publications.values().map(|p| p.slot_id).collect::<Vec<_>>()))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let in_range = || {
        Condition::all()
            .add(post_metrics::Column::PublicationId.is_in(ids.clone()))
            .add(post_metrics::Column::CapturedAt.gte(range.start()))
            .add(post_metrics::Column::CapturedAt.lt(range.end()))
    };
    let counts: BTreeMap<Uuid, i64> = tx
        .find::<post_metrics::Entity>()
        .filter(in_range())
        .select_only()
        .column(post_metrics::Column::PublicationId)
        .column_as(post_metrics::Column::Id.count(), "snapshots")
        .group_by(post_metrics::Column::PublicationId)
        .into_tuple::<(Uuid, i64)>()
        .all(&**tx)
        .await?
        .into_iter()
        .collect();
    let id_list = format!("{{{}}}", ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","));
    let mut daily: BTreeMap<Uuid, Vec<post_metrics::Model>> = BTreeMap::new();
    for point in post_metrics::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            tx.get_database_backend(),
            format!(
                "SELECT DISTINCT ON (m.publication_id, {DAY}) m.*
                   FROM post_metrics m
                  WHERE m.org_id = $1 AND m.publication_id = ANY($2::uuid[])
                    AND m.captured_at >= $3 AND m.captured_at < $4
                  ORDER BY m.publication_id, {DAY}, m.captured_at DESC, m.id DESC"
            ),
            [tx.org_id().into(), id_list.into(), range.start().into(), range.end().into()],
        ))
        .all(&**tx)
        .await?
    {
        daily.entry(point.publication_id).or_default().push(point);
    }
    Ok(ids
        .into_iter()
        .filter_map(|id| {
            let publication = publications.remove(&id)?;
            let slot = slots.remove(&publication.slot_id)?;
            Some(PostMetrics {
                slot,
                snapshots: counts.get(&id).copied().unwrap_or(0),
                daily: daily.remove(&id).unwrap_or_default(),
                publication,
            })
        })
        .collect())
}

/// What needs an operator's eye: plans still drafting or failed, and slots
/// rendering, failed (a render that failed leaves the slot approved with its
/// error) or with a running pipeline.
pub enum AttentionItem {
    Plan(Box<plans::Model>),
    Slot(Box<slots::Model>),
}

impl AttentionItem {
    pub fn key(&self) -> Newest {
        match self {
            AttentionItem::Plan(p) => Newest { at: p.updated_at, id: p.id },
            AttentionItem::Slot(s) => Newest { at: s.updated_at, id: s.id },
        }
    }
}

pub struct AttentionPage {
    /// Newest first.
    pub items: Vec<AttentionItem>,
    pub next: Option<Newest>,
    /// Every item needing attention, on all pages.
    pub total: u64,
}

/// Which slots have a running pipeline, from Temporal's visibility store.
#[derive(Clone, Copy, Debug)]
pub enum RunningPipelines<'a> {
    Known(&'a [Uuid]),
    /// Temporal did not answer: slots the database shows on their way to
    /// TikTok (rendered, publish-approved, publishing) are taken as running.
    Unknown,
}

fn plan_needs_attention() -> Condition {
    Condition::all().add(plans::Column::Status.is_in([PlanStatus::Pending, PlanStatus::Drafting, PlanStatus::Failed]))
}

fn slot_needs_attention(running: RunningPipelines<'_>) -> Condition {
    let mut any = Condition::any()
        .add(slots::Column::Status.is_in([SlotStatus::Rendering, SlotStatus::Failed]))
        .add(slots::Column::Status.eq(SlotStatus::Approved).and(slots::Column::RenderError.is_not_null()));
    match running {
        RunningPipelines::Known(ids) if !ids.is_empty() => any = any.add(slots::Column::Id.is_in(ids.to_vec())),
        RunningPipelines::Known(_) => {}
        RunningPipelines::Unknown => {
            any = any.add(slots::Column::Status.is_in([
                SlotStatus::Rendered,
                SlotStatus::PublishApproved,
                SlotStatus::Publishing,
            ]))
        }
    }
    any
}

/// One page of what needs attention, newest first (`updated_at`, then id,
/// both descending), `limit` items after `after`.
pub async fn attention(
    db: &DatabaseConnection,
    scope: &OrgScope,
    running: RunningPipelines<'_>,
    after: Option<Newest>,
    limit: u64,
) -> Result<AttentionPage, DomainError> {
    let limit = limit.min(PAGE_MAX);
    let tx = scope.begin(db).await?;
    let mut plans_query = tx.find::<plans::Entity>().filter(plan_needs_attention());
    let mut slots_query = tx.find::<slots::Entity>().filter(slot_needs_attention(running));
    if let Some(after) = after {
        plans_query = plans_query.filter(after.after(plans::Column::UpdatedAt, plans::Column::Id));
        slots_query = slots_query.filter(after.after(slots::Column::UpdatedAt, slots::Column::Id));
    }
    let plans = plans_query
        .order_by_desc(plans::Column::UpdatedAt)
        .order_by_desc(plans::Column::Id)
        .limit(limit + 1)
        .all(&*tx)
        .await?;
    let slots = slots_query
        .order_by_desc(slots::Column::UpdatedAt)
        .order_by_desc(slots::Column::Id)
        .limit(limit + 1)
        .all(&*tx)
        .await?;
    let total = tx.find::<plans::Entity>().filter(plan_needs_attention()).count(&*tx).await?
        + tx.find::<slots::Entity>().filter(slot_needs_attention(running)).count(&*tx).await?;
    // Both lists are in the page's order: merge them and keep the first.
    let mut items: Vec<AttentionItem> = plans
        .into_iter()
        .map(|p| AttentionItem::Plan(Box::new(p)))
        .chain(slots.into_iter().map(|s| AttentionItem::Slot(Box::new(s))))
        .collect();
    items.sort_by_key(|item| std::cmp::Reverse(item.key()));
    let next = more(&mut items, limit).map(AttentionItem::key);
    Ok(AttentionPage { items, next, total })
}

/// Slots by id, only those in this org (ids from elsewhere are dropped).
pub async fn slots_by_id(
    db: &DatabaseConnection,
    scope: &OrgScope,
    ids: Vec<Uuid>,
) -> Result<BTreeMap<Uuid, slots::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<slots::Entity>()
        .filter(slots::Column::Id.is_in(ids))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_is_refused_by_another_list() {
        let key = Newest {
            at: DateTime::parse_from_rfc3339("2031-07-01T10:11:12.123456+02:00").unwrap(),
            id: Uuid::new_v4(),
        };
        let text = key.to_cursor("queue");
        assert_eq!(Newest::from_cursor("queue", &text), Some(key));
        assert_eq!(Newest::from_cursor("videos", &text), None);
        assert_eq!(Newest::from_cursor("queue", "not a cursor"), None);
        assert_eq!(Newest::from_cursor("queue", &crate::paging::cursor::encode("queue", 1, Uuid::nil())[1..]), None);
    }

    #[test]
    fn a_range_is_at_most_366_days_and_ordered() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(DateRange::new(day("2031-01-01"), day("2032-01-01")).is_ok(), "366 days");
        assert!(DateRange::new(day("2031-01-01"), day("2032-01-02")).is_err(), "367 days");
        assert!(DateRange::new(day("2031-01-02"), day("2031-01-01")).is_err());
        let last = DateRange::last_days(day("2031-01-30"), 30).unwrap();
        assert_eq!((last.from(), last.to()), (day("2031-01-01"), day("2031-01-30")));
    }
}
