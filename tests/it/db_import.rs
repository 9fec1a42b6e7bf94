//! `flexiapi db import` and `db check`, run as the real binary: a PHP
//! FlexiAPI database of mid-2021 (written here in each backend's dialect,
//! from the PHP service's Laravel migrations) copied into the test app's
//! database, then used by the running service.

use std::collections::HashMap;
use std::process::{Command, Output};

use flexiapi::db::entities::api_key;
use reqwest::Method;
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use serde_json::json;

use crate::digest_client::{authorization, challenges, h};
use crate::helpers::{TestAccount, TestApp, json};
use crate::test_db::{Backend, TestDb};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dialect {
    MariaDb,
    Sqlite,
    Postgres,
}

/// The column types Laravel's schema builder gave the PHP tables.
struct Types {
    increments: &'static str,
    big_increments: &'static str,
    unsigned: &'static str,
    boolean: &'static str,
    datetime: &'static str,
    timestamp: &'static str,
    table_options: &'static str,
    key: &'static str,
}

impl Dialect {
    fn types(self) -> Types {
        match self {
            Dialect::MariaDb => Types {
                increments: "INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY",
                big_increments: "BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY",
                unsigned: "INT UNSIGNED",
                boolean: "TINYINT(1)",
                datetime: "DATETIME",
                timestamp: "TIMESTAMP NULL",
                table_options: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
                key: "`key`",
            },
            Dialect::Sqlite => Types {
                increments: "INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL",
                big_increments: "INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL",
                unsigned: "INTEGER",
                boolean: "TINYINT(1)",
                datetime: "DATETIME",
                timestamp: "DATETIME NULL",
                table_options: "",
                key: "\"key\"",
            },
            Dialect::Postgres => Types {
                increments: "SERIAL PRIMARY KEY",
                big_increments: "BIGSERIAL PRIMARY KEY",
                unsigned: "INTEGER",
                boolean: "BOOLEAN",
                datetime: "TIMESTAMP(0) WITHOUT TIME ZONE",
                timestamp: "TIMESTAMP(0) WITHOUT TIME ZONE NULL",
                table_options: "",
                key: "\"key\"",
            },
        }
    }

    fn bool(self, value: bool) -> &'static str {
        match (self, value) {
            (Dialect::Postgres, true) => "true",
            (Dialect::Postgres, false) => "false",
            (_, true) => "1",
            (_, false) => "0",
        }
    }
}

/// The tables of the PHP service's "external" connection (Flexisip's).
fn external_ddl(d: Dialect) -> Vec<String> {
    let t = d.types();
    vec![
        format!(
            "CREATE TABLE accounts (id {inc}, username VARCHAR(64) NOT NULL, \
             domain VARCHAR(64) NOT NULL, email VARCHAR(64) NULL, \
             activated {boolean} NOT NULL DEFAULT {no}, confirmation_key VARCHAR(14) NULL, \
             ip_address VARCHAR(39) NOT NULL, user_agent VARCHAR(256) NOT NULL, \
             creation_time {dt} NOT NULL, expire_time {dt} NULL, \
             created_at {ts}, updated_at {ts}){opts}",
            inc = t.increments,
            boolean = t.boolean,
            no = d.bool(false),
            dt = t.datetime,
            ts = t.timestamp,
            opts = t.table_options
        ),
        format!(
            "CREATE TABLE passwords (id {inc}, account_id {uns} NOT NULL, \
             password VARCHAR(255) NOT NULL, algorithm VARCHAR(10) NOT NULL DEFAULT 'MD5', \
             created_at {ts}, updated_at {ts}, \
             FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE){opts}",
            inc = t.increments,
            uns = t.unsigned,
            ts = t.timestamp,
            opts = t.table_options
        ),
        format!(
            "CREATE TABLE aliases (id {big}, account_id {uns} NOT NULL, \
             alias VARCHAR(64) NOT NULL, domain VARCHAR(64) NOT NULL, \
             FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE){opts}",
            big = t.big_increments,
            uns = t.unsigned,
            opts = t.table_options
        ),
    ]
}

