//! The first schema: teams, people, rotas (as documents), overrides, API and
//! calendar-feed tokens (hashed), the audit log and a change counter.
//! Instants are BIGINT seconds since the Unix epoch (UTC), portable and
//! sortable on SQLite and PostgreSQL alike.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000001_init"
    }
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Slug,
    Timezone,
    Lead,
    SwapApproval,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Handle,
    Name,
    Email,
    Phone,
    Chat,
    Timezone,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Rotas {
    Table,
    Team,
    Name,
    Document,
    Version,
    Origin,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Overrides {
    Table,
    Id,
    Team,
    Rota,
    Layer,
    Kind,
    StartAt,
    EndAt,
    Person,
    Replaces,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Hash,
    Role,
    Teams,
    Person,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum FeedTokens {
    Table,
    Id,
    Hash,
    Person,
    Team,
    Rota,
    Layer,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    Action,
    Target,
    Detail,
}

#[derive(DeriveIden)]
enum Meta {
    Table,
    Key,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Teams::Table)
                .col(
                    ColumnDef::new(Teams::Slug)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Teams::Timezone).string().not_null())
                .col(ColumnDef::new(Teams::Lead).string().null())
                .col(
                    ColumnDef::new(Teams::SwapApproval)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new(Teams::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(People::Table)
                .col(
                    ColumnDef::new(People::Handle)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(People::Name).string().not_null())
                .col(ColumnDef::new(People::Email).string().null())
                .col(ColumnDef::new(People::Phone).string().null())
                .col(ColumnDef::new(People::Chat).string().null())
                .col(ColumnDef::new(People::Timezone).string().null())
                .col(ColumnDef::new(People::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Rotas::Table)
                .col(ColumnDef::new(Rotas::Team).string().not_null())
                .col(ColumnDef::new(Rotas::Name).string().not_null())
                .col(ColumnDef::new(Rotas::Document).text().not_null())
                .col(ColumnDef::new(Rotas::Version).big_integer().not_null())
                .col(ColumnDef::new(Rotas::Origin).string().not_null())
                .col(ColumnDef::new(Rotas::UpdatedAt).big_integer().not_null())
                .primary_key(Index::create().col(Rotas::Team).col(Rotas::Name))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Overrides::Table)
                .col(
                    ColumnDef::new(Overrides::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Overrides::Team).string().not_null())
                .col(ColumnDef::new(Overrides::Rota).string().not_null())
                .col(ColumnDef::new(Overrides::Layer).string().not_null())
                .col(ColumnDef::new(Overrides::Kind).string().not_null())
                .col(ColumnDef::new(Overrides::StartAt).big_integer().not_null())
                .col(ColumnDef::new(Overrides::EndAt).big_integer().not_null())
                .col(ColumnDef::new(Overrides::Person).string().null())
                .col(ColumnDef::new(Overrides::Replaces).string().null())
                .col(ColumnDef::new(Overrides::Note).string().null())
                .col(ColumnDef::new(Overrides::CreatedBy).string().not_null())
                .col(
                    ColumnDef::new(Overrides::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("overrides_by_rota")
                .table(Overrides::Table)
                .col(Overrides::Team)
                .col(Overrides::Rota)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(
                    ColumnDef::new(ApiTokens::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ApiTokens::Hash)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(ApiTokens::Role).string().not_null())
                .col(ColumnDef::new(ApiTokens::Teams).string().not_null())
                .col(ColumnDef::new(ApiTokens::Person).string().null())
                .col(
                    ColumnDef::new(ApiTokens::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ApiTokens::RevokedAt).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(FeedTokens::Table)
                .col(
                    ColumnDef::new(FeedTokens::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(FeedTokens::Hash)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(FeedTokens::Person).string().null())
                .col(ColumnDef::new(FeedTokens::Team).string().null())
                .col(ColumnDef::new(FeedTokens::Rota).string().null())
                .col(ColumnDef::new(FeedTokens::Layer).string().null())
                .col(ColumnDef::new(FeedTokens::CreatedBy).string().not_null())
                .col(
                    ColumnDef::new(FeedTokens::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(FeedTokens::RevokedAt).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(
                    ColumnDef::new(AuditLog::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(AuditLog::At).big_integer().not_null())
                .col(ColumnDef::new(AuditLog::Actor).string().not_null())
                .col(ColumnDef::new(AuditLog::Action).string().not_null())
                .col(ColumnDef::new(AuditLog::Target).string().not_null())
                .col(ColumnDef::new(AuditLog::Detail).text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Meta::Table)
                .col(ColumnDef::new(Meta::Key).string().not_null().primary_key())
                .col(ColumnDef::new(Meta::Value).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        let seed = Query::insert()
            .into_table(Meta::Table)
            .columns([Meta::Key, Meta::Value])
            .values_panic(["generation".into(), 0i64.into()])
            .to_owned();
        m.exec_stmt(seed).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Meta::Table.into_iden(),
            AuditLog::Table.into_iden(),
            FeedTokens::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Overrides::Table.into_iden(),
            Rotas::Table.into_iden(),
            People::Table.into_iden(),
            Teams::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
