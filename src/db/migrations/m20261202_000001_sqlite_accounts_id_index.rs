//! SQLite only: an index on `accounts.id`, the narrow copy of the id order
//! that `GET /api/accounts?page=N` walks to skip the first pages (see
//! `accounts::page`). The table itself holds whole rows in id order, so
//! skipping 50 000 accounts there reads twenty times more pages.
//! MariaDB and PostgreSQL skip along their primary key index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000001_sqlite_accounts_id_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX IF NOT EXISTS accounts_id_index ON accounts (id)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS accounts_id_index")
            .await?;
        Ok(())
    }
}
