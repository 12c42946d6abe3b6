//! sea-orm entity models of Reelpilot's schema (see `migration/`). Plain
//! data and relations only; behaviour lives in the `domain` crate.

pub mod access_tokens;
pub mod assets;
pub mod audit_log;
pub mod budget_reservations;
pub mod credentials;
pub mod email_tokens;
pub mod highlights;
pub mod imports;
pub mod invitations;
pub mod knowledge_documents;
pub mod llm_calls;
pub mod memberships;
pub mod oauth_states;
pub mod organizations;
pub mod plans;
pub mod policy_rules;
pub mod post_metrics;
pub mod project_summaries;
pub mod projects;
pub mod prompt_proposals;
pub mod prompts;
pub mod publications;
pub mod refresh_tokens;
pub mod sessions;
pub mod slots;
pub mod tiktok_accounts;
pub mod transcript_segments;
pub mod transcripts;
pub mod usage_ledger;
pub mod users;

pub mod prelude {
    pub use crate::{
        assets::Entity as Assets, audit_log::Entity as AuditLog, memberships::Entity as Memberships,
        organizations::Entity as Organizations, plans::Entity as Plans, projects::Entity as Projects,
        publications::Entity as Publications, slots::Entity as Slots, usage_ledger::Entity as UsageLedger,
        users::Entity as Users,
    };
}
