//! Database access: one code path for SQLite, MariaDB/MySQL and PostgreSQL,
//! the backend chosen from `DATABASE_URL`.

pub mod accounts;
pub mod entities;
pub mod migrations;
pub mod settings;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqlErr, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use sea_orm::DatabaseConnection as Db;

/// The pool's open connections and how many of them are idle, read without
/// touching the database.
pub fn pool_stats(db: &DatabaseConnection) -> (u32, u32) {
    fn stats<D: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<D>) -> (u32, u32) {
        (
            pool.size(),
            u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        )
    }
    match db {
        DatabaseConnection::SqlxSqlitePoolConnection(_) => stats(db.get_sqlite_connection_pool()),
        DatabaseConnection::SqlxMySqlPoolConnection(_) => stats(db.get_mysql_connection_pool()),
        DatabaseConnection::SqlxPostgresPoolConnection(_) => {
            stats(db.get_postgres_connection_pool())
        }
        _ => (0, 0),
    }
}

/// True when the database answers a trivial query within `timeout`.
pub async fn reachable(db: &DatabaseConnection, timeout: Duration) -> bool {
    matches!(tokio::time::timeout(timeout, db.ping()).await, Ok(Ok(())))
}

/// Opens a pool on `url`. A SQLite file is created when missing, but its
/// directory must exist: a typo never silently yields an empty database
/// elsewhere.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut url = url.to_string();
    let sqlite = url.starts_with("sqlite:");
    if sqlite {
        let path = url
            .trim_start_matches("sqlite:")
            .trim_start_matches("//")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        if path.is_empty() {
            bail!("DATABASE_URL: no SQLite file path in {url:?}");
        }
        if path != ":memory:" {
            let parent = Path::new(&path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty());
            if let Some(parent) = parent.filter(|p| !p.is_dir()) {
                bail!(
                    "DATABASE_URL: the directory {} of the SQLite file does not exist",
                    parent.display()
                );
            }
        }
        if !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
    }

    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if sqlite {
        // WAL lets readers run beside the one writer; NORMAL sync keeps
        // commits durable across a crash of the process without an fsync
        // per write. Writers wait for each other (busy timeout); write
        // transactions take the lock first (`begin_write`).
        options
            .max_connections(4)
            .min_connections(1)
            // A connection to a local file cannot go stale: no ping (a
            // round trip to sqlx's worker thread) before every query.
            .test_before_acquire(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
            });
    } else {
        options.max_connections(32).min_connections(1);
    }
    Database::connect(options)
        .await
        .context("DATABASE_URL: cannot connect to the database")
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once: a transaction that read first and then tried to write would
/// fail with SQLITE_BUSY when another connection wrote in between, instead
/// of waiting its turn.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute_unprepared("UPDATE app_settings SET value = value WHERE 1 = 0")
            .await?;
    }
    Ok(txn)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migrations::Migrator::up(db, None).await
}

/// True when `err` is a unique-constraint violation (a lost race on insert).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
