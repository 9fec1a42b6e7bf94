//! Database access: one code path for SQLite, MariaDB/MySQL and PostgreSQL,
//! the backend chosen from `DATABASE_URL`.

pub mod account_actions;
pub mod account_types;
pub mod accounts;
pub mod api_keys;
pub mod audit_log;
pub mod auth_record;
pub mod auth_tokens;
pub mod cached_sql;
pub mod code_guards;
pub mod confirmation_keys;
pub mod contacts;
pub mod contacts_lists;
pub mod creation_tokens;
pub mod dictionary;
pub mod email_changes;
pub mod entities;
pub mod external_accounts;
mod handle;
pub mod kind;
pub mod migrations;
pub mod nonces;
pub mod panel_sessions;
pub mod pending_codes;
pub mod phone_change_codes;
pub mod phone_login_codes;
pub mod provisioning_tokens;
pub mod push_tokens;
pub mod rate_limits;
pub mod recovery_codes;
pub mod recovery_tokens;
pub mod reset_password_tokens;
pub mod settings;
pub mod sqlite_direct;
pub mod startup;
mod write_txn;
mod writer_turn;

pub use handle::Db;
pub use write_txn::{OnlyWrites, WriteTxn, begin_only_writes, begin_write};

/// How long a SQLite statement waits for the write lock of another
/// connection, and a writer for its turn ([`begin_write`]).
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Each SQLite connection's page cache, in KiB (SQLite's default is
/// 2 000). The file's pages are in the system's cache anyway; a lookup
/// keeps the upper levels of its index in this one, and a larger cache
/// per connection (six or so of them) mostly costs memory.
pub const SQLITE_CACHE_SIZE: &str = "-512";

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::sqlx;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnAcquireErr, ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr, SqlErr,
};
use sea_orm_migration::MigratorTrait;

use crate::config::DbPoolConfig;

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

/// Opens a pool on `url` with the default pool settings.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    connect_with(url, &DbPoolConfig::default()).await
}

/// Opens a pool on `url`: one attempt to reach the database, bounded by the
/// connect timeout. A SQLite file is created when missing, but its
/// directory must exist: a typo never silently yields an empty database
/// elsewhere.
pub async fn connect_with(url: &str, pool: &DbPoolConfig) -> anyhow::Result<Db> {
    let options = connect_options(url, pool)?;
    // sqlx bounds the opening of a connection by the pool's acquire
    // timeout only, which is kept short for requests. The first contact
    // gets the (longer) connect timeout through a pool of its own; the
    // real pool then opens its connections on demand.
    let mut probe = options.clone();
    probe
        .max_connections(1)
        .min_connections(1)
        .connect_lazy(false)
        .acquire_timeout(pool.connect_timeout);
    let reached = tokio::time::timeout(pool.connect_timeout, Database::connect(probe))
        .await
        .unwrap_or(Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)))
        .with_context(|| {
            format!(
                "DATABASE_URL: cannot connect to the database {}",
                redacted_url(url)
            )
        })?;
    // Closing only frees the probe's connection; the error is moot.
    let _ = reached.close().await;
    let conn = Database::connect(options)
        .await
        .context("DATABASE_URL: cannot open the database pool")?;
    Ok(Db::new(conn))
}

