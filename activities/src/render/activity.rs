//! The render activities: turning a slot version into stored assets, and
//! releasing a slot whose render failed or was cancelled.

use super::{
    Planned, RenderError, RenderRequest, compose,
    ffmpeg::{MediaType, Quality, Start, Upload, Visual},
    tts::Tts,
    voice,
};
use crate::{
    context::{scope_for, span},
    errors::{from_domain, permanent, retryable},
};
use domain::{
    media::rendering::{self, RenderResult, RenderSource, RenderedFile},
    usage::budgets::{self, Meter, Reservation},
};
use platform::metrics;
use platform::storage::{ObjectStore, StorageKey};
use sea_orm::DatabaseConnection;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use temporal::render::{
    Abandon, AbandonRenderInput, PreviewSlot, PreviewSlotInput, PreviewSlotOutput, RenderProgress, RenderSlot,
    RenderSlotInput, RenderSlotOutput,
};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::Instrument;

/// Largest file a render may store (a 10-minute 1080p video is far below).
const RENDER_OUTPUT_LIMIT: u64 = 2 * 1024 * 1024 * 1024;
/// How often the render tells Temporal it is alive (and learns of a cancel).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

pub struct RenderActivitiesImpl {
    pub db: DatabaseConnection,
    pub storage: Arc<dyn ObjectStore>,
    pub tts: Arc<dyn Tts>,
    /// Scratch space; each render works in `{work_dir}/{slot}/v{version}`.
    pub work_dir: PathBuf,
    pub budgets: platform::config::BudgetDefaults,
}

/// How long a render's reservations outlive a crashed attempt.
const RENDER_RESERVATION_TTL_MINUTES: i64 = 30;

/// Invalid output or input or nothing to say fail at once; FFmpeg or I/O
/// trouble is retried.
fn from_render(err: RenderError) -> ActivityError {
    match err {
        RenderError::InvalidOutput(_) | RenderError::InvalidInput(_) => permanent(err.to_string()),
        RenderError::Tts(ref why) if why.contains("nothing to say") => permanent(err.to_string()),
        other => retryable("rendering", other),
    }
}

