//! A write transaction run in place on SQLite's writing connection, for
//! the transactions that only write (an admin's account creation: the
//! account, its password, the audit entry).
//!
//! Inside sqlx each of its statements would cost two thread hand-offs, in
//! the writer's turn that every writer of the file waits for: the turn
//! would last several times the statements themselves. Here the turn holds
//! the thread for the few inserts and the commit, which appends to the WAL
//! without an fsync (`synchronous=NORMAL`, no checkpoint on this path).
//!
//! It speaks sea-orm's [`ConnectionTrait`], so the code that builds the
//! statements is the one the sqlx path runs; values are bound as sqlx binds
//! them, so the rows are the same. It cannot read: a query is an error, and
//! a transaction that must read takes sqlx's path.

use std::borrow::Cow;
use std::fmt;
use std::sync::Mutex;

use rusqlite::Connection;
use rusqlite::types::Value as SqliteValue;
use sea_orm::sqlx::error::{DatabaseError, ErrorKind};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, ExecResult, ProxyExecResult, QueryResult, RuntimeErr,
    Statement, Value,
};
use tokio::sync::OwnedMutexGuard;

use super::{SqliteDirect, stamp_text};

/// A write transaction on the writing connection, in the writer's turn.
/// Commit it, or drop it to roll back.
pub struct InPlaceWrite<'a> {
    direct: &'a SqliteDirect,
    /// `Some` until the commit; a `Mutex` because sea-orm shares a
    /// connection between threads (`Sync`), which rusqlite's is not.
    conn: Mutex<Option<Connection>>,
    _turn: OwnedMutexGuard<()>,
}

impl<'a> InPlaceWrite<'a> {
    /// Begins on `conn`, which takes SQLite's write lock at once or fails
    /// (another process writing): `None` then, and `conn` goes back.
    pub(super) fn begin(
        direct: &'a SqliteDirect,
        conn: Connection,
        turn: OwnedMutexGuard<()>,
    ) -> Option<Self> {
        if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::debug!(error = %err, "in-place SQLite write left to sqlx");
            direct.give_back_writer(conn);
            return None;
        }
        Some(InPlaceWrite {
            direct,
            conn: Mutex::new(Some(conn)),
            _turn: turn,
        })
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        let committed = self.with_conn(|conn| Ok(conn.execute_batch("COMMIT")?));
        if committed.is_ok() {
            self.direct.count_write();
        }
        // On failure, dropping rolls back.
        committed
    }

    fn with_conn<T>(
        &self,
        run: impl FnOnce(&Connection) -> Result<T, InPlaceError>,
    ) -> Result<T, DbErr> {
        let slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let conn = slot
            .as_ref()
            .ok_or_else(|| DbErr::Custom("in-place SQLite transaction already ended".into()))?;
        run(conn).map_err(InPlaceError::into_db_err)
    }
}

impl Drop for InPlaceWrite<'_> {
    fn drop(&mut self) {
        let slot = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        let Some(conn) = slot.take() else { return };
        // After a commit nothing is pending and this is a no-op; after a
        // failure it rolls back. A connection that cannot is closed, which
        // rolls back too.
        if conn.is_autocommit() || conn.execute_batch("ROLLBACK").is_ok() {
            self.direct.give_back_writer(conn);
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for InPlaceWrite<'_> {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    /// The inserted row's id comes from `last_insert_rowid`, not from a
    /// `RETURNING` row, which this connection cannot read.
    fn support_returning(&self) -> bool {
        false
    }

    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let values: Vec<SqliteValue> = match &stmt.values {
            Some(values) => values
                .0
                .iter()
                .map(sqlite_value)
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        self.with_conn(|conn| {
            let mut statement = conn.prepare_cached(&stmt.sql)?;
            let rows_affected = statement.execute(rusqlite::params_from_iter(values))?;
            Ok(exec_result(conn, rows_affected))
        })
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.with_conn(|conn| {
            conn.execute_batch(sql)?;
            let rows_affected = usize::try_from(conn.changes()).unwrap_or(usize::MAX);
            Ok(exec_result(conn, rows_affected))
        })
    }

    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Err(cannot_read(&stmt))
    }

    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        Err(cannot_read(&stmt))
    }
}

fn exec_result(conn: &Connection, rows_affected: usize) -> ExecResult {
    ProxyExecResult {
        last_insert_id: u64::try_from(conn.last_insert_rowid()).unwrap_or_default(),
        rows_affected: rows_affected as u64,
    }
    .into()
}

fn cannot_read(stmt: &Statement) -> DbErr {
    DbErr::Custom(format!(
        "an in-place SQLite write cannot read: {}",
        stmt.sql
    ))
}

