//! `accounts.activated_on_unblock`: Flexisip's stock queries filter on
//! `activated` alone, so a blocked account keeps `activated` false and this
//! column remembers the activation to restore when it is unblocked. Rows
//! already blocked are moved to that shape.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000010_activation_while_blocked"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Activated,
    Blocked,
    ActivatedOnUnblock,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(boolean(Accounts::ActivatedOnUnblock).default(false))
                    .to_owned(),
            )
            .await?;
        let blocked = Query::update()
            .table(Accounts::Table)
            .value(Accounts::ActivatedOnUnblock, Expr::col(Accounts::Activated))
            .value(Accounts::Activated, false)
            .and_where(Expr::col(Accounts::Blocked).eq(true))
            .to_owned();
        manager.exec_stmt(blocked).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let restore = Query::update()
            .table(Accounts::Table)
            .value(Accounts::Activated, Expr::col(Accounts::ActivatedOnUnblock))
            .and_where(Expr::col(Accounts::Blocked).eq(true))
            .to_owned();
        manager.exec_stmt(restore).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::ActivatedOnUnblock)
                    .to_owned(),
            )
            .await
    }
}
