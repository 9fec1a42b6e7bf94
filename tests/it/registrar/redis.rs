//! The Redis backend against a real `redis-server`.

use std::time::{Duration, Instant};

use flexiapi::registrar::{RedisRegistrar, Registrar, RegistrarError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::fixtures::*;

const NOW: i64 = 1_718_000_000;
const TIMEOUT: Duration = Duration::from_millis(500);

fn registrar(url: &str) -> Registrar {
    Registrar::Redis(RedisRegistrar::new(url, TIMEOUT).unwrap())
}

fn json(devices: &[flexiapi::registrar::Device]) -> serde_json::Value {
    serde_json::Value::Object(flexiapi::registrar::devices_object(devices))
}

#[tokio::test]
async fn lists_live_contacts_in_flexisip_format() {
    let server = RedisServer::start().await;
    register_alice_and_bob(&mut server.connection().await, NOW).await;
    let registrar = registrar(&server.url());

    let devices = registrar.devices("alice", DOMAIN, NOW).await.unwrap();
    // Expired tablet and malformed value skipped; Bob's phone not here;
    // ordered by expiry.
    assert_eq!(json(&devices), alice_devices_json(NOW));
    let order: Vec<&str> = devices.iter().map(|d| d.uuid.as_str()).collect();
    assert_eq!(order, [DESKTOP, PHONE]);

    // Later, only the phone is left; nobody registered: an empty list.
    let later = registrar
        .devices("alice", DOMAIN, NOW + 1000)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].uuid, PHONE);
    assert!(
        registrar
            .devices("carol", DOMAIN, NOW)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A raw RESP subscriber, to see the exact publication.
async fn subscribe(port: u16, channel: &str) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let command = format!(
        "*2\r\n$9\r\nSUBSCRIBE\r\n${}\r\n{channel}\r\n",
        channel.len()
    );
    stream.write_all(command.as_bytes()).await.unwrap();
    let confirmation = format!(
        "*3\r\n$9\r\nsubscribe\r\n${}\r\n{channel}\r\n:1\r\n",
        channel.len()
    );
    assert_eq!(
        read_exactly(&mut stream, confirmation.len()).await,
        confirmation
    );
    stream
}

async fn read_exactly(stream: &mut tokio::net::TcpStream, len: usize) -> String {
    let mut buf = vec![0; len];
    tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut buf))
        .await
        .expect("nothing received in time")
        .unwrap();
    String::from_utf8(buf).unwrap()
}

async fn hash_fields(conn: &mut ::redis::aio::MultiplexedConnection, key: &str) -> Vec<String> {
    let mut fields: Vec<String> = ::redis::cmd("HKEYS")
        .arg(key)
        .query_async(conn)
        .await
        .unwrap();
    fields.sort();
    fields
}

#[tokio::test]
async fn delete_removes_the_field_and_tells_the_proxies() {
    let server = RedisServer::start().await;
    let mut conn = server.connection().await;
    register_alice_and_bob(&mut conn, NOW).await;
    let registrar = registrar(&server.url());
    let key = format!("fs:alice@{DOMAIN}");
    let channel = format!("alice@{DOMAIN}");
    let mut subscriber = subscribe(server.port, &channel).await;

    registrar
        .delete_device("alice", DOMAIN, PHONE)
        .await
        .unwrap();

    let message = format!(
        "*3\r\n$7\r\nmessage\r\n${}\r\n{channel}\r\n$0\r\n\r\n",
        channel.len()
    );
    assert_eq!(read_exactly(&mut subscriber, message.len()).await, message);
    let fields = hash_fields(&mut conn, &key).await;
    assert!(!fields.contains(&field(PHONE)));
    assert!(fields.contains(&field(DESKTOP)));
    let devices = registrar.devices("alice", DOMAIN, NOW).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].uuid, DESKTOP);

    // Gone now; never there; a prefix or another case is not a match;
    // Bob cannot delete Alice's desktop.
    for (user, uuid) in [
        ("alice", PHONE),
        ("alice", "urn:uuid:00000000-0000-4000-8000-000000000000"),
        ("alice", "urn:uuid:0f0e0d0c"),
        ("alice", &DESKTOP.to_uppercase()),
        ("bob", DESKTOP),
    ] {
        assert!(
            matches!(
                registrar.delete_device(user, DOMAIN, uuid).await,
                Err(RegistrarError::NotFound)
            ),
            "{user} {uuid}"
        );
    }
    assert!(hash_fields(&mut conn, &key).await.contains(&field(DESKTOP)));
}

