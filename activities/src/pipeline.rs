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
    OrgScope, publishing,
    tiktok::{self as accounts, ConnectError},
};
use entities::slots::SlotStatus;
use platform::metrics;
use platform::{
    secrets::SecretStore,
    storage::{ObjectStore, StorageKey},
    tiktok::{TikTokClient, TikTokError},
};
use sea_orm::{DatabaseConnection, Set};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use temporal::pipeline::{
    AccountRef, CheckStatus, Fail, FailInput, FetchMetrics, Init, Load, PipelineContext, PreparePublication,
    PublishState, RefreshDue, RefreshNow, SetStage, SlotRef, StageInput, StartRender, TokenRefreshInput, Upload,
};
use temporalio_macros::activities;
use temporalio_sdk::{
    ApplicationFailure,
    activities::{ActivityContext, ActivityError},
};
use tokio::io::AsyncReadExt;
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

#[activities]
impl PipelineActivitiesImpl {
    #[activity(definition = Load)]
    pub async fn load(self: Arc<Self>, ctx: ActivityContext, input: SlotRef) -> Result<PipelineContext, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let (slot, project) = publishing::slot_and_project(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("loading", e))?;
        let publication =
            publishing::publication(&self.db, &scope, input.slot_id).await.map_err(|e| from_domain("loading", e))?;
        let (needs_approval, needs_publish_approval) = publishing::gates(&project);
        let status =
            serde_json::to_value(slot.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        Ok(PipelineContext {
            slot_status: status,
            needs_approval,
            needs_publish_approval,
            scheduled_at: slot.scheduled_at.timestamp(),
            decided: publication.as_ref().is_some_and(|p| p.status != "failed"),
            published: publication.as_ref().is_some_and(|p| p.status == "published"),
        })
    }

