//! How a project's videos look and sound (`domain::media::style`): the
//! caption preset and the music under the voice; `{}` reads as the defaults.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261205_000013_video_style", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
ALTER TABLE projects ADD COLUMN video_style jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(video_style) = 'object');
"#;

const DOWN: &str = r#"
ALTER TABLE projects DROP COLUMN video_style;
"#;
