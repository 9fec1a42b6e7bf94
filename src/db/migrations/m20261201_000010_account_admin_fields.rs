//! Columns of the PHP FlexiAPI 2.x accounts that its admin API edits:
//! `blocked` (refused by every authentication path, as a deactivated
//! account), `display_name` and `dtmf_protocol`. Plus an index for the
//! admin search by e-mail, which ignores case: on `lower(email)` where the
//! database indexes expressions (PostgreSQL, SQLite), on `email` on
//! MariaDB/MySQL, whose case-insensitive collation narrows the search.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

const EMAIL_INDEX: &str = "accounts_email_index";

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000010_account_admin_fields"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Blocked,
    DisplayName,
    DtmfProtocol,
    Email,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            boolean(Accounts::Blocked).default(false).to_owned(),
            string_len_null(Accounts::DisplayName, 255).to_owned(),
            string_len_null(Accounts::DtmfProtocol, 16).to_owned(),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        if manager.get_database_backend() == DbBackend::MySql {
            return manager
                .create_index(
                    Index::create()
                        .name(EMAIL_INDEX)
                        .table(Accounts::Table)
                        .col(Accounts::Email)
                        .to_owned(),
                )
                .await;
        }
        // sea-query has no expression index; this statement is the same
        // on PostgreSQL and SQLite.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {EMAIL_INDEX} ON accounts (lower(email))"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(EMAIL_INDEX)
                    .table(Accounts::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Accounts::Blocked,
            Accounts::DisplayName,
            Accounts::DtmfProtocol,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
