//! Identity (sessions, rotating refresh tokens, access tokens, single-use
//! email tokens), invitations, rate-limit counters, and row-level security:
//! tenant-owned tables only show the rows of the org set for the current
//! transaction (`app.org_id`) to the `reelpilot_app` role that scoped
//! transactions switch to.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration = SqlMigration {
    name: "m20261121_000002_identity_and_rls",
    up: UP,
    down: DOWN,
    tenant_tables: &[
        "memberships",
        "projects",
        "plans",
        "slots",
        "assets",
        "publications",
        "usage_ledger",
        "audit_log",
        "invitations",
    ],
};

const UP: &str = r#"
CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_agent    text NOT NULL DEFAULT '',
    ip            text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoke_reason text
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at DESC);

-- One row per refresh token ever issued; a session is a token family.
CREATE TABLE refresh_tokens (
    token_hash  text PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE access_tokens (
    token_hash  text PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX access_tokens_session_idx ON access_tokens (session_id);

CREATE TABLE email_tokens (
    token_hash  text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose);

CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    token_hash   text NOT NULL UNIQUE,
    invited_by   uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX invitations_org_idx ON invitations (org_id, created_at DESC);
CREATE TRIGGER invitations_touch_updated_at BEFORE UPDATE ON invitations
    FOR EACH ROW EXECUTE FUNCTION reelpilot_touch_updated_at();

-- Fixed-window counters shared by every API instance.
CREATE TABLE rate_limits (
    key           text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- Every organisation has exactly one owner.
CREATE UNIQUE INDEX memberships_one_owner ON memberships (org_id) WHERE role = 'owner';

-- Row-level security. Roles are cluster-wide, so creating one must tolerate
-- a concurrent migration of another database doing the same.
DO $$ BEGIN
    CREATE ROLE reelpilot_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
    EXECUTE format('GRANT reelpilot_app TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN NULL;
END $$;
GRANT USAGE ON SCHEMA public TO reelpilot_app;

-- Scoped transactions see their own org, and of users only what member
-- lists show (never password hashes).
GRANT SELECT ON organizations TO reelpilot_app;
GRANT UPDATE (name, updated_at) ON organizations TO reelpilot_app;
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations TO reelpilot_app
    USING (id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT (id, email, display_name, email_verified_at, created_at) ON users TO reelpilot_app;
"#;

const DOWN: &str = r#"
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['memberships', 'projects', 'plans', 'slots', 'assets', 'publications',
                             'usage_ledger', 'audit_log']
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
        EXECUTE format('REVOKE ALL ON %I FROM reelpilot_app', t);
    END LOOP;
END $$;
DROP POLICY IF EXISTS tenant_isolation ON organizations;
ALTER TABLE organizations DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON organizations, users FROM reelpilot_app;
REVOKE USAGE ON SCHEMA public FROM reelpilot_app;
DROP INDEX IF EXISTS memberships_one_owner;
DROP TABLE IF EXISTS rate_limits, invitations, email_tokens, access_tokens, refresh_tokens, sessions;
"#;
