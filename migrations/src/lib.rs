//! Vigil's schema migrations (IO): one file per migration, written against
//! sea-orm's `SchemaManager` only, so the same source runs on SQLite and
//! PostgreSQL. The rota engine landed first and keeps rotas as files, so the
//! list is empty until the server's storage lands.

pub use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        Vec::new()
    }
}
