//! TikTok: connected accounts (tokens live in the secret store), pending
//! OAuth handshakes, which account and mode a project posts with, the
//! publication of each slot (its `publish_id` recorded before anything can
//! post) and metric snapshots over time.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration = SqlMigration {
    name: "m20261122_000007_tiktok",
    up: UP,
    down: DOWN,
    tenant_tables: &["tiktok_accounts", "post_metrics"],
};

const UP: &str = r#"
CREATE TABLE tiktok_accounts (
    id                  uuid PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    open_id             text NOT NULL,
    display_name        text NOT NULL DEFAULT '',
    scopes              text NOT NULL,
    -- The token set (JSON) lives in the secret store at this path.
    secret_path         text NOT NULL CHECK (secret_path LIKE 'org/' || org_id::text || '/%'),
    access_expires_at   timestamptz NOT NULL,
    refresh_expires_at  timestamptz NOT NULL,
    status              text NOT NULL CHECK (status IN ('connected', 'disconnected', 'reauthorize')),
    connected_by        uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, open_id),
    UNIQUE (org_id, id)
);

-- A handshake in flight: looked up by the hash of its `state` when TikTok
-- sends the person back (before any org is known, so not under RLS); the
-- PKCE verifier is kept encrypted with the org's key.
CREATE TABLE oauth_states (
    state_hash          text PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    verifier_ciphertext text NOT NULL,
    expires_at          timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE projects ADD COLUMN tiktok_account_id uuid REFERENCES tiktok_accounts(id) ON DELETE SET NULL;
ALTER TABLE projects ADD COLUMN post_mode text NOT NULL DEFAULT 'direct' CHECK (post_mode IN ('direct', 'inbox'));
-- The publish-gate choices autopilot reuses (privacy, toggles, disclosure).
ALTER TABLE projects ADD COLUMN publish_defaults jsonb;

ALTER TABLE publications DROP CONSTRAINT publications_status_check;
ALTER TABLE publications ADD CONSTRAINT publications_status_check
    CHECK (status IN ('pending', 'initiated', 'uploading', 'processing', 'sent_to_inbox', 'published', 'failed'));
ALTER TABLE publications ADD COLUMN account_id uuid REFERENCES tiktok_accounts(id) ON DELETE SET NULL;
ALTER TABLE publications ADD COLUMN post_info jsonb NOT NULL DEFAULT '{}';
ALTER TABLE publications ADD COLUMN upload_url_ciphertext text;
ALTER TABLE publications ADD COLUMN video_bytes bigint;
ALTER TABLE publications ADD COLUMN init_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE publications ADD COLUMN approved_by uuid REFERENCES users(id) ON DELETE SET NULL;

ALTER TABLE slots ADD COLUMN pipeline_error text;

CREATE TABLE post_metrics (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    publication_id  uuid NOT NULL REFERENCES publications(id) ON DELETE CASCADE,
    captured_at     timestamptz NOT NULL,
    view_count      bigint NOT NULL,
    like_count      bigint NOT NULL,
    comment_count   bigint NOT NULL,
    share_count     bigint NOT NULL
);
CREATE INDEX post_metrics_publication_idx ON post_metrics (org_id, publication_id, captured_at);
"#;

const DOWN: &str = r#"
DROP TABLE post_metrics;
ALTER TABLE slots DROP COLUMN pipeline_error;
ALTER TABLE publications DROP COLUMN approved_by, DROP COLUMN init_attempts, DROP COLUMN video_bytes,
    DROP COLUMN upload_url_ciphertext, DROP COLUMN post_info, DROP COLUMN account_id;
ALTER TABLE projects DROP COLUMN publish_defaults, DROP COLUMN post_mode, DROP COLUMN tiktok_account_id;
DROP TABLE oauth_states;
DROP TABLE tiktok_accounts;
"#;