#[activities]
impl RenderActivitiesImpl {
    #[activity(definition = RenderSlot)]
    pub async fn render_slot(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: RenderSlotInput,
    ) -> Result<RenderSlotOutput, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let Some(source) = rendering::source(&self.db, &scope, input.slot_id, input.version)
                .await
                .map_err(|e| from_domain("loading the slot", e))?
            else {
                tracing::info!(slot_id = %input.slot_id, version = input.version, "render superseded; nothing to do");
                return Ok(RenderSlotOutput::Superseded);
            };
            let work = self.fresh_work_dir(input.slot_id, &format!("v{}", input.version)).await?;
            let started = std::time::Instant::now();
            let outcome = tokio::select! {
                outcome = self.render_and_store(&ctx, &input, source, &work) => {
                    match &outcome {
                        Ok(RenderSlotOutput::Rendered { duration_ms, .. }) => {
                            metrics::RENDERS.with_label_values(&["rendered"]).inc();
                            metrics::RENDER_SECONDS.observe(started.elapsed().as_secs_f64());
                            metrics::RENDERED_VIDEO_SECONDS.inc_by((*duration_ms as u64).div_ceil(1000));
                        }
                        Ok(RenderSlotOutput::Superseded) => {}
                        Err(_) => metrics::RENDERS.with_label_values(&["failed"]).inc(),
                    }
                    outcome
                }
                () = ctx.cancelled() => {
                    // Dropping the render future killed FFmpeg (kill_on_drop).
                    tracing::info!(slot_id = %input.slot_id, "render cancelled; FFmpeg stopped");
                    metrics::RENDERS.with_label_values(&["cancelled"]).inc();
                    Err(ActivityError::cancelled())
                }
            };
            let _ = tokio::fs::remove_dir_all(&work).await;
            outcome
        }
        .instrument(span)
        .await
    }

    #[activity(definition = PreviewSlot)]
    pub async fn preview_slot(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PreviewSlotInput,
    ) -> Result<PreviewSlotOutput, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let Some(source) = rendering::preview_source(&self.db, &scope, input.slot_id, input.version)
                .await
                .map_err(|e| from_domain("loading the slot", e))?
            else {
                return Ok(PreviewSlotOutput::Superseded);
            };
            let work = self.fresh_work_dir(input.slot_id, &format!("preview-v{}", input.version)).await?;
            let (progress_tx, progress_rx) = tokio::sync::watch::channel(0.0f64);
            let previewing = async {
                let request = self.request_for(&source, &work, Quality::Preview).await?;
                let mut on_progress = |fraction| {
                    progress_tx.send_replace(fraction);
                };
                super::render(&*self.tts, &request, &work.join("out"), &mut on_progress).await.map_err(from_render)
            };
            let rendered = tokio::select! {
                rendered = heartbeating(&ctx, progress_rx, previewing) => rendered,
                () = ctx.cancelled() => Err(ActivityError::cancelled()),
            };
            let outcome = match rendered {
                Ok(rendered) => {
                    let key = StorageKey::new(input.org_id, &rendering::preview_path(input.slot_id, input.version))
                        .map_err(|e| permanent(e.to_string()))?;
                    let video = self.store(key, &rendered.video, "video/mp4").await?;
                    let duration_ms = (rendered.duration_secs * 1000.0).round() as i32;
                    let asset =
                        rendering::record_preview(&self.db, &scope, input.slot_id, input.version, video, duration_ms)
                            .await
                            .map_err(|e| from_domain("recording the preview", e))?;
                    tracing::info!(slot_id = %input.slot_id, version = input.version, duration_ms, "slot previewed");
                    Ok(PreviewSlotOutput::Previewed { video_asset_id: asset.id, duration_ms })
                }
                Err(e) => Err(e),
            };
            let _ = tokio::fs::remove_dir_all(&work).await;
            outcome
        }
        .instrument(span)
        .await
    }

    #[activity(definition = Abandon)]
    pub async fn abandon(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: AbandonRenderInput,
    ) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        rendering::abandon(&self.db, &scope, input.slot_id, input.version, &input.reason)
            .await
            .map_err(|e| from_domain("releasing the slot", e))
    }
}

impl RenderActivitiesImpl {
    async fn render_and_store(
        &self,
        ctx: &ActivityContext,
        input: &RenderSlotInput,
        source: RenderSource,
        work: &Path,
    ) -> Result<RenderSlotOutput, ActivityError> {
        let max_secs = source.max_video_seconds as f64;
        let clip = match &source.clip {
            Some(clip) => Some(self.fetch(clip, &work.join("clip.mp4")).await?),
            None => None,
        };
        let scope = scope_for(ctx, input.org_id)?;
        let (progress_tx, progress_rx) = tokio::sync::watch::channel(0.0f64);
        let out_dir = work.join("out");
        let mut on_progress = |fraction| {
            progress_tx.send_replace(fraction);
        };
        let project = &source.project;
        let mut held = Vec::new();
        let rendering = async {
            if let Some(clip) = &clip {
                let seconds = super::clip_length(clip, max_secs).await.map_err(from_render)?;
                held.push(self.reserve(&scope, Meter::VideoSeconds, project, seconds.ceil() as i64).await?);
                return super::from_clip(clip, seconds, &out_dir).await.map_err(from_render);
            }
            let request = self.request_for(&source, work, Quality::Final).await?;
            let voiced = voice(&*self.tts, &request, &out_dir).await.map_err(from_render)?;
            on_progress(super::VOICE_DONE);
            // The video's length is known now, before the encode (the CPU
            // the budget protects): its seconds are taken from the budget.
            let seconds = voiced.duration_secs.ceil() as i64;
            held.push(self.reserve(&scope, Meter::VideoSeconds, project, seconds).await?);
            compose(&request, &voiced, &out_dir, &mut on_progress).await.map_err(from_render)
        };
        let rendered = heartbeating(ctx, progress_rx, rendering).await;
        let rendered = match rendered {
            Ok(rendered) => rendered,
            Err(e) => {
                self.release(&scope, &held).await;
                return Err(e);
            }
        };
        // Storage is the org's: the files' real size is taken before they are stored.
        let bytes = file_size(&rendered.video).await + file_size(&rendered.thumbnail).await;
        match self.reserve(&scope, Meter::StorageBytes, project, bytes).await {
            Ok(reservation) => held.push(reservation),
            Err(e) => {
                self.release(&scope, &held).await;
                return Err(e);
            }
        }

        let org = input.org_id;
        let key = |file: &str| {
            StorageKey::new(org, &rendering::render_path(input.slot_id, input.version, file))
                .map_err(|e| permanent(e.to_string()))
        };
        let video = self.store(key("video.mp4")?, &rendered.video, "video/mp4").await?;
        let thumbnail = self.store(key("thumbnail.jpg")?, &rendered.thumbnail, "image/jpeg").await?;
        let result = RenderResult {
            video,
            thumbnail,
            duration_ms: (rendered.duration_secs * 1000.0).round() as i32,
            cover_timestamp_ms: rendered.cover_timestamp_ms as i32,
        };
        let duration_ms = result.duration_ms;
        let assets = rendering::complete(&self.db, &scope, input.slot_id, input.version, result, &held)
            .await
            .map_err(|e| from_domain("recording the render", e))?;
        ctx.record_heartbeat(RenderProgress { fraction: 1.0 }).await.ok();
        tracing::info!(slot_id = %input.slot_id, version = input.version, duration_ms, "slot rendered");
        Ok(RenderSlotOutput::Rendered {
            video_asset_id: assets.video_asset_id,
            thumbnail_asset_id: assets.thumbnail_asset_id,
            duration_ms,
        })
    }

