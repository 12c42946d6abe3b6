//! The publication of a slot (one row per slot, enforced by the database)
//! and the slot's own pipeline statuses, as two state machines. Each has
//! ONE table of allowed moves ([`allowed`], [`slot_may_move`]); every
//! write is a named transition that checks it under a row lock.
//!
//! A publication: `pending` (the gate decided) -> `initiated` (TikTok's
//! `publish_id` recorded before anything is uploaded) -> `uploading` ->
//! `processing` -> `published`, or `sent_to_inbox` (an inbox draft, which
//! becomes `published` once the creator posts it), or `failed` (TikTok's
//! reason), after which a new decision starts again at `pending`.

use super::{GateDecision, project_in, publication_in, slot_for_update, slot_in};
use crate::{
    DomainError, OrgScope, TenantTxn,
    identity::audit::{self, Actor},
};
use chrono::Utc;
use entities::{
    assets, publications,
    publications::PublicationStatus,
    slots::{self, SlotStatus},
};
use platform::tiktok::{PostInfo, PublishStatus, TikTokPublishStatus};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::json;
use uuid::Uuid;

/// Every move a publication may make: (from, to).
const PUBLICATION_MOVES: &[(PublicationStatus, PublicationStatus)] = {
    use PublicationStatus::*;
    &[
        // record_decision: the gate decided (again, before TikTok was asked,
        // or after a failed attempt).
        (Pending, Pending),
        (Failed, Pending),
        // record_init: TikTok's publish_id is recorded.
        (Pending, Initiated),
        // mark_uploading: the first chunk, or a resumed upload.
        (Initiated, Uploading),
        (Uploading, Uploading),
        // mark_processing: TikTok holds the whole video.
        (Initiated, Processing),
        (Uploading, Processing),
        // record_status: what TikTok says; a repeated check says it again.
        (Processing, SentToInbox),
        (SentToInbox, SentToInbox),
        (Processing, Published),
        (SentToInbox, Published),
        (Published, Published),
        (Initiated, Failed),
        (Uploading, Failed),
        (Processing, Failed),
        (SentToInbox, Failed),
        (Failed, Failed),
    ]
};

/// Whether a publication may move from `from` to `to`: the one table.
pub fn allowed(from: PublicationStatus, to: PublicationStatus) -> bool {
    PUBLICATION_MOVES.contains(&(from, to))
}

/// Every move the publishing pipeline makes on a slot's status: (from, to).
/// Approving, rejecting and rendering move slots too (`domain::planning::slots`,
/// `domain::media::rendering`); those are not the pipeline's and are not here.
const SLOT_MOVES: &[(SlotStatus, SlotStatus)] = {
    use SlotStatus::*;
    &[
        // mark_publish_approved: past the publish gate.
        (Rendered, PublishApproved),
        (PublishApproved, PublishApproved),
        // mark_publishing: at the slot's time.
        (PublishApproved, Publishing),
        (Publishing, Publishing),
        // mark_published / mark_sent_to_inbox: where the run ends.
        (Publishing, Published),
        (Published, Published),
        (Publishing, SentToInbox),
        (SentToInbox, SentToInbox),
        // record_failure: never over a person's draft, never over a post.
        (Approved, Failed),
        (Rendering, Failed),
        (Rendered, Failed),
        (PublishApproved, Failed),
        (Publishing, Failed),
        (Failed, Failed),
        // reset_for_retry: back to where the slot really is.
        (Failed, Approved),
        (Failed, Rendered),
    ]
};

/// Whether the pipeline may move a slot from `from` to `to`: the one table.
pub fn slot_may_move(from: SlotStatus, to: SlotStatus) -> bool {
    SLOT_MOVES.contains(&(from, to))
}

fn refused<S: std::fmt::Debug>(what: &str, from: S, to: S) -> DomainError {
    DomainError::Conflict(format!("a {from:?} {what} cannot become {to:?}"))
}

/// Where a pipeline run picks a slot up, in the order a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResumeAt {
    /// A draft: the approval gate (or, without it, autopilot approves).
    Approval,
    /// Approved, or a render under way: render.
    Render,
    /// Rendered: the publish gate, unless a decision stands.
    PublishGate,
    /// Publishing: TikTok (a recorded `publish_id` is reused).
    Publish,
    /// Posted, or sent to the creator's inbox: nothing left to do.
    Done,
}