#[tokio::test]
async fn injection_attempts_are_refused_before_any_command() {
    let server = RedisServer::start().await;
    let mut conn = server.connection().await;
    register_alice_and_bob(&mut conn, NOW).await;
    let registrar = registrar(&server.url());
    let _: () = ::redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut conn)
        .await
        .unwrap();

    for uuid in [
        "urn:uuid:*",
        "*",
        "urn:uuid:a1b2 FLUSHALL",
        "\"<urn:uuid:a1b2c3d4-0000-4000-8000-0123456789ab>\"",
        "urn:uuid:a1b2\"",
        "urn:uuid:a1b2\r\nFLUSHALL\r\n",
        "urn:uuid:a1b2>\" \"<x",
        "",
    ] {
        assert!(
            matches!(
                registrar.delete_device("alice", DOMAIN, uuid).await,
                Err(RegistrarError::InvalidUuid)
            ),
            "{uuid:?}"
        );
    }
    let stats: String = ::redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .unwrap();
    for command in ["hgetall", "hdel", "publish", "flushall"] {
        assert!(!stats.contains(&format!("cmdstat_{command}:")), "{stats}");
    }
    assert_eq!(
        hash_fields(&mut conn, &format!("fs:alice@{DOMAIN}"))
            .await
            .len(),
        4
    );
}

#[tokio::test]
async fn redis_down_is_unavailable_and_recovery_needs_no_restart() {
    let server = RedisServer::start().await;
    let port = server.port;
    register(
        &mut server.connection().await,
        "alice",
        PHONE,
        NOW,
        3600,
        "UA",
    )
    .await;
    let registrar = registrar(&server.url());
    assert_eq!(
        registrar.devices("alice", DOMAIN, NOW).await.unwrap().len(),
        1
    );

    server.stop().await;
    for _ in 0..3 {
        let started = Instant::now();
        let result = registrar.devices("alice", DOMAIN, NOW).await;
        assert!(
            matches!(result, Err(RegistrarError::Unavailable(_))),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    assert!(matches!(
        registrar.delete_device("alice", DOMAIN, PHONE).await,
        Err(RegistrarError::Unavailable(_))
    ));

    // Same port, same Registrar value: the very next call works.
    let server = RedisServer::start_on(port).await;
    register(
        &mut server.connection().await,
        "alice",
        DESKTOP,
        NOW,
        3600,
        "UA",
    )
    .await;
    let devices = registrar.devices("alice", DOMAIN, NOW).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].uuid, DESKTOP);
    registrar
        .delete_device("alice", DOMAIN, DESKTOP)
        .await
        .unwrap();
}

#[tokio::test]
async fn built_while_redis_is_down_then_connects_when_it_is_up() {
    let port = free_port();
    let registrar = registrar(&url(port));
    assert!(matches!(
        registrar.devices("alice", DOMAIN, NOW).await,
        Err(RegistrarError::Unavailable(_))
    ));
    let server = RedisServer::start_on(port).await;
    register(
        &mut server.connection().await,
        "alice",
        PHONE,
        NOW,
        3600,
        "UA",
    )
    .await;
    assert_eq!(
        registrar.devices("alice", DOMAIN, NOW).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_redis_that_never_answers_times_out() {
    // Accepts connections, never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let registrar =
        Registrar::Redis(RedisRegistrar::new(&url(port), Duration::from_millis(200)).unwrap());
    let started = Instant::now();
    assert!(matches!(
        registrar.devices("alice", DOMAIN, NOW).await,
        Err(RegistrarError::Unavailable(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_bad_redis_url_is_refused_without_showing_it() {
    let err = RedisRegistrar::new("redis://:s3cret@/0", TIMEOUT).unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("REDIS_URL"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}
