//! Users are not tenant-owned, but their addresses are personal: a scoped
//! transaction (role `reelpilot_app`) sees only the users who are members
//! of its org, so a query that forgets to join through memberships cannot
//! list other orgs' people.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261121_000003_users_rls", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY org_members_only ON users FOR SELECT TO reelpilot_app
    USING (EXISTS (SELECT 1 FROM memberships m
                   WHERE m.user_id = users.id
                     AND m.org_id = nullif(current_setting('app.org_id', true), '')::uuid));
"#;

const DOWN: &str = r#"
DROP POLICY IF EXISTS org_members_only ON users;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
"#;
