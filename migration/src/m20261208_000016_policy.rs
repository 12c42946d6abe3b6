//! The policy engine (`domain::policy`): an org's own rules, on top of the
//! built-in TikTok guideline categories, run on every draft, before the
//! render and before the post; a slot a rule blocks keeps why, and an
//! admin's override (with a reason) for the version they read.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261208_000016_policy", up: UP, down: DOWN, tenant_tables: &["policy_rules"] };

const UP: &str = r#"
CREATE TABLE policy_rules (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- What the rule looks for (`domain::policy::RuleTest`): {"kind": "terms",
    -- "terms": [...]}, {"kind": "pattern", "pattern": "..."}, {"kind":
    -- "category", "category": "..."} or {"kind": "classifier", "question": "..."}.
    test        jsonb NOT NULL CHECK (jsonb_typeof(test) = 'object' AND test ? 'kind'),
    -- block: the slot stops before render and before publish; warn: a note.
    severity    text NOT NULL CHECK (severity IN ('block', 'warn')),
    enabled     boolean NOT NULL DEFAULT true,
    created_by  uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

-- Why the slot's pipeline stopped: {"moment", "findings": [{rule_id, rule,
-- severity, reason}], "version", "at"}; NULL when nothing blocks it.
ALTER TABLE slots ADD COLUMN policy_block jsonb;
-- An admin let this version of the slot through: {"by", "reason",
-- "version", "at", "findings"}; an edit (a new version) needs a new one.
ALTER TABLE slots ADD COLUMN policy_override jsonb;
"#;

const DOWN: &str = r#"
ALTER TABLE slots DROP COLUMN policy_override;
ALTER TABLE slots DROP COLUMN policy_block;
DROP TABLE policy_rules;
"#;
