//! Deleting an organisation is a durable run (`DeleteOrg`); the row first
//! records when its deletion was requested. From then on the org is
//! invisible to its members (`domain::identity::orgs`), while the run removes its
//! work, grants, secrets, objects and finally its rows. The scoped role may
//! set the mark (in the transaction that audits the request).

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261203_000010_org_deletion", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
ALTER TABLE organizations ADD COLUMN deletion_requested_at timestamptz;
GRANT UPDATE (deletion_requested_at) ON organizations TO reelpilot_app;
"#;

const DOWN: &str = r#"
REVOKE UPDATE (deletion_requested_at) ON organizations FROM reelpilot_app;
ALTER TABLE organizations DROP COLUMN deletion_requested_at;
"#;