/// `value` as sqlx binds it on SQLite: booleans as 0 and 1, datetimes as
/// `Y-m-d H:M:S` text with a fraction when there is one.
fn sqlite_value(value: &Value) -> Result<SqliteValue, DbErr> {
    fn integer<T: TryInto<i64>>(value: Option<T>) -> Result<SqliteValue, DbErr> {
        match value {
            None => Ok(SqliteValue::Null),
            Some(v) => v
                .try_into()
                .map(SqliteValue::Integer)
                .map_err(|_| DbErr::Custom("an integer out of SQLite's range".into())),
        }
    }
    fn or_null<T>(value: Option<T>, some: impl FnOnce(T) -> SqliteValue) -> SqliteValue {
        value.map_or(SqliteValue::Null, some)
    }
    Ok(match value {
        Value::Bool(v) => or_null(*v, |b| SqliteValue::Integer(b.into())),
        Value::TinyInt(v) => integer(*v)?,
        Value::SmallInt(v) => integer(*v)?,
        Value::Int(v) => integer(*v)?,
        Value::BigInt(v) => integer(*v)?,
        Value::TinyUnsigned(v) => integer(*v)?,
        Value::SmallUnsigned(v) => integer(*v)?,
        Value::Unsigned(v) => integer(*v)?,
        Value::BigUnsigned(v) => integer(*v)?,
        Value::Float(v) => or_null(*v, |f| SqliteValue::Real(f.into())),
        Value::Double(v) => or_null(*v, SqliteValue::Real),
        Value::String(v) => or_null(v.as_deref(), |s| SqliteValue::Text(s.clone())),
        Value::Char(v) => or_null(*v, |c| SqliteValue::Text(c.to_string())),
        Value::Bytes(v) => or_null(v.as_deref(), |b| SqliteValue::Blob(b.clone())),
        Value::ChronoDateTime(v) => or_null(v.as_deref(), |t| SqliteValue::Text(stamp_text(*t))),
        Value::ChronoDate(v) => or_null(v.as_deref(), |d| {
            SqliteValue::Text(d.format("%Y-%m-%d").to_string())
        }),
        other => {
            return Err(DbErr::Custom(format!(
                "an in-place SQLite write does not bind {other:?}"
            )));
        }
    })
}

/// A refused statement, told as sqlx tells SQLite's: the extended result
/// code, and the constraint kind that `super::super::is_unique_violation`
/// and the rest read.
#[derive(Debug)]
pub(super) struct InPlaceError {
    message: String,
    extended_code: Option<i32>,
}

impl From<rusqlite::Error> for InPlaceError {
    fn from(err: rusqlite::Error) -> Self {
        let extended_code = match &err {
            rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code),
            _ => None,
        };
        InPlaceError {
            message: err.to_string(),
            extended_code,
        }
    }
}

impl InPlaceError {
    fn into_db_err(self) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(
            Box::new(self),
        )))
    }
}

impl fmt::Display for InPlaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InPlaceError {}

