//! Users are not tenant-owned, but their addresses are personal: a scoped
//! transaction (role `reelpilot_app`) sees only the users who are members
//! of its org, so a query that forgets to join through memberships cannot
//! list other orgs' people.

use sea_orm_migration::prelude::*;

pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000003_users_rls"
    }
}

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await.map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await.map(drop)
    }
}
