//! Rendering: each slot counts its renders (the version in its storage
//! keys), points at its current video and its chosen background upload,
//! and keeps the reason of a failed render.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261122_000005_rendering", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
ALTER TABLE slots ADD COLUMN render_version integer NOT NULL DEFAULT 0 CHECK (render_version >= 0);
ALTER TABLE slots ADD COLUMN render_error text;
ALTER TABLE slots ADD COLUMN video_asset_id uuid REFERENCES assets(id) ON DELETE SET NULL;
ALTER TABLE slots ADD COLUMN background_asset_id uuid REFERENCES assets(id) ON DELETE SET NULL;
"#;

const DOWN: &str = r#"
ALTER TABLE slots DROP COLUMN background_asset_id;
ALTER TABLE slots DROP COLUMN video_asset_id;
ALTER TABLE slots DROP COLUMN render_error;
ALTER TABLE slots DROP COLUMN render_version;
"#;
