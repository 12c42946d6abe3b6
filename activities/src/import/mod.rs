//! The import activities: fetch (yt-dlp through the checking proxy, or an
//! upload), transcribe with Whisper, translate (Whisper into English, the
//! LLM into other languages), find highlights with the LLM, cut them into
//! clips, and record how a run ended. Each step marks its stage, heartbeats its progress (which the
//! import shows), and works in a directory of its own that a retry starts
//! afresh; what it stores is keyed by the import, so a retry replaces
//! instead of adding.

pub mod clips;
pub mod fetch;
pub mod speech;

use crate::{
    context::{scope_for, span},
    errors::{from_domain, permanent, retryable},
    model_calls::{CallSite, ModelAccess},
};
use domain::{
    DomainError, OrgScope,
    media::{
        assets::{MediaType, sniff},
        highlights,
        imports::{self, SourceFacts, Stop, StoredSource},
        placement,
        transcripts::{self, AsrUse, NewTranscript, TimedSegment},
        translation,
    },
    usage::budgets::{self, Meter, Reservation},
};
use entities::{
    imports::{ImportErrorCode, ImportStatus},
    transcripts::{TranscriptEngine, TranscriptKind},
};
use fetch::FetchError;
use platform::{
    config::{BudgetDefaults, ImportConfig},
    storage::{ObjectStore, StorageKey},
};
use sea_orm::DatabaseConnection;
use speech::Whisper;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use temporal::import::{
    CutClips, Fetch, Fetched, FindHighlights, Finish, FinishImportInput, ImportEnding, ImportProgress, ImportRef,
    PlaceHighlights, StepOutcome, Transcribe, Transcribed, Translate, TranslateInput,
};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tokio::{io::AsyncReadExt, sync::watch};
use tracing::Instrument;
use uuid::Uuid;

/// How often a step tells Temporal it is alive and the import how far it is.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// How long a transcription's budget reservation outlives a crashed attempt.
const ASR_RESERVATION_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(6);

pub struct ImportActivitiesImpl {
    pub db: DatabaseConnection,
    pub storage: Arc<dyn ObjectStore>,
    pub config: ImportConfig,
    pub budgets: BudgetDefaults,
    pub whisper: Arc<Whisper>,
    /// Translations into languages other than English.
    pub llm: Arc<platform::llm::LlmClient>,
    pub secrets: Arc<dyn platform::secrets::SecretStore>,
}

/// The step's outcome when the import is refused: recorded with its code,
/// and the run ends without retrying.
async fn refuse<T>(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
    code: ImportErrorCode,
    message: String,
) -> Result<StepOutcome<T>, ActivityError> {
    tracing::info!(%import_id, ?code, %message, "import refused");
    imports::record_failure(db, scope, import_id, Stop { code, message })
        .await
        .map_err(|e| from_domain("recording the refusal", e))?;
    Ok(StepOutcome::Refused)
}

/// Runs `work` with heartbeats on their own clock (a quiet yt-dlp or a long
/// Whisper step never looks like a dead worker), the fraction it reports
/// saved on the import every few beats, and stops it when the activity is
/// cancelled (dropping it kills yt-dlp and FFmpeg and stops Whisper).
async fn beating<T>(
    ctx: &ActivityContext,
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
    stage: ImportStatus,
    mut progress: watch::Receiver<f32>,
    work: impl Future<Output = Result<T, ActivityError>>,
) -> Result<T, ActivityError> {
    let heartbeats = async {
        let mut beats = 0u32;
        loop {
            let fraction = *progress.borrow_and_update();
            ctx.record_heartbeat(ImportProgress { fraction }).await.ok();
            if beats.is_multiple_of(3)
                && let Err(e) = imports::record_progress(db, scope, import_id, stage, fraction).await
            {
                tracing::warn!(error = %e, "saving the import's progress failed");
            }
            beats += 1;
            tokio::time::sleep(HEARTBEAT_EVERY).await;
        }
    };
    tokio::select! {
        done = work => done,
        never = heartbeats => never,
        () = ctx.cancelled() => {
            tracing::info!(%import_id, ?stage, "import step cancelled; its processes stopped");
            Err(ActivityError::cancelled())
        }
    }
}

