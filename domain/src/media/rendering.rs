//! The render lifecycle of a slot: approved -> rendering -> rendered (or
//! back to approved with the reason when a render fails or is cancelled).
//! Each render has a version; its assets live under deterministic keys
//! `org/{org}/slots/{slot}/v{version}/...`, so a retried render overwrites
//! its own files and rows instead of adding more, and a render that was
//! superseded never touches the slot.

use crate::{DomainError, OrgScope, TenantTxn, planning::projects::Budgets};
use chrono::Utc;
use entities::{
    assets, projects,
    slots::{self, SlotStatus},
};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use uuid::Uuid;

/// Content types a background upload may have.
const BACKGROUND_TYPES: [&str; 4] = ["image/jpeg", "image/png", "video/mp4", "video/quicktime"];

async fn slot_in(tx: &TenantTxn, id: Uuid) -> Result<slots::Model, DomainError> {
    tx.find_by_id::<slots::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("slot"))
}

async fn project_in(tx: &TenantTxn, id: Uuid) -> Result<projects::Model, DomainError> {
    tx.find_by_id::<projects::Entity>(id).one(&**tx).await?.ok_or(DomainError::NotFound("project"))
}

/// Storage path (below the org prefix) of a render's file.
pub fn render_path(slot_id: Uuid, version: i32, file: &str) -> String {
    format!("slots/{slot_id}/v{version}/{file}")
}

/// Starts a render of an approved (or re-renders a rendered) slot: the slot
/// becomes `rendering` with the next version. A slot already rendering is
/// returned as is, so a repeated request joins the running render. The
/// render itself reserves its seconds from the budget before it composes.
pub async fn start(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    match slot.status {
        SlotStatus::Rendering => return Ok(slot),
        SlotStatus::Approved | SlotStatus::Rendered => {}
        other => {
            return Err(DomainError::Conflict(format!("only approved slots can be rendered; this one is {other:?}")));
        }
    }
    let mut s: slots::ActiveModel = slot.clone().into();
    s.status = Set(SlotStatus::Rendering);
    s.render_version = Set(slot.render_version + 1);
    s.render_error = Set(None);
    s.updated_at = Set(Utc::now().fixed_offset());
    let slot = s.update(&*tx).await?;
    tx.commit().await?;
    Ok(slot)
}

/// What a render needs to know about its slot.
#[derive(Debug, Clone)]
pub struct RenderSource {
    pub slot: slots::Model,
    pub max_video_seconds: i32,
    /// The background upload and its content type, when one is chosen.
    pub background: Option<assets::Model>,
    /// The highlight's clip that is the video, for a slot made from one.
    pub clip: Option<assets::Model>,
    /// The project's caption preset, music and voice pace.
    pub style: super::style::VideoStyle,
    /// The project's language, which the voice speaks.
    pub language: String,
    /// The slot's scenes, and for each the library footage it shows when
    /// the slot has no media of its own (`None`: its own media or a
    /// generated visual).
    pub shots: Vec<super::shots::Shot>,
    pub footage: Vec<Option<super::footage::Footage>>,
    /// The project's music track, when its style plays one.
    pub music_track: Option<assets::Model>,
    /// The slot's project (its budgets are the render's).
    pub project: projects::Model,
}

/// The slot as the render of `version` sees it; `None` when that render was
/// superseded or the slot left `rendering` (cancelled, edited), so the
/// render has nothing left to do.
pub async fn source(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    version: i32,
) -> Result<Option<RenderSource>, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    if slot.status != SlotStatus::Rendering || slot.render_version != version {
        return Ok(None);
    }
    Ok(Some(source_in(&tx, slot).await?))
}

/// The slot as a preview of its content `version` sees it; `None` when
/// the content changed since or the slot is a clip's (its clip is its video).
pub async fn preview_source(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    version: i32,
) -> Result<Option<RenderSource>, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    if slot.version != version || slot.clip_asset_id.is_some() {
        return Ok(None);
    }
    Ok(Some(source_in(&tx, slot).await?))
}

