//! `auth_tokens`: the short-lived tokens of the QR login. A new device
//! creates one (no account yet), a logged-in device attaches it to its
//! account, then the new device exchanges it for an API key. Only the
//! SHA-256 of the token is stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000035_auth_tokens"
    }
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    Id,
    AccountId,
    Token,
    CreatedAt,
    UpdatedAt,
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
                    .table(AuthTokens::Table)
                    .col(pk_auto(AuthTokens::Id))
                    .col(integer_null(AuthTokens::AccountId))
                    .col(string_len(AuthTokens::Token, 64))
                    .col(date_time(AuthTokens::CreatedAt))
                    .col(date_time(AuthTokens::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuthTokens::Table, AuthTokens::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Looked up by token; a token names one row.
        manager
            .create_index(
                Index::create()
                    .name("auth_tokens_token_unique")
                    .table(AuthTokens::Table)
                    .col(AuthTokens::Token)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The panel replaces an account's tokens; the foreign key wants it too.
        manager
            .create_index(
                Index::create()
                    .name("auth_tokens_account_id_index")
                    .table(AuthTokens::Table)
                    .col(AuthTokens::AccountId)
                    .to_owned(),
            )
            .await?;
        // Expired tokens are purged by age.
        manager
            .create_index(
                Index::create()
                    .name("auth_tokens_created_at_index")
                    .table(AuthTokens::Table)
                    .col(AuthTokens::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuthTokens::Table).to_owned())
            .await
    }
}
