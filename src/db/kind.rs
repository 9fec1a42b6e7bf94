//! What a database holds, told from its table names: ours (sea-orm's
//! migrations table), the PHP FlexiAPI's (Laravel's `migrations` table and
//! its account tables), or nothing yet. `db check` prints it, `db import`
//! refuses a source or a target of the wrong kind.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTrait;

use super::migrations::Migrator;

/// sea-orm-migration's bookkeeping table: only our databases have it.
pub const OUR_MIGRATIONS_TABLE: &str = "seaql_migrations";
/// Laravel's bookkeeping table, in the PHP FlexiAPI's (local) database.
pub const LARAVEL_MIGRATIONS_TABLE: &str = "migrations";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    /// No table at all.
    Empty,
    /// Ours, with `applied` of our `known` migrations recorded.
    Ours { applied: usize, known: usize },
    /// The PHP FlexiAPI's: `laravel` tells whether its migrations table is
    /// here, `accounts` whether its account tables are (mid-2021 installs
    /// could keep them in a separate "external" database).
    Php { laravel: bool, accounts: bool },
    /// Tables, but neither ours nor the PHP service's.
    Other { tables: Vec<String> },
}

/// The PHP FlexiAPI's tables of its local (Laravel) connection, mid-2021.
const PHP_LOCAL_TABLES: &[&str] = &[
    "admins",
    "api_keys",
    "email_changed",
    "phone_change_codes",
    "tokens",
    "activation_expirations",
    "nonces",
];

impl DatabaseKind {
    /// Tells what `tables` (the names in one database) are.
    pub fn of_tables(tables: &BTreeSet<String>, applied: usize) -> Self {
        if tables.is_empty() {
            return DatabaseKind::Empty;
        }
        if tables.contains(OUR_MIGRATIONS_TABLE) {
            return DatabaseKind::Ours {
                applied,
                known: Migrator::migrations().len(),
            };
        }
        let accounts = tables.contains("accounts") && tables.contains("passwords");
        let laravel = tables.contains(LARAVEL_MIGRATIONS_TABLE)
            && (accounts || PHP_LOCAL_TABLES.iter().any(|t| tables.contains(*t)));
        if accounts || laravel {
            return DatabaseKind::Php { laravel, accounts };
        }
        DatabaseKind::Other {
            tables: tables.iter().cloned().collect(),
        }
    }

    /// One line for `db check`, starting with a word scripts can match.
    pub fn describe(&self) -> String {
        match self {
            DatabaseKind::Empty => "empty: no tables; `flexiapi migrate` creates ours".into(),
            DatabaseKind::Ours { applied, known } if applied >= known => {
                format!("ours: a flexiapi database, all {known} migrations applied")
            }
            DatabaseKind::Ours { applied, known } => format!(
                "ours: a flexiapi database, {applied} of {known} migrations applied \
                 (`flexiapi migrate` applies the rest)"
            ),
            DatabaseKind::Php {
                laravel: true,
                accounts: true,
            } => "php: a PHP FlexiAPI database (Laravel migrations and account tables); \
                  copy it with `flexiapi db import --from URL`"
                .into(),
            DatabaseKind::Php {
                laravel: false,
                accounts: true,
            } => "php: PHP FlexiAPI account tables without Laravel's migrations table \
                  (its other tables may be in a separate local database: \
                  `flexiapi db import --from URL --from-local LOCAL_URL`)"
                .into(),
            DatabaseKind::Php {
                accounts: false, ..
            } => "php: a PHP FlexiAPI local database without account tables \
                 (give it to `flexiapi db import` as --from-local)"
                .into(),
            DatabaseKind::Other { tables } => format!(
                "other: neither a flexiapi nor a PHP FlexiAPI database ({} table(s): {})",
                tables.len(),
                tables
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Looks at the database behind `conn`.
pub async fn inspect(conn: &DatabaseConnection) -> Result<DatabaseKind, DbErr> {
    let tables = table_names(conn).await?;
    let applied = if tables.contains(OUR_MIGRATIONS_TABLE) {
        let backend = conn.get_database_backend();
        let row = conn
            .query_one(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {OUR_MIGRATIONS_TABLE}"),
            ))
            .await?;
        row.map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0) as usize
    } else {
        0
    };
    Ok(DatabaseKind::of_tables(&tables, applied))
}

/// The names of the tables of the connection's database (schema).
pub async fn table_names(conn: &impl ConnectionTrait) -> Result<BTreeSet<String>, DbErr> {
    let backend = conn.get_database_backend();
    // Each column is renamed `name` and cast to text: MySQL's
    // information_schema answers binary strings on some versions.
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        DbBackend::MySql => {
            "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
             WHERE table_schema = DATABASE()"
        }
        DbBackend::Postgres => {
            "SELECT CAST(tablename AS TEXT) AS name FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema()"
        }
    };
    let rows = conn
        .query_all(Statement::from_string(backend, sql.to_string()))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn kinds_follow_the_bookkeeping_tables() {
        assert_eq!(DatabaseKind::of_tables(&set(&[]), 0), DatabaseKind::Empty);
        assert!(matches!(
            DatabaseKind::of_tables(&set(&["seaql_migrations", "accounts", "passwords"]), 2),
            DatabaseKind::Ours { applied: 2, .. }
        ));
        assert_eq!(
            DatabaseKind::of_tables(&set(&["migrations", "accounts", "passwords"]), 0),
            DatabaseKind::Php {
                laravel: true,
                accounts: true
            }
        );
        assert_eq!(
            DatabaseKind::of_tables(&set(&["accounts", "passwords", "aliases"]), 0),
            DatabaseKind::Php {
                laravel: false,
                accounts: true
            }
        );
        assert_eq!(
            DatabaseKind::of_tables(&set(&["migrations", "admins", "api_keys"]), 0),
            DatabaseKind::Php {
                laravel: true,
                accounts: false
            }
        );
        // A Laravel application that is not FlexiAPI.
        assert!(matches!(
            DatabaseKind::of_tables(&set(&["migrations", "users"]), 0),
            DatabaseKind::Other { .. }
        ));
        for kind in [
            DatabaseKind::Empty,
            DatabaseKind::Ours {
                applied: 1,
                known: 4,
            },
            DatabaseKind::Other {
                tables: vec!["users".into()],
            },
        ] {
            assert!(!kind.describe().contains('\n'));
        }
    }
}
