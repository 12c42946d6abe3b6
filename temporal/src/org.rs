//! Deleting an organisation: a durable run that stops the org's work,
//! revokes its TikTok grants, destroys its secrets and stored objects, then
//! deletes its rows. Every step is idempotent, so a crash part-way just
//! repeats the step; the org is invisible to its members from the moment
//! the deletion is requested (the API marks it first).

use crate::RunMeta;
use serde::{Deserialize, Serialize};
use temporalio_common::ActivityError;
use temporalio_macros::activity_definitions;
use uuid::Uuid;

pub const DELETE_ORG_WORKFLOW: &str = "DeleteOrg";

/// One deletion per org: a repeated request joins the running one.
pub fn delete_org_workflow_id(org_id: Uuid) -> String {
    format!("{org_id}:delete")
}

/// The deletion's input, and what each of its activities receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteOrgInput {
    pub org_id: Uuid,
    /// The owner who asked (audit entries of the steps name them).
    pub requested_by: Uuid,
    pub meta: RunMeta,
}

/// Where a deletion is, in the order it goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionStep {
    #[default]
    StoppingWork,
    RevokingTikTok,
    DeletingSecrets,
    DeletingObjects,
    DeletingRows,
    Done,
}

/// What the stop step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoppedWork {
    /// Metrics schedules deleted.
    pub schedules: u32,
    /// Running workflows (pipelines, renders, token refreshes, ...) terminated.
    pub runs: u32,
}

/// The deletion's progress (the `status` query) and its result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionStatus {
    pub step: DeletionStep,
    pub stopped: StoppedWork,
    /// TikTok accounts disconnected (TikTok asked to revoke, tokens destroyed).
    pub tiktok_accounts: u32,
    /// Secret store paths destroyed (credentials).
    pub secrets: u32,
    /// Stored objects deleted.
    pub objects: u32,
}

pub struct OrgActivities;

// Definitions only: the SDK requires `unimplemented!()` bodies here.
#[allow(clippy::unimplemented)]
#[activity_definitions]
impl OrgActivities {
    /// Deletes the org's metrics schedules and terminates every run of the
    /// org but this deletion (pipelines and their renders, token refreshes,
    /// plans, ...). Returns what it stopped.
    #[activity(name = "org.stop_work")]
    pub fn stop_work(input: DeleteOrgInput) -> Result<StoppedWork, ActivityError> {
        unimplemented!()
    }

    /// Disconnects every TikTok account of the org: TikTok is asked to
    /// revoke (best effort, logged), the stored tokens are destroyed; the
    /// grants of handshakes never confirmed are revoked too. Returns the
    /// number of accounts.
    #[activity(name = "org.revoke_tiktok")]
    pub fn revoke_tiktok(input: DeleteOrgInput) -> Result<u32, ActivityError> {
        unimplemented!()
    }

    /// Destroys every secret the org keeps in the secret store; returns how
    /// many paths.
    #[activity(name = "org.delete_secrets")]
    pub fn delete_secrets(input: DeleteOrgInput) -> Result<u32, ActivityError> {
        unimplemented!()
    }

    /// Deletes every stored object the org's assets point at (uploads,
    /// renders, thumbnails); returns how many.
    #[activity(name = "org.delete_objects")]
    pub fn delete_objects(input: DeleteOrgInput) -> Result<u32, ActivityError> {
        unimplemented!()
    }

    /// Deletes the org's rows (the organisation row; the rest cascades),
    /// after deleting the objects of assets recorded since the last step.
    /// Returns how many such late objects it deleted.
    #[activity(name = "org.delete_rows")]
    pub fn delete_rows(input: DeleteOrgInput) -> Result<u32, ActivityError> {
        unimplemented!()
    }
}

// The activity markers the implementations in the `activities` crate bind to.
pub use org_activities::{DeleteObjects, DeleteRows, DeleteSecrets, RevokeTiktok, StopWork};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deletion_id_leads_with_the_org() {
        let org = Uuid::from_u128(7);
        let id = delete_org_workflow_id(org);
        assert_eq!(id, format!("{org}:delete"));
        assert_eq!(crate::ids::org_of_workflow_id(&id), Some(org));
    }
}
