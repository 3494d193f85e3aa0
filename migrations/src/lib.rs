//! Vigil's schema migrations (IO): one file per migration, written against
//! sea-orm's `SchemaManager` only, so the same source runs on SQLite and
//! PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_init;
mod m20261127_000002_swaps;
mod m20261127_000003_directory;
mod m20261127_000004_alerts;
mod m20261127_000005_service_origin;
mod m20261202_000006_outbox_address;
mod m20261202_000007_sends;
mod m20261202_000008_console;
mod m20261202_000009_handoffs;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_init::Migration),
            Box::new(m20261127_000002_swaps::Migration),
            Box::new(m20261127_000003_directory::Migration),
            Box::new(m20261127_000004_alerts::Migration),
            Box::new(m20261127_000005_service_origin::Migration),
            Box::new(m20261202_000006_outbox_address::Migration),
            Box::new(m20261202_000007_sends::Migration),
            Box::new(m20261202_000008_console::Migration),
            Box::new(m20261202_000009_handoffs::Migration),
        ]
    }
}
