//! Columns of the PHP FlexiAPI 2.x accounts that its admin API edits:
//! `blocked` (refused by every authentication path, as a deactivated
//! account), `display_name` and `dtmf_protocol`. Plus an index on
//! `email`, which the admin search by e-mail looks up.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
        manager
            .create_index(
                Index::create()
                    .name("accounts_email_index")
                    .table(Accounts::Table)
                    .col(Accounts::Email)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("accounts_email_index")
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
