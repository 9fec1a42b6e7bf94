//! `code_guards`: wrong codes counted per account across every code flow,
//! and the time until which the account's code flows stay locked
//! (`crate::service::code_guard`); one row per account that failed, gone with it.
//! `email_changed.code_hash`: the 4-digit code mailed beside the link.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000020_code_guards"
    }
}

#[derive(DeriveIden)]
enum CodeGuards {
    Table,
    AccountId,
    Failures,
    WindowStart,
    LockedUntil,
}

#[derive(DeriveIden)]
enum EmailChanged {
    Table,
    CodeHash,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CodeGuards::Table)
                    .col(integer(CodeGuards::AccountId).primary_key())
                    .col(integer(CodeGuards::Failures).default(0))
                    .col(date_time(CodeGuards::WindowStart))
                    .col(date_time_null(CodeGuards::LockedUntil))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CodeGuards::Table, CodeGuards::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(EmailChanged::Table)
                    .add_column(string_len_null(EmailChanged::CodeHash, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EmailChanged::Table)
                    .drop_column(EmailChanged::CodeHash)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CodeGuards::Table).to_owned())
            .await
    }
}
