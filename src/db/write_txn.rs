//! Write transactions. SQLite has one writer at a time: a writer that
//! finds the lock taken sleeps in SQLite's busy handler (1 ms, then 2, 5,
//! 10 … up to 100 ms between tries) and wakes late. So on SQLite the
//! writers of one database file queue in the process instead, behind one
//! async lock, and each starts its transaction only when it holds it; the
//! queue never holds a pooled connection, which stays free for readers.
//! MariaDB and PostgreSQL lock rows, and take every writer at once.

use std::future::Future;
use std::pin::Pin;

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
    TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

use super::Db;
use super::sqlite_direct::InPlaceWrite;

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
pub async fn begin_write(db: &Db) -> Result<WriteTxn, DbErr> {
    let Some(turn) = db.writer_turn() else {
        return Ok(WriteTxn {
            txn: db.conn().begin().await?,
            _turn: None,
        });
    };
    let turn = turn.take().await?;
    let txn = db.conn().begin().await?;
    txn.execute_unprepared("UPDATE app_settings SET value = value WHERE 1 = 0")
        .await?;
    Ok(WriteTxn {
        txn,
        _turn: Some(turn),
    })
}

/// A transaction whose statements only write (none reads, not even a
/// `RETURNING` row): run in place on a SQLite file when it can be
/// (`sqlite_direct/write.rs`), else a [`WriteTxn`]. Commit it, or drop it
/// to roll back.
pub enum OnlyWrites<'a> {
    InPlace(InPlaceWrite<'a>),
    Txn(WriteTxn),
}

impl OnlyWrites<'_> {
    pub async fn commit(self) -> Result<(), DbErr> {
        match self {
            OnlyWrites::InPlace(txn) => txn.commit().await,
            OnlyWrites::Txn(txn) => txn.commit().await,
        }
    }
}

/// Begins an [`OnlyWrites`] transaction.
pub async fn begin_only_writes(db: &Db) -> Result<OnlyWrites<'_>, DbErr> {
    if let Some(direct) = db.direct()
        && let Some(txn) = direct.begin_write().await?
    {
        return Ok(OnlyWrites::InPlace(txn));
    }
    Ok(OnlyWrites::Txn(begin_write(db).await?))
}

/// By hand, not with `async_trait`: each method hands on the boxed future
/// of the transaction it holds, adding no allocation of its own.
impl ConnectionTrait for OnlyWrites<'_> {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            OnlyWrites::InPlace(txn) => txn.get_database_backend(),
            OnlyWrites::Txn(txn) => txn.get_database_backend(),
        }
    }

    fn execute<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<ExecResult, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        match self {
            OnlyWrites::InPlace(txn) => txn.execute(stmt),
            OnlyWrites::Txn(txn) => txn.execute(stmt),
        }
    }

    fn execute_unprepared<'a, 'c, 'b>(
        &'a self,
        sql: &'c str,
    ) -> Pin<Box<dyn Future<Output = Result<ExecResult, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        'c: 'b,
        Self: 'b,
    {
        match self {
            OnlyWrites::InPlace(txn) => txn.execute_unprepared(sql),
            OnlyWrites::Txn(txn) => txn.execute_unprepared(sql),
        }
    }

    fn query_one<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<Option<QueryResult>, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        match self {
            OnlyWrites::InPlace(txn) => txn.query_one(stmt),
            OnlyWrites::Txn(txn) => txn.query_one(stmt),
        }
    }

    fn query_all<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<QueryResult>, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        match self {
            OnlyWrites::InPlace(txn) => txn.query_all(stmt),
            OnlyWrites::Txn(txn) => txn.query_all(stmt),
        }
    }

    fn support_returning(&self) -> bool {
        match self {
            OnlyWrites::InPlace(txn) => txn.support_returning(),
            OnlyWrites::Txn(txn) => txn.support_returning(),
        }
    }
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

    async fn sqlite_file(dir: &std::path::Path) -> Db {
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