/// The tables of its "local" connection (Laravel's own, no foreign keys).
fn local_ddl(d: Dialect) -> Vec<String> {
    let t = d.types();
    let (inc, big, uns, ts, opts) = (
        t.increments,
        t.big_increments,
        t.unsigned,
        t.timestamp,
        t.table_options,
    );
    vec![
        format!(
            "CREATE TABLE migrations (id {inc}, migration VARCHAR(255) NOT NULL, \
             batch INTEGER NOT NULL){opts}"
        ),
        format!(
            "CREATE TABLE nonces (id {inc}, account_id {uns} NOT NULL, \
             nonce VARCHAR(255) NOT NULL, nc INTEGER NOT NULL DEFAULT 0, \
             created_at {ts}, updated_at {ts}){opts}"
        ),
        format!(
            "CREATE TABLE admins (id {inc}, account_id {uns} NOT NULL, \
             created_at {ts}, updated_at {ts}){opts}"
        ),
        format!(
            "CREATE TABLE email_changed (id {inc}, account_id {uns} NOT NULL UNIQUE, \
             new_email VARCHAR(255) NOT NULL, hash VARCHAR(255) NOT NULL, \
             created_at {ts}, updated_at {ts}){opts}"
        ),
        format!(
            "CREATE TABLE api_keys (id {inc}, account_id {uns} NOT NULL UNIQUE, \
             {key} VARCHAR(160) NOT NULL UNIQUE, created_at {ts}, updated_at {ts}){opts}",
            key = t.key
        ),
        format!(
            "CREATE TABLE phone_change_codes (id {inc}, account_id {uns} NOT NULL, \
             code VARCHAR(255) NOT NULL, phone VARCHAR(255) NOT NULL, \
             created_at {ts}, updated_at {ts}){opts}"
        ),
        format!(
            "CREATE TABLE tokens (id {big}, token VARCHAR(255) NOT NULL, \
             pn_provider VARCHAR(255) NOT NULL, pn_param VARCHAR(255) NOT NULL, \
             pn_prid VARCHAR(255) NOT NULL, used {boolean} NOT NULL DEFAULT {no}, \
             created_at {ts}, updated_at {ts}){opts}",
            boolean = t.boolean,
            no = d.bool(false)
        ),
        format!(
            "CREATE TABLE activation_expirations (id {big}, account_id {uns} NOT NULL, \
             expires {dt} NOT NULL, created_at {ts}, updated_at {ts}){opts}",
            dt = t.datetime
        ),
    ]
}

const DOMAIN: &str = "sip.example.org";
const OTHER_DOMAIN: &str = "other.example.org";
const PHP_API_KEY: &str = "PhpPlainTextApiKey0123456789abcdefXYZ";

fn ha1(algorithm: &str, username: &str, domain: &str, password: &str) -> String {
    h(algorithm, &format!("{username}:{domain}:{password}"))
}

/// Sample accounts: (id, username, domain, activated, confirmation_key).
/// Account 1 collides by id, account 15 by address with target accounts.
const ACCOUNTS: &[(i64, &str, &str, bool, Option<&str>)] = &[
    (1, "other_user", DOMAIN, true, None),
    (10, "clear_user", DOMAIN, true, None),
    (11, "md5_user", DOMAIN, true, None),
    (12, "sha_user", OTHER_DOMAIN, true, None),
    (13, "php_admin", DOMAIN, true, None),
    (14, "pending_user", DOMAIN, false, Some("abcdefghijklm")),
    (15, "taken_user", DOMAIN, true, None),
];