    #[activity(definition = StartRender)]
    pub async fn start_render(self: Arc<Self>, ctx: ActivityContext, input: SlotRef) -> Result<i32, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let (slot, project) = publishing::slot_and_project(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("loading", e))?;
        // Under autopilot nobody approves: the pipeline does, on the record.
        if slot.status == SlotStatus::Draft && !publishing::gates(&project).0 {
            domain::slots::approve_automatically(&self.db, &scope, slot.id)
                .await
                .map_err(|e| from_domain("approving under autopilot", e))?;
        }
        let slot = domain::rendering::start(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("starting the render", e))?;
        Ok(slot.render_version)
    }

    #[activity(definition = PreparePublication)]
    pub async fn prepare_publication(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: SlotRef,
    ) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let (slot, project) = publishing::slot_and_project(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("loading", e))?;
        let choice: publishing::PublishChoice =
            project.publish_defaults.clone().and_then(|d| serde_json::from_value(d).ok()).ok_or_else(|| {
                permanent("autopilot needs the project's saved publish choices (privacy and toggles)".into())
            })?;
        let account = project
            .tiktok_account_id
            .ok_or_else(|| permanent("the project has no TikTok account; connect one and choose it".into()))?;
        let creator = with_token((&self.db, &*self.secrets, &self.tiktok), &scope, account, "creator_info", |t| {
            let client = self.tiktok.clone();
            async move { client.creator_info(&t).await }
        })
        .await?;
        publishing::check_choice(&choice, &creator).map_err(|e| permanent(format!("the saved choices: {e}")))?;
        let cover = domain::assets::for_render(&self.db, &scope, slot.id, slot.render_version)
            .await
            .map_err(|e| from_domain("reading the video", e))?
            .into_iter()
            .find_map(|a| a.cover_timestamp_ms)
            .unwrap_or(0);
        let info = publishing::post_info(&slot, &choice, cover as i64);
        publishing::decide(&self.db, &scope, slot.id, &info, None, false, input.meta.request_id.clone())
            .await
            .map_err(|e| from_domain("recording the publish choices", e))?;
        Ok(())
    }

    #[activity(definition = SetStage)]
    pub async fn set_stage(self: Arc<Self>, ctx: ActivityContext, input: StageInput) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.slot.org_id)?;
        let status: SlotStatus = serde_json::from_value(serde_json::json!(input.slot_status))
            .map_err(|_| permanent(format!("unknown slot status {}", input.slot_status)))?;
        publishing::set_slot_status(&self.db, &scope, input.slot.slot_id, status, None)
            .await
            .map_err(|e| from_domain("recording the stage", e))
    }

    #[activity(definition = Fail)]
    pub async fn fail(self: Arc<Self>, ctx: ActivityContext, input: FailInput) -> Result<(), ActivityError> {
        let scope = scope_for(&ctx, input.slot.org_id)?;
        tracing::warn!(slot_id = %input.slot.slot_id, reason = %input.reason, "slot pipeline failed");
        publishing::set_slot_status(&self.db, &scope, input.slot.slot_id, SlotStatus::Failed, Some(input.reason))
            .await
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
            let publication = publishing::publication(&self.db, &scope, input.slot_id)
                .await
                .map_err(|e| from_domain("reading the publication", e))?
                .ok_or_else(|| permanent("the slot has no publish decision".into()))?;
            if let Some(id) = publication.publish_id.clone() {
                tracing::info!(publish_id = %id, "init already recorded; reusing it");
                return Ok(id);
            }
            let account_id =
                publication.account_id.ok_or_else(|| permanent("no TikTok account on the publication".into()))?;
            let (slot, project) = publishing::slot_and_project(&self.db, &scope, input.slot_id)
                .await
                .map_err(|e| from_domain("loading", e))?;
            if let Some(limit) = domain::projects::Budgets::of(&project).posts_per_day {
                let today = publishing::publishes_today(&self.db, &scope, project.id)
                    .await
                    .map_err(|e| from_domain("budget", e))?;
                if today >= limit as i64 {
                    return Err(permanent(format!("the project's budget of {limit} posts a day is used up")));
                }
            }
            let info: platform::tiktok::PostInfo = serde_json::from_value(publication.post_info.clone())
                .map_err(|_| permanent("the publish choices are unreadable".into()))?;
            // TikTok's rule: check the creator fresh before every post.
            let creator = self
                .with_token(&scope, account_id, "creator_info", |t| {
                    let client = self.tiktok.clone();
                    async move { client.creator_info(&t).await }
                })
                .await?;
            if !creator.privacy_level_options.contains(&info.privacy_level) {
                return Err(permanent(format!(
                    "privacy {} is not offered by the account any more ({})",
                    info.privacy_level,
                    creator.privacy_level_options.join(", ")
                )));
            }
            let asset = publication.asset_id.ok_or_else(|| permanent("no video on the publication".into()))?;
            let video =
                domain::assets::get(&self.db, &scope, asset).await.map_err(|e| from_domain("reading the video", e))?;
            if video.duration_ms.unwrap_or(0) as i64 > creator.max_video_post_duration_sec * 1000 {
                return Err(permanent(format!(
                    "the video is longer than the {} s this account may post",
                    creator.max_video_post_duration_sec
                )));
            }
            let size = video.size_bytes as u64;
            // Counted before sending: more than one means an answer was lost.
            publishing::update(&self.db, &scope, slot.id, |p| p.init_attempts = Set(publication.init_attempts + 1))
                .await
                .map_err(|e| from_domain("counting the init", e))?;
            let direct = project.post_mode != "inbox";
            let init = self
                .with_token(&scope, account_id, "init", |t| {
                    let (client, info) = (self.tiktok.clone(), info.clone());
                    async move {
                        if direct {
                            client.init_direct(&t, &info, size).await
                        } else {
                            client.init_inbox(&t, size).await
                        }
                    }
                })
                .await?;
            let upload_url = match &init.upload_url {
                Some(url) => Some(
                    self.secrets
                        .encrypt(input.org_id, &SecretString::from(url.clone()))
                        .await
                        .map_err(|e| from_domain("protecting the upload URL", e.into()))?,
                ),
                None => None,
            };
            let publish_id = init.publish_id.clone();
            publishing::update(&self.db, &scope, slot.id, |p| {
                p.publish_id = Set(Some(init.publish_id.clone()));
                p.upload_url_ciphertext = Set(upload_url);
                p.video_bytes = Set(Some(size as i64));
                p.tiktok_open_id = Set(None);
                p.status = Set("initiated".into());
            })
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
        let publication = publishing::publication(&self.db, &scope, input.slot_id)
            .await
            .map_err(|e| from_domain("reading the publication", e))?
            .ok_or_else(|| permanent("the slot has no publication".into()))?;
        if publication.status != "initiated" && publication.status != "uploading" {
            return Ok(());
        }
        let (Some(publish_id), Some(sealed_url), Some(account_id), Some(asset)) = (
            publication.publish_id.clone(),
            publication.upload_url_ciphertext.clone(),
            publication.account_id,
            publication.asset_id,
        ) else {
            return Err(permanent("the publication has no upload to make".into()));
        };
        // Resume from what TikTok holds (a crash may have left part of it there).
        let status = self
            .with_token(&scope, account_id, "status", |t| {
                let (client, id) = (self.tiktok.clone(), publish_id.clone());
                async move { client.status(&t, &id).await }
            })
            .await?;
        if status.status != "PROCESSING_UPLOAD" {
            return self.mark(&scope, input.slot_id, "processing").await;
        }
        let url =
            self.secrets.decrypt(input.org_id, &sealed_url).await.map_err(|e| from_domain("upload URL", e.into()))?;
        let video =
            domain::assets::get(&self.db, &scope, asset).await.map_err(|e| from_domain("reading the video", e))?;
        let key = StorageKey::parse(&video.storage_key).map_err(|e| permanent(e.to_string()))?;
        let mut bytes = Vec::with_capacity(video.size_bytes as usize);
        let mut read = self.storage.read(&key, None).await.map_err(|e| retryable(format!("reading the video: {e}")))?;
        read.body.read_to_end(&mut bytes).await.map_err(|e| retryable(format!("reading the video: {e}")))?;
        let total = bytes.len() as u64;
        let mut held = status.uploaded_bytes.unwrap_or(0).max(0) as u64;
        self.mark(&scope, input.slot_id, "uploading").await?;
        for (first, last) in platform::tiktok::chunk_plan(total, self.tiktok.chunk_bytes()) {
            if last < held {
                continue;
            }
            let chunk = bytes[first as usize..=last as usize].to_vec();
            match self.tiktok.upload_chunk(url.expose_secret(), chunk, first, total).await {
                Ok((now_held, done)) => {
                    held = now_held;
                    if done {
                        break;
                    }
                }
                Err(e) => return Err(from_tiktok("upload", e)),
            }
        }
        self.mark(&scope, input.slot_id, "processing").await?;
        tracing::info!(%publish_id, bytes = total, "video uploaded to TikTok");
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
        let public = publication.privacy_level.as_deref() == Some("PUBLIC_TO_EVERYONE");
        let state = match status.status.as_str() {
            "PUBLISH_COMPLETE" => {
                let post_id = status.post_ids.first().cloned();
                let id = post_id.clone();
                publishing::update(&self.db, &scope, input.slot_id, |p| {
                    p.status = Set("published".into());
                    if id.is_some() {
                        p.public_post_id = Set(id);
                    }
                    if p.published_at.as_ref().is_none() {
                        p.published_at = Set(Some(chrono::Utc::now().fixed_offset()));
                    }
                })
                .await
                .map_err(|e| from_domain("recording the post", e))?;
                PublishState::Complete { post_id, public }
            }
            "SEND_TO_USER_INBOX" => {
                self.mark(&scope, input.slot_id, "sent_to_inbox").await?;
                PublishState::SentToInbox
            }
            "FAILED" => {
                let reason = status.fail_reason.unwrap_or_else(|| "unknown".into());
                let r = reason.clone();
                publishing::update(&self.db, &scope, input.slot_id, |p| {
                    p.status = Set("failed".into());
                    p.fail_reason = Set(Some(r));
                })
                .await
                .map_err(|e| from_domain("recording the failure", e))?;
                PublishState::Failed { reason }
            }
            _ => PublishState::Processing,
        };
        Ok(state)
    }
}

impl PublishActivitiesImpl {
    async fn mark(&self, scope: &OrgScope, slot_id: Uuid, status: &str) -> Result<(), ActivityError> {
        publishing::update(&self.db, scope, slot_id, |p| p.status = Set(status.to_owned()))
            .await
            .map(drop)
            .map_err(|e| from_domain("recording the publication status", e))
    }
}