impl DatabaseError for InPlaceError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        self.extended_code.map(|code| code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.extended_code {
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                ErrorKind::UniqueViolation
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => ErrorKind::ForeignKeyViolation,
            Some(ffi::SQLITE_CONSTRAINT_NOTNULL) => ErrorKind::NotNullViolation,
            Some(ffi::SQLITE_CONSTRAINT_CHECK) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rusqlite::types::Value as SqliteValue;
    use sea_orm::EntityTrait;

    use super::*;
    use crate::audit::{self, Action, By};
    use crate::auth::digest::Algorithm;
    use crate::clock::Clock;
    use crate::config::Config;
    use crate::db::accounts::{self, CreateError, NewAccount};
    use crate::db::entities::account;
    use chrono::NaiveDateTime;

    fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok()
    }

    async fn migrated_file(dir: &std::path::Path) -> crate::db::Db {
        let url = format!("sqlite://{}", dir.join("writes.sqlite").display());
        let db = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        db
    }

    fn new_account(username: &str) -> NewAccount<'_> {
        NewAccount {
            username,
            domain: "sip.example.org",
            password: Some(("s3cret", Algorithm::Sha256)),
            email: Some("a@example.org"),
            phone: None,
            activated: false,
            admin: true,
            display_name: Some("Ünïcode 🦊"),
            dtmf_protocol: Some("rfc2833"),
            confirmation_key: Some("key".into()),
            confirmation_key_expires: parse_datetime("2027-01-02 03:04:05"),
            ip_address: "::1",
            user_agent: "ua",
        }
    }

    /// Creates `username` with its audit entry in `txn`.
    async fn create(
        txn: &impl ConnectionTrait,
        username: &str,
    ) -> Result<account::Model, CreateError> {
        let config = Config::from_map(&HashMap::new()).unwrap();
        let clock = Clock::system();
        let now = parse_datetime("2026-12-03 10:11:12.250").unwrap();
        let account = accounts::insert(txn, &config, new_account(username), now).await?;
        audit::record(txn, &By::console(&clock), Action::AccountCreate, &account).await?;
        Ok(account)
    }

    /// The tables a creation writes: the column that names the account,
    /// and the columns that differ between two accounts (ids, the name and
    /// what derives from it, the audit entry's clock).
    const WRITTEN: [(&str, &str, &[&str]); 5] = [
        ("accounts", "id", &["id", "username"]),
        ("passwords", "account_id", &["id", "account_id", "password"]),
        ("admins", "account_id", &["id", "account_id"]),
        (
            "activation_expirations",
            "account_id",
            &["id", "account_id"],
        ),
        (
            "audit_log",
            "target_id",
            &["id", "target_id", "target", "created_at"],
        ),
    ];

    /// Every other column of the account's rows in `table`, as
    /// `name=storage class:value`: what Flexisip and sqlx read back.
    fn stored(
        conn: &Connection,
        (table, owner, differing): (&str, &str, &[&str]),
        account_id: i32,
    ) -> Vec<Vec<String>> {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map((), |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .filter(|name: &String| !differing.contains(&name.as_str()))
            .collect();
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("'{c}=' || typeof({c}) || ':' || quote({c})"))
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} WHERE {owner} = ?1",
            select.join(", ")
        );
        conn.prepare(&sql)
            .unwrap()
            .query_map([account_id], |row| {
                (0..columns.len()).map(|i| row.get(i)).collect()
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[tokio::test]
    async fn writes_the_rows_that_sqlx_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_file(dir.path()).await;
        let direct = db.direct().unwrap();

        let txn = crate::db::begin_write(&db).await.unwrap();
        let by_sqlx = create(&txn, "bob").await.unwrap();
        txn.commit().await.unwrap();
        let txn = direct.begin_write().await.unwrap().expect("in place");
        let in_place = create(&txn, "alice").await.unwrap();
        txn.commit().await.unwrap();

        assert_ne!(in_place.id, by_sqlx.id);
        let found = account::Entity::find_by_id(in_place.id)
            .one(&db)
            .await
            .unwrap()
            .expect("the id is the row's");
        assert_eq!(found, in_place, "sqlx reads what was written");
        let conn = Connection::open(dir.path().join("writes.sqlite")).unwrap();
        for table in WRITTEN {
            let written = stored(&conn, table, in_place.id);
            assert_eq!(written.len(), 1, "{}: one row", table.0);
            assert_eq!(written, stored(&conn, table, by_sqlx.id), "{}", table.0);
        }
    }

    #[tokio::test]
    async fn a_taken_username_is_reported_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_file(dir.path()).await;
        let direct = db.direct().unwrap();
        let txn = direct.begin_write().await.unwrap().unwrap();
        create(&txn, "alice").await.unwrap();
        txn.commit().await.unwrap();

        let txn = direct.begin_write().await.unwrap().unwrap();
        // A row written before the refused one is rolled back with it.
        txn.execute_unprepared("DELETE FROM audit_log")
            .await
            .unwrap();
        let taken = create(&txn, "alice").await;
        assert!(
            matches!(taken, Err(CreateError::UsernameTaken)),
            "{taken:?}"
        );
        drop(txn);

        let conn = Connection::open(dir.path().join("writes.sqlite")).unwrap();
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), (), |r| r.get(0))
                .unwrap()
        };
        assert_eq!((count("accounts"), count("audit_log")), (1, 1));
        // The writing connection is back, out of its transaction.
        let txn = direct.begin_write().await.unwrap().expect("in place again");
        create(&txn, "bob").await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(count("accounts"), 2);
    }

    #[tokio::test]
    async fn it_cannot_read_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_file(dir.path()).await;
        let direct = db.direct().unwrap();
        let txn = direct.begin_write().await.unwrap().unwrap();
        let read = account::Entity::find().one(&txn).await;
        assert!(
            matches!(&read, Err(DbErr::Custom(message)) if message.contains("cannot read")),
            "{read:?}"
        );
    }

    #[tokio::test]
    async fn a_write_in_progress_elsewhere_leaves_the_transaction_to_sqlx() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_file(dir.path()).await;
        let direct = db.direct().unwrap();
        let other = Connection::open(dir.path().join("writes.sqlite")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert!(direct.begin_write().await.unwrap().is_none());
        other.execute_batch("ROLLBACK").unwrap();
        assert!(direct.begin_write().await.unwrap().is_some());
    }

    #[test]
    fn values_are_bound_as_sqlx_binds_them() {
        let at = parse_datetime("2026-12-03 10:11:12.250").unwrap();
        for (value, expected) in [
            (Value::Bool(Some(true)), SqliteValue::Integer(1)),
            (Value::Bool(None), SqliteValue::Null),
            (Value::Int(Some(-7)), SqliteValue::Integer(-7)),
            (
                Value::String(Some(Box::new("a\0b".into()))),
                SqliteValue::Text("a\0b".into()),
            ),
            (
                Value::ChronoDateTime(Some(Box::new(at))),
                SqliteValue::Text("2026-12-03 10:11:12.250".into()),
            ),
            (
                Value::ChronoDate(Some(Box::new(at.date()))),
                SqliteValue::Text("2026-12-03".into()),
            ),
        ] {
            assert_eq!(sqlite_value(&value).unwrap(), expected, "{value:?}");
        }
        assert!(sqlite_value(&Value::BigUnsigned(Some(u64::MAX))).is_err());
    }
}
