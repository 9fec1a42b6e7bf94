//! Account types, DTMF actions, dictionary entries, external accounts and
//! contacts lists (FlexiAPI 2.x). Every row that belongs to an account
//! goes with it (ON DELETE CASCADE); pivots are unique per pair.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000020_account_lists"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AccountTypes {
    Table,
    Id,
    Key,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccountAccountType {
    Table,
    Id,
    AccountId,
    AccountTypeId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccountActions {
    Table,
    Id,
    AccountId,
    Key,
    Code,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccountDictionaryEntries {
    Table,
    Id,
    AccountId,
    Key,
    Value,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ExternalAccounts {
    Table,
    Id,
    AccountId,
    Username,
    Domain,
    Password,
    Algorithm,
    Realm,
    Registrar,
    OutboundProxy,
    Protocol,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContactsLists {
    Table,
    Id,
    Title,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccountContactsList {
    Table,
    Id,
    AccountId,
    ContactsListId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContactsListContact {
    Table,
    Id,
    ContactsListId,
    ContactId,
    CreatedAt,
    UpdatedAt,
}

/// A foreign key that deletes the row with its parent.
fn cascade(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    columns: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

/// A required string compared byte for byte (a binary collation on
/// MariaDB/MySQL; the other backends already compare so).
fn exact_string(column: impl IntoIden, length: u32, mysql: bool) -> ColumnDef {
    if mysql {
        ColumnDef::new(column)
            .custom(Alias::new(format!(
                "VARCHAR({length}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )))
            .not_null()
            .to_owned()
    } else {
        string_len(column, length)
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mysql = manager.get_database_backend() == DbBackend::MySql;
        manager
            .create_table(
                Table::create()
                    .table(AccountTypes::Table)
                    .col(pk_auto(AccountTypes::Id))
                    .col(string_len(AccountTypes::Key, 64))
                    .col(date_time(AccountTypes::CreatedAt))
                    .col(date_time(AccountTypes::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountAccountType::Table)
                    .col(pk_auto(AccountAccountType::Id))
                    .col(integer(AccountAccountType::AccountId))
                    .col(integer(AccountAccountType::AccountTypeId))
                    .col(date_time(AccountAccountType::CreatedAt))
                    .col(date_time(AccountAccountType::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (AccountAccountType::Table, AccountAccountType::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (AccountAccountType::Table, AccountAccountType::AccountTypeId),
                        (AccountTypes::Table, AccountTypes::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountActions::Table)
                    .col(pk_auto(AccountActions::Id))
                    .col(integer(AccountActions::AccountId))
                    .col(string_len(AccountActions::Key, 64))
                    .col(string_len(AccountActions::Code, 64))
                    .col(date_time(AccountActions::CreatedAt))
                    .col(date_time(AccountActions::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (AccountActions::Table, AccountActions::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Dictionary keys and external usernames are case-sensitive on
        // every backend: MariaDB's default collation would make `Foo` and
        // `foo` one.
        let key = exact_string(AccountDictionaryEntries::Key, 191, mysql);
        manager
            .create_table(
                Table::create()
                    .table(AccountDictionaryEntries::Table)
                    .col(pk_auto(AccountDictionaryEntries::Id))
                    .col(integer(AccountDictionaryEntries::AccountId))
                    .col(key)
                    .col(text(AccountDictionaryEntries::Value))
                    .col(date_time(AccountDictionaryEntries::CreatedAt))
                    .col(date_time(AccountDictionaryEntries::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (
                            AccountDictionaryEntries::Table,
                            AccountDictionaryEntries::AccountId,
                        ),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExternalAccounts::Table)
                    .col(pk_auto(ExternalAccounts::Id))
                    .col(integer(ExternalAccounts::AccountId))
                    .col(exact_string(ExternalAccounts::Username, 64, mysql))
                    .col(string_len(ExternalAccounts::Domain, 64))
                    .col(string_len(ExternalAccounts::Password, 255))
                    .col(string_len(ExternalAccounts::Algorithm, 10))
                    .col(string_len_null(ExternalAccounts::Realm, 64))
                    .col(string_len_null(ExternalAccounts::Registrar, 64))
                    .col(string_len_null(ExternalAccounts::OutboundProxy, 64))
                    .col(string_len(ExternalAccounts::Protocol, 4))
                    .col(date_time(ExternalAccounts::CreatedAt))
                    .col(date_time(ExternalAccounts::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (ExternalAccounts::Table, ExternalAccounts::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactsLists::Table)
                    .col(pk_auto(ContactsLists::Id))
                    .col(string_len(ContactsLists::Title, 255))
                    .col(text(ContactsLists::Description))
                    .col(date_time(ContactsLists::CreatedAt))
                    .col(date_time(ContactsLists::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountContactsList::Table)
                    .col(pk_auto(AccountContactsList::Id))
                    .col(integer(AccountContactsList::AccountId))
                    .col(integer(AccountContactsList::ContactsListId))
                    .col(date_time(AccountContactsList::CreatedAt))
                    .col(date_time(AccountContactsList::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (AccountContactsList::Table, AccountContactsList::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (
                            AccountContactsList::Table,
                            AccountContactsList::ContactsListId,
                        ),
                        (ContactsLists::Table, ContactsLists::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactsListContact::Table)
                    .col(pk_auto(ContactsListContact::Id))
                    .col(integer(ContactsListContact::ContactsListId))
                    .col(integer(ContactsListContact::ContactId))
                    .col(date_time(ContactsListContact::CreatedAt))
                    .col(date_time(ContactsListContact::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (
                            ContactsListContact::Table,
                            ContactsListContact::ContactsListId,
                        ),
                        (ContactsLists::Table, ContactsLists::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (ContactsListContact::Table, ContactsListContact::ContactId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        // Unique pairs; their first column serves the lookups by it, the
        // second index the lookups the other way.
        let indexes = [
            index(
                "account_types_key_unique",
                AccountTypes::Table,
                vec![AccountTypes::Key.into_iden()],
                true,
            ),
            index(
                "account_account_type_unique",
                AccountAccountType::Table,
                vec![
                    AccountAccountType::AccountId.into_iden(),
                    AccountAccountType::AccountTypeId.into_iden(),
                ],
                true,
            ),
            index(
                "account_account_type_type_index",
                AccountAccountType::Table,
                vec![AccountAccountType::AccountTypeId.into_iden()],
                false,
            ),
            index(
                "account_actions_account_id_key_unique",
                AccountActions::Table,
                vec![
                    AccountActions::AccountId.into_iden(),
                    AccountActions::Key.into_iden(),
                ],
                true,
            ),
            index(
                "account_dictionary_entries_account_id_key_unique",
                AccountDictionaryEntries::Table,
                vec![
                    AccountDictionaryEntries::AccountId.into_iden(),
                    AccountDictionaryEntries::Key.into_iden(),
                ],
                true,
            ),
            index(
                "external_accounts_account_id_unique",
                ExternalAccounts::Table,
                vec![ExternalAccounts::AccountId.into_iden()],
                true,
            ),
            index(
                "external_accounts_username_domain_unique",
                ExternalAccounts::Table,
                vec![
                    ExternalAccounts::Username.into_iden(),
                    ExternalAccounts::Domain.into_iden(),
                ],
                true,
            ),
            index(
                "account_contacts_list_unique",
                AccountContactsList::Table,
                vec![
                    AccountContactsList::AccountId.into_iden(),
                    AccountContactsList::ContactsListId.into_iden(),
                ],
                true,
            ),
            index(
                "account_contacts_list_list_index",
                AccountContactsList::Table,
                vec![AccountContactsList::ContactsListId.into_iden()],
                false,
            ),
            index(
                "contacts_list_contact_unique",
                ContactsListContact::Table,
                vec![
                    ContactsListContact::ContactsListId.into_iden(),
                    ContactsListContact::ContactId.into_iden(),
                ],
                true,
            ),
            index(
                "contacts_list_contact_contact_index",
                ContactsListContact::Table,
                vec![ContactsListContact::ContactId.into_iden()],
                false,
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ContactsListContact::Table.into_iden(),
            AccountContactsList::Table.into_iden(),
            ContactsLists::Table.into_iden(),
            ExternalAccounts::Table.into_iden(),
            AccountDictionaryEntries::Table.into_iden(),
            AccountActions::Table.into_iden(),
            AccountAccountType::Table.into_iden(),
            AccountTypes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
