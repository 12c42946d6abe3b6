//! Publishing a slot: the publish gate's choices (checked against a fresh
//! creator_info), the publication row (one per slot, enforced by the
//! database) with its `publish_id` recorded before any upload, statuses,
//! the dead-letter list and metric snapshots.

use crate::{
    DomainError, OrgScope, TenantTxn,
    audit::{self, Actor},
    projects::Gates,
};
use chrono::Utc;
use entities::{
    post_metrics, projects, publications,
    slots::{self, SlotStatus},
    usage_ledger,
};
use platform::tiktok::{CreatorInfo, PostInfo};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

pub const PRIVACY_LEVELS: [&str; 4] =
    ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"];

/// What a person chooses at the publish gate (TikTok's required UX): no
/// privacy default, interaction toggles off unless turned on, disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishChoice {
    pub privacy_level: String,
    #[serde(default)]
    pub allow_comment: bool,
    #[serde(default)]
    pub allow_duet: bool,
    #[serde(default)]
    pub allow_stitch: bool,
    /// "Your brand": shown as Promotional content.
    #[serde(default)]
    pub brand_organic: bool,
    /// "Branded content": shown as Paid partnership; cannot be private.
    #[serde(default)]
    pub branded_content: bool,
}

/// Checks a choice against the creator's live options, before TikTok is
/// called: an unaudited app is offered only SELF_ONLY and anything else is
/// refused here.
pub fn check_choice(choice: &PublishChoice, creator: &CreatorInfo) -> Result<(), DomainError> {
    if !creator.privacy_level_options.contains(&choice.privacy_level) {
        return Err(DomainError::invalid(
            "privacy_level",
            format!("must be one of this account's options: {}", creator.privacy_level_options.join(", ")),
        ));
    }
    if choice.branded_content && choice.privacy_level == "SELF_ONLY" {
        return Err(DomainError::invalid("branded_content", "branded content cannot be private (SELF_ONLY)"));
    }
    let disabled = [
        (choice.allow_comment && creator.comment_disabled, "allow_comment", "comments"),
        (choice.allow_duet && creator.duet_disabled, "allow_duet", "duets"),
        (choice.allow_stitch && creator.stitch_disabled, "allow_stitch", "stitches"),
    ];
    if let Some((_, field, what)) = disabled.into_iter().find(|(on, _, _)| *on) {
        return Err(DomainError::invalid(field, format!("the creator has turned {what} off")));
    }
    Ok(())
}

/// TikTok's post_info for a slot and a choice.
pub fn post_info(slot: &slots::Model, choice: &PublishChoice, cover_timestamp_ms: i64) -> PostInfo {
    let tags: Vec<String> = serde_json::from_value(slot.hashtags.clone()).unwrap_or_default();
    let mut title = slot.caption.clone();
    for tag in tags {
        if !title.contains(&tag) {
            title.push(' ');
            title.push_str(&tag);
        }
    }
    // TikTok counts UTF-16 units; stay within 2200.
    while title.encode_utf16().count() > 2200 {
        title.pop();
    }
    PostInfo {
        title,
        privacy_level: choice.privacy_level.clone(),
        disable_comment: !choice.allow_comment,
        disable_duet: !choice.allow_duet,
        disable_stitch: !choice.allow_stitch,
        video_cover_timestamp_ms: cover_timestamp_ms,
        brand_content_toggle: choice.branded_content,
        brand_organic_toggle: choice.brand_organic,
        is_aigc: true,
    }
}

async fn slot_in(tx: &TenantTxn, id: Uuid) -> Result<slots::Model, DomainError> {
    tx.find_by_id::<slots::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("slot"))
}

async fn project_in(tx: &TenantTxn, id: Uuid) -> Result<projects::Model, DomainError> {
    tx.find_by_id::<projects::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("project"))
}

pub async fn publication(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<Option<publications::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx.find::<publications::Entity>().filter(publications::Column::SlotId.eq(slot_id)).one(&*tx).await?)
}

/// The slot, its project and its current video (id, size, cover time).
pub async fn slot_and_project(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<(slots::Model, projects::Model), DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    let project = project_in(&tx, slot.project_id).await?;
    Ok((slot, project))
}

/// Whether each gate applies: on in the project's settings and not waived by autopilot.
pub fn gates(project: &projects::Model) -> (bool, bool) {
    let gates: Gates =
        serde_json::from_value(project.gates.clone()).unwrap_or(Gates { approve_slot: true, approve_publish: true });
    (gates.approve_slot && !project.autopilot, gates.approve_publish && !project.autopilot)
}

