//! MariaDB/MySQL only: text means the same as on SQLite and PostgreSQL.
//!
//! - Every table in utf8mb4, whatever the database's default charset, so a
//!   4-byte character (an emoji in an e-mail) is stored, not refused; the
//!   database default too, so that later tables follow.
//! - `accounts.username` and `aliases.alias` compare byte for byte, as SIP
//!   user parts do and as the other backends compare them: with MySQL's
//!   default collation `Alice` and `alice` would be one account there and
//!   two elsewhere.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000001_mysql_text_rules"
    }
}

/// The tables that exist when this migration runs.
const TABLES: &[&str] = &[
    "accounts",
    "passwords",
    "aliases",
    "nonces",
    "admins",
    "api_keys",
    "email_changed",
    "phone_change_codes",
    "tokens",
    "activation_expirations",
    "app_settings",
    "rate_limits",
    "panel_sessions",
    "phone_login_codes",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
            .await?;
        for table in TABLES {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
            ))
            .await?;
        }
        db.execute_unprepared(
            "ALTER TABLE accounts MODIFY username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "ALTER TABLE aliases MODIFY alias VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Going back to a narrower charset could lose data: nothing to undo.
        Ok(())
    }
}