/// The import if it is still running, marked as being in `stage`; `None`
/// when it ended meanwhile (cancelled by a person), so the step has
/// nothing to do.
async fn enter(
    db: &DatabaseConnection,
    scope: &OrgScope,
    import_id: Uuid,
    stage: ImportStatus,
) -> Result<Option<entities::imports::Model>, ActivityError> {
    // `advance` refuses a move out of an ended import.
    match imports::advance(db, scope, import_id, stage).await {
        Ok(import) => Ok(Some(import)),
        Err(DomainError::Conflict(_)) => Ok(None),
        Err(e) => Err(from_domain("marking the import's stage", e)),
    }
}

#[activities]
impl ImportActivitiesImpl {
    #[activity(definition = Fetch)]
    pub async fn fetch(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ImportRef,
    ) -> Result<StepOutcome<Fetched>, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let Some(import) = enter(&self.db, &scope, input.import_id, ImportStatus::Fetching).await? else {
                return Ok(StepOutcome::Refused);
            };
            let work = self.work_dir(input.import_id, "fetch").await?;
            let (progress_tx, progress_rx) = watch::channel(0.0f32);
            let fetching = async { Ok(self.fetch_source(&scope, &import, &work, progress_tx).await) };
            let outcome =
                beating(&ctx, &self.db, &scope, input.import_id, ImportStatus::Fetching, progress_rx, fetching).await;
            let _ = tokio::fs::remove_dir_all(&work).await;
            match outcome {
                Ok(Ok(fetched)) => Ok(StepOutcome::Done(fetched)),
                Ok(Err(FetchError::Refused { code, message })) => {
                    refuse(&self.db, &scope, input.import_id, code, message).await
                }
                Ok(Err(FetchError::Retryable(message))) => Err(retryable("fetching the video", message)),
                Err(e) => Err(e),
            }
        }
        .instrument(span)
        .await
    }

    #[activity(definition = Transcribe)]
    pub async fn transcribe(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ImportRef,
    ) -> Result<StepOutcome<Transcribed>, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let Some(import) = enter(&self.db, &scope, input.import_id, ImportStatus::Transcribing).await? else {
                return Ok(StepOutcome::Refused);
            };
            let work = self.work_dir(input.import_id, "transcribe").await?;
            let samples = self.source_samples(&scope, &import, &work).await;
            let _ = tokio::fs::remove_dir_all(&work).await;
            let samples = match samples? {
                Ok(samples) => samples,
                Err(message) => {
                    return refuse(&self.db, &scope, input.import_id, ImportErrorCode::Unsupported, message).await;
                }
            };
            let seconds = (asr::audio::duration_ms(&samples) + 999) / 1000;
            let reservation = match self.reserve_asr(&scope, &import, seconds).await? {
                Ok(reservation) => reservation,
                Err(message) => {
                    return refuse(&self.db, &scope, input.import_id, ImportErrorCode::BudgetExceeded, message).await;
                }
            };
            let (progress_tx, progress_rx) = watch::channel(0.0f32);
            let recognising = async {
                self.whisper
                    .recognise(samples, None, false, progress_tx)
                    .await
                    .map_err(|e| retryable("recognising the speech", e))
            };
            let heard =
                beating(&ctx, &self.db, &scope, input.import_id, ImportStatus::Transcribing, progress_rx, recognising)
                    .await;
            let heard = match heard {
                Ok(heard) => heard,
                Err(e) => {
                    // Nothing was transcribed: the seconds go back to the budget.
                    if let Err(release) = budgets::release(&self.db, &scope, reservation).await {
                        tracing::warn!(error = %release, "releasing the transcription budget failed; it expires");
                    }
                    return Err(e);
                }
            };
            let segments = speech::segments(&heard);
            let count = segments.len() as u32;
            let new = NewTranscript {
                language: heard.language.clone(),
                kind: TranscriptKind::Spoken,
                engine: TranscriptEngine::Whisper,
                segments,
            };
            transcripts::store(&self.db, &scope, input.import_id, new, Some(AsrUse { seconds, reservation }))
                .await
                .map_err(|e| from_domain("storing the transcript", e))?;
            tracing::info!(import_id = %input.import_id, language = %heard.language, segments = count, seconds, "transcribed");
            let translate_to =
                imports::translate_to(&import).into_iter().filter(|l| *l != heard.language).collect();
            Ok(StepOutcome::Done(Transcribed { language: heard.language, segments: count, translate_to }))
        }
        .instrument(span)
        .await
    }

    #[activity(definition = Translate)]
    pub async fn translate(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: TranslateInput,
    ) -> Result<StepOutcome<()>, ActivityError> {
        let scope = scope_for(&ctx, input.import.org_id)?;
        let span = span(&ctx, input.import.org_id, &input.import.meta);
        let import_id = input.import.import_id;
        async move {
            let Some(import) = enter(&self.db, &scope, import_id, ImportStatus::Translating).await? else {
                return Ok(StepOutcome::Refused);
            };
            if input.language != "en" {
                let (progress_tx, progress_rx) = watch::channel(0.0f32);
                let translating = self.translate_with_model(&ctx, &scope, &import, &input.language, progress_tx);
                let segments =
                    beating(&ctx, &self.db, &scope, import_id, ImportStatus::Translating, progress_rx, translating)
                        .await?;
                let new = NewTranscript {
                    language: input.language.clone(),
                    kind: TranscriptKind::Translation,
                    engine: TranscriptEngine::Llm,
                    segments,
                };
                transcripts::store(&self.db, &scope, import_id, new, None)
                    .await
                    .map_err(|e| from_domain("storing the translation", e))?;
                return Ok(StepOutcome::Done(()));
            }
            let work = self.work_dir(import_id, "translate").await?;
            let samples = self.source_samples(&scope, &import, &work).await;
            let _ = tokio::fs::remove_dir_all(&work).await;
            let Ok(samples) = samples? else {
                return Err(permanent("the source no longer decodes".into()));
            };
            let (progress_tx, progress_rx) = watch::channel(0.0f32);
            let translating = async {
                self.whisper
                    .recognise(samples, import.language.clone(), true, progress_tx)
                    .await
                    .map_err(|e| retryable("translating the speech", e))
            };
            let english =
                beating(&ctx, &self.db, &scope, import_id, ImportStatus::Translating, progress_rx, translating).await?;
            let new = NewTranscript {
                language: "en".into(),
                kind: TranscriptKind::Translation,
                engine: TranscriptEngine::Whisper,
                segments: speech::segments(&english),
            };
            transcripts::store(&self.db, &scope, import_id, new, None)
                .await
                .map_err(|e| from_domain("storing the translation", e))?;
            Ok(StepOutcome::Done(()))
        }
        .instrument(span)
        .await
    }

    #[activity(definition = FindHighlights)]
    pub async fn find_highlights(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ImportRef,
    ) -> Result<StepOutcome<u32>, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let Some(import) = enter(&self.db, &scope, input.import_id, ImportStatus::FindingHighlights).await? else {
                return Ok(StepOutcome::Refused);
            };
            let segments = self.spoken_segments(&scope, &import).await?;
            let (start, end) = (segments.first().map_or(0, |s| s.start_ms), segments.last().map_or(0, |s| s.end_ms));
            // Too little speech for one short: nothing to ask the model.
            let found = if end - start < highlights::MIN_MS {
                Vec::new()
            } else {
                let (progress_tx, progress_rx) = watch::channel(0.0f32);
                let finding = async {
                    let found = self.ask_for_highlights(&ctx, &scope, &import, &segments).await;
                    progress_tx.send_replace(1.0);
                    found
                };
                beating(&ctx, &self.db, &scope, input.import_id, ImportStatus::FindingHighlights, progress_rx, finding)
                    .await?
            };
            let stored = highlights::store(&self.db, &scope, input.import_id, found)
                .await
                .map_err(|e| from_domain("storing the highlights", e))?;
            tracing::info!(import_id = %input.import_id, highlights = stored.len(), "highlights found");
            Ok(StepOutcome::Done(stored.len() as u32))
        }
        .instrument(span)
        .await
    }

    #[activity(definition = CutClips)]
    pub async fn cut_clips(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ImportRef,
    ) -> Result<StepOutcome<u32>, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let Some(import) = enter(&self.db, &scope, input.import_id, ImportStatus::FindingHighlights).await? else {
                return Ok(StepOutcome::Refused);
            };
            let work = self.work_dir(input.import_id, "clips").await?;
            let (progress_tx, progress_rx) = watch::channel(0.0f32);
            let cutting = self.cut_every_clip(&scope, &import, &work, progress_tx);
            let cut =
                beating(&ctx, &self.db, &scope, input.import_id, ImportStatus::FindingHighlights, progress_rx, cutting)
                    .await;
            let _ = tokio::fs::remove_dir_all(&work).await;
            Ok(StepOutcome::Done(cut?))
        }
        .instrument(span)
        .await
    }

    #[activity(definition = PlaceHighlights)]
    pub async fn place_highlights(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ImportRef,
    ) -> Result<u32, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let placed = placement::place_by_autopilot(&self.db, &scope, input.import_id)
            .await
            .map_err(|e| from_domain("placing the highlights into slots", e))?;
        let new = placed.placements.iter().filter(|p| p.new).count() as u32;
        if !placed.placements.is_empty() || !placed.no_free_slot.is_empty() {
            tracing::info!(
                import_id = %input.import_id, placed = new, no_free_slot = placed.no_free_slot.len(),
                "autopilot placed the import's highlights"
            );
        }
        Ok(placed.placements.len() as u32)
    }

    #[activity(definition = Finish)]
    pub async fn finish(self: Arc<Self>, ctx: ActivityContext, input: FinishImportInput) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.import.org_id)?;
        let id = input.import.import_id;
        let done = match input.ending {
            ImportEnding::Ready => imports::mark_ready(&self.db, &scope, id).await,
            ImportEnding::Cancelled => imports::mark_cancelled(&self.db, &scope, id).await,
            ImportEnding::Failed { reason } => {
                let stop = Stop { code: ImportErrorCode::Failed, message: reason };
                imports::record_failure(&self.db, &scope, id, stop).await
            }
        };
        done.map(drop).map_err(|e| from_domain("recording how the import ended", e))
    }
}

