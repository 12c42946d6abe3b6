//! The slot pipeline's activities: bookkeeping on `main`, TikTok calls on
//! `publish`. `publish.init` is the only call that can create a post on
//! TikTok's side; it reuses a recorded `publish_id` and records a new one
//! before returning. An init whose answer was lost is simply sent again:
//! with FILE_UPLOAD nothing is posted until the upload through that init's
//! own URL completes, so an orphaned init can never become a post.

use crate::{
    context::{scope_for, span},
    errors::{from_domain, permanent},
};
use domain::{
    OrgScope,
    publishing::tiktok::{self as accounts, ConnectError},
    publishing::{
        self, PublishChoice, PublishOutcome, ResumeAt,
        publication::{self, InitStep},
    },
};
use platform::metrics;
use platform::{
    secrets::SecretStore,
    storage::{ObjectStore, StorageKey},
    tiktok::{TikTokClient, TikTokError, TikTokPublishStatus, UploadError},
};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use std::sync::Arc;
use temporal::pipeline::{
    AccountRef, CheckStatus, Fail, FailInput, FetchMetrics, GateChoice, GateInput, Init, Load, PassPublishGate,
    PipelineContext, PublishState, RefreshDue, RefreshNow, RenderStart, Resume, SetStage, SlotRef, SlotStep,
    StageInput, StartRender, TokenRefreshInput, Upload,
};
use temporalio_macros::activities;
use temporalio_sdk::{
    ApplicationFailure,
    activities::{ActivityContext, ActivityError},
};
use tracing::Instrument;
use uuid::Uuid;

pub struct PipelineActivitiesImpl {
    pub db: DatabaseConnection,
    pub secrets: Arc<dyn SecretStore>,
    pub tiktok: Arc<TikTokClient>,
}

pub struct PublishActivitiesImpl {
    pub db: DatabaseConnection,
    pub secrets: Arc<dyn SecretStore>,
    pub storage: Arc<dyn ObjectStore>,
    pub tiktok: Arc<TikTokClient>,
    pub budgets: platform::config::BudgetDefaults,
}

fn retryable(message: String) -> ActivityError {
    ActivityError::Application(Box::new(ApplicationFailure::new(message)))
}

/// TikTok's answer as an activity failure: refusals are final and carry
/// TikTok's code for the person; everything else is retried with backoff.
fn from_tiktok(step: &str, err: TikTokError) -> ActivityError {
    let message = format!("{step}: {err}");
    if err.is_transient() {
        tracing::warn!(step, error = %err, "TikTok call failed; will retry");
        // Temporal's backoff has no jitter: spread retries so that the
        // calls of many slots, throttled together, do not return together.
        let base = if matches!(err, TikTokError::RateLimited) { 5_000 } else { 1_000 };
        let jitter = (Uuid::new_v4().as_u128() % 1_000) as u64;
        let failure = ApplicationFailure::builder(message)
            .next_retry_delay(std::time::Duration::from_millis(base + jitter))
            .build();
        ActivityError::Application(Box::new(failure))
    } else {
        tracing::error!(step, error = %err, "TikTok refused");
        permanent(message)
    }
}

fn from_connect(step: &str, err: ConnectError) -> ActivityError {
    match err {
        ConnectError::TikTok(e) => from_tiktok(step, e),
        ConnectError::Domain(e) => from_domain("reading the TikTok account", e),
        ConnectError::BadState | ConnectError::NotYours => permanent(format!("{step}: {err}")),
    }
}

/// Runs a TikTok call with the account's token; a refused token is
/// refreshed (single flight) and the call made once more.
async fn with_token<T, F, Fut>(
    (db, secrets, tiktok): (&DatabaseConnection, &dyn SecretStore, &TikTokClient),
    scope: &OrgScope,
    account_id: Uuid,
    step: &str,
    call: F,
) -> Result<T, ActivityError>
where
    F: Fn(SecretString) -> Fut,
    Fut: Future<Output = Result<T, TikTokError>>,
{
    let token = |rejected: Option<SecretString>| async move {
        accounts::access_token(db, secrets, tiktok, scope, account_id, rejected.as_ref())
            .await
            .map_err(|e| from_connect("getting a TikTok token", e))
    };
    let first = token(None).await?;
    let result = match call(first.clone()).await {
        Err(TikTokError::TokenInvalid) => call(token(Some(first)).await?).await,
        other => other,
    };
    result.map_err(|e| from_tiktok(step, e))
}

