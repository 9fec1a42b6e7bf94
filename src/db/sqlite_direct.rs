//! The statements of every request on SQLite, run in place with rusqlite.
//!
//! sqlx runs each SQLite statement on its connection's own thread: a
//! statement costs two thread hand-offs and their wake-ups, several times
//! the few microseconds that a lookup on a unique index takes. The reads of
//! the hot paths (authentication's record, `info`), Digest's nonce update
//! and the transactions that only write ([`InPlaceWrite`]: an admin's
//! account creation) run here instead, on the calling thread, on
//! connections of their own:
//!
//! - In WAL mode a reader never waits for a writer, and the pages of an
//!   index lookup are in memory, so a read does not hold the thread for
//!   longer than the hand-offs it saves.
//! - The writes run in the writer's turn of the process
//!   (the [`super::Db`]'s) and never wait for SQLite's lock (no
//!   busy timeout): a write of another connection in progress sends them
//!   to sqlx. With `synchronous=NORMAL` a commit appends to the WAL
//!   without an fsync; the checkpoint (which syncs) never runs here but on
//!   sqlx's thread, every [`CHECKPOINT_EVERY`] writes.
//!
//! Whenever this path cannot answer (the file cannot be opened, a value
//! is stored in a form it does not read, the database is busy), it says
//! so and the caller asks sqlx, which answers or fails as before.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{Connection, OpenFlags, Row};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

mod write;
pub use write::InPlaceWrite;

use super::accounts::PendingEmail;
use super::auth_record::{ApiKeyRecord, AuthRecord};
use super::entities::{account, password};
use super::writer_turn::WriterTurn;

/// Connections kept between reads; more are opened when several threads
/// read at once, and closed after.
const IDLE_CONNECTIONS: usize = 8;

/// A reader waits this long for a lock (only WAL recovery or a
/// checkpoint that resets the log take one); then sqlx answers instead.
const BUSY_TIMEOUT: Duration = Duration::from_millis(20);

/// In-place writes between two checkpoints (a nonce update dirties about
/// three pages, an account creation about ten; SQLite's own default is a
/// checkpoint every 1 000 pages). Less is a shorter wait for the writers
/// in each checkpoint's turn (measured: 100 writes, p99 of account
/// creation 8.7 ms; 300, 10 ms; 1 000, 16 ms).
pub const CHECKPOINT_EVERY: u32 = 100;

const CHECKPOINT: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// The in-place statements of one SQLite file.
pub struct SqliteDirect {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The one writing connection, taken out by the holder of the
    /// writer's turn.
    writer: Mutex<Option<Connection>>,
    writes: AtomicU32,
    checkpointing: Arc<AtomicBool>,
    /// The turn of the file's writers, which the in-place writes take.
    turn: WriterTurn,
    /// sqlx's pool of the same file, for the checkpoints.
    db: DatabaseConnection,
}

impl SqliteDirect {
    /// The readers of the file behind `db`, its writers taking `turn`;
    /// `None` for another backend or an in-memory database (which other
    /// connections cannot see).
    pub(super) fn of(db: &DatabaseConnection, turn: WriterTurn) -> Option<Self> {
        let DatabaseConnection::SqlxSqlitePoolConnection(_) = db else {
            return None;
        };
        let options = db.get_sqlite_connection_pool().connect_options();
        let path = options.get_filename();
        // An in-memory database has no file (sqlx names it `file:…`).
        if !path.is_file() {
            return None;
        }
        Some(SqliteDirect {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
            writes: AtomicU32::new(0),
            checkpointing: Arc::default(),
            turn,
            db: db.clone(),
        })
    }

