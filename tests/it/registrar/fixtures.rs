//! A real `redis-server` per test, and contacts in Flexisip's exact format.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

pub const DOMAIN: &str = "sip.example.org";
pub const PHONE: &str = "urn:uuid:a1b2c3d4-0000-4000-8000-0123456789ab";
pub const DESKTOP: &str = "urn:uuid:0f0e0d0c-1111-4222-8333-444455556666";
pub const OLD_TABLET: &str = "urn:uuid:99999999-aaaa-4bbb-8ccc-dddddddddddd";

/// User agents as Linphone sends them, and as Flexisip escapes them.
pub const PHONE_UA: &str = "LinphoneAndroid/5.2.5 (Pixel 7) LinphoneSDK/5.3.47 (tags/5.3.47)";
pub const PHONE_UA_ESCAPED: &str =
    "LinphoneAndroid/5.2.5%20(Pixel%207)%20LinphoneSDK/5.3.47%20(tags/5.3.47)";
pub const DESKTOP_UA: &str = "Linphone Desktop/5.2.4 (Ubuntu 24.04 LTS, Qt 6.5.3) LinphoneCore/5.3";
pub const DESKTOP_UA_ESCAPED: &str =
    "Linphone%20Desktop/5.2.4%20(Ubuntu%2024.04%20LTS%2C%20Qt%206.5.3)%20LinphoneCore/5.3";

/// A contact value exactly as Flexisip writes it in `fs:user@domain`.
pub fn flexisip_contact(
    user: &str,
    uuid: &str,
    updated_at: i64,
    expires: i64,
    user_agent_escaped: &str,
) -> String {
    format!(
        "<sip:{user}@192.168.1.20:45654;transport=tls;pn-provider=fcm;pn-param=929724111839;\
         pn-prid=cXyZ0:APA91bHq;fs-conn-id=55d4a1e3c2b0;callid=3eFhd~yN5q;expires={expires};\
         cseq=21;updatedAt={updated_at};alias=no;usedAsRoute=no?path=%3Csip%3Aproxy.example.org\
         %3A5059%3Btransport%3Dtcp%3Blr%3E&accept=&user-agent={user_agent_escaped}>;\
         +sip.instance=\"<{uuid}>\";+org.linphone.specs=\"lime,groupchat/1.1,ephemeral/1.1,\
         conference/1.0\""
    )
}

/// The hash field of a device: its `+sip.instance`, quotes and brackets kept.
pub fn field(uuid: &str) -> String {
    format!("\"<{uuid}>\"")
}

pub fn datetime(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A port no other test of this run is given: taken from a counter below
/// the kernel's ephemeral range (32768 and up), so a port a test releases
/// to restart its server on cannot be handed to another test meanwhile.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        20_000 + (std::process::id() % 4_000) as u16 * 2,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(port < 32_768, "no free test port left");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A throwaway `redis-server` without persistence, killed on drop.
pub struct RedisServer {
    child: Child,
    pub port: u16,
}

impl RedisServer {
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server must be on PATH (apt-get install redis-server)");
        let deadline = Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut server = RedisServer { child, port };
        // A server that could not bind exits: what answered is someone else's.
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "redis-server on port {port} exited"
        );
        server
    }

    pub fn url(&self) -> String {
        url(self.port)
    }

    /// Kills the server and waits until its port is closed.
    pub async fn stop(mut self) {
        self.child.kill().await.unwrap();
    }

    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }
}

pub fn url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}/0")
}

/// Writes one contact of `user` as Flexisip would.
pub async fn register(
    conn: &mut redis::aio::MultiplexedConnection,
    user: &str,
    uuid: &str,
    updated_at: i64,
    expires: i64,
    user_agent_escaped: &str,
) {
    let value = flexisip_contact(user, uuid, updated_at, expires, user_agent_escaped);
    let _: i64 = redis::cmd("HSET")
        .arg(format!("fs:{user}@{DOMAIN}"))
        .arg(field(uuid))
        .arg(value)
        .query_async(conn)
        .await
        .unwrap();
}

/// Alice's phone and desktop (live), an expired tablet and a value that is
/// not a contact at all; Bob's phone, which Alice must never see.
pub async fn register_alice_and_bob(conn: &mut redis::aio::MultiplexedConnection, now: i64) {
    register(conn, "alice", PHONE, now - 100, 3600, PHONE_UA_ESCAPED).await;
    register(conn, "alice", DESKTOP, now - 50, 600, DESKTOP_UA_ESCAPED).await;
    register(conn, "alice", OLD_TABLET, now - 7200, 3600, "Old").await;
    let _: i64 = redis::cmd("HSET")
        .arg(format!("fs:alice@{DOMAIN}"))
        .arg(field("urn:uuid:12345678-0000-4000-8000-00000000bad0"))
        .arg("this is not a contact; expires=3600")
        .query_async(conn)
        .await
        .unwrap();
    register(
        conn,
        "bob",
        "urn:uuid:b0b00000-0000-4000-8000-000000000000",
        now,
        3600,
        "Bob",
    )
    .await;
}

/// Alice's devices as the API shows them, for contacts written at `now`.
pub fn alice_devices_json(now: i64) -> serde_json::Value {
    serde_json::json!({
        DESKTOP: {
            "uuid": DESKTOP,
            "update_time": datetime(now - 50),
            "expires_at": datetime(now + 550),
            "user_agent": DESKTOP_UA,
        },
        PHONE: {
            "uuid": PHONE,
            "update_time": datetime(now - 100),
            "expires_at": datetime(now + 3500),
            "user_agent": PHONE_UA,
        },
    })
}
