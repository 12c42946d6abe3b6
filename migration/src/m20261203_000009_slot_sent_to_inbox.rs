//! An inbox draft that reached the creator's TikTok app ends its slot's
//! pipeline in its own state, `sent_to_inbox`, instead of leaving the slot
//! `publishing` for ever.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261203_000009_slot_sent_to_inbox", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
ALTER TABLE slots DROP CONSTRAINT slots_status_check;
ALTER TABLE slots ADD CONSTRAINT slots_status_check
    CHECK (status IN ('empty', 'draft', 'approved', 'rendering', 'rendered',
                      'publish_approved', 'publishing', 'published', 'sent_to_inbox', 'failed'));
"#;

const DOWN: &str = r#"
UPDATE slots SET status = 'publishing' WHERE status = 'sent_to_inbox';
ALTER TABLE slots DROP CONSTRAINT slots_status_check;
ALTER TABLE slots ADD CONSTRAINT slots_status_check
    CHECK (status IN ('empty', 'draft', 'approved', 'rendering', 'rendered',
                      'publish_approved', 'publishing', 'published', 'failed'));
"#;