    /// What [`super::auth_record::find_for_auth`] answers, or `None` when
    /// this path could not read it.
    pub fn auth_record(&self, username: &str, domain: &str) -> Option<Option<AuthRecord>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(super::auth_record::sqlite_sql())?;
            let mut rows = statement.query((username, domain))?;
            let Some(first) = rows.next()? else {
                return Ok(None);
            };
            let mut record = auth_record_of(first)?;
            push_password(&mut record.passwords, first)?;
            while let Some(row) = rows.next()? {
                push_password(&mut record.passwords, row)?;
            }
            Ok(Some(record))
        })
    }

    /// What [`super::accounts::activated_by_address`] answers, or `None`
    /// when this path could not read it.
    pub fn activated(&self, username: &str, domain: &str) -> Option<Option<bool>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(super::accounts::activated_sqlite_sql())?;
            let mut rows = statement.query((username, domain))?;
            match rows.next()? {
                Some(row) => Ok(Some(account::activation(
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                ))),
                None => Ok(None),
            }
        })
    }

    /// Digest's nonce update (see `auth::nonces::consume`): `nc` and the
    /// last use are written when `nc` grows and the nonce is still live.
    /// Whether a row was updated, or `None` when this path could not
    /// write (nothing was written then). Waits for the writer's turn.
    pub async fn consume_nonce(
        &self,
        account_id: i32,
        value: &str,
        nc: i64,
        now: NaiveDateTime,
        live_since: NaiveDateTime,
    ) -> Result<Option<bool>, DbErr> {
        let turn = self.turn.take().await?;
        let updated = self.update_nonce(account_id, value, nc, now, live_since);
        drop(turn);
        if updated.is_some() {
            self.count_write();
        }
        Ok(updated)
    }

    fn update_nonce(
        &self,
        account_id: i32,
        value: &str,
        nc: i64,
        now: NaiveDateTime,
        live_since: NaiveDateTime,
    ) -> Option<bool> {
        const SQL: &str = "UPDATE nonces SET nc = ?1, updated_at = ?2 \
            WHERE nonce = ?3 AND account_id = ?4 AND nc < ?1 AND updated_at >= ?5";
        let writer = self.take_writer()?;
        let updated = writer
            .prepare_cached(SQL)
            .and_then(|mut update| {
                update.execute((
                    nc,
                    stamp_text(now),
                    value,
                    account_id,
                    stamp_text(live_since),
                ))
            })
            .inspect_err(|err| tracing::debug!(error = %err, "in-place SQLite write left to sqlx"));
        self.give_back_writer(writer);
        Some(updated.ok()? == 1)
    }

    /// Begins a write transaction in place, in the writer's turn (see
    /// [`InPlaceWrite`]); `None` when this path cannot write now (nothing
    /// was written then).
    pub async fn begin_write(&self) -> Result<Option<InPlaceWrite<'_>>, DbErr> {
        let turn = self.turn.take().await?;
        let Some(writer) = self.take_writer() else {
            return Ok(None);
        };
        Ok(InPlaceWrite::begin(self, writer, turn))
    }

    /// The writing connection, out of its slot (opened when it is not
    /// there); only the holder of the writer's turn takes it.
    fn take_writer(&self) -> Option<Connection> {
        let idle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        match idle {
            Some(writer) => Some(writer),
            None => self
                .open_writer()
                .inspect_err(
                    |err| tracing::debug!(error = %err, "in-place SQLite write unavailable"),
                )
                .ok(),
        }
    }

    fn give_back_writer(&self, writer: Connection) {
        *self.writer.lock().unwrap_or_else(|p| p.into_inner()) = Some(writer);
    }

    /// Checkpoints on sqlx's thread every [`CHECKPOINT_EVERY`] in-place
    /// writes. The bulk of the log is copied (and synced) while writers go
    /// on; then what they wrote meanwhile, in the writer's turn: with no
    /// write in between the copy is whole, and the next write starts the
    /// log again from the top (checkpoints that only raced the writes
    /// would never catch up, and the log would grow for ever). The writers
    /// wait only for the second, short copy.
    fn count_write(&self) {
        if self.writes.fetch_add(1, Ordering::Relaxed) % CHECKPOINT_EVERY != CHECKPOINT_EVERY - 1 {
            return;
        }
        // One at a time: a second one would find the checkpointer's lock
        // taken, and copy nothing in the turn.
        if self.checkpointing.swap(true, Ordering::Acquire) {
            return;
        }
        let db = self.db.clone();
        let turn = self.turn.clone();
        let checkpointing = self.checkpointing.clone();
        tokio::spawn(async move {
            let checkpoint = async {
                db.execute_unprepared(CHECKPOINT).await?;
                let _turn = turn.take().await?;
                db.execute_unprepared(CHECKPOINT).await
            };
            if let Err(err) = checkpoint.await {
                tracing::warn!(error = %err, "SQLite checkpoint failed");
            }
            checkpointing.store(false, Ordering::Release);
        });
    }

    /// Runs `read` on an idle connection (or a new one); `None`, logged,
    /// when it fails.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        let idle = self.lock().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => match self.open() {
                Ok(conn) => conn,
                Err(err) => {
                    tracing::debug!(error = %err, "in-place SQLite read unavailable");
                    return None;
                }
            },
        };
        let result = read(&conn);
        let mut idle = self.lock();
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(conn);
        }
        drop(idle);
        result
            .inspect_err(|err| tracing::debug!(error = %err, "in-place SQLite read left to sqlx"))
            .ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection that only reads: never creates the file, and refuses
    /// any write (`query_only`).
    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.pragma_update(None, "cache_size", super::SQLITE_CACHE_SIZE)?;
        Ok(conn)
    }

    /// The writing connection: it never waits for SQLite's lock, never
    /// checkpoints, and commits without an fsync (WAL, `synchronous=NORMAL`,
    /// as sqlx's connections).
    fn open_writer(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(Duration::ZERO)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "cache_size", super::SQLITE_CACHE_SIZE)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }
}