/// The pool options for `url`: backend-specific settings, then the
/// operator's pool size and timeouts.
fn connect_options(url: &str, pool: &DbPoolConfig) -> anyhow::Result<ConnectOptions> {
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
        .acquire_timeout(pool.acquire_timeout)
        .connect_lazy(true)
        .sqlx_logging(false);
    if sqlite {
        // WAL lets readers run beside the one writer; NORMAL sync keeps
        // commits durable across a crash of the process without an fsync
        // per write. Writers wait for each other (busy timeout); write
        // transactions take the lock first (`begin_write`). The reads of
        // every request and the hot writes run in place (`sqlite_direct`),
        // so sqlx keeps few connections: each is a thread with its own
        // page cache and allocator arena (4 cost 5 MB more than 3 at the
        // peak of scripts/bench).
        options
            .max_connections(pool.max_connections.unwrap_or(3))
            .min_connections(1)
            // A connection to a local file cannot go stale: no ping (a
            // round trip to sqlx's worker thread) before every query.
            .test_before_acquire(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
                    .pragma("cache_size", SQLITE_CACHE_SIZE)
            });
    } else {
        // The ping before each use (sqlx's default) finds the connections
        // a database restart broke, so they are replaced rather than
        // failing a request.
        options
            .max_connections(pool.max_connections.unwrap_or(32))
            .min_connections(1);
    }
    Ok(options)
}

/// `url` with its password replaced by `***`, for logs and messages.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            if credentials.contains(':') {
                format!("{scheme}://{user}:***@{host}{path}")
            } else {
                format!("{scheme}://{user}@{host}{path}")
            }
        }
        None => url.to_string(),
    }
}

/// True when `err` means the database cannot be reached (down, restarting,
/// network cut, no free connection within the acquire timeout) rather than
/// a refused statement: the request may succeed later, so it gets `503`.
pub fn is_unreachable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unreachable(e)
        }
        _ => false,
    }
}

fn sqlx_unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // PostgreSQL: connection exceptions (class 08), the server
            // shutting down or starting (57P01-57P03), too many
            // connections (53300). MariaDB/MySQL: too many connections
            // (1040), server shutdown (1053), connection killed (1927).
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "53300" | "1040" | "1053" | "1927"
                )
        }),
        _ => false,
    }
}

/// Opens `url` only to read it: a SQLite file is opened read-only and never
/// created, and a server gets a small pool. For databases that are not
/// ours (an import's source, `db check`). The error names no password.
pub async fn connect_read_only(url: &str) -> anyhow::Result<DatabaseConnection> {
    let url = url.replacen("mariadb://", "mysql://", 1);
    let known = ["sqlite:", "mysql://", "postgres://", "postgresql://"];
    if !known.iter().any(|scheme| url.starts_with(scheme)) {
        bail!("not a sqlite://, mysql:// or postgres:// URL");
    }
    let mut url = url;
    if url.starts_with("sqlite:") {
        let Some(path) = sqlite_path(&url).filter(|p| p != Path::new(":memory:")) else {
            bail!("no SQLite file path in the URL");
        };
        if !path.is_file() {
            bail!("no SQLite file at {}", path.display());
        }
        url.push_str(if url.contains('?') {
            "&mode=ro"
        } else {
            "?mode=ro"
        });
    }
    // One plain connection first: a pool retries a refused connection
    // until its timeout, then reports only that it timed out.
    let probe = async {
        use sea_orm::sqlx::{Connection, MySqlConnection, PgConnection, SqliteConnection};
        if url.starts_with("mysql:") {
            MySqlConnection::connect(&url).await?.close().await
        } else if url.starts_with("sqlite:") {
            SqliteConnection::connect(&url).await?.close().await
        } else {
            PgConnection::connect(&url).await?.close().await
        }
    };
    match tokio::time::timeout(Duration::from_secs(10), probe).await {
        Err(_) => bail!("cannot connect: no answer within 10 seconds"),
        Ok(Err(err)) => bail!("cannot connect: {}", one_line(&err.to_string())),
        Ok(Ok(())) => {}
    }
    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(2)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options).await.map_err(|err| {
        // sqlx's message names the host and the cause, never the password.
        anyhow::anyhow!("cannot connect: {}", one_line(&err.to_string()))
    })
}

/// The file of a `sqlite:` URL, if it names one.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite:")?
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// `text` on one line (driver messages sometimes span several).
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migrations::Migrator::up(db, None).await
}