impl ImportActivitiesImpl {
    /// Cuts and stores the clip of each highlight from the stored source.
    async fn cut_every_clip(
        &self,
        scope: &OrgScope,
        import: &entities::imports::Model,
        work: &Path,
        progress: watch::Sender<f32>,
    ) -> Result<u32, ActivityError> {
        let found = highlights::of_import(&self.db, scope, import.id)
            .await
            .map_err(|e| from_domain("loading the highlights", e))?;
        if found.is_empty() {
            return Ok(0);
        }
        let (source, kind) = self.source_file(scope, import, work).await?;
        let probe = crate::render::ffmpeg::probe_as(&source, Some(kind))
            .await
            .map_err(|e| permanent(format!("the source no longer probes: {e}")))?;
        let reframe = clips::Reframe::for_source(probe.video.as_ref().map(|(_, w, h, ..)| (*w, *h)));
        let words: Vec<transcripts::TimedWord> =
            self.spoken_segments(scope, import).await?.into_iter().flat_map(|s| s.words).collect();
        for (done, highlight) in found.iter().enumerate() {
            let output = work.join(format!("clip-{}.mp4", highlight.position));
            let span = (highlight.start_ms, highlight.end_ms);
            clips::cut(&source, kind, reframe, span, &words, &output)
                .await
                .map_err(|e| retryable("cutting a clip", e))?;
            let key = StorageKey::new(import.org_id, &highlights::clip_path(import.id, highlight.position))
                .map_err(|e| permanent(e.to_string()))?;
            let file = tokio::fs::File::open(&output).await.map_err(|e| retryable("opening the clip", e))?;
            let size = self
                .storage
                .put(&key, Box::pin(file), self.config.max_bytes)
                .await
                .map_err(|e| retryable("storing the clip", e))?;
            let clip = highlights::StoredClip {
                storage_key: key.as_str().to_owned(),
                size_bytes: size as i64,
                duration_ms: highlight.end_ms - highlight.start_ms,
            };
            highlights::record_clip(&self.db, scope, highlight.id, clip)
                .await
                .map_err(|e| from_domain("recording the clip", e))?;
            progress.send_replace((done + 1) as f32 / found.len() as f32);
        }
        Ok(found.len() as u32)
    }