/// A datetime as sqlx writes it, so that the text comparisons of SQLite
/// order it among the stored ones.
fn stamp_text(value: NaiveDateTime) -> String {
    value.format("%Y-%m-%d %H:%M:%S%.f").to_string()
}

/// A datetime column as sqlx writes it (`Y-m-d H:i:s`, with a fraction
/// when there is one); any other form is left to sqlx.
struct Stamp(NaiveDateTime);

impl FromSql for Stamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(Stamp)
            .ok_or(FromSqlError::InvalidType)
    }
}

fn stamp(row: &Row<'_>, column: &str) -> rusqlite::Result<NaiveDateTime> {
    Ok(row.get::<_, Stamp>(column)?.0)
}

fn optional_stamp(row: &Row<'_>, column: &str) -> rusqlite::Result<Option<NaiveDateTime>> {
    Ok(row.get::<_, Option<Stamp>>(column)?.map(|s| s.0))
}

fn account_of(row: &Row<'_>) -> rusqlite::Result<account::Model> {
    Ok(account::Model {
        id: row.get("id")?,
        username: row.get("username")?,
        domain: row.get("domain")?,
        email: row.get("email")?,
        flexisip_activated: row.get("activated")?,
        confirmation_key: row.get("confirmation_key")?,
        ip_address: row.get("ip_address")?,
        user_agent: row.get("user_agent")?,
        creation_time: stamp(row, "creation_time")?,
        expire_time: optional_stamp(row, "expire_time")?,
        phone: row.get("phone")?,
        failed_code_attempts: row.get("failed_code_attempts")?,
        blocked: row.get("blocked")?,
        display_name: row.get("display_name")?,
        dtmf_protocol: row.get("dtmf_protocol")?,
        activated_on_unblock: row.get("activated_on_unblock")?,
    })
}

/// The record of the first row, without its passwords.
fn auth_record_of(row: &Row<'_>) -> rusqlite::Result<AuthRecord> {
    let api_key = match row.get::<_, Option<i32>>("api_key_id")? {
        Some(id) => Some(ApiKeyRecord {
            id,
            hash: row.get("api_key_hash")?,
            created_at: stamp(row, "api_key_created_at")?,
            last_used_at: optional_stamp(row, "api_key_last_used_at")?,
            expires_after_last_used_minutes: row.get("api_key_expires_after")?,
        }),
        None => None,
    };
    let new_email: Option<String> = row.get("new_email")?;
    let email_changed =
        new_email
            .zip(optional_stamp(row, "email_created_at")?)
            .map(|(new_email, created_at)| PendingEmail {
                new_email,
                created_at,
            });
    Ok(AuthRecord {
        account: account_of(row)?,
        admin: row.get::<_, i64>("admin_rows")? > 0,
        api_key,
        passwords: Vec::new(),
        confirmation_key_expires: optional_stamp(row, "expires")?,
        email_changed,
    })
}

