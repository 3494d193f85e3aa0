//! Swaps as a workflow (offered → accepted → approved/applied, or declined
//! or cancelled), and the source of an override (a swap's overrides say so).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000002_swaps"
    }
}

#[derive(DeriveIden)]
enum Swaps {
    Table,
    Id,
    Team,
    Rota,
    Layer,
    OfferedBy,
    StartAt,
    EndAt,
    Taker,
    ReturnStart,
    ReturnEnd,
    State,
    Note,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Overrides {
    Table,
    Source,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Swaps::Table)
                .col(ColumnDef::new(Swaps::Id).string().not_null().primary_key())
                .col(ColumnDef::new(Swaps::Team).string().not_null())
                .col(ColumnDef::new(Swaps::Rota).string().not_null())
                .col(ColumnDef::new(Swaps::Layer).string().not_null())
                .col(ColumnDef::new(Swaps::OfferedBy).string().not_null())
                .col(ColumnDef::new(Swaps::StartAt).big_integer().not_null())
                .col(ColumnDef::new(Swaps::EndAt).big_integer().not_null())
                .col(ColumnDef::new(Swaps::Taker).string().null())
                .col(ColumnDef::new(Swaps::ReturnStart).big_integer().null())
                .col(ColumnDef::new(Swaps::ReturnEnd).big_integer().null())
                .col(ColumnDef::new(Swaps::State).string().not_null())
                .col(ColumnDef::new(Swaps::Note).string().null())
                .col(ColumnDef::new(Swaps::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Overrides::Table)
                .add_column(
                    ColumnDef::new(Overrides::Source)
                        .string()
                        .not_null()
                        .default("override"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Overrides::Table)
                .drop_column(Overrides::Source)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(Swaps::Table).to_owned())
            .await
    }
}
