//! Schema v1: the core domain. Every tenant-owned table carries `org_id`,
//! indexed first so tenant-scoped queries stay cheap.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261121_000001_schema_v1", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
CREATE EXTENSION IF NOT EXISTS vector;

CREATE OR REPLACE FUNCTION reelpilot_touch_updated_at() RETURNS trigger AS $$
BEGIN NEW.updated_at = now(); RETURN NEW; END;
$$ LANGUAGE plpgsql;

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    tier        text NOT NULL DEFAULT 'free',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                uuid PRIMARY KEY,
    email             text NOT NULL,
    display_name      text NOT NULL DEFAULT '',
    password_hash     text,
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE projects (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    niche          text NOT NULL DEFAULT '',
    audience       text NOT NULL DEFAULT '',
    language       text NOT NULL DEFAULT 'en',
    timezone       text NOT NULL DEFAULT 'UTC',
    posting_times  jsonb NOT NULL DEFAULT '["09:00", "13:00", "19:00"]',
    autopilot      boolean NOT NULL DEFAULT false,
    gates          jsonb NOT NULL DEFAULT '{"approve_slot": true, "approve_publish": true}',
    budgets        jsonb NOT NULL DEFAULT '{}',
    brand_voice    text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name),
    UNIQUE (org_id, id)
);

CREATE TABLE plans (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id      uuid NOT NULL,
    start_date      date NOT NULL,
    days            integer NOT NULL CHECK (days BETWEEN 1 AND 31),
    slots_per_day   integer NOT NULL CHECK (slots_per_day BETWEEN 1 AND 6),
    status          text NOT NULL CHECK (status IN ('pending', 'drafting', 'ready', 'failed')),
    workflow_id     text NOT NULL,
    failure         text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
    UNIQUE (project_id, start_date),
    UNIQUE (org_id, id)
);
CREATE INDEX plans_org_project_idx ON plans (org_id, project_id, start_date DESC);

CREATE TABLE slots (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id    uuid NOT NULL,
    plan_id       uuid NOT NULL,
    day_index     integer NOT NULL CHECK (day_index >= 0),
    slot_index    integer NOT NULL CHECK (slot_index >= 0),
    scheduled_at  timestamptz NOT NULL,
    status        text NOT NULL CHECK (status IN ('empty', 'draft', 'approved', 'rendering', 'rendered',
                                                  'publish_approved', 'publishing', 'published', 'failed')),
    hook          text NOT NULL DEFAULT '',
    script        text NOT NULL DEFAULT '',
    caption       text NOT NULL DEFAULT '',
    hashtags      jsonb NOT NULL DEFAULT '[]',
    format        text NOT NULL DEFAULT '',
    confidence    real CHECK (confidence BETWEEN 0 AND 1),
    rationale     text NOT NULL DEFAULT '',
    locked        boolean NOT NULL DEFAULT false,
    version       integer NOT NULL DEFAULT 1,
    approved_by   uuid REFERENCES users(id) ON DELETE SET NULL,
    approved_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, plan_id) REFERENCES plans (org_id, id) ON DELETE CASCADE,
    UNIQUE (plan_id, day_index, slot_index),
    UNIQUE (org_id, id)
);
CREATE INDEX slots_org_schedule_idx ON slots (org_id, scheduled_at);
CREATE INDEX slots_org_status_idx ON slots (org_id, status);

CREATE TABLE assets (
    id                 uuid PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id         uuid,
    slot_id            uuid,
    kind               text NOT NULL CHECK (kind IN ('video', 'thumbnail', 'audio', 'captions', 'upload')),
    storage_key        text NOT NULL UNIQUE CHECK (storage_key LIKE 'org/' || org_id::text || '/%'),
    content_type       text NOT NULL,
    size_bytes         bigint NOT NULL CHECK (size_bytes >= 0),
    duration_ms        integer,
    width              integer,
    height             integer,
    render_version     integer NOT NULL DEFAULT 1,
    cover_timestamp_ms integer,
    sha256             text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, slot_id) REFERENCES slots (org_id, id) ON DELETE CASCADE
);
CREATE INDEX assets_org_slot_idx ON assets (org_id, slot_id);

CREATE TABLE publications (
    id                 uuid PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    slot_id            uuid NOT NULL,
    asset_id           uuid REFERENCES assets(id) ON DELETE SET NULL,
    tiktok_open_id     text,
    post_mode          text NOT NULL CHECK (post_mode IN ('direct', 'inbox')),
    privacy_level      text,
    publish_id         text UNIQUE,
    status             text NOT NULL CHECK (status IN ('pending', 'initiated', 'processing', 'published', 'failed')),
    fail_reason        text,
    public_post_id     text,
    published_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, slot_id) REFERENCES slots (org_id, id) ON DELETE CASCADE,
    -- At most one post per slot: the database itself refuses a second one.
    UNIQUE (slot_id)
);
CREATE INDEX publications_org_status_idx ON publications (org_id, status);

CREATE TABLE usage_ledger (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id       uuid,
    metric           text NOT NULL CHECK (metric IN ('llm_tokens_in', 'llm_tokens_out', 'llm_cost_micros',
                                                     'video_seconds', 'publishes', 'asr_seconds', 'storage_bytes')),
    quantity         bigint NOT NULL,
    source           text NOT NULL,
    idempotency_key  text,
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- A retried activity records its usage once.
    UNIQUE (org_id, idempotency_key)
);
CREATE INDEX usage_ledger_org_metric_idx ON usage_ledger (org_id, metric, occurred_at);

CREATE TABLE audit_log (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    actor_user_id   uuid REFERENCES users(id) ON DELETE SET NULL,
    actor_kind      text NOT NULL CHECK (actor_kind IN ('user', 'system', 'api_key')),
    action          text NOT NULL,
    target_kind     text NOT NULL,
    target_id       text,
    request_id      text,
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_time_idx ON audit_log (org_id, created_at DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['organizations', 'users', 'memberships', 'projects', 'plans', 'slots',
                             'assets', 'publications']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION reelpilot_touch_updated_at()',
                       t || '_touch_updated_at', t);
    END LOOP;
END $$;
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS audit_log, usage_ledger, publications, assets, slots, plans, projects,
    memberships, users, organizations;
DROP FUNCTION IF EXISTS reelpilot_touch_updated_at();
"#;
