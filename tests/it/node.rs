//! A flexiapi node: the real `flexiapi serve` binary in its own process, on
//! its own port, as an operator runs it (several behind a load balancer).

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Node {
    pub base: String,
    pub client: reqwest::Client,
    child: Child,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Node {
    /// Starts `flexiapi serve` on a free port with only these variables
    /// (and the test defaults), without waiting for it to be ready.
    pub async fn start(vars: &[(&str, &str)]) -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let base = format!("http://127.0.0.1:{port}");
        // Its own working directory: no `.env` of the developer is read.
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_flexiapi"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(dir.path())
            .env_clear()
            .env("APP_URL", &base)
            .env("APP_SIP_DOMAIN", "sip.example.org")
            .env("RUST_LOG", "info")
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Node {
            base,
            client: reqwest::Client::new(),
            child,
            log,
            _dir: dir,
        }
    }

    /// Starts a node and waits until it serves.
    pub async fn spawn(vars: &[(&str, &str)]) -> Self {
        let node = Self::start(vars).await;
        node.wait_ready(Duration::from_secs(30)).await;
        node
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Waits until `/api/ping` answers `200`.
    pub async fn wait_ready(&self, within: Duration) {
        let started = Instant::now();
        loop {
            if let Some(200) = self.ping().await {
                return;
            }
            assert!(
                started.elapsed() < within,
                "node not ready after {within:?}; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The status of `/api/ping`, `None` while nothing listens.
    pub async fn ping(&self) -> Option<u16> {
        let response = self.client.get(self.url("/api/ping")).send().await.ok()?;
        Some(response.status().as_u16())
    }

    /// What the node logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM (through `kill`, no shell).
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the node runs").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit status, if the process ends within `within`.
    pub async fn exit_within(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(within, self.child.wait())
            .await
            .ok()
            .map(Result::unwrap)
    }

    /// Waits until the log has `times` lines containing `needle`.
    pub async fn wait_for_log(&self, needle: &str, times: usize, within: Duration) {
        let started = Instant::now();
        while self.log().matches(needle).count() < times {
            assert!(
                started.elapsed() < within,
                "{needle:?} not logged {times} times within {within:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Node {
    /// A request authenticated with the account's API key.
    pub fn as_key(
        &self,
        account: &crate::helpers::TestAccount,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("From", account.from())
            .header("x-api-key", &account.api_key)
    }
}

/// Whether the tests written for the server `backend` run in this test
/// run: in the default (SQLite) run, so that a plain `cargo test` covers
/// them, and in that backend's own run, not in the other server's.
pub fn runs_here(backend: crate::test_db::Backend) -> bool {
    use crate::test_db::Backend;
    let current = Backend::from_env();
    let runs = current == Backend::Sqlite || current == backend;
    if !runs {
        eprintln!("skipped: a {backend:?} test, run with FLEXIAPI_TEST_DB unset or naming it");
    }
    runs
}
