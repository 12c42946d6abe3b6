//! Workflow ids carry the business key, so a run is found by what it is
//! about and a second start for the same thing meets the first.

use uuid::Uuid;

pub fn plan_workflow_id(org_id: Uuid, plan_id: Uuid) -> String {
    format!("{org_id}:plan:{plan_id}")
}

pub fn slot_workflow_id(org_id: Uuid, slot_id: Uuid) -> String {
    format!("{org_id}:slot:{slot_id}")
}

/// The slot a pipeline run is about, if `workflow_id` is one.
pub fn slot_of_pipeline_workflow_id(workflow_id: &str) -> Option<Uuid> {
    match workflow_id.split(':').collect::<Vec<_>>()[..] {
        [_, "slot", slot] => slot.parse().ok(),
        _ => None,
    }
}

/// "AI improve" of one slot: one at a time per slot.
pub fn slot_improve_workflow_id(org_id: Uuid, slot_id: Uuid) -> String {
    format!("{org_id}:slot-improve:{slot_id}")
}

/// One render of a slot: each version is its own run, so a re-render never
/// meets the history of the last one.
pub fn slot_render_workflow_id(org_id: Uuid, slot_id: Uuid, version: i32) -> String {
    format!("{org_id}:render:{slot_id}:v{version}")
}

/// The preview of one content version of a slot: asking again for the
/// same content joins (or reuses) the same run.
pub fn slot_preview_workflow_id(org_id: Uuid, slot_id: Uuid, version: i32) -> String {
    format!("{org_id}:preview:{slot_id}:v{version}")
}

/// One import of a long video; a retry is a new run of the same id.
pub fn import_workflow_id(org_id: Uuid, import_id: Uuid) -> String {
    format!("{org_id}:import:{import_id}")
}

/// The schedule that snapshots an account's post metrics (its runs get
/// this id plus a timestamp).
pub fn metrics_schedule_id(org_id: Uuid, account_id: Uuid) -> String {
    format!("{org_id}:metrics:{account_id}")
}

pub fn tiktok_refresh_workflow_id(org_id: Uuid, account_id: Uuid) -> String {
    format!("{org_id}:tiktok-refresh:{account_id}")
}

/// The org a workflow id belongs to, for checks that a run seen through the
/// API is the caller's.
pub fn org_of_workflow_id(workflow_id: &str) -> Option<Uuid> {
    workflow_id.split_once(':').and_then(|(org, _)| org.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_ids_give_back_their_slot() {
        let (org, slot) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(slot_of_pipeline_workflow_id(&slot_workflow_id(org, slot)), Some(slot));
        assert_eq!(slot_of_pipeline_workflow_id(&slot_improve_workflow_id(org, slot)), None);
        assert_eq!(slot_of_pipeline_workflow_id(&slot_render_workflow_id(org, slot, 1)), None);
    }

    #[test]
    fn ids_lead_with_the_org_and_name_the_business_key() {
        let org = Uuid::from_u128(1);
        let plan = Uuid::from_u128(2);
        let id = plan_workflow_id(org, plan);
        assert_eq!(id, format!("{org}:plan:{plan}"));
        assert_eq!(org_of_workflow_id(&id), Some(org));
        assert_eq!(org_of_workflow_id("not-an-org:plan:x"), None);
        assert!(slot_workflow_id(org, plan).contains(":slot:"));
        assert!(tiktok_refresh_workflow_id(org, plan).contains(":tiktok-refresh:"));
    }
}
