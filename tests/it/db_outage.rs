//! The database unreachable, through a TCP proxy the test switches off and
//! on, in front of the real PostgreSQL and MariaDB servers: `flexiapi
//! serve` (the real binary) waits for it at start, answers `503` while it
//! is cut, and recovers by itself.

use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::node::Node;
use crate::panel::{Browser, SESSION_COOKIE};
use crate::tcp_proxy::TcpProxy;
use crate::test_db::{Backend, TestDb};

const ACQUIRE_TIMEOUT_SECONDS: u64 = 2;

/// The real server's `host:port` in a database URL.
fn address_of(url: &str) -> &str {
    let authority = url.split("://").nth(1).unwrap().split('/').next().unwrap();
    authority.rsplit('@').next().unwrap()
}

/// `database`'s URL, through `proxy`.
fn through(database: &TestDb, proxy: &TcpProxy) -> String {
    database
        .url()
        .replacen(address_of(database.url()), &proxy.addr.to_string(), 1)
}

fn node_vars(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", url.to_string()),
        ("DB_CONNECT_TIMEOUT_SECONDS", "1".to_string()),
        (
            "DB_ACQUIRE_TIMEOUT_SECONDS",
            ACQUIRE_TIMEOUT_SECONDS.to_string(),
        ),
    ]
}

async fn start_node(url: &str) -> Node {
    let vars = node_vars(url);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Node::start(&vars).await
}

/// Asserts a `503` with a JSON message.
async fn assert_unavailable(response: reqwest::Response) {
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

async fn database_down_at_start(backend: Backend, password: Option<&str>) {
    if !crate::node::runs_here(backend) {
        return;
    }
    // Declared first, dropped last: after the node and the proxy.
    let database = TestDb::on(backend);
    let mut proxy = TcpProxy::new(address_of(database.url())).await;
    let mut url = through(&database, &proxy);
    if let Some(password) = password {
        // PostgreSQL trusts local clients: the password is only there to
        // be kept out of the log.
        url = url.replacen("postgres@", &format!("postgres:{password}@"), 1);
    }
    let mut node = start_node(&url).await;

    node.wait_for_log(
        "database unreachable, trying again",
        2,
        Duration::from_secs(20),
    )
    .await;
    // Listening already: a load balancer sees 503s, not refused connections.
    let response = node.client.get(node.url("/api/ping")).send().await.unwrap();
    assert_unavailable(response).await;
    let response = node
        .client
        .get(node.url("/api/accounts/me"))
        .send()
        .await
        .unwrap();
    assert_unavailable(response).await;
    if let Some(password) = password {
        assert!(!node.log().contains(password), "{}", node.log());
        assert!(node.log().contains(":***@"), "{}", node.log());
    }

    proxy.on().await;
    node.wait_ready(Duration::from_secs(30)).await;
    assert!(node.is_running());
    let app = TestApp::spawn_with(&[("DATABASE_URL", database.url())]).await;
    let account = app.account("late_db_user", "SHA-256", false).await;
    let response = node
        .as_key(&account, Method::GET, "/api/accounts/me")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["id"], account.id);
}