    /// Takes `quantity` of `meter` for this render; past the budget the
    /// render fails for good, with the budget named.
    async fn reserve(
        &self,
        scope: &domain::OrgScope,
        meter: Meter,
        project: &entities::projects::Model,
        quantity: i64,
    ) -> Result<Reservation, ActivityError> {
        let ttl = chrono::Duration::minutes(RENDER_RESERVATION_TTL_MINUTES);
        budgets::reserve(&self.db, scope, meter, Some(project), &self.budgets, quantity, ttl)
            .await
            .map_err(|e| from_domain("reserving the render's budget", e))
    }

    /// Gives back what a render that did not finish had taken.
    async fn release(&self, scope: &domain::OrgScope, held: &[Reservation]) {
        for reservation in held {
            if let Err(e) = budgets::release(&self.db, scope, *reservation).await {
                tracing::warn!(error = %e, "releasing a render reservation failed; it expires by itself");
            }
        }
    }

    /// An empty scratch directory `{work_dir}/{slot}/{name}`: a retry starts
    /// clean, nothing of a killed attempt is reused.
    async fn fresh_work_dir(&self, slot_id: uuid::Uuid, name: &str) -> Result<PathBuf, ActivityError> {
        let work = self.work_dir.join(slot_id.to_string()).join(name);
        let _ = tokio::fs::remove_dir_all(&work).await;
        tokio::fs::create_dir_all(&work).await.map_err(|e| retryable("preparing the work directory", e))?;
        Ok(work)
    }

    /// What to render of `source`: its script, hook and style, the scenes'
    /// files and the music track copied into `work`.
    async fn request_for(
        &self,
        source: &RenderSource,
        work: &Path,
        quality: Quality,
    ) -> Result<RenderRequest, ActivityError> {
        Ok(RenderRequest {
            script: source.slot.script.clone(),
            hook: source.slot.hook.clone(),
            style: source.style,
            language: source.language.clone(),
            scenes: self.plan_scenes(source, work).await?,
            // Each slot its own palettes, the same on every re-render.
            seed: (source.slot.id.as_u128() % 1024) as u64,
            music_track: match &source.music_track {
                Some(track) => Some(self.fetch_media(track, work).await?),
                None => None,
            },
            quality,
            captions: true,
            max_secs: source.max_video_seconds as f64,
        })
    }