/// True when the server rolled the statement back to break a deadlock
/// (InnoDB's 1213, PostgreSQL's 40P01) or a serialization conflict
/// (40001): nothing was written, and the statement may simply run again.
pub fn is_lock_conflict(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx::Error::Database(db)))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::Database(db)))) = err
    else {
        return false;
    };
    db.code()
        .is_some_and(|code| matches!(code.as_ref(), "1213" | "40P01" | "40001"))
}

/// Runs one statement outside any transaction, again (at most twice more)
/// when the server picked it as a deadlock's victim: concurrent requests
/// on the same rows (e.g. one account's nonces) can deadlock on InnoDB
/// even in single statements. Inside a transaction a deadlock rolls the
/// whole transaction back, so this takes the pool, never a transaction.
pub async fn retry_lock_conflicts<'a, T, F, Fut>(
    db: &'a DatabaseConnection,
    mut statement: F,
) -> Result<T, DbErr>
where
    F: FnMut(&'a DatabaseConnection) -> Fut,
    Fut: std::future::Future<Output = Result<T, DbErr>>,
{
    let mut attempts = 1;
    loop {
        match statement(db).await {
            Err(err) if attempts < 3 && is_lock_conflict(&err) => attempts += 1,
            result => return result,
        }
    }
}

/// True when `err` is a unique-constraint violation (a lost race on insert),
/// from sqlx or from an in-place SQLite write (whose error only tells its
/// kind: sea-orm's `sql_err` knows sqlx's own error types).
pub fn is_unique_violation(err: &DbErr) -> bool {
    let of_kind = match err {
        DbErr::Exec(RuntimeErr::SqlxError(sqlx::Error::Database(db))) => db.is_unique_violation(),
        _ => false,
    };
    of_kind || matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redacted_url("postgres://flexi:s3cr%40t@db.example.org:5432/flexisip"),
            "postgres://flexi:***@db.example.org:5432/flexisip"
        );
        assert_eq!(
            redacted_url("mysql://root@127.0.0.1:3306/x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(
            redacted_url("mysql://u:p@ss@host/db?ssl-mode=disabled"),
            "mysql://u:***@host/db?ssl-mode=disabled"
        );
        assert_eq!(
            redacted_url("sqlite://flexiapi.sqlite"),
            "sqlite://flexiapi.sqlite"
        );
    }

    #[test]
    fn connection_failures_are_unreachable_statement_errors_are_not() {
        let io = || sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(is_unreachable(&DbErr::ConnectionAcquire(
            ConnAcquireErr::Timeout
        )));
        assert!(is_unreachable(&DbErr::Conn(RuntimeErr::SqlxError(io()))));
        assert!(is_unreachable(&DbErr::Query(RuntimeErr::SqlxError(io()))));
        assert!(is_unreachable(&DbErr::Exec(RuntimeErr::SqlxError(
            sqlx::Error::PoolTimedOut
        ))));
        assert!(!is_unreachable(&DbErr::Query(RuntimeErr::SqlxError(
            sqlx::Error::RowNotFound
        ))));
        assert!(!is_unreachable(&DbErr::RecordNotFound("x".into())));
        assert!(!is_unreachable(&DbErr::Custom("x".into())));
    }

    /// .cargo/config.toml builds SQLite without STAT4: with it, every
    /// lookup by a bound value is parsed and planned again once ANALYZE
    /// has run (twice the CPU of an authenticated request).
    #[tokio::test]
    async fn sqlite_is_built_without_stat4() {
        use sea_orm::{ConnectionTrait, Statement};
        let db = connect("sqlite::memory:").await.unwrap();
        let options: Vec<String> = db
            .query_all(Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA compile_options",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index(0).unwrap())
            .collect();
        assert!(
            options.iter().any(|o| o.starts_with("THREADSAFE")),
            "the pragma lists the options: {options:?}"
        );
        assert!(
            !options.iter().any(|o| o.contains("STAT4")),
            "STAT4 is compiled in: {options:?}"
        );
    }
}