/// Adds the row's password, once (a second key or pending e-mail row
/// would repeat it).
fn push_password(passwords: &mut Vec<password::Model>, row: &Row<'_>) -> rusqlite::Result<()> {
    let Some(id) = row.get::<_, Option<i32>>("password_id")? else {
        return Ok(());
    };
    if passwords.iter().any(|p| p.id == id) {
        return Ok(());
    }
    passwords.push(password::Model {
        id,
        account_id: row.get("id")?,
        password: row.get("password_value")?,
        algorithm: row.get("password_algorithm")?,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use std::path::Path;

    use super::*;
    use crate::db::auth_record::find_for_auth;

    async fn migrated_file(dir: &Path) -> crate::db::Db {
        let url = format!("sqlite://{}", dir.join("reads.sqlite").display());
        let db = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        db
    }

    const ACCOUNT: &str = "INSERT INTO accounts (id, username, domain, email, activated, \
        confirmation_key, ip_address, user_agent, creation_time, expire_time, phone, \
        failed_code_attempts, blocked, display_name, dtmf_protocol) VALUES ";

    #[tokio::test]
    async fn answers_what_sqlx_answers() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_file(dir.path()).await;
        for sql in [
            format!(
                "{ACCOUNT} (1, 'alice', 'sip.example.org', 'a@example.org', 1, NULL, \
                 '127.0.0.1', 'ua', '2026-01-02 03:04:05', '2027-01-01 00:00:00', '+3312', 2, \
                 0, 'Alice 🦊', 'rfc2833')"
            ),
            "INSERT INTO passwords (id, account_id, password, algorithm) VALUES \
             (7, 1, 'aaaa', 'MD5'), (3, 1, 'bbbb', 'SHA-256')"
                .into(),
            "INSERT INTO api_keys (account_id, key, last_used_at, created_at, updated_at, \
             expires_after_last_used_minutes) VALUES (1, 'hash', '2026-01-03 00:00:00.5', \
             '2026-01-02 00:00:00', '2026-01-02 00:00:00', 60)"
                .into(),
            "INSERT INTO admins (account_id, created_at, updated_at) VALUES \
             (1, '2026-01-02 00:00:00', '2026-01-02 00:00:00')"
                .into(),
            "INSERT INTO activation_expirations (account_id, expires, created_at, updated_at) \
             VALUES (1, '2026-02-01 00:00:00', '2026-01-02 00:00:00', '2026-01-02 00:00:00')"
                .into(),
            "INSERT INTO email_changed (account_id, new_email, hash, created_at, updated_at) \
             VALUES (1, 'new@example.org', 'h', '2026-01-04 00:00:00', '2026-01-04 00:00:00')"
                .into(),
            format!(
                "{ACCOUNT} (2, 'bob', 'sip.example.org', NULL, 0, 'key', '::1', 'ua', \
                 '2026-01-02 03:04:05', NULL, NULL, 0, 1, NULL, NULL)"
            ),
            // Blocked while activated: the column Flexisip reads is false.
            format!(
                "{ACCOUNT} (3, 'dave', 'sip.example.org', NULL, 0, NULL, '::1', 'ua', \
                 '2026-01-02 03:04:05', NULL, NULL, 0, 1, NULL, NULL)"
            ),
            "UPDATE accounts SET activated_on_unblock = 1 WHERE id = 3".into(),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        let reads = db.direct().expect("a SQLite file");
        for (username, domain) in [
            ("alice", "sip.example.org"),
            ("bob", "sip.example.org"),
            ("carol", "sip.example.org"),
            ("dave", "sip.example.org"),
            ("Alice", "sip.example.org"),
        ] {
            let in_place = reads.auth_record(username, domain).expect("read in place");
            let sqlx = find_for_auth(&db, username, domain).await.unwrap();
            assert_eq!(in_place, sqlx, "{username}");
            let activated = reads.activated(username, domain).expect("read in place");
            assert_eq!(activated, sqlx.as_ref().map(|r| r.account.is_activated()));
        }
        let dave = reads.activated("dave", "sip.example.org");
        assert_eq!(dave, Some(Some(true)), "blocked, still activated");
        let alice = reads
            .auth_record("alice", "sip.example.org")
            .unwrap()
            .unwrap();
        assert!(alice.admin);
        let ids: Vec<i32> = alice.passwords.iter().map(|p| p.id).collect();
        assert_eq!(ids, [3, 7], "passwords oldest first");
        assert!(alice.email_changed.is_some() && alice.confirmation_key_expires.is_some());
        assert_eq!(
            alice.api_key.unwrap().expires_after_last_used_minutes,
            Some(60)
        );
    }

    #[tokio::test]
    async fn a_value_it_cannot_read_is_left_to_sqlx() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_file(dir.path()).await;
        // A datetime without seconds, which sqlx also reads.
        db.execute_unprepared(&format!(
            "{ACCOUNT} (1, 'alice', 'h', NULL, 1, NULL, '::1', 'ua', '2026-01-02 03:04', NULL, \
             NULL, 0, 0, NULL, NULL)"
        ))
        .await
        .unwrap();
        let reads = db.direct().unwrap();
        assert_eq!(reads.auth_record("alice", "h"), None, "not read in place");
        let found = crate::db::auth_record::find(&db, "alice", "h")
            .await
            .unwrap()
            .expect("sqlx reads it");
        assert_eq!(found.account.username, "alice");
    }

    async fn with_nonce(dir: &Path, updated_at: &str) -> crate::db::Db {
        let db = migrated_file(dir).await;
        for sql in [
            format!(
                "{ACCOUNT} (1, 'alice', 'h', NULL, 1, NULL, '::1', 'ua', '2026-01-02 03:04:05', \
                 NULL, NULL, 0, 0, NULL, NULL)"
            ),
            format!(
                "INSERT INTO nonces (id, account_id, nonce, nc, created_at, updated_at) \
                 VALUES (1, 1, 'n1', 1, '{updated_at}', '{updated_at}')"
            ),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        db
    }

    fn at(text: &str) -> NaiveDateTime {
        crate::clock::parse_datetime(text).unwrap()
    }

    #[tokio::test]
    async fn the_nonce_count_must_grow_and_the_nonce_be_live() {
        use crate::db::entities::nonce;
        use sea_orm::EntityTrait;

        let dir = tempfile::tempdir().unwrap();
        let db = with_nonce(dir.path(), "2026-01-02 10:00:00").await;
        let direct = db.direct().unwrap();
        let now = at("2026-01-02 10:30:00");
        let live_since = at("2026-01-02 09:30:00");
        for (account_id, value, nc, expected, case) in [
            (1, "n1", 2, true, "nc grows"),
            (1, "n1", 2, false, "replay"),
            (1, "n1", 1, false, "older nc"),
            (2, "n1", 3, false, "other account"),
            (1, "n2", 3, false, "unknown"),
        ] {
            let updated = direct
                .consume_nonce(account_id, value, nc, now, live_since)
                .await
                .unwrap();
            assert_eq!(updated, Some(expected), "{case}");
        }
        let stored = nonce::Entity::find_by_id(1)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.nc, stored.updated_at),
            (2, now),
            "sqlx reads what was written"
        );

        let later = at("2026-01-02 11:31:00");
        let expired_since = at("2026-01-02 10:31:00");
        assert_eq!(
            direct
                .consume_nonce(1, "n1", 3, later, expired_since)
                .await
                .unwrap(),
            Some(false),
            "unused for longer than its lifetime"
        );
        assert_eq!(
            direct
                .consume_nonce(1, "n1", 3, later, at("2026-01-02 10:30:00"))
                .await
                .unwrap(),
            Some(true)
        );
    }

    #[tokio::test]
    async fn a_write_in_progress_elsewhere_sends_the_update_to_sqlx() {
        let dir = tempfile::tempdir().unwrap();
        let db = with_nonce(dir.path(), "2026-01-02 10:00:00").await;
        let direct = db.direct().unwrap();
        let other = Connection::open(dir.path().join("reads.sqlite")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        let now = at("2026-01-02 10:30:00");
        assert_eq!(
            direct.consume_nonce(1, "n1", 2, now, now).await.unwrap(),
            None
        );
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "it did not wait"
        );
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(
            direct
                .consume_nonce(1, "n1", 2, now, at("2026-01-02 09:00:00"))
                .await
                .unwrap(),
            Some(true)
        );
    }

    // On two threads, as served: the checkpoints run beside the writes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checkpoints_keep_the_log_from_growing() {
        let dir = tempfile::tempdir().unwrap();
        let db = with_nonce(dir.path(), "2026-01-02 10:00:00").await;
        let direct = db.direct().unwrap();
        let start = at("2026-01-02 10:00:00");
        let rounds = 20 * CHECKPOINT_EVERY;
        for nc in 2..i64::from(rounds) + 2 {
            let now = start + chrono::Duration::milliseconds(nc);
            assert_eq!(
                direct.consume_nonce(1, "n1", nc, now, start).await.unwrap(),
                Some(true)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Each write appends about two pages to the log; without
        // checkpoints that restart it, the log would hold all of them.
        let conn = Connection::open(dir.path().join("reads.sqlite")).unwrap();
        let pages: i64 = conn.query_row(CHECKPOINT, (), |row| row.get(1)).unwrap();
        assert!(
            pages < i64::from(8 * CHECKPOINT_EVERY),
            "the log holds {pages} pages after {rounds} writes"
        );
    }

    #[tokio::test]
    async fn in_memory_databases_and_other_backends_have_no_in_place_reads() {
        let db = crate::db::connect("sqlite::memory:").await.unwrap();
        assert!(db.direct().is_none());
    }

    #[tokio::test]
    async fn its_connections_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_file(dir.path()).await;
        let reads = db.direct().unwrap();
        let wrote = reads.read(|conn| conn.execute("DELETE FROM accounts", ()));
        assert_eq!(wrote, None, "query_only refuses writes");
    }
}
