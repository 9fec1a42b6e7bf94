//! `audit_log` for targets that are not accounts (an account type, a
//! contacts list, a creation token): `target_id` becomes nullable (it stays
//! the account's id when the target is an account), and `detail` (nullable)
//! names what an action changed on its target, e.g. the dictionary key.
//!
//! SQLite cannot change a column: there the table is rebuilt with the new
//! shape and its rows copied, as SQLite's documentation advises.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000080_audit_other_targets"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    CreatedAt,
    ActorId,
    Actor,
    TargetId,
    Target,
    Action,
    ClientAddress,
    Detail,
}

/// The columns both shapes have, in the order of the table.
const SHARED: [AuditLog; 8] = [
    AuditLog::Id,
    AuditLog::CreatedAt,
    AuditLog::ActorId,
    AuditLog::Actor,
    AuditLog::TargetId,
    AuditLog::Target,
    AuditLog::Action,
    AuditLog::ClientAddress,
];

const DETAIL_LENGTH: u32 = 320;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            return rebuild_on_sqlite(manager, true).await;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .modify_column(integer_null(AuditLog::TargetId))
                    .add_column(string_len_null(AuditLog::Detail, DETAIL_LENGTH))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The old shape cannot hold the entries without an account.
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM audit_log WHERE target_id IS NULL")
            .await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            return rebuild_on_sqlite(manager, false).await;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .modify_column(integer(AuditLog::TargetId))
                    .drop_column(AuditLog::Detail)
                    .to_owned(),
            )
            .await
    }
}

/// The table `name` in the new shape (`other_targets`) or in the one of
/// m20261201_000070.
fn table(name: &str, other_targets: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(Alias::new(name))
        .col(pk_auto(AuditLog::Id))
        .col(date_time(AuditLog::CreatedAt))
        .col(integer_null(AuditLog::ActorId))
        .col(string_len(AuditLog::Actor, 320));
    if other_targets {
        table.col(integer_null(AuditLog::TargetId));
    } else {
        table.col(integer(AuditLog::TargetId));
    }
    table
        .col(string_len(AuditLog::Target, 320))
        .col(string_len(AuditLog::Action, 64))
        .col(string_len(AuditLog::ClientAddress, 64));
    if other_targets {
        table.col(string_len_null(AuditLog::Detail, DETAIL_LENGTH));
    }
    table.to_owned()
}

/// Creates the table in its other shape beside the old one, copies the
/// shared columns, then puts it in the old one's place with its indexes.
/// In one transaction: all or nothing, and on one connection of the pool
/// (another could still see the old schema).
async fn rebuild_on_sqlite(manager: &SchemaManager<'_>, other_targets: bool) -> Result<(), DbErr> {
    const NEW: &str = "audit_log_rebuilt";
    let txn = manager.get_connection().begin().await?;
    let manager = SchemaManager::new(&txn);
    manager.create_table(table(NEW, other_targets)).await?;
    let copy = Query::insert()
        .into_table(Alias::new(NEW))
        .columns(SHARED)
        .select_from(
            Query::select()
                .columns(SHARED)
                .from(AuditLog::Table)
                .to_owned(),
        )
        .map_err(|err| DbErr::Migration(err.to_string()))?
        .to_owned();
    manager.exec_stmt(copy).await?;
    manager
        .drop_table(Table::drop().table(AuditLog::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(Alias::new(NEW), AuditLog::Table)
                .to_owned(),
        )
        .await?;
    // The indexes of m20261201_000070 went with the old table.
    for (name, column) in [
        ("audit_log_created_at_index", AuditLog::CreatedAt),
        ("audit_log_target_id_index", AuditLog::TargetId),
    ] {
        manager
            .create_index(
                Index::create()
                    .name(name)
                    .table(AuditLog::Table)
                    .col(column)
                    .to_owned(),
            )
            .await?;
    }
    txn.commit().await
}
