//! The prompt engineering agent's proposals: a revised version of a
//! project's standing instructions, from what drafting kept getting wrong
//! and what worked, which a person accepts (it becomes the next version)
//! or dismisses (`domain::planning::prompt_review`).

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration = SqlMigration {
    name: "m20261211_000019_prompt_proposals",
    up: UP,
    down: DOWN,
    tenant_tables: &["prompt_proposals"],
};

const UP: &str = r#"
CREATE TABLE prompt_proposals (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id        uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    -- The plan whose drafting it learned from.
    plan_id           uuid NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('instructions')),
    body              text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 8000),
    rationale         text NOT NULL,
    -- The version it revises; accepting a proposal after a newer version
    -- still makes it the next one (a person saw both).
    based_on_version  integer NOT NULL,
    prompt_version    integer NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'dismissed')),
    decided_by        uuid REFERENCES users(id) ON DELETE SET NULL,
    decided_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (plan_id, kind)
);
CREATE INDEX prompt_proposals_project ON prompt_proposals (project_id, created_at DESC);
"#;

const DOWN: &str = r#"
DROP TABLE prompt_proposals;
"#;