fn external_rows(d: Dialect) -> Vec<String> {
    let mut rows: Vec<String> = ACCOUNTS
        .iter()
        .map(|(id, username, domain, activated, key)| {
            format!(
                "INSERT INTO accounts (id, username, domain, email, activated, confirmation_key, \
                 ip_address, user_agent, creation_time, created_at, updated_at) VALUES \
                 ({id}, '{username}', '{domain}', '{username}@example.net', {}, {}, \
                 '192.0.2.{id}', 'Linphone/4.5 (PHP era)', '2021-06-{id:02} 10:00:00', \
                 '2021-06-{id:02} 10:00:00', '2021-06-{id:02} 10:00:00')",
                d.bool(*activated),
                key.map(|k| format!("'{k}'")).unwrap_or("NULL".into())
            )
        })
        .collect();
    let passwords = [
        (1, ha1("MD5", "other_user", DOMAIN, "other-secret"), "MD5"),
        (10, "clear-secret".to_string(), "CLRTXT"),
        (11, ha1("MD5", "md5_user", DOMAIN, "md5-secret"), "MD5"),
        (
            12,
            ha1("SHA-256", "sha_user", OTHER_DOMAIN, "sha-secret"),
            "SHA-256",
        ),
        (
            12,
            ha1("MD5", "sha_user", OTHER_DOMAIN, "sha-secret"),
            "MD5",
        ),
        // A second MD5 row (the mid-2021 schema had no unique index).
        (
            12,
            ha1("MD5", "sha_user", OTHER_DOMAIN, "sha-secret"),
            "MD5",
        ),
        (
            13,
            ha1("SHA-256", "php_admin", DOMAIN, "admin-secret"),
            "SHA-256",
        ),
        (
            14,
            ha1("SHA-256", "pending_user", DOMAIN, "pending-secret"),
            "SHA-256",
        ),
        (15, ha1("MD5", "taken_user", DOMAIN, "taken-secret"), "MD5"),
    ];
    for (account, password, algorithm) in passwords {
        rows.push(format!(
            "INSERT INTO passwords (account_id, password, algorithm) \
             VALUES ({account}, '{password}', '{algorithm}')"
        ));
    }
    rows.push(format!(
        "INSERT INTO aliases (account_id, alias, domain) VALUES (11, '+33611111111', '{DOMAIN}')"
    ));
    rows
}

fn local_rows(d: Dialect) -> Vec<String> {
    let key = d.types().key;
    vec![
        "INSERT INTO migrations (migration, batch) VALUES \
         ('2020_01_23_125119_create_accounts_passwords_tables', 1), \
         ('2021_03_02_151353_create_activation_expirations_table', 1)"
            .into(),
        "INSERT INTO nonces (account_id, nonce, nc) VALUES (10, 'n1', 3), (13, 'n2', 1)".into(),
        // The second admin row names an account that is gone (no foreign
        // keys on the local connection).
        "INSERT INTO admins (account_id, created_at, updated_at) VALUES \
         (13, '2021-06-13 10:00:00', '2021-06-13 10:00:00'), (999, NULL, NULL)"
            .into(),
        format!(
            "INSERT INTO api_keys (account_id, {key}, created_at, updated_at) VALUES \
             (13, '{PHP_API_KEY}', '2021-06-13 10:00:00', '2021-06-13 10:00:00')"
        ),
        "INSERT INTO email_changed (account_id, new_email, hash, created_at, updated_at) VALUES \
         (12, 'new-sha@example.net', 'php-link-hash', '2021-06-20 10:00:00', '2021-06-20 10:00:00')"
            .into(),
        "INSERT INTO phone_change_codes (account_id, code, phone, created_at, updated_at) VALUES \
         (14, '1234', '+33622222222', '2021-06-20 10:00:00', '2021-06-20 10:00:00')"
            .into(),
        format!(
            "INSERT INTO tokens (token, pn_provider, pn_param, pn_prid, used, created_at, updated_at) \
             VALUES ('TokenUnused0123456789', 'apns', 'ABCD.org.linphone', 'prid-1', {no}, \
             '2021-06-20 10:00:00', '2021-06-20 10:00:00'), \
             ('TokenUsed0123456789', 'fcm', 'linphone', 'prid-2', {yes}, NULL, NULL)",
            no = d.bool(false),
            yes = d.bool(true)
        ),
        "INSERT INTO activation_expirations (account_id, expires, created_at, updated_at) VALUES \
         (14, '2030-01-01 00:00:00', '2021-06-14 10:00:00', '2021-06-14 10:00:00')"
            .into(),
    ]
}

