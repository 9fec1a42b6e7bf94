//! Console commands, run as the real binary against the test database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::test_db::TestDb;

pub(crate) struct Console {
    dir: tempfile::TempDir,
    database: TestDb,
}

impl Console {
    pub(crate) fn new() -> Self {
        Console {
            dir: tempfile::tempdir().unwrap(),
            database: TestDb::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_flexiapi"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("DATABASE_URL", self.database.url())
            .env("RUST_LOG", "warn")
            .env("APP_SIP_DOMAIN", "sip.example.org");
        command
    }

    /// The console's working directory (for input files).
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Rows in `table`, read from the console's database file.
    pub(crate) async fn count(&self, table: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Database, Statement};
        let db = Database::connect(self.database.url()).await.unwrap();
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

pub(crate) fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn accounts_create_prints_the_account() {
    let console = Console::new();
    let output = console.run(&[
        "accounts",
        "create",
        "console_user",
        "--password",
        "secret1",
    ]);
    let account = stdout_json(&output);
    assert_eq!(
        crate::helpers::keys(&account),
        crate::helpers::admin_account_keys()
    );
    assert_eq!(account["domain"], "sip.example.org");
    assert_eq!(account["activated"], false);
    assert_eq!(account["passwords"][0]["algorithm"], "SHA-256");
    assert_eq!(account["confirmation_key"].as_str().unwrap().len(), 13);

    let output = console.run(&[
        "accounts",
        "create",
        "full_user",
        "--password",
        "secret1",
        "--domain",
        "other.org",
        "--algorithm",
        "MD5",
        "--email",
        "a@example.org",
        "--phone",
        "+33612345678",
        "--activated",
        "--admin",
        "--api-key",
    ]);
    let account = stdout_json(&output);
    assert_eq!(account["domain"], "other.org");
    assert_eq!(account["activated"], true);
    assert_eq!(account["admin"], true);
    assert_eq!(account["confirmation_key"], Value::Null);
    assert_eq!(account["phone"], "+33612345678");
    assert_eq!(account["api_key"].as_str().unwrap().len(), 40);
    assert_eq!(console.count("api_keys").await, 1);
}

#[tokio::test]
async fn accounts_create_reads_the_password_from_stdin() {
    let console = Console::new();
    let output = console.run_with_stdin(
        &[
            "accounts",
            "create",
            "stdin_user",
            "--password-stdin",
            "--activated",
        ],
        "from-stdin\n",
    );
    assert_eq!(stdout_json(&output)["username"], "stdin_user");
}

#[tokio::test]
async fn bad_arguments_fail_and_write_nothing() {
    let console = Console::new();
    console.run(&["migrate"]);
    for args in [
        vec!["accounts", "create", "short", "--password", "secret1"],
        vec!["accounts", "create", "okay_user", "--password", "123"],
        vec![
            "accounts",
            "create",
            "okay_user",
            "--password",
            "secret1",
            "--algorithm",
            "SHA-1",
        ],
        vec![
            "accounts",
            "create",
            "okay_user",
            "--password",
            "secret1",
            "--phone",
            "0612",
        ],
        vec![
            "accounts",
            "create",
            "okay_user",
            "--password",
            "secret1",
            "--email",
            "nope",
        ],
        vec![
            "accounts",
            "create",
            "okay_user",
            "--password",
            "secret1",
            "--domain",
            "bad domain",
        ],
        vec!["accounts", "create", "okay_user"],
        vec!["accounts", "set-admin", "42"],
        vec!["accounts", "set-admin", "abc"],
        vec!["accounts", "api-key", "nobody@sip.example.org"],
        vec!["accounts", "api-key", "not-an-address"],
        vec!["accounts", "clear-unconfirmed", "-3"],
        vec!["digest", "clear-nonces", "soon"],
        vec!["no-such-command"],
        vec!["--bogus"],
        vec!["accounts"],
        vec!["accounts", "create"],
        vec![
            "accounts",
            "create",
            "okay_user",
            "--password",
            "a",
            "--password-stdin",
        ],
        vec!["accounts", "set-admin"],
        vec!["digest", "clear-nonces", "99999999999999999999999"],
    ] {
        let output = console.run(&args);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(output.stdout.is_empty(), "{args:?} printed on stdout");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("flexiapi: "), "{args:?}: {stderr}");
    }
    assert_eq!(console.count("accounts").await, 0);
    assert_eq!(console.count("api_keys").await, 0);

    let output = console.run(&["accounts", "create", "okay_user", "--password", "secret1"]);
    assert!(output.status.success());
    let output = console.run(&["accounts", "create", "okay_user", "--password", "secret1"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("username"));
    assert_eq!(console.count("accounts").await, 1);
}

#[test]
fn argument_errors_are_one_line_with_the_usage() {
    let console = Console::new();
    let output = console.run(&["accounts", "create", "okay_user"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "flexiapi: the following required arguments were not provided: --password <PASSWORD> \
         (usage: flexiapi accounts create --password <PASSWORD> <USERNAME>; try '--help')"
    );
    // Help is not an error: stdout, several lines, status 0.
    let output = console.run(&["accounts", "create", "--help"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).lines().count() > 3);
}

#[test]
fn a_failing_command_on_a_fresh_database_logs_no_migration_lines() {
    // Without RUST_LOG the console logs warnings only: the migrations applied
    // on the first run say nothing.
    let console = Console::new();
    let output = console
        .command(&["accounts", "set-admin", "42"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr, "flexiapi: no account with id 42\n");

    // RUST_LOG still opens the log to whoever asks.
    let fresh = Console::new();
    let output = fresh
        .command(&["accounts", "set-admin", "42"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.lines().count() > 1, "{stderr}");
}

#[test]
fn warnings_of_a_failing_command_stay_out_of_its_one_line() {
    let console = Console::new();
    let nobody = crate::registrar::fixtures::free_port();
    // Redis down: the registrar warns, and the command fails with one line.
    let output = console
        .command(&["devices", "list", "alice@sip.example.org"])
        .env_remove("RUST_LOG")
        .env("REDIS_URL", format!("redis://127.0.0.1:{nobody}/0"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr, "flexiapi: The registrar is unavailable: Redis cannot be reached\n",
        "{stderr}"
    );

    // A command that succeeds still shows its warnings.
    let output = console
        .command(&["accounts", "create", "warned_user", "--password", "secret1"])
        .env_remove("RUST_LOG")
        .env(
            "ACCOUNT_PROVISIONING_RC_FILE",
            "/nonexistent/provisioning.rc",
        )
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(stderr.contains("ACCOUNT_PROVISIONING_RC_FILE"), "{stderr}");
}

#[tokio::test]
async fn set_admin_api_key_clear_unconfirmed_and_clear_nonces() {
    let console = Console::new();
    let account = stdout_json(&console.run(&[
        "accounts",
        "create",
        "later_admin",
        "--password",
        "secret1",
        "--activated",
    ]));
    let id = account["id"].to_string();
    let output = console.run(&["accounts", "set-admin", &id]);
    assert!(output.status.success());
    assert_eq!(console.count("admins").await, 1);

    let first = console.run(&["accounts", "api-key", "sip:later_admin@sip.example.org"]);
    let second = console.run(&["accounts", "api-key", "later_admin@sip.example.org"]);
    let first = String::from_utf8(first.stdout).unwrap();
    let second = String::from_utf8(second.stdout).unwrap();
    assert_eq!(first.trim().len(), 40);
    assert_ne!(first, second, "a new key replaces the old one");
    assert_eq!(console.count("api_keys").await, 1);

    let pending = stdout_json(&console.run(&[
        "accounts",
        "create",
        "never_active",
        "--password",
        "secret1",
    ]));
    // Created just now: not older than 1 day.
    let output = console.run(&["accounts", "clear-unconfirmed", "1", "--apply"]);
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert_eq!(console.count("accounts").await, 2);
    // Older than 0 days: listed, then deleted only with --apply.
    let output = console.run(&["accounts", "clear-unconfirmed", "0"]);
    let listed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(listed.lines().count(), 1);
    let line = listed.lines().next().unwrap();
    assert!(
        line.starts_with(&format!(
            "{} never_active@sip.example.org {}",
            pending["id"],
            pending["creation_time"].as_str().unwrap()
        )),
        "{line}"
    );
    assert_eq!(console.count("accounts").await, 2);
    let output = console.run(&["accounts", "clear-unconfirmed", "0", "--apply"]);
    assert!(output.status.success());
    assert_eq!(
        console.count("accounts").await,
        1,
        "the activated account stays"
    );

    let output = console.run(&["digest", "clear-nonces", "60"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 nonce"));
}

#[tokio::test]
async fn serve_answers_then_exits_zero_on_sigterm() {
    let console = Console::new();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let address = format!("127.0.0.1:{port}");
    let child = console
        .command(&["serve", "--listen", &address])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://{address}/api/ping");
    let mut answered = false;
    for _ in 0..100 {
        // 503 while it opens its database, then 200.
        if let Ok(response) = reqwest::get(&url).await
            && response.status() == 200
        {
            assert_eq!(response.text().await.unwrap(), "pong");
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(answered, "the server never answered");
    // Secrets in paths (a provisioning key, an e-mail change link) never
    // reach the log.
    for path in [
        "/provisioning/PROVKEY123456",
        "/provisioning/qrcode/QRKEY12345678",
        "/accounts/email/confirm/MAILSECRET42",
    ] {
        reqwest::get(format!("http://{address}{path}"))
            .await
            .unwrap();
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.status.success(), "{:?}", exit.status);
    let stderr = String::from_utf8_lossy(&exit.stderr);
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(stderr.contains("path=/api/ping"), "{stderr}");
    assert!(stderr.contains("path=/provisioning/[redacted]"), "{stderr}");
    for secret in ["PROVKEY123456", "QRKEY12345678", "MAILSECRET42"] {
        assert!(!stderr.contains(secret), "{secret} logged: {stderr}");
    }
    assert!(
        !stderr.contains('\u{1b}'),
        "colours in a log file: {stderr}"
    );
}

#[test]
fn invalid_configuration_names_the_variable() {
    let console = Console::new();
    let output = console
        .command(&["migrate"])
        .env("APP_RATE_LIMIT_PER_MINUTE", "lots")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("APP_RATE_LIMIT_PER_MINUTE"), "{stderr}");

    let output = console
        .command(&["migrate"])
        .env("DATABASE_URL", "sqlite:///no/such/dir/x.sqlite")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL"));
}
