//! `panel_sessions`: server-side sessions of the web panel. Only a SHA-256
//! of the session token is stored, so the table alone opens no session.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000001_panel_sessions"
    }
}

#[derive(DeriveIden)]
enum PanelSessions {
    Table,
    Id,
    TokenHash,
    AccountId,
    CsrfToken,
    Flash,
    CreatedAt,
    LastSeenAt,
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
                    .table(PanelSessions::Table)
                    .col(pk_auto(PanelSessions::Id))
                    .col(string_len(PanelSessions::TokenHash, 64))
                    .col(integer(PanelSessions::AccountId))
                    .col(string_len(PanelSessions::CsrfToken, 64))
                    .col(string_len_null(PanelSessions::Flash, 512))
                    .col(date_time(PanelSessions::CreatedAt))
                    .col(date_time(PanelSessions::LastSeenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PanelSessions::Table, PanelSessions::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Every panel request looks its session up by the token's hash.
        manager
            .create_index(
                Index::create()
                    .name("panel_sessions_token_hash_unique")
                    .table(PanelSessions::Table)
                    .col(PanelSessions::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Deactivation and deletion end an account's sessions.
        manager
            .create_index(
                Index::create()
                    .name("panel_sessions_account_id_index")
                    .table(PanelSessions::Table)
                    .col(PanelSessions::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PanelSessions::Table).to_owned())
            .await
    }
}
