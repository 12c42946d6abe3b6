//! Database migrations. Files are named `mYYYYMMDD_NNNNNN_name.rs` and run in
//! that order; a test checks the naming.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_schema_v1;
mod m20261121_000002_identity_and_rls;
mod m20261121_000003_users_rls;
mod m20261121_000004_generation;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_schema_v1::Migration),
            Box::new(m20261121_000002_identity_and_rls::Migration),
            Box::new(m20261121_000003_users_rls::Migration),
            Box::new(m20261121_000004_generation::Migration),
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
