//! The analytics agent's weekly summaries: per project and week, what worked
//! and what to try next (`domain::insights::weekly`).

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration = SqlMigration {
    name: "m20261210_000018_weekly_summaries",
    up: UP,
    down: DOWN,
    tenant_tables: &["project_summaries"],
};

const UP: &str = r#"
CREATE TABLE project_summaries (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id      uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    -- The Monday of the week it sums up; a second run that week replaces it.
    week_start      date NOT NULL,
    -- {"headline", "worked": [...], "try_next": [...], "posts_measured", "trends"}
    summary         jsonb NOT NULL CHECK (jsonb_typeof(summary) = 'object'),
    prompt_version  integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, week_start)
);
CREATE INDEX project_summaries_project ON project_summaries (project_id, week_start DESC);
"#;

const DOWN: &str = r#"
DROP TABLE project_summaries;
"#;