async fn database_cut_while_serving(backend: Backend) {
    if !crate::node::runs_here(backend) {
        return;
    }
    let database = TestDb::on(backend);
    let mut proxy = TcpProxy::new(address_of(database.url())).await;
    proxy.on().await;
    let mut node = start_node(&through(&database, &proxy)).await;
    node.wait_ready(Duration::from_secs(30)).await;

    let app = TestApp::spawn_with(&[("DATABASE_URL", database.url())]).await;
    let admin = app.admin().await;
    let user = app.account("outage_user", "SHA-256", false).await;
    // Sessions live in the database: one opened here is valid on the node.
    let mut browser = Browser::new(&app);
    browser.login_as(&user).await;
    let cookie = format!("{SESSION_COOKIE}={}", browser.session_cookie().unwrap());
    let me = || node.as_key(&user, Method::GET, "/api/accounts/me");
    let list = || node.as_key(&admin, Method::GET, "/api/accounts");
    let panel = || {
        node.client
            .get(node.url("/account"))
            .header("Cookie", &cookie)
    };
    assert_eq!(me().send().await.unwrap().status(), 200);
    assert_eq!(list().send().await.unwrap().status(), 200);
    assert_eq!(panel().send().await.unwrap().status(), 200);

    proxy.off().await;
    let deadline = Duration::from_secs(ACQUIRE_TIMEOUT_SECONDS + 3);
    let started = Instant::now();
    assert_unavailable(me().send().await.unwrap()).await;
    assert!(started.elapsed() < deadline, "{:?}", started.elapsed());
    let started = Instant::now();
    assert_unavailable(list().send().await.unwrap()).await;
    assert!(started.elapsed() < deadline, "{:?}", started.elapsed());
    let response = panel().send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("<html"));
    // Routes without the database keep working.
    assert_eq!(node.ping().await, Some(200));

    proxy.on().await;
    let started = Instant::now();
    loop {
        let status = me().send().await.unwrap().status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(started.elapsed() < Duration::from_secs(20), "no recovery");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(list().send().await.unwrap().status(), 200);
    assert_eq!(panel().send().await.unwrap().status(), 200);
    assert!(node.is_running(), "recovered without a restart");
}

/// The database goes silent (connections open, no answer) while a query
/// of a request is in the server: that request, and the next, get their
/// JSON `503` within `DB_QUERY_TIMEOUT_SECONDS + DB_ACQUIRE_TIMEOUT_SECONDS`,
/// not at the 30-second request cut.
async fn database_silent_with_a_request_in_flight(backend: Backend) {
    if !crate::node::runs_here(backend) {
        return;
    }
    const QUERY_TIMEOUT_SECONDS: u64 = 2;
    let database = TestDb::on(backend);
    let mut proxy = TcpProxy::new(address_of(database.url())).await;
    proxy.on().await;
    let mut vars = node_vars(&through(&database, &proxy));
    vars.push((
        "DB_QUERY_TIMEOUT_SECONDS",
        QUERY_TIMEOUT_SECONDS.to_string(),
    ));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut node = Node::start(&vars).await;
    node.wait_ready(Duration::from_secs(30)).await;
    let app = TestApp::spawn_with(&[("DATABASE_URL", database.url())]).await;
    let user = app.account("silent_user", "SHA-256", false).await;
    let me = || node.as_key(&user, Method::GET, "/api/accounts/me");
    assert_eq!(me().send().await.unwrap().status(), 200);

    // A lock on the accounts holds the node's next query in the server.
    let (lock, unlock) = match backend {
        Backend::MariaDb => ("LOCK TABLES accounts WRITE", "UNLOCK TABLES"),
        _ => ("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE", "COMMIT"),
    };
    use sea_orm::TransactionTrait;
    let holder = app.state.db.begin().await.unwrap();
    holder.execute_unprepared(lock).await.unwrap();
    let started = Instant::now();
    let in_flight = tokio::spawn(me().send());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !in_flight.is_finished(),
        "the lock did not hold the request"
    );
    // The server will answer, but the answer never arrives.
    proxy.stall().await;
    holder.execute_unprepared(unlock).await.unwrap();
    drop(holder);

    let bound = Duration::from_secs(QUERY_TIMEOUT_SECONDS + ACQUIRE_TIMEOUT_SECONDS + 2);
    assert_unavailable(in_flight.await.unwrap().unwrap()).await;
    assert!(started.elapsed() < bound, "{:?}", started.elapsed());
    let started = Instant::now();
    assert_unavailable(me().send().await.unwrap()).await;
    assert!(started.elapsed() < bound, "{:?}", started.elapsed());

    // Cut and back: the node recovers by itself.
    proxy.off().await;
    proxy.on().await;
    let started = Instant::now();
    while me().send().await.unwrap().status() != 200 {
        assert!(started.elapsed() < Duration::from_secs(30), "no recovery");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(node.is_running());
}