/// A throw-away database on one backend (a SQLite file that exists, empty).
struct Scratch(TestDb);

impl Scratch {
    async fn create(d: Dialect) -> Self {
        let db = TestDb::on(match d {
            Dialect::MariaDb => Backend::MariaDb,
            Dialect::Postgres => Backend::Postgres,
            Dialect::Sqlite => Backend::Sqlite,
        });
        if let Some(path) = flexiapi::db::sqlite_path(db.url()) {
            std::fs::File::create(path).unwrap();
        }
        Scratch(db)
    }

    fn url(&self) -> String {
        self.0.url().to_string()
    }

    async fn execute(&self, statements: &[String]) {
        let conn = Database::connect(self.url()).await.unwrap();
        for sql in statements {
            conn.execute_unprepared(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        conn.close().await.unwrap();
    }
}

/// How the PHP install kept its tables.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Both Laravel connections on one database.
    One(Dialect),
    /// Accounts on MariaDB, the rest on the local SQLite file (the
    /// mid-2021 default configuration).
    Split,
}

struct PhpInstall {
    main: Scratch,
    local: Option<Scratch>,
}

impl PhpInstall {
    async fn create(layout: Layout) -> Self {
        match layout {
            Layout::One(d) => {
                let main = Scratch::create(d).await;
                let mut statements = external_ddl(d);
                statements.extend(local_ddl(d));
                statements.extend(external_rows(d));
                statements.extend(local_rows(d));
                main.execute(&statements).await;
                PhpInstall { main, local: None }
            }
            Layout::Split => {
                let main = Scratch::create(Dialect::MariaDb).await;
                let mut statements = external_ddl(Dialect::MariaDb);
                statements.extend(external_rows(Dialect::MariaDb));
                main.execute(&statements).await;
                let local = Scratch::create(Dialect::Sqlite).await;
                let mut statements = local_ddl(Dialect::Sqlite);
                statements.extend(local_rows(Dialect::Sqlite));
                local.execute(&statements).await;
                PhpInstall {
                    main,
                    local: Some(local),
                }
            }
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "db".into(),
            "import".into(),
            "--from".into(),
            self.main.url(),
        ];
        if let Some(local) = &self.local {
            args.push("--from-local".into());
            args.push(local.url());
        }
        args
    }
}

/// Runs the console with `DATABASE_URL` set to `database_url`.
fn console(database_url: &str, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flexiapi"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env("APP_SIP_DOMAIN", DOMAIN)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The one line a failing command writes on stderr.
fn failure(output: &Output) -> String {
    assert!(!output.status.success(), "succeeded: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(output.stdout.is_empty(), "{output:?}");
    stderr
}

/// (read, imported, skipped) by table, from the report's table.
fn counts(report: &str) -> HashMap<String, (u64, u64, u64)> {
    report
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let [table, read, imported, skipped] = cells.as_slice() else {
                return None;
            };
            Some((
                table.to_string(),
                (
                    read.parse().ok()?,
                    imported.parse().ok()?,
                    skipped.parse().ok()?,
                ),
            ))
        })
        .collect()
}

fn first_run_counts() -> HashMap<String, (u64, u64, u64)> {
    [
        ("accounts", (7, 5, 2)),
        ("passwords", (9, 6, 3)),
        ("aliases", (1, 1, 0)),
        ("admins", (2, 1, 1)),
        ("api_keys", (1, 1, 0)),
        ("email_changed", (1, 1, 0)),
        ("phone_change_codes", (1, 1, 0)),
        ("tokens", (2, 2, 0)),
        ("activation_expirations", (1, 1, 0)),
        ("nonces", (2, 0, 2)),
    ]
    .into_iter()
    .map(|(t, c)| (t.to_string(), c))
    .collect()
}

const TABLES: &[&str] = &[
    "accounts",
    "passwords",
    "aliases",
    "admins",
    "api_keys",
    "email_changed",
    "phone_change_codes",
    "tokens",
    "activation_expirations",
    "nonces",
];

async fn table_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(app.count(table).await);
    }
    counts
}

