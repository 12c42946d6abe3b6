//! The month's brief, written by the creative agent before drafting: the
//! series that run through the month (name, angle, days) and the trends it
//! built on (`domain::planning::creative::Brief`).

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261209_000017_plan_brief", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
-- {"series": [{"name", "angle", "days": [1, 8, ...]}], "trends": {...}}; NULL
-- until the creative agent has written it.
ALTER TABLE plans ADD COLUMN brief jsonb;
"#;

const DOWN: &str = r#"
ALTER TABLE plans DROP COLUMN brief;
"#;
