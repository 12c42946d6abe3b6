//! Path parameters below `/api/orgs/{org_id}`. The org itself is read by
//! the `OrgCtx` extractor, so each struct names only its own id (serde
//! ignores the other parameters).

use serde::Deserialize;
use uuid::Uuid;

macro_rules! id_path {
    ($($name:ident { $field:ident }),* $(,)?) => {$(
        #[derive(Deserialize)]
        pub(crate) struct $name {
            pub(crate) $field: Uuid,
        }
    )*};
}

id_path!(
    ProjectPath { project_id },
    PlanPath { plan_id },
    SlotPath { slot_id },
    MemberPath { user_id },
    InvitationPath { invitation_id },
    AssetPath { asset_id },
    ImportPath { import_id },
    CredentialPath { credential_id },
    TikTokAccountPath { account_id },
    ProposalPath { proposal_id },
);
