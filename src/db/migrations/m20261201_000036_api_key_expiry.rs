//! `api_keys.expires_after_last_used_minutes`: keys issued to devices
//! through the API expire after a time without use; keys made in the
//! panel or the console (NULL) never do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000036_api_key_expiry"
    }
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    ExpiresAfterLastUsedMinutes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .add_column(integer_null(ApiKeys::ExpiresAfterLastUsedMinutes))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .drop_column(ApiKeys::ExpiresAfterLastUsedMinutes)
                    .to_owned(),
            )
            .await
    }
}
