//! The turn of the writers of one SQLite file: they queue in the process
//! rather than in SQLite's busy handler (see `write_txn.rs`). Each database
//! handle holds the turn of its file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use sea_orm::{ConnAcquireErr, DatabaseConnection, DbErr};
use tokio::sync::OwnedMutexGuard;

/// The turn of the writers of one SQLite file: they queue in the process
/// rather than in SQLite's busy handler (see `write_txn.rs`).
#[derive(Clone)]
pub(super) struct WriterTurn(Arc<tokio::sync::Mutex<()>>);

impl WriterTurn {
    /// The turn of the SQLite file behind `conn`, shared with the other
    /// handles of that file still open in the process; `None` on another
    /// backend.
    pub(super) fn of(conn: &DatabaseConnection) -> Option<Self> {
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
