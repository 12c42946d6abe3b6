//! The activities of `DeleteOrg`. Each is idempotent (stopping what is
//! already stopped, destroying what is already gone is fine), so a retry
//! after a crash simply runs it again. All of them heartbeat while they
//! work, so a worker that died is noticed within the heartbeat timeout.

use crate::{
    context::{scope_for, span},
    errors::{from_domain, permanent},
};
use domain::{
    OrgScope,
    identity::orgs::{self, Removal},
    integrations::credentials::Acting,
    publishing::tiktok::{self as accounts, ConnectError},
};
use futures::StreamExt;
use platform::{
    secrets::SecretStore,
    storage::{ObjectStore, StorageKey},
    tiktok::TikTokClient,
};
use sea_orm::DatabaseConnection;
use std::{future::Future, sync::Arc, time::Duration};
use temporal::{
    ids,
    org::{DeleteObjects, DeleteOrgInput, DeleteRows, DeleteSecrets, RevokeTiktok, StopWork, StoppedWork},
};
use temporalio_client::{
    Client, WorkflowListOptions, WorkflowTerminateOptions, errors::WorkflowInteractionError, schedules::ScheduleError,
    tonic::Code,
};
use temporalio_common::UntypedWorkflow;
use temporalio_macros::activities;
use temporalio_sdk::{
    ApplicationFailure,
    activities::{ActivityContext, ActivityError},
};
use tracing::Instrument;

pub struct OrgActivitiesImpl {
    pub db: DatabaseConnection,
    /// To delete the org's schedules and terminate its runs.
    pub temporal: Client,
    pub secrets: Arc<dyn SecretStore>,
    pub storage: Arc<dyn ObjectStore>,
    pub tiktok: Arc<TikTokClient>,
}

/// How often a step tells Temporal it is alive (well inside the
/// workflow's heartbeat timeout).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// Objects deleted (and their assets forgotten) per round.
const OBJECT_BATCH: u64 = 200;
/// Listing and terminating the org's runs until a round finds none left.
const STOP_ROUNDS: usize = 10;
const TERMINATE_REASON: &str = "the organisation is being deleted";

fn retryable(message: String) -> ActivityError {
    tracing::warn!(%message, "deletion step failed; will retry");
    ActivityError::Application(Box::new(ApplicationFailure::new(message)))
}

/// Runs `work` while heartbeating, so the step's liveness does not depend
/// on how long any one call of it takes.
async fn heartbeating<T>(ctx: &ActivityContext, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    loop {
        ctx.record_heartbeat(()).await.ok();
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep(HEARTBEAT_EVERY) => {}
        }
    }
}

fn not_found(status: &temporalio_client::tonic::Status) -> bool {
    status.code() == Code::NotFound
}

#[activities]
impl OrgActivitiesImpl {
    #[activity(definition = StopWork)]
    pub async fn stop_work(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: DeleteOrgInput,
    ) -> Result<StoppedWork, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let own = ctx.info().workflow_id.clone().unwrap_or_default();
        let span = span(&ctx, input.org_id, &input.meta);
        heartbeating(&ctx, self.stop(scope, &own).instrument(span)).await
    }

    #[activity(definition = RevokeTiktok)]
    pub async fn revoke_tiktok(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: DeleteOrgInput,
    ) -> Result<u32, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        heartbeating(&ctx, self.revoke(scope, &input).instrument(span)).await
    }

    #[activity(definition = DeleteSecrets)]
    pub async fn delete_secrets(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: DeleteOrgInput,
    ) -> Result<u32, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        let work = async {
            let destroyed = orgs::destroy_secrets(&self.db, &*self.secrets, &scope)
                .await
                .map_err(|e| from_domain("destroying the org's secrets", e))?;
            tracing::info!(destroyed, "the org's secrets are destroyed");
            Ok(destroyed)
        };
        heartbeating(&ctx, work.instrument(span)).await
    }

    #[activity(definition = DeleteObjects)]
    pub async fn delete_objects(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: DeleteOrgInput,
    ) -> Result<u32, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        let work = async {
            let mut deleted = 0;
            loop {
                let batch = orgs::stored_objects(&self.db, &scope, OBJECT_BATCH)
                    .await
                    .map_err(|e| from_domain("listing the org's stored objects", e))?;
                if batch.is_empty() {
                    break;
                }
                deleted += self.delete_batch(&scope, &batch).await?;
            }
            tracing::info!(deleted, "the org's stored objects are deleted");
            Ok(deleted)
        };
        heartbeating(&ctx, work.instrument(span)).await
    }

    #[activity(definition = DeleteRows)]
    pub async fn delete_rows(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: DeleteOrgInput,
    ) -> Result<u32, ActivityError> {
        let scope = scope_for(&ctx, input.org_id)?;
        let span = span(&ctx, input.org_id, &input.meta);
        let work = async {
            let mut late = 0;
            loop {
                match orgs::delete(&self.db, &scope).await.map_err(|e| from_domain("deleting the org's rows", e))? {
                    Removal::Deleted => {
                        tracing::info!(late, "the organisation is deleted");
                        return Ok(late);
                    }
                    Removal::AlreadyGone => return Ok(late),
                    Removal::ObjectsLeft(batch) => {
                        tracing::info!(count = batch.len(), "objects recorded after their sweep; deleting them first");
                        late += self.delete_batch(&scope, &batch).await?;
                    }
                }
            }
        };
        heartbeating(&ctx, work.instrument(span)).await
    }
}

