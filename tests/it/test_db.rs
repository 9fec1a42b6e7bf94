//! The database a test runs on, chosen by `FLEXIAPI_TEST_DB`: `sqlite`
//! (default, a file in a temporary directory), `mariadb` or `postgres` (a
//! throw-away database on the machine's real server, dropped with the
//! value). Every test that builds its database through here runs unchanged
//! on the three backends.

use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;

/// The servers' addresses, overridable for a machine whose servers live
/// elsewhere.
pub(crate) fn mariadb_server() -> String {
    std::env::var("FLEXIAPI_TEST_MARIADB_URL").unwrap_or("mysql://root@127.0.0.1:3306".into())
}

pub(crate) fn postgres_server() -> String {
    std::env::var("FLEXIAPI_TEST_POSTGRES_URL")
        .unwrap_or("postgres://postgres@127.0.0.1:5432".into())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    MariaDb,
    Postgres,
}

impl Backend {
    /// The backend `FLEXIAPI_TEST_DB` names; an unknown name stops the test
    /// run rather than silently testing SQLite.
    pub(crate) fn from_env() -> Self {
        match std::env::var("FLEXIAPI_TEST_DB").as_deref() {
            Err(_) | Ok("") | Ok("sqlite") => Backend::Sqlite,
            Ok("mariadb") | Ok("mysql") => Backend::MariaDb,
            Ok("postgres") | Ok("postgresql") => Backend::Postgres,
            Ok(other) => panic!("FLEXIAPI_TEST_DB={other:?}: use sqlite, mariadb or postgres"),
        }
    }

    fn server(self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::MariaDb => Some(mariadb_server()),
            Backend::Postgres => Some(postgres_server()),
        }
    }
}

/// A database that exists for the life of this value.
pub(crate) struct TestDb {
    url: String,
    server: Option<ServerDb>,
    _dir: Option<TempDir>,
}

struct ServerDb {
    server: String,
    name: String,
}

impl TestDb {
    /// A fresh database of the backend `FLEXIAPI_TEST_DB` names.
    pub(crate) fn new() -> Self {
        Self::on(Backend::from_env())
    }

    /// A fresh database on `backend`.
    pub(crate) fn on(backend: Backend) -> Self {
        Self::on_with(backend, "")
    }

    /// A fresh database on `backend`, created with these `CREATE DATABASE`
    /// options (a server backend's, e.g. a charset).
    pub(crate) fn on_with(backend: Backend, options: &str) -> Self {
        match backend.server() {
            None => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("test.sqlite").display());
                TestDb {
                    url,
                    server: None,
                    _dir: Some(dir),
                }
            }
            Some(server) => {
                let name = format!(
                    "flexiapi_it_{}_{}",
                    std::process::id(),
                    flexiapi::secrets::random_alphanumeric(10).to_lowercase()
                );
                let statement = format!("CREATE DATABASE {name} {options}");
                on_server(&server, &statement)
                    .unwrap_or_else(|e| panic!("{server} must be running for these tests: {e}"));
                TestDb {
                    url: format!("{server}/{name}"),
                    server: Some(ServerDb { server, name }),
                    _dir: None,
                }
            }
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(db) = &self.server else { return };
        // The server under test may still hold pooled connections: force
        // them out on PostgreSQL; MariaDB drops under idle connections.
        let force = if db.server.starts_with("postgres") {
            " WITH (FORCE)"
        } else {
            ""
        };
        let statement = format!("DROP DATABASE IF EXISTS {}{force}", db.name);
        if let Err(e) = on_server(&db.server, &statement) {
            eprintln!("could not drop test database {}: {e}", db.name);
        }
    }
}

/// Runs one statement on the server's administrative database, on a thread
/// of its own so that it works from sync code and from inside a runtime.
fn on_server(server: &str, statement: &str) -> Result<(), String> {
    let admin_db = if server.starts_with("postgres") {
        "postgres"
    } else {
        "mysql"
    };
    let url = format!("{server}/{admin_db}");
    let statement = statement.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let db = Database::connect(&url).await.map_err(|e| e.to_string())?;
            let result = db.execute_unprepared(&statement).await;
            db.close().await.ok();
            result.map(|_| ()).map_err(|e| e.to_string())
        })
    })
    .join()
    .unwrap()
}