/// A request held by a lock while the database answers is only slow: it
/// runs to the 30-second request cut, a JSON `408`.
#[tokio::test]
async fn postgres_slow_request_is_cut_with_a_json_408() {
    if !crate::node::runs_here(Backend::Postgres) {
        return;
    }
    let database = TestDb::on(Backend::Postgres);
    let mut vars = node_vars(database.url());
    vars.push(("DB_QUERY_TIMEOUT_SECONDS", "2".to_string()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let node = Node::start(&vars).await;
    node.wait_ready(Duration::from_secs(30)).await;
    let app = TestApp::spawn_with(&[("DATABASE_URL", database.url())]).await;
    let user = app.account("slow_user", "SHA-256", false).await;
    use sea_orm::TransactionTrait;
    let holder = app.state.db.begin().await.unwrap();
    holder
        .execute_unprepared("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let response = node
        .as_key(&user, Method::GET, "/api/accounts/me")
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), 408);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "The request took too long.");
    assert!(
        took >= Duration::from_secs(29) && took < Duration::from_secs(33),
        "{took:?}"
    );
    holder.rollback().await.unwrap();
}

#[tokio::test]
async fn postgres_silent_with_a_request_in_flight() {
    database_silent_with_a_request_in_flight(Backend::Postgres).await;
}

#[tokio::test]
async fn mariadb_silent_with_a_request_in_flight() {
    database_silent_with_a_request_in_flight(Backend::MariaDb).await;
}

#[tokio::test]
async fn postgres_down_at_start() {
    database_down_at_start(Backend::Postgres, Some("pg-s3cret-pw")).await;
}

#[tokio::test]
async fn mariadb_down_at_start() {
    database_down_at_start(Backend::MariaDb, None).await;
}

#[tokio::test]
async fn postgres_cut_while_serving() {
    database_cut_while_serving(Backend::Postgres).await;
}

#[tokio::test]
async fn mariadb_cut_while_serving() {
    database_cut_while_serving(Backend::MariaDb).await;
}

#[tokio::test]
async fn pool_settings_reach_the_pool() {
    let app =
        TestApp::spawn_with(&[("DB_POOL_MAX", "5"), ("DB_ACQUIRE_TIMEOUT_SECONDS", "7")]).await;
    let db = &app.state.db;
    let (max, acquire) = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let options = db.get_sqlite_connection_pool().options();
            (options.get_max_connections(), options.get_acquire_timeout())
        }
        sea_orm::DbBackend::MySql => {
            let options = db.get_mysql_connection_pool().options();
            (options.get_max_connections(), options.get_acquire_timeout())
        }
        sea_orm::DbBackend::Postgres => {
            let options = db.get_postgres_connection_pool().options();
            (options.get_max_connections(), options.get_acquire_timeout())
        }
    };
    // 5: neither default (3 on SQLite, 32 on the servers).
    assert_eq!((max, acquire), (5, Duration::from_secs(7)));
}

#[tokio::test]
async fn a_silent_server_fails_the_attempt_within_the_connect_timeout() {
    // Accepts connections and never answers, as a host that swallows packets.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let pool = flexiapi::config::DbPoolConfig {
        max_connections: None,
        connect_timeout: Duration::from_secs(1),
        acquire_timeout: Duration::from_secs(20),
        query_timeout: Duration::from_secs(5),
    };
    for url in [
        format!("postgres://flexiapi:pw@{address}/flexisip"),
        format!("mysql://flexiapi:pw@{address}/flexisip"),
    ] {
        let started = Instant::now();
        let err = flexiapi::db::connect_with(&url, &pool).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        let message = format!("{err:#}");
        assert!(
            message.contains(":***@") && !message.contains(":pw@"),
            "{message}"
        );
    }
}
