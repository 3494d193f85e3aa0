//! The throttle's ledger: one row per message a worker started to send
//! (channel, address, when). Every instance reads and writes it under a
//! per-address lock, so the per-number budget is shared by all instances
//! and survives a restart. Rows older than the longest window are pruned.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000007_sends"
    }
}

#[derive(DeriveIden)]
enum Sends {
    Table,
    Id,
    Channel,
    Address,
    AtMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Sends::Table)
                .col(ColumnDef::new(Sends::Id).string().not_null().primary_key())
                .col(ColumnDef::new(Sends::Channel).string().not_null())
                .col(ColumnDef::new(Sends::Address).string().not_null())
                .col(ColumnDef::new(Sends::AtMs).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sends_address")
                .table(Sends::Table)
                .col(Sends::Address)
                .col(Sends::Channel)
                .col(Sends::AtMs)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sends_at")
                .table(Sends::Table)
                .col(Sends::AtMs)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Sends::Table).to_owned())
            .await
    }
}
