//! A second change counter, `directory`, bumped by team and people writes
//! (which affect every rota), so a cached rota can be kept across unrelated
//! edits: it is rebuilt only when its own version or the directory changed.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000003_directory"
    }
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
        let row = Query::insert()
            .into_table(Meta::Table)
            .columns([Meta::Key, Meta::Value])
            .values_panic(["directory".into(), 0i64.into()])
            .to_owned();
        m.exec_stmt(row).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let del = Query::delete()
            .from_table(Meta::Table)
            .and_where(Expr::col(Meta::Key).eq("directory"))
            .to_owned();
        m.exec_stmt(del).await
    }
}
