//! Scenes and a searchable library (`domain::media::shots`,
//! `domain::media::footage`): a slot's shot list (`[]` reads as derived
//! from its script), uploads named and tagged so scenes can find them, and
//! previews (`domain::media::rendering::record_preview`) as an asset kind.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261206_000014_shots_and_library", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
ALTER TABLE slots ADD COLUMN shots jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(shots) = 'array');
ALTER TABLE assets ADD COLUMN name text CHECK (char_length(name) <= 200);
ALTER TABLE assets ADD COLUMN tags jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(tags) = 'array');
CREATE INDEX assets_uploads_by_org ON assets (org_id, created_at DESC) WHERE kind = 'upload';
ALTER TABLE assets DROP CONSTRAINT assets_kind_check;
ALTER TABLE assets ADD CONSTRAINT assets_kind_check
    CHECK (kind IN ('video', 'thumbnail', 'audio', 'captions', 'upload', 'import', 'clip', 'preview'));
"#;

const DOWN: &str = r#"
DELETE FROM assets WHERE kind = 'preview';
ALTER TABLE assets DROP CONSTRAINT assets_kind_check;
ALTER TABLE assets ADD CONSTRAINT assets_kind_check
    CHECK (kind IN ('video', 'thumbnail', 'audio', 'captions', 'upload', 'import', 'clip'));
DROP INDEX assets_uploads_by_org;
ALTER TABLE assets DROP COLUMN tags;
ALTER TABLE assets DROP COLUMN name;
ALTER TABLE slots DROP COLUMN shots;
"#;
