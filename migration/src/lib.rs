//! Database migrations. Files are named `mYYYYMMDD_NNNNNN_name.rs` and run in
//! that order; a test checks the naming.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_schema_v1;
mod m20261121_000002_identity_and_rls;
mod m20261121_000003_users_rls;
mod m20261121_000004_generation;
mod m20261122_000005_rendering;
mod m20261122_000006_credentials;
mod m20261122_000007_tiktok;
mod m20261202_000008_hardening;
mod m20261203_000009_slot_sent_to_inbox;
mod m20261203_000010_org_deletion;
mod m20261204_000011_imports;
mod m20261205_000012_clip_slots;
mod m20261205_000013_video_style;
mod m20261206_000014_shots_and_library;
mod m20261207_000015_knowledge;
mod m20261208_000016_policy;
mod m20261209_000017_plan_brief;
mod m20261210_000018_weekly_summaries;
mod m20261211_000019_prompt_proposals;
mod m20261211_000020_pdf_documents;

pub struct Migrator;

/// A migration written as plain SQL (PostgreSQL-specific: policies, roles,
/// triggers), applied in one `execute_unprepared`; after `up`, the tables in
/// `tenant_tables` are put under the tenant isolation policy.
pub(crate) struct SqlMigration {
    name: &'static str,
    up: &'static str,
    down: &'static str,
    tenant_tables: &'static [&'static str],
}

/// Grants the scoped role access to each table and lets it see and write
/// only the rows of the org set for the transaction (`app.org_id`).
fn isolate_tenant_tables(tables: &[&str]) -> String {
    tables
        .iter()
        .map(|t| {
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO reelpilot_app;\n\
                 ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\n\
                 CREATE POLICY tenant_isolation ON {t} TO reelpilot_app\n\
                 USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)\n\
                 WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);\n"
            )
        })
        .collect()
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(self.up).await?;
        if !self.tenant_tables.is_empty() {
            db.execute_unprepared(&isolate_tenant_tables(self.tenant_tables)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(self.down).await.map(drop)
    }
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_schema_v1::MIGRATION),
            Box::new(m20261121_000002_identity_and_rls::MIGRATION),
            Box::new(m20261121_000003_users_rls::MIGRATION),
            Box::new(m20261121_000004_generation::MIGRATION),
            Box::new(m20261122_000005_rendering::MIGRATION),
            Box::new(m20261122_000006_credentials::MIGRATION),
            Box::new(m20261122_000007_tiktok::MIGRATION),
            Box::new(m20261202_000008_hardening::MIGRATION),
            Box::new(m20261203_000009_slot_sent_to_inbox::MIGRATION),
            Box::new(m20261203_000010_org_deletion::MIGRATION),
            Box::new(m20261204_000011_imports::MIGRATION),
            Box::new(m20261205_000012_clip_slots::MIGRATION),
            Box::new(m20261205_000013_video_style::MIGRATION),
            Box::new(m20261206_000014_shots_and_library::MIGRATION),
            Box::new(m20261207_000015_knowledge::MIGRATION),
            Box::new(m20261208_000016_policy::MIGRATION),
            Box::new(m20261209_000017_plan_brief::MIGRATION),
            Box::new(m20261210_000018_weekly_summaries::MIGRATION),
            Box::new(m20261211_000019_prompt_proposals::MIGRATION),
            Box::new(m20261211_000020_pdf_documents::MIGRATION),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_names_follow_the_convention_and_are_ordered() {
        let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        for name in &names {
            let parts: Vec<&str> = name.splitn(3, '_').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert!(parts[0].len() == 9 && parts[0].starts_with('m'), "{name}: mYYYYMMDD");
            assert!(parts[0][1..].chars().all(|c| c.is_ascii_digit()), "{name}");
            assert!(parts[1].len() == 6 && parts[1].chars().all(|c| c.is_ascii_digit()), "{name}: NNNNNN");
            assert!(parts[2].chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "migrations must be listed in name order");
    }
}
