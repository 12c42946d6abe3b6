//! What every activity derives from its context: the org it may act for
//! and the span its logs carry.

use crate::errors::permanent;
use domain::OrgScope;
use temporal::{RunMeta, ids::org_of_workflow_id};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use uuid::Uuid;

/// The org an activity acts for, re-checked against the workflow id it
/// runs under: a workflow input naming another org is refused.
pub(crate) fn scope_for(ctx: &ActivityContext, org_id: Uuid) -> Result<OrgScope, ActivityError> {
    let workflow_org = ctx.info().workflow_id.as_deref().and_then(org_of_workflow_id);
    if workflow_org != Some(org_id) {
        return Err(permanent(format!(
            "activity input names org {org_id} but runs under workflow {:?}",
            ctx.info().workflow_id
        )));
    }
    Ok(OrgScope::new(org_id))
}

pub(crate) fn span(ctx: &ActivityContext, org_id: Uuid, meta: &RunMeta) -> tracing::Span {
    let info = ctx.info();
    tracing::info_span!(
        "activity",
        activity_type = %info.activity_type,
        activity_id = %info.activity_id,
        attempt = info.attempt,
        workflow_id = info.workflow_id.as_deref().unwrap_or(""),
        request_id = meta.request_id.as_deref().unwrap_or(""),
        org_id = %org_id,
    )
}