impl PublishActivitiesImpl {
    async fn token(
        &self,
        scope: &OrgScope,
        account_id: Uuid,
        rejected: Option<&SecretString>,
    ) -> Result<SecretString, ActivityError> {
        accounts::access_token(&self.db, &*self.secrets, &self.tiktok, scope, account_id, rejected)
            .await
            .map_err(|e| from_connect("refreshing the TikTok token", e))
    }

    async fn with_token<T, F, Fut>(
        &self,
        scope: &OrgScope,
        account_id: Uuid,
        step: &str,
        call: F,
    ) -> Result<T, ActivityError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, TikTokError>>,
    {
        with_token((&self.db, &*self.secrets, &self.tiktok), scope, account_id, step, call).await
    }
}

/// Bytes TikTok holds, as the upload's heartbeat reports it.
#[derive(serde::Serialize)]
struct UploadProgress {
    held_bytes: u64,
    total_bytes: u64,
}

fn resume(at: ResumeAt) -> Resume {
    match at {
        ResumeAt::Approval => Resume::Approval,
        ResumeAt::Render => Resume::Render,
        ResumeAt::PublishGate => Resume::PublishGate,
        ResumeAt::Publish => Resume::Publish,
        ResumeAt::Done => Resume::Done,
    }
}

fn choice(c: GateChoice) -> PublishChoice {
    PublishChoice {
        privacy_level: c.privacy_level,
        allow_comment: c.allow_comment,
        allow_duet: c.allow_duet,
        allow_stitch: c.allow_stitch,
        brand_organic: c.brand_organic,
        branded_content: c.branded_content,
    }
}

fn publish_state(outcome: PublishOutcome) -> PublishState {
    match outcome {
        PublishOutcome::Processing => PublishState::Processing,
        PublishOutcome::SentToInbox => PublishState::SentToInbox,
        PublishOutcome::Complete { post_id, public } => PublishState::Complete { post_id, public },
        PublishOutcome::Failed { reason } => PublishState::Failed { reason },
    }
}

#[activities]
impl PipelineActivitiesImpl {
    #[activity(definition = Load)]
    pub async fn load(self: Arc<Self>, ctx: ActivityContext, input: SlotRef) -> Result<PipelineContext, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let start =
            publishing::pipeline_start(&self.db, &scope, input.slot_id).await.map_err(|e| from_domain("loading", e))?;
        Ok(PipelineContext {
            resume: resume(start.resume),
            needs_approval: start.needs_approval,
            needs_publish_approval: start.needs_publish_approval,
            scheduled_at: start.scheduled_at,
            decided: start.decided,
        })
    }

    #[activity(definition = StartRender)]
    pub async fn start_render(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: SlotRef,
    ) -> Result<RenderStart, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let started = publishing::start_render(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("starting the render", e))?;
        Ok(match started {
            Some(slot) => RenderStart::Started { version: slot.render_version },
            None => {
                tracing::info!(slot_id = %input.slot_id, "the slot is no longer approved; nothing is rendered");
                RenderStart::NotApproved
            }
        })
    }

    #[activity(definition = PassPublishGate)]
    pub async fn pass_publish_gate(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: GateInput,
    ) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.slot.org_id)?;
        let gate = publishing::gate::open(&self.db, &scope, input.slot.slot_id)
            .await
            .map_err(|e| from_domain("opening the publish gate", e))?;
        let (choice, by, post_now, request_id) = match input.decision {
            Some(d) => (choice(d.choice), Some(d.by), d.post_now, d.request_id),
            None => {
                let saved = gate.saved_choice().map_err(|e| from_domain("autopilot", e))?;
                (saved, None, false, input.slot.meta.request_id.clone())
            }
        };
        let creator =
            with_token((&self.db, &*self.secrets, &self.tiktok), &scope, gate.account_id, "creator_info", |t| {
                let client = self.tiktok.clone();
                async move { client.creator_info(&t).await }
            })
            .await?;
        let decision = gate.decide(&choice, &creator).map_err(|e| permanent(format!("the choices: {e}")))?;
        publication::record_decision(&self.db, &scope, &decision, by, post_now, request_id)
            .await
            .map_err(|e| from_domain("recording the publish choices", e))?;
        Ok(())
    }

    #[activity(definition = SetStage)]
    pub async fn set_stage(self: Arc<Self>, ctx: ActivityContext, input: StageInput) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.slot.org_id)?;
        let (db, slot) = (&self.db, input.slot.slot_id);
        match input.step {
            SlotStep::PublishApproved => publication::mark_publish_approved(db, &scope, slot).await,
            SlotStep::Publishing => publication::mark_publishing(db, &scope, slot).await,
            SlotStep::Published => publication::mark_slot_published(db, &scope, slot).await,
            SlotStep::SentToInbox => publication::mark_slot_sent_to_inbox(db, &scope, slot).await,
        }
        .map_err(|e| from_domain("recording the stage", e))
    }

    #[activity(definition = Fail)]
    pub async fn fail(self: Arc<Self>, ctx: ActivityContext, input: FailInput) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.slot.org_id)?;
        tracing::warn!(slot_id = %input.slot.slot_id, reason = %input.reason, "slot pipeline failed");
        publishing::record_failure(&self.db, &scope, input.slot.slot_id, &input.reason)
            .await
            .map(drop)
            .map_err(|e| from_domain("recording the failure", e))
    }
}

