//! Direct contacts (FlexiAPI 2.x's `contacts` table): an admin gives an
//! account another account as a contact, besides the contacts lists. Both
//! ends go with their account (ON DELETE CASCADE); a pair is stored once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000040_contacts"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    AccountId,
    ContactId,
    CreatedAt,
    UpdatedAt,
}

fn cascade(column: Contacts) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(Contacts::Table, column)
        .to(Accounts::Table, Accounts::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(pk_auto(Contacts::Id))
                    .col(integer(Contacts::AccountId))
                    .col(integer(Contacts::ContactId))
                    .col(date_time(Contacts::CreatedAt))
                    .col(date_time(Contacts::UpdatedAt))
                    .foreign_key(&mut cascade(Contacts::AccountId))
                    .foreign_key(&mut cascade(Contacts::ContactId))
                    .to_owned(),
            )
            .await?;
        // The unique pair serves the lookups by account; the second index
        // the deletion of an account that is someone's contact.
        manager
            .create_index(
                Index::create()
                    .name("contacts_account_contact_unique")
                    .table(Contacts::Table)
                    .col(Contacts::AccountId)
                    .col(Contacts::ContactId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contacts_contact_id_index")
                    .table(Contacts::Table)
                    .col(Contacts::ContactId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Contacts::Table).to_owned())
            .await
    }
}