/// Whether a slot can be previewed now: it has a script to speak, and is
/// not a highlight's clip.
pub fn check_previewable(slot: &slots::Model) -> Result<(), DomainError> {
    if slot.clip_asset_id.is_some() {
        return Err(DomainError::Conflict("a highlight's slot is its clip; there is nothing to preview".into()));
    }
    if slot.script.trim().is_empty() {
        return Err(DomainError::Conflict("the slot has no script to preview yet".into()));
    }
    Ok(())
}

/// The row of a file a render or preview of `slot` stored; what it knows
/// of the file's size and timing is set by the caller.
fn file_row(tx: &TenantTxn, slot: &slots::Model, kind: &str, file: &RenderedFile, version: i32) -> assets::ActiveModel {
    let now = Utc::now().fixed_offset();
    assets::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(tx.org_id()),
        project_id: Set(Some(slot.project_id)),
        slot_id: Set(Some(slot.id)),
        kind: Set(kind.into()),
        storage_key: Set(file.storage_key.clone()),
        content_type: Set(file.content_type.clone()),
        size_bytes: Set(file.size_bytes),
        render_version: Set(version),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Storage path (below the org prefix) of a content version's preview.
pub fn preview_path(slot_id: Uuid, version: i32) -> String {
    format!("slots/{slot_id}/preview/v{version}/video.mp4")
}

/// Records a preview of a content version (upserted by its key, so a
/// retried preview keeps one row) and meters its bytes once.
pub async fn record_preview(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    version: i32,
    video: RenderedFile,
    duration_ms: i32,
) -> Result<assets::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    let row = assets::ActiveModel {
        duration_ms: Set(Some(duration_ms)),
        width: Set(Some(540)),
        height: Set(Some(960)),
        ..file_row(&tx, &slot, PREVIEW_KIND, &video, version)
    };
    let columns = [assets::Column::SizeBytes, assets::Column::DurationMs, assets::Column::UpdatedAt];
    let asset = crate::media::assets::upsert_by_key(&tx, row, &columns).await?;
    let source = format!("preview:{slot_id}:v{version}");
    let bytes = crate::usage::llm_usage::entry(
        &tx,
        Some(slot.project_id),
        "storage_bytes",
        video.size_bytes,
        source.clone(),
        format!("{source}:storage_bytes"),
    );
    crate::usage::llm_usage::meter_once(&tx, [bytes]).await?;
    tx.commit().await?;
    Ok(asset)
}

/// Assets of previews are of this kind; `render_version` holds the content version.
pub const PREVIEW_KIND: &str = "preview";

/// The stored preview of the slot's current content, if one was made.
pub async fn current_preview(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot: &slots::Model,
) -> Result<Option<assets::Model>, DomainError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<assets::Entity>()
        .filter(assets::Column::SlotId.eq(slot.id))
        .filter(assets::Column::Kind.eq(PREVIEW_KIND))
        .filter(assets::Column::RenderVersion.eq(slot.version))
        .one(&*tx)
        .await?)
}

/// What a render or preview of `slot` reads, in one transaction.
async fn source_in(tx: &TenantTxn, slot: slots::Model) -> Result<RenderSource, DomainError> {
    let project = project_in(tx, slot.project_id).await?;
    let asset = async |id: Option<Uuid>| match id {
        Some(id) => tx.find_by_id::<assets::Entity>(id).one(&**tx).await,
        None => Ok(None),
    };
    let background = asset(slot.background_asset_id).await?;
    let clip = asset(slot.clip_asset_id).await?;
    let style = super::style::VideoStyle::of(&project.video_style);
    let music_track = match style.music {
        super::style::Music::Track => asset(style.music_track).await?,
        _ => None,
    };
    let shots = super::shots::of_slot(&slot.script, &slot.shots);
    // The slot's own media comes first; without it, the library is searched.
    let footage = match (&background, &clip) {
        (None, None) => super::footage::find(tx, &shots).await?,
        _ => vec![None; shots.len()],
    };
    Ok(RenderSource {
        shots,
        footage,
        max_video_seconds: Budgets::of(&project).max_video_seconds(),
        style,
        music_track,
        language: project.language.clone(),
        background,
        clip,
        slot,
        project,
    })
}

/// A file a render stored.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    pub storage_key: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// A finished render's files and figures.
#[derive(Debug, Clone)]
pub struct RenderResult {
    pub video: RenderedFile,
    pub thumbnail: RenderedFile,
    pub duration_ms: i32,
    pub cover_timestamp_ms: i32,
}