#[activities]
impl PublishActivitiesImpl {
    #[activity(definition = Init)]
    pub async fn init(self: Arc<Self>, ctx: ActivityContext, input: SlotRef) -> Result<String, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        async move {
            let request = match publication::prepare_init(&self.db, &scope, input.slot_id, &self.budgets)
                .await
                .map_err(|e| from_domain("preparing the post", e))?
            {
                InitStep::Recorded { publish_id } => {
                    tracing::info!(%publish_id, "init already recorded; reusing it");
                    return Ok(publish_id);
                }
                InitStep::Send(request) => request,
            };
            // TikTok's rule: check the creator fresh before every post.
            let creator = self
                .with_token(&scope, request.account_id, "creator_info", |t| {
                    let client = self.tiktok.clone();
                    async move { client.creator_info(&t).await }
                })
                .await?;
            publishing::gate::check_postable(&request.info.privacy_level, request.video_duration_ms, &creator)
                .map_err(|e| permanent(format!("the post is no longer allowed: {e}")))?;
            publication::count_init(&self.db, &scope, input.slot_id)
                .await
                .map_err(|e| from_domain("counting the init", e))?;
            let (direct, size) = (request.direct, request.video_bytes);
            let init = self
                .with_token(&scope, request.account_id, "init", |t| {
                    let (client, info) = (self.tiktok.clone(), request.info.clone());
                    async move {
                        if direct {
                            client.init_direct(&t, &info, size).await
                        } else {
                            client.init_inbox(&t, size).await
                        }
                    }
                })
                .await?;
            let sealed_url = match &init.upload_url {
                Some(url) => Some(
                    self.secrets
                        .encrypt(input.org_id, &SecretString::from(url.clone()))
                        .await
                        .map_err(|e| from_domain("protecting the upload URL", e.into()))?,
                ),
                None => None,
            };
            let publish_id = init.publish_id.clone();
            publication::record_init(&self.db, &scope, input.slot_id, init.publish_id, sealed_url, size)
                .await
                .map_err(|e| from_domain("recording the publish_id", e))?;
            tracing::info!(%publish_id, direct, "TikTok post initiated");
            metrics::TIKTOK_POSTS.with_label_values(&[if direct { "direct" } else { "inbox" }]).inc();
            Ok(publish_id)
        }
        .instrument(span)
        .await
    }

    #[activity(definition = Upload)]
    pub async fn upload(self: Arc<Self>, ctx: ActivityContext, input: SlotRef) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let Some(step) = publication::upload_step(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("reading the publication", e))?
        else {
            return Ok(());
        };
        // Resume from what TikTok holds (a crash may have left part of it there).
        let status = self
            .with_token(&scope, step.account_id, "status", |t| {
                let (client, id) = (self.tiktok.clone(), step.publish_id.clone());
                async move { client.status(&t, &id).await }
            })
            .await?;
        if status.status != TikTokPublishStatus::ProcessingUpload {
            return publication::mark_processing(&self.db, &scope, input.slot_id)
                .await
                .map_err(|e| from_domain("recording the upload", e));
        }
        let url = self
            .secrets
            .decrypt(input.org_id, &step.sealed_upload_url)
            .await
            .map_err(|e| from_domain("upload URL", e.into()))?;
        let key = StorageKey::parse(&step.storage_key).map_err(|e| permanent(e.to_string()))?;
        let total = step.video_bytes;
        let held = status.uploaded_bytes.unwrap_or(0).clamp(0, total as i64) as u64;
        publication::mark_uploading(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("recording the upload", e))?;
        let progress = |held_bytes| UploadProgress { held_bytes, total_bytes: total };
        ctx.record_heartbeat(progress(held)).await.ok();
        let uploaded = self
            .tiktok
            .upload_stored(&*self.storage, &key, &url, total, held, |held| {
                let ctx = &ctx;
                async move {
                    ctx.record_heartbeat(progress(held)).await.ok();
                }
            })
            .await;
        match uploaded {
            Ok(_) => {}
            Err(UploadError::TikTok(e)) => return Err(from_tiktok("upload", e)),
            Err(e @ UploadError::Storage(_)) => return Err(retryable(e.to_string())),
        }
        publication::mark_processing(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("recording the upload", e))?;
        tracing::info!(publish_id = %step.publish_id, bytes = total, resumed_from = held, "video uploaded to TikTok");
        Ok(())
    }

    #[activity(definition = RefreshDue)]
    pub async fn refresh_due(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: TokenRefreshInput,
    ) -> Result<Option<u64>, ActivityError> {
        let scope = scope_for(&ctx, input.account.org_id)?;
        let before = chrono::Duration::seconds(input.refresh_before_secs as i64);
        let due = accounts::refresh_due(&self.db, &scope, input.account.account_id, before)
            .await
            .map_err(|e| from_domain("reading the account", e))?;
        Ok(due.map(|d| d.as_secs()))
    }

    #[activity(definition = RefreshNow)]
    pub async fn refresh_now(self: Arc<Self>, ctx: ActivityContext, input: AccountRef) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        // Naming the current token as refused forces the (single-flight) refresh.
        let current = self.token(&scope, input.account_id, None).await?;
        self.token(&scope, input.account_id, Some(&current)).await.map(drop)
    }

    #[activity(definition = FetchMetrics)]
    pub async fn fetch_metrics(self: Arc<Self>, ctx: ActivityContext, input: AccountRef) -> Result<u32, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let posts = publishing::public_posts(&self.db, &scope, input.account_id)
            .await
            .map_err(|e| from_domain("listing published posts", e))?;
        let mut snapshots = Vec::with_capacity(posts.len());
        for batch in posts.chunks(20) {
            let ids: Vec<String> = batch.iter().map(|(_, id)| id.clone()).collect();
            let videos = self
                .with_token(&scope, input.account_id, "video/query", |t| {
                    let (client, ids) = (self.tiktok.clone(), ids.clone());
                    async move { client.query_videos(&t, &ids).await }
                })
                .await?;
            for video in videos {
                if let Some((publication, _)) = batch.iter().find(|(_, id)| *id == video.id) {
                    snapshots.push((*publication, video));
                }
            }
        }
        publishing::record_metrics(&self.db, &scope, snapshots).await.map_err(|e| from_domain("recording metrics", e))
    }

    #[activity(definition = CheckStatus)]
    pub async fn check_status(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: SlotRef,
    ) -> Result<PublishState, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let publication = publishing::publication(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("reading the publication", e))?
            .ok_or_else(|| permanent("the slot has no publication".into()))?;
        let (Some(publish_id), Some(account_id)) = (publication.publish_id.clone(), publication.account_id) else {
            return Err(permanent("the publication was never initiated".into()));
        };
        let status = self
            .with_token(&scope, account_id, "status", |t| {
                let (client, id) = (self.tiktok.clone(), publish_id.clone());
                async move { client.status(&t, &id).await }
            })
            .await?;
        publication::record_status(&self.db, &scope, input.slot_id, &status)
            .await
            .map(publish_state)
            .map_err(|e| from_domain("recording the status", e))
    }
}
