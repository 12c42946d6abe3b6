//! Read models across an org's slots for the web app: the library of
//! rendered videos, the posts with their metrics over time, and the slots
//! and plans an operator has to look at (running, failed).

use crate::{DomainError, OrgScope};
use entities::{
    assets,
    plans::{self, PlanStatus},
    post_metrics, publications,
    slots::{self, SlotStatus},
};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The newest rendered videos shown in the library.
pub const LIBRARY_LIMIT: u64 = 200;

pub struct LibraryEntry {
    pub slot: slots::Model,
    pub video: assets::Model,
    pub thumbnail: Option<assets::Model>,
    pub publication: Option<publications::Model>,
}

/// Slots with a rendered video, newest render first.
pub async fn rendered(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<LibraryEntry>, DomainError> {
    let tx = scope.begin(db).await?;
    let with_video = tx
        .find::<slots::Entity>()
        .filter(slots::Column::VideoAssetId.is_not_null())
        .order_by_desc(slots::Column::UpdatedAt)
        .limit(LIBRARY_LIMIT)
        .all(&*tx)
        .await?;
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
    let mut out = Vec::with_capacity(with_video.len());
    for slot in with_video {
        let key = |kind: &str| (slot.id, slot.render_version, kind.to_owned());
        let Some(video) = media.remove(&key("video")) else { continue };
        let thumbnail = media.remove(&key("thumbnail"));
        let publication = publications.remove(&slot.id);
        out.push(LibraryEntry { slot, video, thumbnail, publication });
    }
    Ok(out)
}

pub struct PostSeries {
    pub slot: slots::Model,
    pub publication: publications::Model,
    /// Oldest first.
    pub points: Vec<post_metrics::Model>,
}

/// Every published post with its metric snapshots, newest post first.
pub async fn post_series(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<PostSeries>, DomainError> {
    let tx = scope.begin(db).await?;
    let published = tx
        .find::<publications::Entity>()
        .filter(publications::Column::Status.is_in(["published", "sent_to_inbox"]))
        .order_by_desc(publications::Column::PublishedAt)
        .all(&*tx)
        .await?;
    let ids: Vec<Uuid> = published.iter().map(|p| p.id).collect();
    let mut points: BTreeMap<Uuid, Vec<post_metrics::Model>> = BTreeMap::new();
    for point in tx
        .find::<post_metrics::Entity>()
        .filter(post_metrics::Column::PublicationId.is_in(ids))
        .order_by_asc(post_metrics::Column::CapturedAt)
        .all(&*tx)
        .await?
    {
        points.entry(point.publication_id).or_default().push(point);
    }
    let mut slots: BTreeMap<Uuid, slots::Model> = tx
        .find::<slots::Entity>()
        .filter(slots::Column::Id.is_in(published.iter().map(|p| p.slot_id).collect::<Vec<_>>()))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(published
        .into_iter()
        .filter_map(|publication| {
            let slot = slots.remove(&publication.slot_id)?;
            let points = points.remove(&publication.id).unwrap_or_default();
            Some(PostSeries { slot, publication, points })
        })
        .collect())
}

/// What needs an operator's eye from the database's side: plans still
/// drafting or failed, and slots rendering, publishing or failed (a render
/// that failed leaves the slot approved with its error).
pub struct Attention {
    pub plans: Vec<plans::Model>,
    pub slots: Vec<slots::Model>,
}

pub async fn attention(db: &DatabaseConnection, scope: &OrgScope) -> Result<Attention, DomainError> {
    let tx = scope.begin(db).await?;
    let plans = tx
        .find::<plans::Entity>()
        .filter(plans::Column::Status.is_in([PlanStatus::Pending, PlanStatus::Drafting, PlanStatus::Failed]))
        .order_by_desc(plans::Column::UpdatedAt)
        .limit(50)
        .all(&*tx)
        .await?;
    let slots = tx
        .find::<slots::Entity>()
        .filter(
            slots::Column::Status
                .is_in([
                    SlotStatus::Rendering,
                    SlotStatus::Rendered,
                    SlotStatus::PublishApproved,
                    SlotStatus::Publishing,
                    SlotStatus::Failed,
                ])
                .or(slots::Column::Status.eq(SlotStatus::Approved).and(slots::Column::RenderError.is_not_null())),
        )
        .order_by_desc(slots::Column::UpdatedAt)
        .limit(200)
        .all(&*tx)
        .await?;
    Ok(Attention { plans, slots })
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
