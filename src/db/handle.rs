//! The database handle: sea-orm's pool and, on SQLite, the writers' turn
//! of the file and the in-place path ([`SqliteDirect`]). Callers pass it
//! to the functions of `src/db/`, which choose the path for the backend:
//! no code outside `src/db/` names a backend's fast path.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};

use super::sqlite_direct::SqliteDirect;
use super::writer_turn::WriterTurn;

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
