//! Versioned schema migrations. Each step runs once, recorded in `seaql_migrations`; steps are
//! never edited after release, a change is a new step.

mod m0001_initial;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// The ordered list of schema steps.
#[derive(Debug)]
pub(crate) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_initial::Migration)]
    }
}
