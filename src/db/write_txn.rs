//! Write transactions. SQLite has one writer at a time: a writer that
//! finds the lock taken sleeps in SQLite's busy handler (1 ms, then 2, 5,
//! 10 … up to 100 ms between tries) and wakes late. So on SQLite the
//! writers of one database file queue in the process instead, behind one
//! async lock, and each starts its transaction only when it holds it; the
//! queue never holds a pooled connection, which stays free for readers.
//! MariaDB and PostgreSQL lock rows, and take every writer at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, Statement, TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

/// A transaction that will write; commit it, or drop it to roll back.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    /// Held until commit or drop: the turn of this writer (SQLite only).
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

/// Begins a transaction that will write. On SQLite it waits its turn among
/// the writers of the file, then takes the write lock at once: a
/// transaction that read first and then tried to write would fail with
/// SQLITE_BUSY when another connection wrote in between.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(WriteTxn {
            txn: db.begin().await?,
            _turn: None,
        });
    }
    let turn = sqlite_writer_turn(db).await?;
    let txn = db.begin().await?;
    txn.execute_unprepared("UPDATE app_settings SET value = value WHERE 1 = 0")
        .await?;
    Ok(WriteTxn {
        txn,
        _turn: Some(turn),
    })
}

/// The turn of one writer of the SQLite file behind `db`.
pub async fn sqlite_writer_turn(db: &DatabaseConnection) -> Result<OwnedMutexGuard<()>, DbErr> {
    // Bounded like SQLite's own busy wait: a writer stuck for longer is
    // refused (503) rather than queued for ever.
    tokio::time::timeout(
        super::SQLITE_BUSY_TIMEOUT,
        sqlite_writer_lock(db).lock_owned(),
    )
    .await
    .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
}

/// The writers' lock of the SQLite file behind `db`.
fn sqlite_writer_lock(db: &DatabaseConnection) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    locks.entry(file).or_default().clone()
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one(stmt).await
    }

    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all(stmt).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn sqlite_file(dir: &std::path::Path) -> DatabaseConnection {
        let url = format!("sqlite://{}", dir.join("writers.sqlite").display());
        let db = crate::db::connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE app_settings (value TEXT)")
            .await
            .unwrap();
        db
    }

    #[tokio::test]
    async fn sqlite_writers_take_turns_without_holding_a_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite_file(dir.path()).await;
        let first = begin_write(&db).await.unwrap();
        first
            .execute_unprepared("INSERT INTO app_settings VALUES ('first')")
            .await
            .unwrap();

        // More waiting writers than the pool has connections (3).
        let waiting: Vec<_> = (0..4)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    let txn = begin_write(&db).await.unwrap();
                    let rows = txn
                        .query_all(Statement::from_string(
                            DbBackend::Sqlite,
                            "SELECT value FROM app_settings",
                        ))
                        .await
                        .unwrap();
                    txn.commit().await.unwrap();
                    rows.len()
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            waiting.iter().all(|w| !w.is_finished()),
            "the other writers wait their turn"
        );
        // They wait without a connection: a reader still gets one at once.
        let read = tokio::time::timeout(
            Duration::from_secs(1),
            db.query_all(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT value FROM app_settings",
            )),
        )
        .await
        .expect("a reader gets a connection while writers wait")
        .unwrap();
        assert!(read.is_empty(), "the first writer has not committed yet");

        first.commit().await.unwrap();
        for writer in waiting {
            let seen = tokio::time::timeout(Duration::from_secs(5), writer)
                .await
                .expect("the waiting writers run once the first commits")
                .unwrap();
            assert_eq!(seen, 1, "each writer sees what the first committed");
        }
    }

    #[tokio::test]
    async fn a_dropped_writer_gives_its_turn_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite_file(dir.path()).await;
        let first = begin_write(&db).await.unwrap();
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(1), begin_write(&db))
            .await
            .expect("a rolled-back writer releases the turn")
            .unwrap();
        second.rollback().await.unwrap();
    }
}
