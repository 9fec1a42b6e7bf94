//! `provisioning_tokens`: the token of an account's provisioning link,
//! distinct from its activation key. One live token per account (a new
//! one replaces it), single use, optionally expiring. Only the SHA-256 of
//! the token is stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000037_provisioning_tokens"
    }
}

#[derive(DeriveIden)]
enum ProvisioningTokens {
    Table,
    Id,
    AccountId,
    Token,
    ExpiresAt,
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
                    .table(ProvisioningTokens::Table)
                    .col(pk_auto(ProvisioningTokens::Id))
                    .col(integer(ProvisioningTokens::AccountId))
                    .col(string_len(ProvisioningTokens::Token, 64))
                    .col(date_time_null(ProvisioningTokens::ExpiresAt))
                    .col(date_time(ProvisioningTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProvisioningTokens::Table, ProvisioningTokens::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("provisioning_tokens_token_unique")
                    .table(ProvisioningTokens::Table)
                    .col(ProvisioningTokens::Token)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One live token per account.
        manager
            .create_index(
                Index::create()
                    .name("provisioning_tokens_account_id_unique")
                    .table(ProvisioningTokens::Table)
                    .col(ProvisioningTokens::AccountId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProvisioningTokens::Table).to_owned())
            .await
    }
}
