//! `audit_log`: one row per admin action (API, console, panel). The target
//! is kept as text and a plain id, without a foreign key, so that the trail
//! of an account outlives its deletion.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000070_audit_log"
    }
}

#[derive(DeriveIden)]
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
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(date_time(AuditLog::CreatedAt))
                    // None for the console.
                    .col(integer_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::Actor, 320))
                    .col(integer(AuditLog::TargetId))
                    .col(string_len(AuditLog::Target, 320))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::ClientAddress, 64))
                    .to_owned(),
            )
            .await?;
        // The panel and `audit list` read newest first; pruning deletes by age.
        manager
            .create_index(
                Index::create()
                    .name("audit_log_created_at_index")
                    .table(AuditLog::Table)
                    .col(AuditLog::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_target_id_index")
                    .table(AuditLog::Table)
                    .col(AuditLog::TargetId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}