    /// What each scene of the shot list shows: the slot's own upload for
    /// scenes that want footage or a still, else the library's match, else
    /// a generated visual. Files are copied into the work directory once
    /// each, typed as they were accepted (`voice` checks their bytes).
    async fn plan_scenes(&self, source: &RenderSource, work: &Path) -> Result<Vec<Planned>, ActivityError> {
        use domain::media::shots::VisualKind;
        let own = match &source.background {
            Some(asset) => Some(self.fetch_media(asset, work).await?),
            None => None,
        };
        let own = match own {
            Some(upload) if upload.kind.is_video() => {
                let clip_secs =
                    super::ffmpeg::probe_as(&upload.path, Some(upload.kind)).await.map_or(0.0, |p| p.duration_secs);
                Some(Visual::Footage { upload, from: Start::WithTheVideo { clip_secs } })
            }
            Some(upload) => Some(Visual::Still(upload)),
            None => None,
        };
        let mut planned = Vec::with_capacity(source.shots.len());
        for (shot, found) in source.shots.iter().zip(source.footage.iter().chain(std::iter::repeat(&None))) {
            let visual = match shot.visual {
                VisualKind::TextCard => Visual::TextCard,
                VisualKind::Gradient => Visual::Gradient,
                VisualKind::Footage | VisualKind::Still => match (&own, found) {
                    (Some(own), _) => own.clone(),
                    (None, Some(found)) => {
                        let upload = self.fetch_media(&found.asset, work).await?;
                        if upload.kind.is_image() {
                            Visual::Still(upload)
                        } else {
                            Visual::Footage { upload, from: Start::At(found.from_ms as f64 / 1000.0) }
                        }
                    }
                    (None, None) => Visual::Gradient,
                },
            };
            planned.push(Planned { words: super::spoken_words(&shot.text), visual });
        }
        Ok(planned)
    }

    /// Copies an image, video or audio asset into the work directory (once: by its id).
    async fn fetch_media(&self, asset: &entities::assets::Model, work: &Path) -> Result<Upload, ActivityError> {
        let kind = MediaType::from_content_type(&asset.content_type)
            .ok_or_else(|| permanent(format!("a {} file cannot be used in a render", asset.content_type)))?;
        let path = work.join(format!("media-{}.{}", asset.id, kind.extension()));
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            self.fetch(asset, &path).await?;
        }
        Ok(Upload { path, kind })
    }

    /// Copies a stored asset into the work directory at `path`.
    async fn fetch(&self, asset: &entities::assets::Model, path: &Path) -> Result<PathBuf, ActivityError> {
        let key = StorageKey::parse(&asset.storage_key).map_err(|e| permanent(e.to_string()))?;
        let mut read = self.storage.read(&key, None).await.map_err(|e| retryable("reading a stored file", e))?;
        let mut file = tokio::fs::File::create(path).await.map_err(|e| retryable("writing a stored file", e))?;
        tokio::io::copy(&mut read.body, &mut file).await.map_err(|e| retryable("copying a stored file", e))?;
        Ok(path.to_owned())
    }

    async fn store(&self, key: StorageKey, path: &Path, content_type: &str) -> Result<RenderedFile, ActivityError> {
        let file = tokio::fs::File::open(path).await.map_err(|e| retryable("opening the render output", e))?;
        let size = self
            .storage
            .put(&key, Box::pin(file), RENDER_OUTPUT_LIMIT)
            .await
            .map_err(|e| retryable("storing the render output", e))?;
        Ok(RenderedFile {
            storage_key: key.as_str().to_owned(),
            content_type: content_type.into(),
            size_bytes: size as i64,
        })
    }
}

/// Runs `work` while its latest fraction done (`progress`) is sent as a
/// heartbeat every second, on its own clock, so a long TTS step or a quiet
/// FFmpeg never looks like a dead worker.
async fn heartbeating<T>(
    ctx: &ActivityContext,
    mut progress: tokio::sync::watch::Receiver<f64>,
    work: impl std::future::Future<Output = Result<T, ActivityError>>,
) -> Result<T, ActivityError> {
    let heartbeats = async {
        loop {
            let fraction = *progress.borrow_and_update();
            ctx.record_heartbeat(RenderProgress { fraction }).await.ok();
            tokio::time::sleep(HEARTBEAT_EVERY).await;
        }
    };
    tokio::select! {
        done = work => done,
        never = heartbeats => never,
    }
}

async fn file_size(path: &Path) -> i64 {
    tokio::fs::metadata(path).await.map_or(0, |m| m.len() as i64)
}
