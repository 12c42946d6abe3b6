//! Month-plan generation: the prompt library (versioned prompts and brand
//! voice), the audit of every LLM call, progress on plans, and the review
//! notes and prompt version on slots.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261121_000004_generation", up: UP, down: DOWN, tenant_tables: &["prompts", "llm_calls"] };

const UP: &str = r#"
CREATE TABLE prompts (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id  uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('brand_voice', 'instructions')),
    version     integer NOT NULL CHECK (version >= 1),
    body        text NOT NULL,
    created_by  uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
    UNIQUE (project_id, kind, version)
);
CREATE INDEX prompts_org_project_idx ON prompts (org_id, project_id, kind, version DESC);

CREATE TABLE llm_calls (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id        uuid,
    plan_id           uuid,
    slot_id           uuid,
    purpose           text NOT NULL,
    prompt_versions   jsonb NOT NULL DEFAULT '{}',
    model             text NOT NULL,
    tokens_in         integer NOT NULL DEFAULT 0,
    tokens_out        integer NOT NULL DEFAULT 0,
    cost_micros       bigint NOT NULL DEFAULT 0,
    latency_ms        integer NOT NULL,
    outcome           text NOT NULL CHECK (outcome IN ('ok', 'invalid_output', 'http_error', 'timeout')),
    error             text,
    workflow_id       text,
    attempt           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX llm_calls_org_time_idx ON llm_calls (org_id, created_at DESC);
CREATE INDEX llm_calls_plan_idx ON llm_calls (org_id, plan_id);

ALTER TABLE plans ADD COLUMN batches_total integer NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN batches_done integer NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN prompt_versions jsonb NOT NULL DEFAULT '{}';

ALTER TABLE slots ADD COLUMN review_notes jsonb NOT NULL DEFAULT '[]';
ALTER TABLE slots ADD COLUMN prompt_versions jsonb NOT NULL DEFAULT '{}';

"#;

const DOWN: &str = r#"
ALTER TABLE slots DROP COLUMN IF EXISTS prompt_versions, DROP COLUMN IF EXISTS review_notes;
ALTER TABLE plans DROP COLUMN IF EXISTS prompt_versions, DROP COLUMN IF EXISTS batches_done,
    DROP COLUMN IF EXISTS batches_total;
DROP TABLE IF EXISTS llm_calls, prompts;
"#;
