//! Hardening after the outside review: refresh-token grace for tabs that
//! refresh together, single-flight TikTok refresh without a transaction held
//! across TikTok's answer, and TikTok connections confirmed by the person
//! who started them; budget reservations, so spending is checked and taken
//! atomically inside the step that spends.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261202_000008_hardening", up: UP, down: DOWN, tenant_tables: &["budget_reservations"] };

const UP: &str = r#"
-- The pair a refresh token was exchanged for, sealed under a key derived
-- from that refresh token (so only its holder can open it): a second tab
-- presenting it within the grace window gets the same pair back.
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed text;

-- Whoever holds the lease refreshes the account's tokens; nothing holds a
-- row lock or a transaction while TikTok answers.
ALTER TABLE tiktok_accounts ADD COLUMN refresh_lease_until timestamptz;

-- After TikTok's consent the handshake keeps the exchanged tokens (sealed
-- with the org's key) and the account they belong to, until the person who
-- started it confirms the link in the web app.
ALTER TABLE oauth_states ADD COLUMN tokens_ciphertext text;
ALTER TABLE oauth_states ADD COLUMN open_id text;
ALTER TABLE oauth_states ADD COLUMN display_name text;
ALTER TABLE oauth_states ADD COLUMN scopes text;

-- Spending in flight: taken under a per-budget lock before the spend (a
-- model call, a render, an upload) and released when the real usage is
-- metered; one that outlives `expires_at` (a crashed step) stops counting.
CREATE TABLE budget_reservations (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id  uuid REFERENCES projects(id) ON DELETE CASCADE,
    metric      text NOT NULL,
    quantity    bigint NOT NULL CHECK (quantity >= 0),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_reservations_live ON budget_reservations (org_id, metric, expires_at);
"#;

const DOWN: &str = r#"
DROP TABLE budget_reservations;
ALTER TABLE oauth_states DROP COLUMN scopes;
ALTER TABLE oauth_states DROP COLUMN display_name;
ALTER TABLE oauth_states DROP COLUMN open_id;
ALTER TABLE oauth_states DROP COLUMN tokens_ciphertext;
ALTER TABLE tiktok_accounts DROP COLUMN refresh_lease_until;
ALTER TABLE refresh_tokens DROP COLUMN successor_sealed;
"#;
