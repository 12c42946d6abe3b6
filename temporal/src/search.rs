//! Search attributes every run carries, so operators can filter the
//! Temporal UI by org, project and slot. They are registered when the dev
//! server starts (`scripts/lib.sh`) and by the compose setup.

use temporalio_common::search_attributes::SearchAttributeKey;

pub const ORG_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("OrgId");
pub const PROJECT_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("ProjectId");
pub const SLOT_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("SlotId");

/// Every custom attribute name, for setup scripts and tests.
pub const NAMES: [&str; 3] = ["OrgId", "ProjectId", "SlotId"];
