//! The tables of the PHP FlexiAPI (mid-2021), plus `accounts.phone` that
//! Flexisip's default phone queries read. Flexisip reads `accounts`,
//! `passwords` and `aliases` with its own SQL: those columns never change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20210701_000001_flexiapi_tables"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Username,
    Domain,
    Email,
    Activated,
    ConfirmationKey,
    IpAddress,
    UserAgent,
    CreationTime,
    ExpireTime,
    Phone,
    FailedCodeAttempts,
}

#[derive(DeriveIden)]
enum Passwords {
    Table,
    Id,
    AccountId,
    Password,
    Algorithm,
}

#[derive(DeriveIden)]
enum Aliases {
    Table,
    Id,
    AccountId,
    Alias,
    Domain,
}

#[derive(DeriveIden)]
enum Nonces {
    Table,
    Id,
    AccountId,
    Nonce,
    Nc,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Admins {
    Table,
    Id,
    AccountId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    AccountId,
    Key,
    LastUsedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EmailChanged {
    Table,
    Id,
    AccountId,
    NewEmail,
    Hash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PhoneChangeCodes {
    Table,
    Id,
    AccountId,
    Phone,
    Code,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tokens {
    Table,
    Id,
    Token,
    PnProvider,
    PnParam,
    PnPrid,
    Used,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActivationExpirations {
    Table,
    Id,
    AccountId,
    Expires,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppSettings {
    Table,
    Name,
    Value,
}

/// `account_id` referencing `accounts.id`, removed with the account.
fn account_fk<T: IntoIden + 'static>(table: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, Alias::new("account_id"))
        .to(Accounts::Table, Accounts::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index<T: IntoIden + 'static>(
    name: &str,
    table: T,
    columns: &[&str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_auto(Accounts::Id))
                    .col(string_len(Accounts::Username, 64))
                    .col(string_len(Accounts::Domain, 64))
                    .col(string_len_null(Accounts::Email, 255))
                    .col(boolean(Accounts::Activated).default(false))
                    .col(string_len_null(Accounts::ConfirmationKey, 14))
                    .col(string_len(Accounts::IpAddress, 39))
                    .col(string_len(Accounts::UserAgent, 255))
                    .col(date_time(Accounts::CreationTime))
                    .col(date_time_null(Accounts::ExpireTime))
                    .col(string_len_null(Accounts::Phone, 64))
                    .col(integer(Accounts::FailedCodeAttempts).default(0))
                    .to_owned(),
            )
            .await?;
        for statement in [
            index(
                "accounts_username_domain_unique",
                Accounts::Table,
                &["username", "domain"],
                true,
            ),
            index("accounts_phone_index", Accounts::Table, &["phone"], false),
            index(
                "accounts_confirmation_key_index",
                Accounts::Table,
                &["confirmation_key"],
                false,
            ),
            index(
                "accounts_creation_time_index",
                Accounts::Table,
                &["creation_time"],
                false,
            ),
        ] {
            manager.create_index(statement).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Passwords::Table)
                    .col(pk_auto(Passwords::Id))
                    .col(integer(Passwords::AccountId))
                    .col(string_len(Passwords::Password, 255))
                    .col(string_len(Passwords::Algorithm, 10).default("MD5"))
                    .foreign_key(&mut account_fk(Passwords::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "passwords_account_id_algorithm_unique",
                Passwords::Table,
                &["account_id", "algorithm"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Aliases::Table)
                    .col(pk_auto(Aliases::Id))
                    .col(integer(Aliases::AccountId))
                    .col(string_len(Aliases::Alias, 64))
                    .col(string_len(Aliases::Domain, 64))
                    .foreign_key(&mut account_fk(Aliases::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "aliases_alias_domain_unique",
                Aliases::Table,
                &["alias", "domain"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "aliases_account_id_index",
                Aliases::Table,
                &["account_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Nonces::Table)
                    .col(pk_auto(Nonces::Id))
                    .col(integer(Nonces::AccountId))
                    .col(string_len(Nonces::Nonce, 64))
                    .col(big_integer(Nonces::Nc).default(0))
                    .col(date_time(Nonces::CreatedAt))
                    .col(date_time(Nonces::UpdatedAt))
                    .foreign_key(&mut account_fk(Nonces::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "nonces_nonce_unique",
                Nonces::Table,
                &["nonce"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "nonces_account_id_index",
                Nonces::Table,
                &["account_id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "nonces_updated_at_index",
                Nonces::Table,
                &["updated_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Admins::Table)
                    .col(pk_auto(Admins::Id))
                    .col(integer(Admins::AccountId))
                    .col(date_time(Admins::CreatedAt))
                    .col(date_time(Admins::UpdatedAt))
                    .foreign_key(&mut account_fk(Admins::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "admins_account_id_unique",
                Admins::Table,
                &["account_id"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(pk_auto(ApiKeys::Id))
                    .col(integer(ApiKeys::AccountId))
                    .col(string_len(ApiKeys::Key, 64))
                    .col(date_time_null(ApiKeys::LastUsedAt))
                    .col(date_time(ApiKeys::CreatedAt))
                    .col(date_time(ApiKeys::UpdatedAt))
                    .foreign_key(&mut account_fk(ApiKeys::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "api_keys_account_id_unique",
                ApiKeys::Table,
                &["account_id"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailChanged::Table)
                    .col(pk_auto(EmailChanged::Id))
                    .col(integer(EmailChanged::AccountId))
                    .col(string_len(EmailChanged::NewEmail, 255))
                    .col(string_len(EmailChanged::Hash, 64))
                    .col(date_time(EmailChanged::CreatedAt))
                    .col(date_time(EmailChanged::UpdatedAt))
                    .foreign_key(&mut account_fk(EmailChanged::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "email_changed_account_id_unique",
                EmailChanged::Table,
                &["account_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "email_changed_hash_unique",
                EmailChanged::Table,
                &["hash"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PhoneChangeCodes::Table)
                    .col(pk_auto(PhoneChangeCodes::Id))
                    .col(integer(PhoneChangeCodes::AccountId))
                    .col(string_len(PhoneChangeCodes::Phone, 64))
                    .col(string_len(PhoneChangeCodes::Code, 64))
                    .col(date_time(PhoneChangeCodes::CreatedAt))
                    .col(date_time(PhoneChangeCodes::UpdatedAt))
                    .foreign_key(&mut account_fk(PhoneChangeCodes::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "phone_change_codes_account_id_unique",
                PhoneChangeCodes::Table,
                &["account_id"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tokens::Table)
                    .col(pk_auto(Tokens::Id))
                    .col(string_len(Tokens::Token, 64))
                    .col(string_len(Tokens::PnProvider, 64))
                    .col(string_len(Tokens::PnParam, 255))
                    .col(string_len(Tokens::PnPrid, 255))
                    .col(boolean(Tokens::Used).default(false))
                    .col(date_time(Tokens::CreatedAt))
                    .col(date_time(Tokens::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "tokens_token_unique",
                Tokens::Table,
                &["token"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "tokens_device_index",
                Tokens::Table,
                &["pn_provider", "pn_param", "pn_prid"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActivationExpirations::Table)
                    .col(pk_auto(ActivationExpirations::Id))
                    .col(integer(ActivationExpirations::AccountId))
                    .col(date_time(ActivationExpirations::Expires))
                    .col(date_time(ActivationExpirations::CreatedAt))
                    .col(date_time(ActivationExpirations::UpdatedAt))
                    .foreign_key(&mut account_fk(ActivationExpirations::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "activation_expirations_account_id_unique",
                ActivationExpirations::Table,
                &["account_id"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AppSettings::Table)
                    .col(string_len(AppSettings::Name, 64).primary_key())
                    .col(text(AppSettings::Value))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "app_settings",
            "activation_expirations",
            "tokens",
            "phone_change_codes",
            "email_changed",
            "api_keys",
            "admins",
            "nonces",
            "aliases",
            "passwords",
            "accounts",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
