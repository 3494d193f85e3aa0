//! Alerts and paging: services with their ladders and integration keys,
//! alerts (one open alert per service and dedup key), each alert's timeline,
//! and the outbox of notifications. Times that drive the dispatcher are in
//! milliseconds (`*_ms`), so a due instant is kept to the millisecond.
//!
//! The outbox and the alert timers are written in the same transaction as
//! the alert change that causes them; a worker claims due rows with a lease
//! (`lease_owner`, `lease_until_ms`), so a crashed instance's claims are
//! picked up by another once the lease runs out.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000004_alerts"
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    Team,
    Name,
    Ladder,
    Targets,
    HeartbeatSecs,
    HeartbeatDueMs,
    Maintenance,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IntegrationKeys {
    Table,
    Id,
    Service,
    Hash,
    Kind,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    Service,
    DedupKey,
    OpenKey,
    Priority,
    Summary,
    Details,
    Source,
    Links,
    Status,
    State,
    Suppressed,
    Count,
    CreatedMs,
    UpdatedMs,
    LastSeenMs,
    NextDueMs,
    LeaseOwner,
    LeaseUntilMs,
    AckBy,
    AckVia,
    ResolvedBy,
}

#[derive(DeriveIden)]
enum AlertLog {
    Table,
    Id,
    Alert,
    AtMs,
    Kind,
    Actor,
    Detail,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Alert,
    Stage,
    Round,
    Person,
    Channel,
    Address,
    Priority,
    Code,
    DueMs,
    Status,
    Attempts,
    LeaseOwner,
    LeaseUntilMs,
    ProviderId,
    LastError,
    CreatedMs,
    SentMs,
    Bundle,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Rules,
}

#[derive(DeriveIden)]
enum Secrets {
    Table,
    Key,
    Value,
}

fn ms(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Services::Table)
                .col(
                    ColumnDef::new(Services::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Services::Team).string().not_null())
                .col(ColumnDef::new(Services::Name).string().not_null())
                .col(ColumnDef::new(Services::Ladder).text().not_null())
                .col(ColumnDef::new(Services::Targets).text().null())
                .col(ColumnDef::new(Services::HeartbeatSecs).big_integer().null())
                .col(
                    ColumnDef::new(Services::HeartbeatDueMs)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(Services::Maintenance).text().not_null())
                .col(ms(Services::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IntegrationKeys::Table)
                .col(
                    ColumnDef::new(IntegrationKeys::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(IntegrationKeys::Service).string().not_null())
                .col(
                    ColumnDef::new(IntegrationKeys::Hash)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(IntegrationKeys::Kind).string().not_null())
                .col(ms(IntegrationKeys::CreatedAt))
                .col(
                    ColumnDef::new(IntegrationKeys::RevokedAt)
                        .big_integer()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alerts::Table)
                .col(ColumnDef::new(Alerts::Id).string().not_null().primary_key())
                .col(ColumnDef::new(Alerts::Service).string().not_null())
                .col(ColumnDef::new(Alerts::DedupKey).string().not_null())
                // The dedup key while the alert is open, NULL once resolved:
                // NULLs never collide, so the unique index below allows one
                // open alert per key on both SQLite and PostgreSQL.
                .col(ColumnDef::new(Alerts::OpenKey).string().null())
                .col(ColumnDef::new(Alerts::Priority).integer().not_null())
                .col(ColumnDef::new(Alerts::Summary).string().not_null())
                .col(ColumnDef::new(Alerts::Details).text().not_null())
                .col(ColumnDef::new(Alerts::Source).string().not_null())
                .col(ColumnDef::new(Alerts::Links).text().not_null())
                .col(ColumnDef::new(Alerts::Status).string().not_null())
                .col(ColumnDef::new(Alerts::State).text().not_null())
                .col(ColumnDef::new(Alerts::Suppressed).boolean().not_null())
                .col(ColumnDef::new(Alerts::Count).big_integer().not_null())
                .col(ms(Alerts::CreatedMs))
                .col(ms(Alerts::UpdatedMs))
                .col(ms(Alerts::LastSeenMs))
                .col(ColumnDef::new(Alerts::NextDueMs).big_integer().null())
                .col(ColumnDef::new(Alerts::LeaseOwner).string().null())
                .col(ColumnDef::new(Alerts::LeaseUntilMs).big_integer().null())
                .col(ColumnDef::new(Alerts::AckBy).string().null())
                .col(ColumnDef::new(Alerts::AckVia).string().null())
                .col(ColumnDef::new(Alerts::ResolvedBy).string().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("alerts_open_key")
                .table(Alerts::Table)
                .col(Alerts::Service)
                .col(Alerts::OpenKey)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("alerts_next_due")
                .table(Alerts::Table)
                .col(Alerts::NextDueMs)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("alerts_created")
                .table(Alerts::Table)
                .col(Alerts::CreatedMs)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AlertLog::Table)
                .col(
                    ColumnDef::new(AlertLog::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(AlertLog::Alert).string().not_null())
                .col(ms(AlertLog::AtMs))
                .col(ColumnDef::new(AlertLog::Kind).string().not_null())
                .col(ColumnDef::new(AlertLog::Actor).string().not_null())
                .col(ColumnDef::new(AlertLog::Detail).text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("alert_log_alert")
                .table(AlertLog::Table)
                .col(AlertLog::Alert)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(ColumnDef::new(Outbox::Id).string().not_null().primary_key())
                .col(ColumnDef::new(Outbox::Alert).string().not_null())
                .col(ColumnDef::new(Outbox::Stage).integer().not_null())
                .col(ColumnDef::new(Outbox::Round).integer().not_null())
                .col(ColumnDef::new(Outbox::Person).string().null())
                .col(ColumnDef::new(Outbox::Channel).string().not_null())
                .col(ColumnDef::new(Outbox::Address).string().not_null())
                .col(ColumnDef::new(Outbox::Priority).integer().not_null())
                .col(ColumnDef::new(Outbox::Code).string().not_null())
                .col(ms(Outbox::DueMs))
                .col(ColumnDef::new(Outbox::Status).string().not_null())
                .col(ColumnDef::new(Outbox::Attempts).integer().not_null())
                .col(ColumnDef::new(Outbox::LeaseOwner).string().null())
                .col(ColumnDef::new(Outbox::LeaseUntilMs).big_integer().null())
                .col(ColumnDef::new(Outbox::ProviderId).string().null())
                .col(ColumnDef::new(Outbox::LastError).text().null())
                .col(ms(Outbox::CreatedMs))
                .col(ColumnDef::new(Outbox::SentMs).big_integer().null())
                .col(ColumnDef::new(Outbox::Bundle).string().null())
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("outbox_due", vec![Outbox::Status, Outbox::DueMs]),
            ("outbox_alert", vec![Outbox::Alert]),
            ("outbox_code", vec![Outbox::Code]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Outbox::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(People::Table)
                .add_column(ColumnDef::new(People::Rules).text().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Secrets::Table)
                .col(
                    ColumnDef::new(Secrets::Key)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Secrets::Value).string().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Secrets::Table.into_iden(),
            Outbox::Table.into_iden(),
            AlertLog::Table.into_iden(),
            Alerts::Table.into_iden(),
            IntegrationKeys::Table.into_iden(),
            Services::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(People::Table)
                .drop_column(People::Rules)
                .to_owned(),
        )
        .await
    }
}