    /// The stored source copied into `work`, with its checked type.
    async fn source_file(
        &self,
        scope: &OrgScope,
        import: &entities::imports::Model,
        work: &Path,
    ) -> Result<(PathBuf, MediaType), ActivityError> {
        let asset_id = import.source_asset_id.ok_or_else(|| permanent("the import has no stored source".into()))?;
        let asset = domain::media::assets::get(&self.db, scope, asset_id)
            .await
            .map_err(|e| from_domain("loading the source", e))?;
        let kind = MediaType::from_content_type(&asset.content_type)
            .ok_or_else(|| permanent(format!("a {} source cannot be read", asset.content_type)))?;
        let file = work.join(format!("source.{}", kind.extension()));
        self.copy_from_storage(&asset.storage_key, &file).await.map_err(|e| match e {
            FetchError::Retryable(m) | FetchError::Refused { message: m, .. } => retryable("reading the source", m),
        })?;
        Ok((file, kind))
    }

    /// The spoken transcript's segments, in order.
    async fn spoken_segments(
        &self,
        scope: &OrgScope,
        import: &entities::imports::Model,
    ) -> Result<Vec<TimedSegment>, ActivityError> {
        let spoken_language =
            import.language.clone().ok_or_else(|| permanent("the import has no transcript yet".into()))?;
        let spoken = transcripts::of_import(&self.db, scope, import.id, Some(&spoken_language))
            .await
            .map_err(|e| from_domain("loading the transcript", e))?;
        Ok(spoken
            .into_iter()
            .flat_map(|t| t.segments)
            .map(|s| TimedSegment {
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                text: s.text,
                words: serde_json::from_value(s.words).unwrap_or_default(),
            })
            .collect())
    }

