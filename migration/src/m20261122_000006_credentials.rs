//! Provider credentials: what the org has stored in the secret store (never
//! the secret itself: its path, versions, a fingerprint and the last four
//! characters), with the version waiting to replace it after a rotation.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261122_000006_credentials", up: UP, down: DOWN, tenant_tables: &["credentials"] };

const UP: &str = r#"
CREATE TABLE credentials (
    id                  uuid PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    provider            text NOT NULL CHECK (provider IN ('llm', 'tiktok')),
    label               text NOT NULL,
    secret_path         text NOT NULL UNIQUE CHECK (secret_path LIKE 'org/' || org_id::text || '/%'),
    current_version     integer NOT NULL CHECK (current_version >= 1),
    fingerprint         text NOT NULL,
    last4               text NOT NULL,
    pending_version     integer,
    pending_fingerprint text,
    pending_last4       text,
    status              text NOT NULL CHECK (status IN ('active', 'revoked')),
    created_by          uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    revoked_at          timestamptz
);
CREATE INDEX credentials_org_idx ON credentials (org_id, created_at DESC);
-- One LLM key per org at a time: the one the planner uses.
CREATE UNIQUE INDEX credentials_one_active_llm_key ON credentials (org_id) WHERE provider = 'llm' AND status = 'active';
"#;

const DOWN: &str = r#"
DROP TABLE credentials;
"#;
