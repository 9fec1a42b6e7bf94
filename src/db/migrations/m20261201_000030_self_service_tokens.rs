//! The tokens of today's self-service flows (issue 10): account creation
//! tokens (pushed to a device, created by an admin, or obtained through a
//! validated request token), account creation request tokens, account
//! recovery tokens pushed to a device, the pending recovery codes of the
//! "recover my account" pages and the password reset links.
//!
//! Every token and code is stored as its SHA-256 (hex): only this service
//! reads them, so a leaked table gives nothing usable.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000030_self_service_tokens"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AccountCreationTokens {
    Table,
}

#[derive(DeriveIden)]
enum AccountRecoveryTokens {
    Table,
}

/// The columns the two pushed token tables share.
#[derive(DeriveIden)]
enum PushToken {
    Id,
    TokenHash,
    PnProvider,
    PnParam,
    PnPrid,
    Used,
    AccountId,
    Ip,
    UserAgent,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccountCreationRequestTokens {
    Table,
    Id,
    TokenHash,
    Used,
    ValidatedAt,
    AccCreationTokenId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    AccountId,
    CodeHash,
    Method,
    Attempts,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ResetPasswordTokens {
    Table,
    Id,
    AccountId,
    TokenHash,
    Used,
    ExpiresAt,
    CreatedAt,
}

/// `account_creation_tokens` and `account_recovery_tokens` have the same
/// shape: a token, the device it was pushed to (none for an admin's or a
/// request token's), and the account it created or recovered.
async fn create_push_token_table(
    manager: &SchemaManager<'_>,
    table: DynIden,
    prefix: &str,
) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(table.clone())
                .col(pk_auto(PushToken::Id))
                .col(string_len(PushToken::TokenHash, 64))
                .col(string_len_null(PushToken::PnProvider, 64))
                .col(string_len_null(PushToken::PnParam, 255))
                .col(string_len_null(PushToken::PnPrid, 255))
                .col(boolean(PushToken::Used).default(false))
                .col(integer_null(PushToken::AccountId))
                .col(string_len_null(PushToken::Ip, 45))
                .col(string_len_null(PushToken::UserAgent, 255))
                .col(date_time(PushToken::CreatedAt))
                .col(date_time(PushToken::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(table.clone(), PushToken::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("{prefix}_token_hash_unique"))
                .table(table.clone())
                .col(PushToken::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
    // The per-device limits count a device's tokens.
    manager
        .create_index(
            Index::create()
                .name(format!("{prefix}_device_index"))
                .table(table.clone())
                .col(PushToken::PnProvider)
                .col(PushToken::PnParam)
                .col(PushToken::PnPrid)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("{prefix}_account_id_index"))
                .table(table)
                .col(PushToken::AccountId)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_push_token_table(
            manager,
            AccountCreationTokens::Table.into_iden(),
            "account_creation_tokens",
        )
        .await?;
        create_push_token_table(
            manager,
            AccountRecoveryTokens::Table.into_iden(),
            "account_recovery_tokens",
        )
        .await?;

        use AccountCreationRequestTokens as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(pk_auto(R::Id))
                    .col(string_len(R::TokenHash, 64))
                    .col(boolean(R::Used).default(false))
                    .col(date_time_null(R::ValidatedAt))
                    .col(integer_null(R::AccCreationTokenId))
                    .col(date_time(R::CreatedAt))
                    .col(date_time(R::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::AccCreationTokenId)
                            .to(AccountCreationTokens::Table, PushToken::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("account_creation_request_tokens_token_hash_unique")
                    .table(R::Table)
                    .col(R::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("account_creation_request_tokens_acc_creation_token_id_index")
                    .table(R::Table)
                    .col(R::AccCreationTokenId)
                    .to_owned(),
            )
            .await?;

        use RecoveryCodes as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(pk_auto(C::Id))
                    .col(integer(C::AccountId))
                    .col(string_len(C::CodeHash, 64))
                    .col(string_len(C::Method, 8))
                    .col(integer(C::Attempts).default(0))
                    .col(date_time(C::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(C::Table, C::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One pending recovery code per account.
        manager
            .create_index(
                Index::create()
                    .name("recovery_codes_account_id_unique")
                    .table(C::Table)
                    .col(C::AccountId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        use ResetPasswordTokens as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(pk_auto(P::Id))
                    .col(integer(P::AccountId))
                    .col(string_len(P::TokenHash, 64))
                    .col(boolean(P::Used).default(false))
                    .col(date_time(P::ExpiresAt))
                    .col(date_time(P::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(P::Table, P::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reset_password_tokens_token_hash_unique")
                    .table(P::Table)
                    .col(P::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reset_password_tokens_account_id_index")
                    .table(P::Table)
                    .col(P::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ResetPasswordTokens::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            AccountCreationRequestTokens::Table.into_iden(),
            AccountRecoveryTokens::Table.into_iden(),
            AccountCreationTokens::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