impl OrgActivitiesImpl {
    /// Deletes the org's schedules (metrics per account, analytics per
    /// project), then terminates its runs: the
    /// token refresh of each account by id, and every other run visibility
    /// lists for the org (its `OrgId`, or an id under `{org}:` for runs
    /// started without the attribute: child renders, scheduled metrics).
    async fn stop(&self, scope: OrgScope, own: &str) -> Result<StoppedWork, ActivityError> {
        let org = scope.org_id();
        let accounts =
            accounts::list(&self.db, &scope).await.map_err(|e| from_domain("listing the org's TikTok accounts", e))?;
        let projects = domain::planning::projects::list(&self.db, &scope)
            .await
            .map_err(|e| from_domain("listing the org's projects", e))?;
        let mut stopped = StoppedWork::default();
        let schedules = accounts
            .iter()
            .map(|a| ids::metrics_schedule_id(org, a.id))
            .chain(projects.iter().map(|p| temporal::analytics::analytics_schedule_id(org, p.id)));
        for id in schedules.collect::<Vec<_>>() {
            match self.temporal.get_schedule_handle(&id).delete(Default::default()).await {
                Ok(()) => stopped.schedules += 1,
                Err(ScheduleError::Rpc(status)) if not_found(&status) => {}
                Err(e) => return Err(retryable(format!("deleting schedule {id}: {e}"))),
            }
        }
        let known = accounts.iter().map(|a| ids::tiktok_refresh_workflow_id(org, a.id));
        for workflow_id in known.collect::<Vec<_>>() {
            stopped.runs += u32::from(self.terminate(&workflow_id).await?);
        }
        // Visibility may lag a terminate; a round that stops nothing ends it.
        let query = format!("(OrgId = '{org}' OR WorkflowId STARTS_WITH '{org}:') AND ExecutionStatus = 'Running'");
        for _ in 0..STOP_ROUNDS {
            let mut running = Vec::new();
            let mut listed =
                self.temporal.list_workflows(query.clone(), WorkflowListOptions::builder().limit(500).build());
            while let Some(execution) = listed.next().await {
                let execution = execution.map_err(|e| retryable(format!("listing the org's runs: {e}")))?;
                if execution.id() != own {
                    running.push(execution.id().to_owned());
                }
            }
            let mut terminated = 0;
            for workflow_id in &running {
                terminated += u32::from(self.terminate(workflow_id).await?);
            }
            stopped.runs += terminated;
            if terminated == 0 {
                break;
            }
        }
        tracing::info!(schedules = stopped.schedules, runs = stopped.runs, "the org's work is stopped");
        Ok(stopped)
    }

    /// Terminates a run (no clean-up of its own: everything it could clean
    /// up is about to be deleted); true if one was running.
    async fn terminate(&self, workflow_id: &str) -> Result<bool, ActivityError> {
        let handle = self.temporal.get_workflow_handle::<UntypedWorkflow>(workflow_id);
        let options = WorkflowTerminateOptions::builder().reason(TERMINATE_REASON.to_owned()).build();
        match handle.terminate(options).await {
            Ok(()) => {
                tracing::info!(workflow_id, "run terminated");
                Ok(true)
            }
            // Never started, or already closed.
            Err(WorkflowInteractionError::NotFound(_)) => Ok(false),
            Err(e) => Err(retryable(format!("terminating {workflow_id}: {e}"))),
        }
    }

    /// Disconnects every account (TikTok revokes, best effort and logged;
    /// the tokens are destroyed) and drops unconfirmed handshakes.
    async fn revoke(&self, scope: OrgScope, input: &DeleteOrgInput) -> Result<u32, ActivityError> {
        let acting = Acting { user_id: input.requested_by, request_id: input.meta.request_id.clone() };
        let list =
            accounts::list(&self.db, &scope).await.map_err(|e| from_domain("listing the org's TikTok accounts", e))?;
        for account in &list {
            accounts::disconnect(&self.db, &*self.secrets, &self.tiktok, &scope, &acting, account.id).await.map_err(
                |e| match e {
                    ConnectError::Domain(e) => from_domain("disconnecting a TikTok account", e),
                    other => retryable(format!("disconnecting TikTok account {}: {other}", account.id)),
                },
            )?;
            tracing::info!(account_id = %account.id, "TikTok account disconnected for the deletion");
        }
        let pending = orgs::drop_pending_connections(&self.db, &*self.secrets, &self.tiktok, scope.org_id())
            .await
            .map_err(|e| from_domain("dropping unconfirmed TikTok connections", e))?;
        tracing::info!(accounts = list.len(), pending, "the org's TikTok grants are revoked");
        Ok(list.len() as u32)
    }

    /// Deletes a batch of objects, then forgets their assets.
    async fn delete_batch(&self, scope: &OrgScope, batch: &[(uuid::Uuid, String)]) -> Result<u32, ActivityError> {
        for (_, key) in batch {
            let key = StorageKey::parse(key).map_err(|e| permanent(format!("an asset's storage key: {e}")))?;
            if key.org_id() != scope.org_id() {
                return Err(permanent(format!("asset key {} is not the org's", key.as_str())));
            }
            self.storage.delete(&key).await.map_err(|e| retryable(format!("deleting object {}: {e}", key.as_str())))?;
        }
        let ids: Vec<uuid::Uuid> = batch.iter().map(|(id, _)| *id).collect();
        orgs::forget_assets(&self.db, scope, &ids).await.map_err(|e| from_domain("forgetting deleted assets", e))?;
        Ok(batch.len() as u32)
    }
}