/// Records the gate's decision on the slot's publication (created if
/// missing, reset if its last attempt failed; a published one is refused).
pub async fn decide(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    info: &PostInfo,
    by: Option<Uuid>,
    post_now: bool,
    request_id: Option<String>,
) -> Result<publications::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    let project = project_in(&tx, slot.project_id).await?;
    let account_id = project
        .tiktok_account_id
        .ok_or_else(|| DomainError::Conflict("the project has no TikTok account; connect one and choose it".into()))?;
    let video =
        slot.video_asset_id.ok_or_else(|| DomainError::Conflict("the slot has no rendered video yet".into()))?;
    let now = Utc::now().fixed_offset();
    let existing = tx.find::<publications::Entity>().filter(publications::Column::SlotId.eq(slot_id)).one(&*tx).await?;
    let row = match existing {
        Some(p) if p.status == "published" || p.status == "sent_to_inbox" => {
            return Err(DomainError::Conflict("this slot is already published".into()));
        }
        Some(p) if p.publish_id.is_some() && p.status != "failed" => {
            return Err(DomainError::Conflict("this slot is being published; its choices can no longer change".into()));
        }
        Some(p) => {
            let mut a: publications::ActiveModel = p.into();
            a.publish_id = Set(None);
            a.upload_url_ciphertext = Set(None);
            a.fail_reason = Set(None);
            a.status = Set("pending".into());
            a
        }
        None => publications::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(tx.org_id()),
            slot_id: Set(slot_id),
            created_at: Set(now),
            init_attempts: Set(0),
            ..Default::default()
        },
    };
    let mut row = row;
    row.asset_id = Set(Some(video));
    row.account_id = Set(Some(account_id));
    row.post_mode = Set(project.post_mode.clone());
    row.privacy_level = Set(Some(info.privacy_level.clone()));
    row.post_info = Set(json!(info));
    row.status = Set("pending".into());
    row.approved_by = Set(by);
    row.updated_at = Set(now);
    let saved = match row.id.is_unchanged() {
        true => row.update(&*tx).await?,
        false => row.insert(&*tx).await?,
    };
    if let Some(by) = by {
        audit::record(
            &tx,
            audit::Entry {
                actor: Actor::User(by),
                action: "slot.publish_approved",
                target_kind: "slot",
                target_id: Some(slot_id.to_string()),
                request_id,
                details: json!({"privacy_level": info.privacy_level, "mode": project.post_mode, "post_now": post_now}),
            },
        )
        .await?;
    }
    if post_now && slot.scheduled_at > now {
        // The calendar shows when it really goes out; a retried run reads it too.
        let mut moved: slots::ActiveModel = slot.into();
        moved.scheduled_at = Set(now);
        moved.update(&*tx).await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// Sets the slot's status on the way through the pipeline.
pub async fn set_slot_status(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    status: SlotStatus,
    error: Option<String>,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    let mut s: slots::ActiveModel = slot.into();
    s.status = Set(status);
    s.pipeline_error = Set(error);
    s.updated_at = Set(Utc::now().fixed_offset());
    s.update(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts a failed slot back where its pipeline can pick it up again:
/// rendered when it has a video, approved otherwise.
pub async fn reset_for_retry(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    if slot.status != SlotStatus::Failed {
        return Err(DomainError::Conflict(format!("only failed slots are retried; this one is {:?}", slot.status)));
    }
    let status = if slot.video_asset_id.is_some() { SlotStatus::Rendered } else { SlotStatus::Approved };
    let mut s: slots::ActiveModel = slot.into();
    s.status = Set(status);
    s.pipeline_error = Set(None);
    s.updated_at = Set(Utc::now().fixed_offset());
    let slot = s.update(&*tx).await?;
    tx.commit().await?;
    Ok(slot)
}

/// Updates the publication; `published` also meters the publish once.
pub async fn update(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    change: impl FnOnce(&mut publications::ActiveModel),
) -> Result<publications::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let current = tx
        .find::<publications::Entity>()
        .filter(publications::Column::SlotId.eq(slot_id))
        .one(&*tx)
        .await?
        .ok_or(DomainError::NotFound("publication"))?;
    let mut row: publications::ActiveModel = current.into();
    change(&mut row);
    row.updated_at = Set(Utc::now().fixed_offset());
    let saved = row.update(&*tx).await?;
    if saved.status == "published" || saved.status == "sent_to_inbox" {
        let slot = slot_in(&tx, slot_id).await?;
        crate::llm_usage::meter_once(
            &tx,
            [usage_ledger::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(tx.org_id()),
                project_id: Set(Some(slot.project_id)),
                metric: Set("publishes".into()),
                quantity: Set(1),
                source: Set(format!("publication:{}", saved.id)),
                idempotency_key: Set(Some(format!("publish:{slot_id}"))),
                occurred_at: Set(Utc::now().fixed_offset()),
                created_at: Set(Utc::now().fixed_offset()),
            }],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// Slots whose pipeline failed, newest first, with the reason.
pub async fn dead_letters(
    db: &DatabaseConnection,
    scope: &OrgScope,
) -> Result<Vec<(slots::Model, Option<publications::Model>)>, DomainError> {
    let tx = scope.begin(db).await?;
    let failed = tx
        .find::<slots::Entity>()
        .filter(slots::Column::Status.eq(SlotStatus::Failed))
        .order_by_desc(slots::Column::UpdatedAt)
        .all(&*tx)
        .await?;
    let mut out = Vec::with_capacity(failed.len());
    for slot in failed {
        let publication =
            tx.find::<publications::Entity>().filter(publications::Column::SlotId.eq(slot.id)).one(&*tx).await?;
        out.push((slot, publication));
    }
    Ok(out)
}

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
    crate::llm_usage::total_since(db, scope, project_id, "publishes", day_start).await
}
