//! The database handle: sea-orm's pool and, on SQLite, the writers' turn
//! of the file and the in-place path ([`SqliteDirect`]). Callers pass it
//! to the functions of `src/db/`, which choose the path for the backend:
//! no code outside `src/db/` names a backend's fast path.

use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    Statement,
};
use tokio::sync::OwnedMutexGuard;

use super::sqlite_direct::SqliteDirect;

/// The database of the process (cheap to clone: shared pool and turn).
/// It derefs to sea-orm's connection and speaks [`ConnectionTrait`], so
/// queries take `&db` as they took the connection.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite only: the turn of the file's writers (`begin_write`).
    turn: Option<WriterTurn>,
    /// A SQLite file only: the hot statements run in place.
    direct: Option<Arc<SqliteDirect>>,
}

impl Db {
    /// The handle of an open pool. On SQLite every handle of one file in
    /// the process shares the writers' turn.
    pub fn new(conn: DatabaseConnection) -> Self {
        let turn = WriterTurn::of(&conn);
        let direct = turn
            .as_ref()
            .and_then(|turn| SqliteDirect::of(&conn, turn.clone()))
            .map(Arc::new);
        Db { conn, turn, direct }
    }

    /// sea-orm's connection (also reached by deref).
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }

    /// The writers' turn of the SQLite file; `None` on the other backends.
    pub(super) fn writer_turn(&self) -> Option<&WriterTurn> {
        self.turn.as_ref()
    }

    /// The in-place statements of the SQLite file; `None` on the other
    /// backends and in memory.
    pub(super) fn direct(&self) -> Option<&SqliteDirect> {
        self.direct.as_deref()
    }
}

impl Deref for Db {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.conn
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.conn.fmt(f)
    }
}

impl From<DatabaseConnection> for Db {
    fn from(conn: DatabaseConnection) -> Self {
        Db::new(conn)
    }
}

/// Written by hand, not with `async_trait`: each method hands on the
/// connection's own boxed future, so a query through the handle costs no
/// more than one through the connection.
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    fn execute<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<ExecResult, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.conn.execute(stmt)
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
        self.conn.execute_unprepared(sql)
    }

    fn query_one<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<Option<QueryResult>, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.conn.query_one(stmt)
    }

    fn query_all<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<QueryResult>, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.conn.query_all(stmt)
    }

    fn support_returning(&self) -> bool {
        self.conn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.conn.is_mock_connection()
    }
}

/// The turn of the writers of one SQLite file: they queue in the process
/// rather than in SQLite's busy handler (see `write_txn.rs`).
#[derive(Clone)]
pub(super) struct WriterTurn(Arc<tokio::sync::Mutex<()>>);

impl WriterTurn {
    /// The turn of the SQLite file behind `conn`, shared with the other
    /// handles of that file still open in the process; `None` on another
    /// backend.
    fn of(conn: &DatabaseConnection) -> Option<Self> {
        // Only consulted when a handle is made; the turn itself lives in
        // the handles, and goes with the last of them.
        static OPEN: Mutex<Option<HashMap<PathBuf, Weak<tokio::sync::Mutex<()>>>>> =
            Mutex::new(None);
        let DatabaseConnection::SqlxSqlitePoolConnection(_) = conn else {
            return None;
        };
        let file = conn
            .get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_path_buf();
        let mut open = OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let open = open.get_or_insert_with(HashMap::new);
        if let Some(turn) = open.get(&file).and_then(Weak::upgrade) {
            return Some(WriterTurn(turn));
        }
        open.retain(|_, turn| turn.strong_count() > 0);
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        open.insert(file, Arc::downgrade(&turn));
        Some(WriterTurn(turn))
    }

    /// Waits for the turn, bounded like SQLite's own busy wait: a writer
    /// stuck for longer is refused (503) rather than queued for ever.
    pub(super) async fn take(&self) -> Result<OwnedMutexGuard<()>, DbErr> {
        tokio::time::timeout(super::SQLITE_BUSY_TIMEOUT, self.0.clone().lock_owned())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
    }
}
