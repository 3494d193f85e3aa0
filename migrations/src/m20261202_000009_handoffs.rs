//! Handoff notices: a reminder before a shift, the "you are on call now"
//! message at its start and the "handed to" message to the person going
//! off. Each row's id is derived from what it announces (rota, layer,
//! shift start, person, kind), so every instance that plans it writes the
//! same row once, and a claim with a lease sends it once.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000009_handoffs"
    }
}

#[derive(DeriveIden)]
enum HandoffNotices {
    Table,
    Id,
    Team,
    Rota,
    Layer,
    Person,
    Kind,
    StartMs,
    EndMs,
    Other,
    DueMs,
    Status,
    LeaseOwner,
    LeaseUntilMs,
    SentMs,
    AckedMs,
    CreatedMs,
}

/// Notes for the next shift of a layer, written by whoever is handing over.
#[derive(DeriveIden)]
enum HandoffNotes {
    Table,
    Id,
    Team,
    Rota,
    Layer,
    StartMs,
    Author,
    Text,
    AtMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let text = |c: HandoffNotices| ColumnDef::new(c).string().not_null().to_owned();
        let ms = |c: HandoffNotices| ColumnDef::new(c).big_integer().not_null().to_owned();
        m.create_table(
            Table::create()
                .table(HandoffNotices::Table)
                .col(text(HandoffNotices::Id).primary_key())
                .col(text(HandoffNotices::Team))
                .col(text(HandoffNotices::Rota))
                .col(text(HandoffNotices::Layer))
                .col(text(HandoffNotices::Person))
                .col(text(HandoffNotices::Kind))
                .col(ms(HandoffNotices::StartMs))
                .col(ms(HandoffNotices::EndMs))
                .col(ColumnDef::new(HandoffNotices::Other).string().null())
                .col(ms(HandoffNotices::DueMs))
                .col(text(HandoffNotices::Status))
                .col(ColumnDef::new(HandoffNotices::LeaseOwner).string().null())
                .col(
                    ColumnDef::new(HandoffNotices::LeaseUntilMs)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(HandoffNotices::SentMs).big_integer().null())
                .col(ColumnDef::new(HandoffNotices::AckedMs).big_integer().null())
                .col(ms(HandoffNotices::CreatedMs))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("handoff_notices_due")
                .table(HandoffNotices::Table)
                .col(HandoffNotices::Status)
                .col(HandoffNotices::DueMs)
                .to_owned(),
        )
        .await?;
        let s = |c: HandoffNotes| ColumnDef::new(c).string().not_null().to_owned();
        m.create_table(
            Table::create()
                .table(HandoffNotes::Table)
                .col(s(HandoffNotes::Id).primary_key())
                .col(s(HandoffNotes::Team))
                .col(s(HandoffNotes::Rota))
                .col(s(HandoffNotes::Layer))
                .col(
                    ColumnDef::new(HandoffNotes::StartMs)
                        .big_integer()
                        .not_null(),
                )
                .col(s(HandoffNotes::Author))
                .col(ColumnDef::new(HandoffNotes::Text).text().not_null())
                .col(ColumnDef::new(HandoffNotes::AtMs).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("handoff_notes_shift")
                .table(HandoffNotes::Table)
                .col(HandoffNotes::Team)
                .col(HandoffNotes::Rota)
                .col(HandoffNotes::Layer)
                .col(HandoffNotes::StartMs)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(HandoffNotes::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(HandoffNotices::Table).to_owned())
            .await
    }
}