    /// The audit context of an import's model call.
    fn call_site<'a>(
        &self,
        ctx: &ActivityContext,
        scope: &'a OrgScope,
        project: &'a entities::projects::Model,
    ) -> CallSite<'a> {
        CallSite::of_run(ctx, scope, project, (None, None), serde_json::json!({}))
    }

    fn models(&self) -> ModelAccess<'_> {
        ModelAccess { db: &self.db, llm: &self.llm, secrets: &*self.secrets, budgets: &self.budgets }
    }

    /// The model's highlights of `segments`, checked, with repair rounds.
    async fn ask_for_highlights(
        &self,
        ctx: &ActivityContext,
        scope: &OrgScope,
        import: &entities::imports::Model,
        segments: &[TimedSegment],
    ) -> Result<Vec<highlights::NewHighlight>, ActivityError> {
        let project = domain::planning::projects::get(&self.db, scope, import.project_id)
            .await
            .map_err(|e| from_domain("loading the project", e))?;
        let site = self.call_site(ctx, scope, &project);
        let models = self.models();
        let language = import.language.clone().unwrap_or_default();
        let schema = highlights::schema(segments.len().min(highlights::MAX_SEGMENTS));
        let messages = highlights::messages(&project.niche, &language, segments);
        models
            .valid_answer(&site, "highlights", messages, &schema, |answer| highlights::validate(answer, segments))
            .await
    }

    /// The spoken transcript in `language`, through the model, a batch of
    /// segments per call (each checked to come back one text per segment,
    /// with repair rounds like drafting's), keeping the timings.
    async fn translate_with_model(
        &self,
        ctx: &ActivityContext,
        scope: &OrgScope,
        import: &entities::imports::Model,
        language: &str,
        progress: watch::Sender<f32>,
    ) -> Result<Vec<TimedSegment>, ActivityError> {
        let spoken_language =
            import.language.clone().ok_or_else(|| permanent("the import has no transcript yet".into()))?;
        let segments = self.spoken_segments(scope, import).await?;
        let project = domain::planning::projects::get(&self.db, scope, import.project_id)
            .await
            .map_err(|e| from_domain("loading the project", e))?;
        let site = self.call_site(ctx, scope, &project);
        let models = self.models();
        let batches: Vec<&[TimedSegment]> = segments.chunks(translation::BATCH).collect();
        let mut translated = Vec::with_capacity(segments.len());
        for (done, batch) in batches.iter().enumerate() {
            let schema = translation::schema(batch.len());
            let messages = translation::messages(&spoken_language, language, batch);
            let segments = models
                .valid_answer(&site, "translate", messages, &schema, |answer| translation::validate(answer, batch))
                .await?;
            translated.extend(segments);
            progress.send_replace((done + 1) as f32 / batches.len() as f32);
        }
        Ok(translated)
    }

    /// A fresh scratch directory of one step of one import.
    async fn work_dir(&self, import_id: Uuid, step: &str) -> Result<PathBuf, ActivityError> {
        let work = self.config.work_dir.join(import_id.to_string()).join(step);
        let _ = tokio::fs::remove_dir_all(&work).await;
        tokio::fs::create_dir_all(&work).await.map_err(|e| retryable("preparing the work directory", e))?;
        Ok(work)
    }

    /// Brings the source into `work`, checks it, stores it and records it.
    async fn fetch_source(
        &self,
        scope: &OrgScope,
        import: &entities::imports::Model,
        work: &Path,
        progress: watch::Sender<f32>,
    ) -> Result<Fetched, FetchError> {
        let project = domain::planning::projects::get(&self.db, scope, import.project_id)
            .await
            .map_err(|e| FetchError::Retryable(e.to_string()))?;
        let file = match (&import.source_url, import.upload_asset_id) {
            (Some(url), _) => {
                let proxy = fetch::proxy(&self.config).await?;
                let facts = fetch::metadata(&self.config, &proxy, url).await?;
                fetch::check_limits(&self.config, &facts)?;
                if let Some(secs) = facts.duration_secs {
                    self.check_asr_budget(scope, &project, secs.ceil() as i64).await?;
                }
                let known =
                    SourceFacts { title: facts.title.clone(), duration_ms: facts.duration_secs.map(secs_to_ms) };
                imports::record_facts(&self.db, scope, import.id, known)
                    .await
                    .map_err(|e| FetchError::Retryable(e.to_string()))?;
                fetch::download(&self.config, &proxy, &facts, work, |f| {
                    progress.send_replace(f);
                })
                .await?
            }
            (None, Some(asset_id)) => self.copy_upload(scope, asset_id, work).await?,
            (None, None) => return Err(FetchError::refused(ImportErrorCode::Unsupported, "the import has no source")),
        };
        let size = tokio::fs::metadata(&file).await.map_err(|e| FetchError::Retryable(e.to_string()))?.len();
        if size > self.config.max_bytes {
            return Err(fetch::too_big(&self.config, size));
        }
        let kind = media_type_of(&file).await?;
        let probe = crate::render::ffmpeg::probe_as(&file, Some(kind))
            .await
            .map_err(|e| FetchError::refused(ImportErrorCode::Unsupported, e.to_string()))?;
        if probe.audio_codec.is_none() {
            return Err(FetchError::refused(ImportErrorCode::Unsupported, "the video has no sound to transcribe"));
        }
        if probe.duration_secs > self.config.max_duration.as_secs_f64() {
            return Err(fetch::too_long(&self.config, probe.duration_secs));
        }
        self.check_asr_budget(scope, &project, probe.duration_secs.ceil() as i64).await?;
        let duration_ms = secs_to_ms(probe.duration_secs);
        let source = match import.upload_asset_id {
            // An upload is stored already: the import reads it where it is.
            Some(asset_id) => imports::Source::Upload(asset_id),
            None => imports::Source::Downloaded(self.store_download(import, &file, kind).await?),
        };
        imports::record_source(&self.db, scope, import.id, source, duration_ms)
            .await
            .map_err(|e| FetchError::Retryable(e.to_string()))?;
        progress.send_replace(1.0);
        Ok(Fetched { duration_ms })
    }

    /// Stores a checked download under the import's key.
    async fn store_download(
        &self,
        import: &entities::imports::Model,
        file: &Path,
        kind: MediaType,
    ) -> Result<StoredSource, FetchError> {
        let path = imports::import_path(import.id, &format!("source.{}", kind.extension()));
        let key = StorageKey::new(import.org_id, &path).map_err(|e| FetchError::Retryable(e.to_string()))?;
        let reader = tokio::fs::File::open(file).await.map_err(|e| FetchError::Retryable(e.to_string()))?;
        let stored = self
            .storage
            .put(&key, Box::pin(reader), self.config.max_bytes)
            .await
            .map_err(|e| FetchError::Retryable(format!("storing the source: {e}")))?;
        Ok(StoredSource {
            storage_key: key.as_str().to_owned(),
            content_type: kind.content_type().to_owned(),
            size_bytes: stored as i64,
        })
    }

    /// Refuses, before any download, an import the month's transcription
    /// budget cannot take.
    async fn check_asr_budget(
        &self,
        scope: &OrgScope,
        project: &entities::projects::Model,
        seconds: i64,
    ) -> Result<(), FetchError> {
        match budgets::check(&self.db, scope, Meter::AsrSeconds, Some(project), &self.budgets, seconds).await {
            Ok(()) => Ok(()),
            Err(DomainError::BudgetExceeded(message)) => {
                Err(FetchError::refused(ImportErrorCode::BudgetExceeded, message))
            }
            Err(e) => Err(FetchError::Retryable(e.to_string())),
        }
    }

    async fn copy_upload(&self, scope: &OrgScope, asset_id: Uuid, work: &Path) -> Result<PathBuf, FetchError> {
        let asset = domain::media::assets::get(&self.db, scope, asset_id).await.map_err(|e| match e {
            DomainError::NotFound(_) => FetchError::refused(ImportErrorCode::Unsupported, "the upload was deleted"),
            other => FetchError::Retryable(other.to_string()),
        })?;
        self.copy_from_storage(&asset.storage_key, &work.join("upload")).await
    }

    async fn copy_from_storage(&self, storage_key: &str, path: &Path) -> Result<PathBuf, FetchError> {
        let key = StorageKey::parse(storage_key).map_err(|e| FetchError::Retryable(e.to_string()))?;
        let mut read = self.storage.read(&key, None).await.map_err(|e| FetchError::Retryable(e.to_string()))?;
        let mut file = tokio::fs::File::create(path).await.map_err(|e| FetchError::Retryable(e.to_string()))?;
        tokio::io::copy(&mut read.body, &mut file).await.map_err(|e| FetchError::Retryable(e.to_string()))?;
        Ok(path.to_owned())
    }

    /// The stored source's audio as Whisper hears it; `Err(message)` inside
    /// when it does not decode (nothing a retry fixes).
    async fn source_samples(
        &self,
        scope: &OrgScope,
        import: &entities::imports::Model,
        work: &Path,
    ) -> Result<Result<Vec<f32>, String>, ActivityError> {
        let (file, kind) = self.source_file(scope, import, work).await?;
        Ok(speech::samples(&file, kind.ffmpeg_demuxer()).await.map_err(|e| e.to_string()))
    }

    /// Takes the transcription's seconds from the month's budget, once per
    /// import however often the step is retried.
    async fn reserve_asr(
        &self,
        scope: &OrgScope,
        import: &entities::imports::Model,
        seconds: i64,
    ) -> Result<Result<Reservation, String>, ActivityError> {
        let project = domain::planning::projects::get(&self.db, scope, import.project_id)
            .await
            .map_err(|e| from_domain("loading the project", e))?;
        let name = budgets::named(&format!("asr:{}", import.id));
        match budgets::reserve_as(
            &self.db,
            scope,
            name,
            Meter::AsrSeconds,
            Some(&project),
            &self.budgets,
            seconds,
            ASR_RESERVATION_TTL,
        )
        .await
        {
            Ok(reservation) => Ok(Ok(reservation)),
            Err(DomainError::BudgetExceeded(message)) => Ok(Err(message)),
            Err(e) => Err(from_domain("reserving the transcription budget", e)),
        }
    }
}

fn secs_to_ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}

/// The media type of a fetched file, from its bytes: only video and audio
/// containers FFmpeg then opens with their own demuxer.
async fn media_type_of(file: &Path) -> Result<MediaType, FetchError> {
    let mut head = [0u8; 16];
    let mut opened = tokio::fs::File::open(file).await.map_err(|e| FetchError::Retryable(e.to_string()))?;
    let read = opened.read(&mut head).await.map_err(|e| FetchError::Retryable(e.to_string()))?;
    sniff(&head[..read]).filter(|k| !k.is_image()).ok_or_else(|| {
        FetchError::refused(ImportErrorCode::Unsupported, "the download is not an MP4, QuickTime, MP3 or WAV file")
    })
}
