//! The real `flexiapi serve` against clients that misbehave at the
//! connection level: a request head sent by halves, a client holding its
//! connection through SIGTERM, more connections than the cap.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::node::Node;
use crate::test_db::{Backend, TestDb};

/// A node on its own SQLite database with these limits.
async fn node_with(database: &TestDb, vars: &[(&str, &str)]) -> Node {
    let mut all = vec![("DATABASE_URL", database.url())];
    all.extend_from_slice(vars);
    Node::spawn(&all).await
}

fn address(node: &Node) -> String {
    node.base.trim_start_matches("http://").to_string()
}

/// A connection that sent the start of a request head and stops there.
async fn half_sent_head(node: &Node) -> TcpStream {
    let mut socket = TcpStream::connect(address(node)).await.unwrap();
    socket
        .write_all(b"GET /api/ping HTTP/1.1\r\nHost: x\r\nUser-Agent: slow")
        .await
        .unwrap();
    socket
}

/// Reads until the server closes the connection (or `within` passes):
/// what it sent and how long it took.
async fn read_until_closed(
    socket: &mut TcpStream,
    within: Duration,
) -> Option<(Vec<u8>, Duration)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + within).into(), socket.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((received, started.elapsed())),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn a_half_sent_request_head_is_closed_after_the_header_timeout() {
    let database = TestDb::on(Backend::Sqlite);
    let node = node_with(&database, &[("APP_HEADER_READ_TIMEOUT_SECONDS", "1")]).await;
    let mut socket = half_sent_head(&node).await;
    let (_, after) = read_until_closed(&mut socket, Duration::from_secs(5))
        .await
        .expect("the half-sent head is still open after 5 s");
    assert!(after >= Duration::from_millis(800), "{after:?}");

    // A kept-alive connection waiting for its next request gets the same
    // time, then is closed.
    let mut socket = TcpStream::connect(address(&node)).await.unwrap();
    socket
        .write_all(b"GET /api/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, after) = read_until_closed(&mut socket, Duration::from_secs(5))
        .await
        .expect("the idle kept-alive connection is still open after 5 s");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    assert!(after >= Duration::from_millis(800), "{after:?}");

    // A complete head within the time is served as before.
    assert_eq!(node.ping().await, Some(200));
}

#[tokio::test]
async fn sigterm_ends_the_process_within_the_grace_period_whatever_clients_do() {
    let database = TestDb::on(Backend::Sqlite);
    let mut node = node_with(
        &database,
        &[
            ("APP_HEADER_READ_TIMEOUT_SECONDS", "600"),
            ("APP_SHUTDOWN_GRACE_SECONDS", "2"),
        ],
    )
    .await;
    let _slow = half_sent_head(&node).await;
    // Let the server accept it before the signal.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    node.terminate();
    let status = node
        .exit_within(Duration::from_secs(6))
        .await
        .unwrap_or_else(|| panic!("still running 6 s after SIGTERM:\n{}", node.log()));
    assert!(status.success(), "{status:?}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        node.log().contains("shutdown grace period over"),
        "{}",
        node.log()
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_place() {
    let database = TestDb::on(Backend::Sqlite);
    let node = node_with(
        &database,
        &[
            ("APP_HEADER_READ_TIMEOUT_SECONDS", "600"),
            ("APP_MAX_CONNECTIONS", "2"),
        ],
    )
    .await;
    // `wait_ready`'s client holds a kept-alive connection: one place.
    let first = half_sent_head(&node).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let fresh = || {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap()
    };
    let refused = fresh().get(node.url("/api/ping")).send().await;
    assert!(
        refused.is_err_and(|e| e.is_timeout()),
        "a third connection was served"
    );

    drop(first);
    let response = fresh().get(node.url("/api/ping")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}