/// The one rule for where a run resumes.
pub fn resume_at(slot: SlotStatus, publication: Option<PublicationStatus>) -> Result<ResumeAt, DomainError> {
    if publication == Some(PublicationStatus::Published) {
        return Ok(ResumeAt::Done);
    }
    Ok(match slot {
        SlotStatus::Draft => ResumeAt::Approval,
        SlotStatus::Approved | SlotStatus::Rendering => ResumeAt::Render,
        SlotStatus::Rendered | SlotStatus::PublishApproved => ResumeAt::PublishGate,
        SlotStatus::Publishing => ResumeAt::Publish,
        SlotStatus::Published | SlotStatus::SentToInbox => ResumeAt::Done,
        SlotStatus::Empty => return Err(DomainError::Conflict("an empty slot has nothing to publish".into())),
        SlotStatus::Failed => {
            return Err(DomainError::Conflict("a failed slot's pipeline resumes through retry".into()));
        }
    })
}

/// Moves the slot's status under its row lock, checked against the table.
async fn move_slot(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    to: SlotStatus,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_for_update(&tx, slot_id).await?;
    if !slot_may_move(slot.status, to) {
        return Err(refused("slot", slot.status, to));
    }
    if slot.status != to {
        let mut s: slots::ActiveModel = slot.into();
        s.status = Set(to);
        s.pipeline_error = Set(None);
        s.updated_at = Set(Utc::now().fixed_offset());
        s.update(&*tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The slot passed its publish gate.
pub async fn mark_publish_approved(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<(), DomainError> {
    move_slot(db, scope, slot_id, SlotStatus::PublishApproved).await
}

/// The slot's time has come: it is being published.
pub async fn mark_publishing(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<(), DomainError> {
    move_slot(db, scope, slot_id, SlotStatus::Publishing).await
}

/// The slot is posted on TikTok.
pub async fn mark_slot_published(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<(), DomainError> {
    move_slot(db, scope, slot_id, SlotStatus::Published).await
}

/// The slot's draft waits in the creator's TikTok app: its run is over.
pub async fn mark_slot_sent_to_inbox(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<(), DomainError> {
    move_slot(db, scope, slot_id, SlotStatus::SentToInbox).await
}

/// Moves the slot's publication under its row lock, checked against the
/// table; `change` sets the fields that go with the move.
async fn move_publication(
    tx: &TenantTxn,
    slot_id: Uuid,
    to: PublicationStatus,
    change: impl FnOnce(&mut publications::ActiveModel),
) -> Result<publications::Model, DomainError> {
    let current = publication_in(tx, slot_id).await?.ok_or(DomainError::NotFound("publication"))?;
    if !allowed(current.status, to) {
        return Err(refused("publication", current.status, to));
    }
    let mut row: publications::ActiveModel = current.into();
    row.status = Set(to);
    change(&mut row);
    row.updated_at = Set(Utc::now().fixed_offset());
    Ok(row.update(&**tx).await?)
}

/// One move in its own transaction.
async fn transition(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    to: PublicationStatus,
    change: impl FnOnce(&mut publications::ActiveModel),
) -> Result<publications::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let saved = move_publication(&tx, slot_id, to, change).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Records the gate's decision on the slot's publication (created if
/// missing, started over if its last attempt failed; refused once TikTok
/// has been asked) and audits a person's; "post now" moves the slot's time
/// to now, so the calendar shows when it really goes out.
pub async fn record_decision(
    db: &DatabaseConnection,
    scope: &OrgScope,
    decision: &GateDecision,
    by: Option<Uuid>,
    post_now: bool,
    request_id: Option<String>,
) -> Result<publications::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_for_update(&tx, decision.slot_id).await?;
    if slot.video_asset_id != Some(decision.video_id) {
        return Err(DomainError::Conflict("the slot's video changed; open the publish gate again".into()));
    }
    let now = Utc::now().fixed_offset();
    let decided = |row: &mut publications::ActiveModel| {
        row.asset_id = Set(Some(decision.video_id));
        row.account_id = Set(Some(decision.account_id));
        row.post_mode = Set(decision.post_mode.clone());
        row.privacy_level = Set(Some(decision.info.privacy_level.clone()));
        row.post_info = Set(json!(decision.info));
        row.approved_by = Set(by);
        row.publish_id = Set(None);
        row.upload_url_ciphertext = Set(None);
        row.fail_reason = Set(None);
    };
    let saved = match publication_in(&tx, slot.id).await? {
        None => {
            let mut row = publications::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(tx.org_id()),
                slot_id: Set(slot.id),
                status: Set(PublicationStatus::Pending),
                init_attempts: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            decided(&mut row);
            row.insert(&*tx).await?
        }
        Some(p) if matches!(p.status, PublicationStatus::Published | PublicationStatus::SentToInbox) => {
            return Err(DomainError::Conflict("this slot is already published".into()));
        }
        Some(p) if !allowed(p.status, PublicationStatus::Pending) => {
            return Err(DomainError::Conflict("this slot is being published; its choices can no longer change".into()));
        }
        Some(_) => move_publication(&tx, slot.id, PublicationStatus::Pending, decided).await?,
    };
    if let Some(by) = by {
        audit::record(
            &tx,
            audit::Entry {
                actor: Actor::User(by),
                action: "slot.publish_approved",
                target_kind: "slot",
                target_id: Some(slot.id.to_string()),
                request_id,
                details: json!({"privacy_level": decision.info.privacy_level, "mode": decision.post_mode, "post_now": post_now}),
            },
        )
        .await?;
    }
    if post_now && slot.scheduled_at > now {
        let mut moved: slots::ActiveModel = slot.into();
        moved.scheduled_at = Set(now);
        moved.update(&*tx).await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// What the init step has to do.
#[derive(Debug, Clone, PartialEq)]
pub enum InitStep {
    /// TikTok's answer is recorded: reuse it, never init again.
    Recorded { publish_id: String },
    /// Ask TikTok, with these.
    Send(InitRequest),
}

#[derive(Debug, Clone, PartialEq)]
pub struct InitRequest {
    pub account_id: Uuid,
    pub info: PostInfo,
    pub direct: bool,
    pub video_bytes: u64,
    pub video_duration_ms: Option<i32>,
}

/// Reads what the init needs, and refuses past the project's posts-per-day
/// budget before TikTok is asked.
/// How long a post's share of the posts-per-day budget is held before it is
/// metered (published or in the inbox) or given back (failed).
const POST_RESERVATION_TTL_HOURS: i64 = 48;

fn post_reservation(slot_id: Uuid) -> crate::usage::budgets::Reservation {
    crate::usage::budgets::named(&format!("publish:{slot_id}"))
}

pub async fn prepare_init(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    defaults: &platform::config::BudgetDefaults,
) -> Result<InitStep, DomainError> {
    let tx = scope.begin(db).await?;
    let publication = publication_in(&tx, slot_id)
        .await?
        .ok_or_else(|| DomainError::Conflict("the slot has no publish decision".into()))?;
    if let Some(publish_id) = publication.publish_id {
        return Ok(InitStep::Recorded { publish_id });
    }
    if !allowed(publication.status, PublicationStatus::Initiated) {
        return Err(refused("publication", publication.status, PublicationStatus::Initiated));
    }
    let account_id =
        publication.account_id.ok_or_else(|| DomainError::Conflict("no TikTok account on the publication".into()))?;
    let slot = slot_in(&tx, slot_id).await?;
    let project = project_in(&tx, slot.project_id).await?;
    let info: PostInfo = serde_json::from_value(publication.post_info.clone())
        .map_err(|_| DomainError::Conflict("the publish choices are unreadable".into()))?;
    let asset_id = publication.asset_id.ok_or_else(|| DomainError::Conflict("no video on the publication".into()))?;
    let video = tx.find_by_id::<assets::Entity>(asset_id).one(&*tx).await?.ok_or(DomainError::NotFound("video"))?;
    drop(tx);
    // The post takes its place in today's budget before TikTok is asked,
    // atomically, so concurrent posts cannot pass it together; a retried
    // init holds the same place.
    crate::usage::budgets::reserve_as(
        db,
        scope,
        post_reservation(slot_id),
        crate::usage::budgets::Meter::PostsToday,
        Some(&project),
        defaults,
        1,
        chrono::Duration::hours(POST_RESERVATION_TTL_HOURS),
    )
    .await?;
    Ok(InitStep::Send(InitRequest {
        account_id,
        info,
        direct: publication.post_mode != "inbox",
        video_bytes: video.size_bytes as u64,
        video_duration_ms: video.duration_ms,
    }))
}

/// Counts an init before it is sent: more than one means an answer was lost.
pub async fn count_init(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let current = publication_in(&tx, slot_id).await?.ok_or(DomainError::NotFound("publication"))?;
    if current.status != PublicationStatus::Pending {
        return Err(DomainError::Conflict(format!("a {:?} publication is not initiated again", current.status)));
    }
    let attempts = current.init_attempts + 1;
    let mut row: publications::ActiveModel = current.into();
    row.init_attempts = Set(attempts);
    row.update(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

/// TikTok accepted the init: its `publish_id` (and the upload URL, sealed
/// with the org's key) is recorded before anything is uploaded.
pub async fn record_init(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    publish_id: String,
    sealed_upload_url: Option<String>,
    video_bytes: u64,
) -> Result<publications::Model, DomainError> {
    transition(db, scope, slot_id, PublicationStatus::Initiated, |p| {
        p.publish_id = Set(Some(publish_id));
        p.upload_url_ciphertext = Set(sealed_upload_url);
        p.video_bytes = Set(Some(video_bytes as i64));
        p.tiktok_open_id = Set(None);
    })
    .await
}

/// What the upload step has to do: `None` once nothing is left to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadStep {
    pub publish_id: String,
    pub account_id: Uuid,
    pub sealed_upload_url: String,
    pub storage_key: String,
    pub video_bytes: u64,
}

pub async fn upload_step(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<Option<UploadStep>, DomainError> {
    let tx = scope.begin(db).await?;
    let publication = publication_in(&tx, slot_id).await?.ok_or(DomainError::NotFound("publication"))?;
    if !allowed(publication.status, PublicationStatus::Uploading) {
        return Ok(None);
    }
    let (Some(publish_id), Some(sealed_upload_url), Some(account_id), Some(asset_id)) =
        (publication.publish_id, publication.upload_url_ciphertext, publication.account_id, publication.asset_id)
    else {
        return Err(DomainError::Conflict("the publication has no upload to make".into()));
    };
    let video = tx.find_by_id::<assets::Entity>(asset_id).one(&*tx).await?.ok_or(DomainError::NotFound("video"))?;
    Ok(Some(UploadStep {
        publish_id,
        account_id,
        sealed_upload_url,
        storage_key: video.storage_key,
        video_bytes: video.size_bytes as u64,
    }))
}

/// Chunks are going up (first one, or a resumed upload).
pub async fn mark_uploading(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<(), DomainError> {
    transition(db, scope, slot_id, PublicationStatus::Uploading, |_| {}).await.map(drop)
}

/// TikTok holds the whole video and processes it.
pub async fn mark_processing(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<(), DomainError> {
    transition(db, scope, slot_id, PublicationStatus::Processing, |_| {}).await.map(drop)
}

/// What a status check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    Processing,
    SentToInbox,
    /// `public`: a public post, so a public post id follows moderation.
    Complete {
        post_id: Option<String>,
        public: bool,
    },
    Failed {
        reason: String,
    },
}

/// Records what TikTok's status says, through the matching transition.
pub async fn record_status(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    status: &PublishStatus,
) -> Result<PublishOutcome, DomainError> {
    match status.status {
        TikTokPublishStatus::ProcessingUpload | TikTokPublishStatus::ProcessingDownload => {
            Ok(PublishOutcome::Processing)
        }
        TikTokPublishStatus::SendToUserInbox => {
            mark_sent_to_inbox(db, scope, slot_id).await?;
            Ok(PublishOutcome::SentToInbox)
        }
        TikTokPublishStatus::PublishComplete => {
            let post_id = status.post_ids.first().cloned();
            let saved = mark_published(db, scope, slot_id, post_id.clone()).await?;
            let public = saved.privacy_level.as_deref() == Some("PUBLIC_TO_EVERYONE");
            Ok(PublishOutcome::Complete { post_id, public })
        }
        TikTokPublishStatus::Failed => {
            let reason = status.fail_reason.clone().unwrap_or_else(|| "unknown".into());
            mark_failed(db, scope, slot_id, reason.clone()).await?;
            Ok(PublishOutcome::Failed { reason })
        }
    }
}

/// TikTok posted it (a later check may add the public post id). Metered once.
pub async fn mark_published(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    public_post_id: Option<String>,
) -> Result<publications::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let saved = move_publication(&tx, slot_id, PublicationStatus::Published, |p| {
        if public_post_id.is_some() {
            p.public_post_id = Set(public_post_id);
        }
        if p.published_at.as_ref().is_none() {
            p.published_at = Set(Some(Utc::now().fixed_offset()));
        }
    })
    .await?;
    meter_publish(&tx, &saved).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The inbox draft reached the creator's app. Metered once.
pub async fn mark_sent_to_inbox(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let saved = move_publication(&tx, slot_id, PublicationStatus::SentToInbox, |_| {}).await?;
    meter_publish(&tx, &saved).await?;
    tx.commit().await?;
    Ok(())
}

/// TikTok could not publish; its reason is kept.
pub async fn mark_failed(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    reason: String,
) -> Result<(), DomainError> {
    transition(db, scope, slot_id, PublicationStatus::Failed, |p| p.fail_reason = Set(Some(reason))).await?;
    crate::usage::budgets::release(db, scope, post_reservation(slot_id)).await
}

/// One publish in the usage ledger per slot, however often it is recorded.
async fn meter_publish(tx: &TenantTxn, publication: &publications::Model) -> Result<(), DomainError> {
    let slot = slot_in(tx, publication.slot_id).await?;
    crate::usage::llm_usage::meter_once(
        tx,
        [crate::usage::llm_usage::entry(
            tx,
            Some(slot.project_id),
            "publishes",
            1,
            format!("publication:{}", publication.id),
            format!("publish:{}", slot.id),
        )],
    )
    .await?;
    crate::usage::budgets::release_in(tx, post_reservation(slot.id)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn the_publication_table_allows_exactly_these_moves() {
        use PublicationStatus::*;
        let expected = [
            (Pending, Pending),
            (Pending, Initiated),
            (Initiated, Uploading),
            (Initiated, Processing),
            (Initiated, Failed),
            (Uploading, Uploading),
            (Uploading, Processing),
            (Uploading, Failed),
            (Processing, SentToInbox),
            (Processing, Published),
            (Processing, Failed),
            (SentToInbox, SentToInbox),
            (SentToInbox, Published),
            (SentToInbox, Failed),
            (Published, Published),
            (Failed, Pending),
            (Failed, Failed),
        ];
        let mut checked = 0;
        for from in PublicationStatus::iter() {
            for to in PublicationStatus::iter() {
                assert_eq!(allowed(from, to), expected.contains(&(from, to)), "{from:?} -> {to:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 7 * 7);
        // Nothing leaves a post, except to say it again.
        assert!(PublicationStatus::iter().all(|to| allowed(Published, to) == (to == Published)));
    }

    #[test]
    fn the_pipeline_moves_slots_exactly_so() {
        use SlotStatus::*;
        let expected = [
            (Approved, Failed),
            (Rendering, Failed),
            (Rendered, PublishApproved),
            (Rendered, Failed),
            (PublishApproved, PublishApproved),
            (PublishApproved, Publishing),
            (PublishApproved, Failed),
            (Publishing, Publishing),
            (Publishing, Published),
            (Publishing, SentToInbox),
            (Publishing, Failed),
            (Published, Published),
            (SentToInbox, SentToInbox),
            (Failed, Failed),
            (Failed, Approved),
            (Failed, Rendered),
        ];
        let mut checked = 0;
        for from in SlotStatus::iter() {
            for to in SlotStatus::iter() {
                assert_eq!(slot_may_move(from, to), expected.contains(&(from, to)), "{from:?} -> {to:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 10 * 10);
        // The pipeline never approves: a person's draft stays a draft.
        assert!(SlotStatus::iter().all(|to| !slot_may_move(Draft, to) && !slot_may_move(Empty, to)));
        assert!(SlotStatus::iter().all(|from| !slot_may_move(from, Draft)));
    }

    #[test]
    fn a_run_resumes_where_the_slot_is() {
        use ResumeAt::*;
        let cases = [
            (SlotStatus::Draft, None, Some(Approval)),
            (SlotStatus::Approved, None, Some(Render)),
            (SlotStatus::Rendering, None, Some(Render)),
            (SlotStatus::Rendered, None, Some(PublishGate)),
            (SlotStatus::Rendered, Some(PublicationStatus::Failed), Some(PublishGate)),
            (SlotStatus::PublishApproved, Some(PublicationStatus::Pending), Some(PublishGate)),
            (SlotStatus::Publishing, Some(PublicationStatus::Processing), Some(Publish)),
            (SlotStatus::Publishing, Some(PublicationStatus::Published), Some(Done)),
            (SlotStatus::Published, Some(PublicationStatus::Published), Some(Done)),
            (SlotStatus::SentToInbox, Some(PublicationStatus::SentToInbox), Some(Done)),
            (SlotStatus::Failed, None, None),
            (SlotStatus::Empty, None, None),
        ];
        for (slot, publication, expected) in cases {
            assert_eq!(resume_at(slot, publication).ok(), expected, "{slot:?} {publication:?}");
        }
    }
}
