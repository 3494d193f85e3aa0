//! Notifications by address and send time: the dispatcher picks each SMS a
//! reply code no other recent message to that number carries, and reads
//! the codes in use through this index. Timeline entries by kind: `/metrics`
//! counts the pages that found nobody (`stage_empty`, `ladder_empty`).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000006_outbox_address"
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Address,
    SentMs,
}

#[derive(DeriveIden)]
enum AlertLog {
    Table,
    Kind,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("outbox_address_sent")
                .table(Outbox::Table)
                .col(Outbox::Address)
                .col(Outbox::SentMs)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("alert_log_kind")
                .table(AlertLog::Table)
                .col(AlertLog::Kind)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("alert_log_kind")
                .table(AlertLog::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("outbox_address_sent")
                .table(Outbox::Table)
                .to_owned(),
        )
        .await
    }
}
