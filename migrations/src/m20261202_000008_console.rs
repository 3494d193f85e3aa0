//! The web console: sessions (the id's SHA-256 only), one-time sign-in
//! links (hashed, single use, short-lived) and the codes that verify a new
//! contact method (hashed, with a bounded number of attempts).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000008_console"
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Hash,
    Id,
    Person,
    Role,
    Teams,
    Csrf,
    Agent,
    CreatedMs,
    LastSeenMs,
    ExpiresMs,
    RevokedMs,
}

#[derive(DeriveIden)]
enum LoginLinks {
    Table,
    Hash,
    Person,
    CreatedMs,
    ExpiresMs,
    UsedMs,
}

#[derive(DeriveIden)]
enum ContactCodes {
    Table,
    Person,
    Channel,
    Address,
    CodeHash,
    ExpiresMs,
    Attempts,
}

fn ms(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(
                    ColumnDef::new(Sessions::Hash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Sessions::Id)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Sessions::Person).string().not_null())
                .col(ColumnDef::new(Sessions::Role).string().not_null())
                .col(ColumnDef::new(Sessions::Teams).text().not_null())
                .col(ColumnDef::new(Sessions::Csrf).string().not_null())
                .col(ColumnDef::new(Sessions::Agent).string().not_null())
                .col(ms(Sessions::CreatedMs))
                .col(ms(Sessions::LastSeenMs))
                .col(ms(Sessions::ExpiresMs))
                .col(ColumnDef::new(Sessions::RevokedMs).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sessions_person")
                .table(Sessions::Table)
                .col(Sessions::Person)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginLinks::Table)
                .col(
                    ColumnDef::new(LoginLinks::Hash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(LoginLinks::Person).string().not_null())
                .col(ms(LoginLinks::CreatedMs))
                .col(ms(LoginLinks::ExpiresMs))
                .col(ColumnDef::new(LoginLinks::UsedMs).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ContactCodes::Table)
                .col(ColumnDef::new(ContactCodes::Person).string().not_null())
                .col(ColumnDef::new(ContactCodes::Channel).string().not_null())
                .col(ColumnDef::new(ContactCodes::Address).string().not_null())
                .col(ColumnDef::new(ContactCodes::CodeHash).string().not_null())
                .col(ms(ContactCodes::ExpiresMs))
                .col(ColumnDef::new(ContactCodes::Attempts).integer().not_null())
                .primary_key(
                    Index::create()
                        .col(ContactCodes::Person)
                        .col(ContactCodes::Channel),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Sessions::Table.into_iden(),
            LoginLinks::Table.into_iden(),
            ContactCodes::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
