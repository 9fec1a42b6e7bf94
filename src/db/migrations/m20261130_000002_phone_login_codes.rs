//! `phone_login_codes`: the PIN sent by SMS to log in to the web panel
//! with a phone number (`PHONE_AUTHENTICATION`). One pending code per
//! account; it goes with the account.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000002_phone_login_codes"
    }
}

#[derive(DeriveIden)]
enum PhoneLoginCodes {
    Table,
    Id,
    AccountId,
    Phone,
    Code,
    Attempts,
    CreatedAt,
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
                    .table(PhoneLoginCodes::Table)
                    .col(pk_auto(PhoneLoginCodes::Id))
                    .col(integer(PhoneLoginCodes::AccountId))
                    .col(string_len(PhoneLoginCodes::Phone, 64))
                    .col(string_len(PhoneLoginCodes::Code, 64))
                    .col(integer(PhoneLoginCodes::Attempts).default(0))
                    .col(date_time(PhoneLoginCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PhoneLoginCodes::Table, PhoneLoginCodes::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One pending code per account, looked up by account.
        manager
            .create_index(
                Index::create()
                    .name("phone_login_codes_account_id_unique")
                    .table(PhoneLoginCodes::Table)
                    .col(PhoneLoginCodes::AccountId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Expired codes are purged by age.
        manager
            .create_index(
                Index::create()
                    .name("phone_login_codes_created_at_index")
                    .table(PhoneLoginCodes::Table)
                    .col(PhoneLoginCodes::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PhoneLoginCodes::Table).to_owned())
            .await
    }
}
