//! What published posts did: counter snapshots per post, and the publishes
//! a project made today (its posts-per-day budget).

use crate::{DomainError, OrgScope};
use chrono::Utc;
use entities::{post_metrics, publications};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

/// Published posts of an account that have a public id: (publication, post id).
pub async fn public_posts(
    db: &DatabaseConnection,
    scope: &OrgScope,
    account_id: Uuid,
) -> Result<Vec<(Uuid, String)>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<publications::Entity>()
        .filter(publications::Column::AccountId.eq(account_id))
        .filter(publications::Column::PublicPostId.is_not_null())
        .all(&*tx)
        .await?
        .into_iter()
        .filter_map(|p| p.public_post_id.map(|id| (p.id, id)))
        .collect())
}

pub async fn record_metrics(
    db: &DatabaseConnection,
    scope: &OrgScope,
    snapshots: Vec<(Uuid, platform::tiktok::VideoStats)>,
) -> Result<u32, DomainError> {
    let tx = scope.begin(db).await?;
    let now = Utc::now().fixed_offset();
    let count = snapshots.len() as u32;
    for (publication_id, stats) in snapshots {
        post_metrics::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(tx.org_id()),
            publication_id: Set(publication_id),
            captured_at: Set(now),
            view_count: Set(stats.view_count),
            like_count: Set(stats.like_count),
            comment_count: Set(stats.comment_count),
            share_count: Set(stats.share_count),
        }
        .insert(&*tx)
        .await?;
    }
    tx.commit().await?;
    Ok(count)
}

pub async fn metric_history(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<Vec<post_metrics::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    let Some(publication) =
        tx.find::<publications::Entity>().filter(publications::Column::SlotId.eq(slot_id)).one(&*tx).await?
    else {
        return Ok(Vec::new());
    };
    Ok(tx
        .find::<post_metrics::Entity>()
        .filter(post_metrics::Column::PublicationId.eq(publication.id))
        .order_by_asc(post_metrics::Column::CapturedAt)
        .all(&*tx)
        .await?)
}

/// Publishes this project made today (UTC), for its posts-per-day budget.
pub async fn publishes_today(db: &DatabaseConnection, scope: &OrgScope, project_id: Uuid) -> Result<i64, DomainError> {
    let day_start = Utc::now().date_naive().and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    crate::usage::llm_usage::total_since(db, scope, project_id, "publishes", day_start).await
}
