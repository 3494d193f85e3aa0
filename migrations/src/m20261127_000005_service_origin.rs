//! Where a service came from: "file:NAME.toml" for services declared in
//! rota files (so `schedules apply` can remove one deleted from its file),
//! NULL for services made over the API.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000005_service_origin"
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Origin,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Services::Table)
                .add_column(ColumnDef::new(Services::Origin).string().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Services::Table)
                .drop_column(Services::Origin)
                .to_owned(),
        )
        .await
    }
}