/// Digest on `/api/accounts/me` with the first challenge offered.
async fn digest_status(app: &TestApp, username: &str, domain: &str, password: &str) -> u16 {
    let me = "/api/accounts/me";
    let from = format!("sip:{username}@{domain}");
    let response = app.get(me).header("From", &from).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let offered = challenges(&response);
    let Some(challenge) = offered.first().cloned() else {
        panic!(
            "{username}: no challenge: {}",
            response.text().await.unwrap()
        );
    };
    let header = authorization(&challenge, username, password, "GET", me, 1);
    app.get(me)
        .header("From", &from)
        .header("Authorization", header)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn admin_get(app: &TestApp, admin: &TestAccount, id: i64) -> serde_json::Value {
    let response = app
        .as_key(admin, Method::GET, &format!("/api/accounts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    json(response).await
}

async fn import_scenario(layout: Layout) {
    let php = PhpInstall::create(layout).await;
    let app = TestApp::spawn().await;
    let target = app.state.config.database_url.clone();
    // Target accounts that collide with PHP ones: #1 by id, and by address.
    let existing = app.account("target_user", "SHA-256", false).await;
    assert_eq!(existing.id, 1);
    app.account("taken_user", "SHA-256", false).await;
    let before = table_counts(&app).await;

    // A dry run reports what a run would do and writes nothing.
    let mut args = php.args();
    args.push("--dry-run".into());
    let report = stdout(&console(&target, &args));
    assert!(report.starts_with("Dry run"), "{report}");
    assert_eq!(counts(&report), first_run_counts(), "{report}");
    assert_eq!(table_counts(&app).await, before);

    let report = stdout(&console(&target, &php.args()));
    assert_eq!(counts(&report), first_run_counts(), "{report}");
    assert!(
        report.contains("accounts #1 other_user@sip.example.org: skipped, id 1 is another account")
    );
    assert!(report.contains("accounts #15 taken_user@sip.example.org: skipped, the target has"));
    assert!(report.contains("nonces: 2 Digest nonces are not carried over"));

    // Every imported activated account authenticates, with each kind of
    // stored password; the deactivated one does not.
    assert_eq!(
        digest_status(&app, "clear_user", DOMAIN, "clear-secret").await,
        200
    );
    assert_eq!(
        digest_status(&app, "md5_user", DOMAIN, "md5-secret").await,
        200
    );
    assert_eq!(
        digest_status(&app, "sha_user", OTHER_DOMAIN, "sha-secret").await,
        200
    );
    assert_eq!(
        digest_status(&app, "php_admin", DOMAIN, "admin-secret").await,
        200
    );
    let response = app
        .get("/api/accounts/me")
        .header("From", "sip:pending_user@sip.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        challenges(&response).is_empty(),
        "no Digest for the deactivated"
    );
    // The target's own accounts kept their passwords.
    assert_eq!(
        digest_status(&app, "taken_user", DOMAIN, "taken_user-pass").await,
        200
    );

    // The admin's old plain-text key works on an admin route, and is not
    // stored in clear.
    let php_admin = TestAccount {
        id: 13,
        username: "php_admin".into(),
        domain: DOMAIN.into(),
        password: String::new(),
        api_key: PHP_API_KEY.into(),
    };
    let response = app
        .as_key(&php_admin, Method::GET, "/api/accounts")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["total"], 7);
    let stored = api_key::Entity::find()
        .filter(api_key::Column::AccountId.eq(13))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.key, flexiapi::secrets::sha256_hex(PHP_API_KEY));

    // What came with the accounts.
    let md5_user = admin_get(&app, &php_admin, 11).await;
    assert_eq!(md5_user["phone"], "+33611111111");
    assert_eq!(md5_user["creation_time"], "2021-06-11 10:00:00");
    assert_eq!(md5_user["ip_address"], "192.0.2.11");
    let sha_user = admin_get(&app, &php_admin, 12).await;
    assert_eq!(sha_user["domain"], OTHER_DOMAIN);
    assert_eq!(
        sha_user["email_changed"]["new_email"],
        "new-sha@example.net"
    );
    assert_eq!(sha_user["passwords"].as_array().unwrap().len(), 2);
    let pending = admin_get(&app, &php_admin, 14).await;
    assert_eq!(pending["activated"], false);
    assert_eq!(pending["confirmation_key"], "abcdefghijklm");
    assert_eq!(pending["confirmation_key_expires"], "2030-01-01 00:00:00");
    assert_eq!(admin_get(&app, &php_admin, 13).await["admin"], true);
    let existing = admin_get(&app, &php_admin, 1).await;
    assert_eq!(existing["username"], "target_user");

    // New accounts get ids past the imported ones (PostgreSQL's sequence
    // moved too).
    let response = app
        .as_key(&php_admin, Method::POST, "/api/accounts")
        .json(&json!({"username": "after_import", "password": "secret1", "algorithm": "MD5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["id"], 15);
    let after_first = table_counts(&app).await;

    // A second run adds nothing.
    let report = stdout(&console(&target, &php.args()));
    let second = counts(&report);
    for (table, (read, _, _)) in first_run_counts() {
        assert_eq!(second[&table], (read, 0, read), "{table}: {report}");
    }
    assert!(
        report.contains("accounts: 5 already in the target"),
        "{report}"
    );
    assert_eq!(table_counts(&app).await, after_first);

    // db check tells the three kinds apart.
    let check = |url: &str| stdout(&console(url, &["db".into(), "check".into()]));
    assert!(check(&target).starts_with("ours: "));
    let php_check = check(&php.main.url());
    assert!(php_check.starts_with("php: "), "{php_check}");
    for line in [check(&target), php_check] {
        assert_eq!(line.lines().count(), 1);
    }
}

#[tokio::test]
async fn imports_a_mariadb_php_database() {
    import_scenario(Layout::One(Dialect::MariaDb)).await;
}

#[tokio::test]
async fn imports_a_sqlite_php_database() {
    import_scenario(Layout::One(Dialect::Sqlite)).await;
}

#[tokio::test]
async fn imports_a_postgresql_php_database() {
    import_scenario(Layout::One(Dialect::Postgres)).await;
}

#[tokio::test]
async fn imports_accounts_on_mariadb_with_the_local_tables_on_sqlite() {
    import_scenario(Layout::Split).await;
}

#[tokio::test]
async fn check_tells_ours_php_and_empty_apart() {
    let empty = Scratch::create(Dialect::MariaDb).await;
    let empty_sqlite = Scratch::create(Dialect::Sqlite).await;
    let php = PhpInstall::create(Layout::Split).await;
    let app = TestApp::spawn().await;
    let ours = app.state.config.database_url.clone();
    let check = |url: &str| {
        let output = console(
            &ours,
            &["db".into(), "check".into(), "--url".into(), url.into()],
        );
        let line = stdout(&output);
        assert_eq!(line.lines().count(), 1, "{line}");
        line
    };
    assert!(check(&ours).starts_with("ours: a flexiapi database, all "));
    assert!(check(&empty.url()).starts_with("empty: "));
    assert!(check(&empty_sqlite.url()).starts_with("empty: "));
    assert!(check(&php.main.url()).starts_with("php: PHP FlexiAPI account tables without"));
    assert!(
        check(&php.local.as_ref().unwrap().url()).starts_with("php: a PHP FlexiAPI local database")
    );
    // Without --url: DATABASE_URL.
    let line = stdout(&console(&ours, &["db".into(), "check".into()]));
    assert!(line.starts_with("ours: "));

    for url in [
        "nope://db",
        "mysql://root@127.0.0.1:1/php",
        "sqlite:///no/such/dir/x.sqlite",
    ] {
        let output = console(
            &ours,
            &["db".into(), "check".into(), "--url".into(), url.into()],
        );
        assert!(failure(&output).contains("--url"));
    }
}

#[tokio::test]
async fn bad_sources_and_targets_fail_on_one_line_and_write_nothing() {
    let php = PhpInstall::create(Layout::One(Dialect::Sqlite)).await;
    let empty = Scratch::create(Dialect::Sqlite).await;
    // A table of the right name with other columns.
    let odd = Scratch::create(Dialect::Sqlite).await;
    odd.execute(&[
        "CREATE TABLE migrations (id INTEGER PRIMARY KEY, migration TEXT, batch INTEGER)".into(),
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, login TEXT)".into(),
        "CREATE TABLE passwords (id INTEGER PRIMARY KEY, account_id INTEGER, password TEXT)".into(),
    ])
    .await;
    let app = TestApp::spawn().await;
    let target = app.state.config.database_url.clone();
    let before = table_counts(&app).await;

    let import = |from: &str| {
        vec![
            "db".to_string(),
            "import".into(),
            "--from".into(),
            from.to_string(),
        ]
    };
    for (from, expected) in [
        ("nope://db".to_string(), "--from: not a sqlite://"),
        (
            "mysql://root@127.0.0.1:1/php".into(),
            "--from: cannot connect",
        ),
        (
            "sqlite:///no/such/dir/php.sqlite".into(),
            "--from: no SQLite file",
        ),
        (target.clone(), "already a flexiapi database"),
        (empty.url(), "it has no tables"),
        (
            odd.url(),
            "the source's accounts table is not PHP FlexiAPI's",
        ),
    ] {
        for dry_run in [false, true] {
            let mut args = import(&from);
            if dry_run {
                args.push("--dry-run".into());
            }
            let stderr = failure(&console(&target, &args));
            assert!(stderr.contains(expected), "{from}: {stderr}");
            // Refused before the target is even opened: none is created.
            let fresh = tempfile::tempdir().unwrap();
            let path = fresh.path().join("never.sqlite");
            let stderr = failure(&console(&format!("sqlite://{}", path.display()), &args));
            assert!(stderr.contains(expected), "{from}: {stderr}");
            assert!(!path.exists(), "{from}: a target was created");
        }
    }
    // A local database is not enough on its own.
    let mut args = import(&php.main.url());
    args.extend(["--from-local".into(), "nope://x".into()]);
    assert!(failure(&console(&target, &args)).contains("--from-local: not a sqlite://"));
    assert_eq!(table_counts(&app).await, before);

    // The PHP database itself as the target: refused, left untouched.
    let stderr = failure(&console(&php.main.url(), &php.args()));
    assert!(stderr.contains("DATABASE_URL: this is a PHP FlexiAPI database"));
    let check = stdout(&console(&target, &{
        let mut a = vec!["db".to_string(), "check".into(), "--url".into()];
        a.push(php.main.url());
        a
    }));
    assert!(check.starts_with("php: "), "{check}");

    // A dry run into a SQLite target that does not exist yet creates none.
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.sqlite");
    let mut args = php.args();
    args.push("--dry-run".into());
    let report = stdout(&console(&format!("sqlite://{}", fresh.display()), &args));
    assert_eq!(counts(&report)["accounts"], (7, 7, 0), "{report}");
    assert!(!fresh.exists());
}

#[tokio::test]
async fn imports_in_batches_and_leaves_out_what_does_not_fit() {
    let php = Scratch::create(Dialect::Sqlite).await;
    let mut statements = external_ddl(Dialect::Sqlite);
    statements.extend(local_ddl(Dialect::Sqlite));
    let columns = "id, username, domain, email, activated, ip_address, user_agent, creation_time";
    statements.extend([
        // More accounts than one batch holds, each with a clear password.
        format!(
            "INSERT INTO accounts ({columns}) WITH RECURSIVE n(i) AS \
             (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100) \
             SELECT i, 'user' || i, '{DOMAIN}', NULL, 1, '192.0.2.1', 'ua', \
             '2021-06-01 10:00:00' FROM n"
        ),
        "INSERT INTO passwords (account_id, password, algorithm) \
         SELECT id, 'secret-' || id, 'CLRTXT' FROM accounts"
            .into(),
        // In a later batch, the address of account 5.
        format!(
            "INSERT INTO accounts ({columns}) VALUES \
             (1101, 'user5', '{DOMAIN}', NULL, 1, '192.0.2.1', 'ua', '2021-06-01 10:00:00')"
        ),
        "INSERT INTO passwords (account_id, password, algorithm) VALUES (1101, 'x', 'CLRTXT')"
            .into(),
        // A NUL in a username (PostgreSQL refuses it), an id past our
        // column's range, a 4-byte character and an over-long user agent.
        format!(
            "INSERT INTO accounts ({columns}) VALUES \
             (1102, 'bad' || char(0) || 'name', '{DOMAIN}', NULL, 1, '192.0.2.1', 'ua', '2021-06-01 10:00:00'), \
             (3000000000, 'huge_id', '{DOMAIN}', NULL, 1, '192.0.2.1', 'ua', '2021-06-01 10:00:00'), \
             (1103, 'emoji_user', '{DOMAIN}', 'smile😀@example.net', 0, '192.0.2.1', '{long}', \
              '2021-06-01 10:00:00')",
            long = "x".repeat(300)
        ),
    ]);
    php.execute(&statements).await;
    let app = TestApp::spawn().await;
    let target = app.state.config.database_url.clone();
    let args = vec![
        "db".to_string(),
        "import".into(),
        "--from".into(),
        php.url(),
    ];

    let expected = |imported: u64| {
        let mut counts = HashMap::new();
        counts.insert("accounts".to_string(), (1104, imported, 1104 - imported));
        counts.insert(
            "passwords".to_string(),
            (1101, imported.min(1100), 1101 - imported.min(1100)),
        );
        counts
    };
    let only_accounts = |report: &str| {
        let mut all = counts(report);
        all.retain(|table, _| table == "accounts" || table == "passwords");
        all
    };
    let mut dry = args.clone();
    dry.push("--dry-run".into());
    let report = stdout(&console(&target, &dry));
    assert_eq!(only_accounts(&report), expected(1101), "{report}");
    assert_eq!(app.count("accounts").await, 0);

    let report = stdout(&console(&target, &args));
    assert_eq!(only_accounts(&report), expected(1101), "{report}");
    assert!(report.contains("accounts #1101 user5@sip.example.org: skipped, an earlier source account has this address"), "{report}");
    assert!(report.contains("accounts #1102: skipped, its username does not fit our schema"));
    assert!(report.contains("accounts #3000000000: skipped, its id is out of range"));
    assert_eq!(app.count("accounts").await, 1101);
    assert_eq!(app.count("passwords").await, 1100);

    // The last batch's accounts authenticate like the first's.
    for id in [1, 1100] {
        let username = format!("user{id}");
        let password = format!("secret-{id}");
        assert_eq!(digest_status(&app, &username, DOMAIN, &password).await, 200);
    }
    use flexiapi::db::entities::account;
    let emoji = account::Entity::find_by_id(1103)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(emoji.email.as_deref(), Some("smile😀@example.net"));
    assert_eq!(emoji.user_agent, "x".repeat(255));
    assert!(!emoji.is_activated());

    let report = stdout(&console(&target, &args));
    assert_eq!(only_accounts(&report), expected(0), "{report}");
    assert_eq!(app.count("accounts").await, 1101);
}