/// The assets a render created (the same ids however often it is retried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderAssets {
    pub video_asset_id: Uuid,
    pub thumbnail_asset_id: Uuid,
}

/// Records a finished render: its two assets (upserted by storage key),
/// its seconds and bytes in the usage ledger (once per version), and, if
/// the slot is still waiting for this version, the slot as `rendered`.
pub async fn complete(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    version: i32,
    result: RenderResult,
    reservations: &[crate::usage::budgets::Reservation],
) -> Result<RenderAssets, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    let now = Utc::now().fixed_offset();
    let mut ids = Vec::with_capacity(2);
    for (kind, file) in [("video", &result.video), ("thumbnail", &result.thumbnail)] {
        let is_video = kind == "video";
        let row = assets::ActiveModel {
            duration_ms: Set(is_video.then_some(result.duration_ms)),
            width: Set(Some(1080)),
            height: Set(Some(1920)),
            cover_timestamp_ms: Set(is_video.then_some(result.cover_timestamp_ms)),
            ..file_row(&tx, &slot, kind, file, version)
        };
        let asset = crate::media::assets::upsert_by_key(
            &tx,
            row,
            &[
                assets::Column::SizeBytes,
                assets::Column::DurationMs,
                assets::Column::CoverTimestampMs,
                assets::Column::UpdatedAt,
            ],
        )
        .await?;
        ids.push(asset.id);
    }
    let seconds = (result.duration_ms as i64 + 999) / 1000;
    let bytes = result.video.size_bytes + result.thumbnail.size_bytes;
    let ledger = [("video_seconds", seconds), ("storage_bytes", bytes)].map(|(metric, quantity)| {
        let source = format!("render:{slot_id}:v{version}");
        let key = format!("{source}:{metric}");
        crate::usage::llm_usage::entry(&tx, Some(slot.project_id), metric, quantity, source, key)
    });
    crate::usage::llm_usage::meter_once(&tx, ledger).await?;
    for reservation in reservations {
        crate::usage::budgets::release_in(&tx, *reservation).await?;
    }
    let assets = RenderAssets { video_asset_id: ids[0], thumbnail_asset_id: ids[1] };
    if slot.status == SlotStatus::Rendering && slot.render_version == version {
        let mut s: slots::ActiveModel = slot.into();
        s.status = Set(SlotStatus::Rendered);
        s.video_asset_id = Set(Some(assets.video_asset_id));
        s.updated_at = Set(now);
        s.update(&*tx).await?;
    }
    tx.commit().await?;
    Ok(assets)
}

/// Ends a render that failed or was cancelled: the slot goes back to
/// `approved` with the reason, unless a newer render has started.
pub async fn abandon(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    version: i32,
    reason: &str,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    if slot.status == SlotStatus::Rendering && slot.render_version == version {
        let mut s: slots::ActiveModel = slot.into();
        s.status = Set(SlotStatus::Approved);
        s.render_error = Set(Some(reason.chars().take(2000).collect()));
        s.updated_at = Set(Utc::now().fixed_offset());
        s.update(&*tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Chooses (or clears) the upload shown behind a slot's captions: an image
/// or video of the same org.
pub async fn set_background(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    asset_id: Option<Uuid>,
) -> Result<slots::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    if matches!(slot.status, SlotStatus::Rendering | SlotStatus::Publishing | SlotStatus::Published) {
        return Err(DomainError::Conflict(format!("the background of a {:?} slot cannot change", slot.status)));
    }
    if let Some(id) = asset_id {
        let asset = tx.find_by_id::<assets::Entity>(id).one(&*tx).await?.ok_or(DomainError::NotFound("asset"))?;
        if asset.kind != "upload" || !BACKGROUND_TYPES.contains(&asset.content_type.as_str()) {
            return Err(DomainError::invalid(
                "asset_id",
                "a background must be an uploaded JPEG, PNG, MP4 or QuickTime",
            ));
        }
    }
    let mut s: slots::ActiveModel = slot.into();
    s.background_asset_id = Set(asset_id);
    s.updated_at = Set(Utc::now().fixed_offset());
    let slot = s.update(&*tx).await?;
    tx.commit().await?;
    Ok(slot)
}
