//! A slot can be a highlight of an import: its video is the highlight's
//! clip (the real speech, captions timed to the words said), not a voiced
//! script. A slot holds at most one highlight.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261205_000012_clip_slots", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
ALTER TABLE slots ADD COLUMN clip_asset_id uuid REFERENCES assets(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX highlights_slot_idx ON highlights (slot_id) WHERE slot_id IS NOT NULL;
"#;

const DOWN: &str = r#"
DROP INDEX highlights_slot_idx;
ALTER TABLE slots DROP COLUMN clip_asset_id;
"#;
