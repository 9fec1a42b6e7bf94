//! The CLI socket backend against an in-test server that behaves like the
//! Flexisip proxy's: one command per connection, read without waiting for
//! a newline, one answer, then close.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flexiapi::registrar::{ProxySocketRegistrar, Registrar, RegistrarError};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

use super::fixtures::{DESKTOP, DOMAIN, PHONE, datetime};

const NOW: i64 = 1_718_000_000;
const GET_ALICE: &str = "REGISTRAR_GET sip:alice@sip.example.org";

/// What the fake proxy answers to a command; `None`: never answers.
type Answer = Arc<dyn Fn(&str) -> Option<Vec<u8>> + Send + Sync>;

/// A fake proxy listening on `DIR/flexisip-proxy-PID`.
struct FakeProxy {
    received: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl FakeProxy {
    fn start(dir: &Path, pid: u32, answer: Answer) -> FakeProxy {
        let listener = UnixListener::bind(dir.join(format!("flexisip-proxy-{pid}"))).unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let log = log.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    // One read, as the proxy does: no newline to wait for.
                    let mut buf = vec![0; 1024];
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    buf.truncate(n);
                    let command = String::from_utf8_lossy(&buf).into_owned();
                    log.lock().unwrap().push(buf);
                    match answer(&command) {
                        Some(bytes) => {
                            // The client may hang up on a too large answer.
                            let _ = stream.write_all(&bytes).await;
                        }
                        None => tokio::time::sleep(Duration::from_secs(3600)).await,
                    }
                });
            }
        });
        FakeProxy { received }
    }

    fn commands(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|b| String::from_utf8(b.clone()).unwrap())
            .collect()
    }
}

fn fixed(text: &str) -> Answer {
    let bytes = text.as_bytes().to_vec();
    Arc::new(move |_| Some(bytes.clone()))
}

struct Setup {
    dir: TempDir,
    pid_file: PathBuf,
}

impl Setup {
    fn new(pid: u32) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("flexisip-proxy.pid");
        std::fs::write(&pid_file, format!("{pid}\n")).unwrap();
        Setup { dir, pid_file }
    }

    fn backend(&self) -> ProxySocketRegistrar {
        ProxySocketRegistrar::new(&self.pid_file)
            .with_socket_dir(self.dir.path())
            .with_timeout(Duration::from_millis(300))
    }

    fn registrar(&self) -> Registrar {
        Registrar::ProxySocket(self.backend())
    }
}

/// Shape 1 (2020–Aug 2021): underscores, `line_value_copy`.
fn shape_one(uuid: &str, update: i64, expires_at: i64, ua: &str) -> String {
    format!(
        r#"{{"uri":"sip:alice@192.168.1.20:45654;transport=tls","expires_at":{expires_at},"line_value_copy":"\"<{uuid}>\"","user_agent":"{ua}","update_time":{update},"call_id":"3eFhd~yN5q","cseq":21,"q":1.0,"path":["<sip:proxy.example.org;lr>"],"acceptHeaders":[],"contact_id":"8ab2","alias":false}}"#
    )
}

/// Shapes 2 and 3 (2.1 onward): hyphens, `unique-id`; 2 has `contact-id`.
fn shape_hyphen(uuid: &str, update: i64, expires_at: i64, ua: &str, with_id: bool) -> String {
    let contact_id = if with_id {
        ",\n        \"contact-id\": \"8ab2\""
    } else {
        ""
    };
    format!(
        "{{\n        \"contact\": \"<sip:alice@192.168.1.20:45654;transport=tls>\",\n        \"expires-at\": {expires_at},\n        \"unique-id\": \"\\\"<{uuid}>\\\"\",\n        \"user-agent\": \"{ua}\",\n        \"update-time\": {update},\n        \"call-id\": \"3eFhd~yN5q\",\n        \"cseq\": 21,\n        \"q\": 1.0,\n        \"path\": [],\n        \"accept\": [],\n        \"alias\": false{contact_id}\n    }}"
    )
}

fn record(contacts: &[String]) -> String {
    format!(
        "{{\n    \"contacts\": [\n    {}\n    ]\n}}",
        contacts.join(",\n    ")
    )
}

/// Alice's phone (live), her desktop (expired), in a given shape.
fn alice_record(shape: impl Fn(&str, i64, i64, &str) -> String) -> String {
    record(&[
        shape(
            PHONE,
            NOW - 100,
            NOW + 3500,
            "LinphoneAndroid/5.2.5 (Pixel 7)",
        ),
        shape(DESKTOP, NOW - 7200, NOW - 3600, "Linphone Desktop"),
    ])
}

#[tokio::test]
async fn each_json_shape_lists_devices_and_the_command_is_exact() {
    let shapes = [
        alice_record(shape_one),
        alice_record(|u, a, b, c| shape_hyphen(u, a, b, c, true)),
        alice_record(|u, a, b, c| shape_hyphen(u, a, b, c, false)),
    ];
    for (i, answer) in shapes.iter().enumerate() {
        let setup = Setup::new(4242);
        let proxy = FakeProxy::start(setup.dir.path(), 4242, fixed(answer));
        let devices = setup
            .registrar()
            .devices("alice", DOMAIN, NOW)
            .await
            .unwrap();
        let json = serde_json::Value::Object(flexiapi::registrar::devices_object(&devices));
        assert_eq!(
            json,
            serde_json::json!({PHONE: {
                "uuid": PHONE,
                "update_time": datetime(NOW - 100),
                "expires_at": datetime(NOW + 3500),
                "user_agent": "LinphoneAndroid/5.2.5 (Pixel 7)",
            }}),
            "shape {}",
            i + 1
        );
        // One write, no newline, single spaces.
        assert_eq!(proxy.commands(), [GET_ALICE]);
    }
}

#[tokio::test]
async fn an_error_answer_means_no_devices_and_no_device_to_delete() {
    let setup = Setup::new(7);
    let proxy = FakeProxy::start(
        setup.dir.path(),
        7,
        fixed("Error - 404 Not Found: no record for sip:alice@sip.example.org"),
    );
    let registrar = setup.registrar();
    assert!(
        registrar
            .devices("alice", DOMAIN, NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        registrar.delete_device("alice", DOMAIN, PHONE).await,
        Err(RegistrarError::NotFound)
    ));
    assert_eq!(proxy.commands(), [GET_ALICE, GET_ALICE]);
}

#[tokio::test]
async fn delete_sends_the_raw_unique_id() {
    let setup = Setup::new(99);
    let listed = alice_record(|u, a, b, c| shape_hyphen(u, a, b, c, false));
    let remaining = record(&[]);
    let proxy = FakeProxy::start(
        setup.dir.path(),
        99,
        Arc::new(move |command: &str| {
            let answer = if command.starts_with("REGISTRAR_GET ") {
                &listed
            } else {
                &remaining
            };
            Some(answer.clone().into_bytes())
        }),
    );
    let registrar = setup.registrar();
    registrar
        .delete_device("alice", DOMAIN, PHONE)
        .await
        .unwrap();
    assert_eq!(
        proxy.commands(),
        [
            GET_ALICE.to_string(),
            format!("REGISTRAR_DELETE sip:alice@sip.example.org \"<{PHONE}>\""),
        ]
    );

    // Not in the record (and a prefix is not a match): nothing deleted.
    for uuid in [
        "urn:uuid:00000000-0000-4000-8000-000000000000",
        "urn:uuid:a1b2c3d4",
    ] {
        assert!(matches!(
            registrar.delete_device("alice", DOMAIN, uuid).await,
            Err(RegistrarError::NotFound)
        ));
    }
    assert!(
        proxy
            .commands()
            .iter()
            .filter(|c| c.starts_with("REGISTRAR_DELETE"))
            .count()
            == 1
    );
}

#[tokio::test]
async fn injection_attempts_send_nothing() {
    let setup = Setup::new(5);
    let proxy = FakeProxy::start(
        setup.dir.path(),
        5,
        fixed(&alice_record(|u, a, b, c| shape_hyphen(u, a, b, c, false))),
    );
    let registrar = setup.registrar();
    for uuid in [
        "urn:uuid:a1b2 REGISTRAR_CLEAR",
        "urn:uuid:a1b2\" \"x",
        "urn:uuid:a1b2\nREGISTRAR_DUMP",
        "urn:uuid:*",
        "<urn:uuid:a1b2>",
        &format!("\"<{PHONE}>\""),
        &format!("{PHONE} "),
    ] {
        assert!(
            matches!(
                registrar.delete_device("alice", DOMAIN, uuid).await,
                Err(RegistrarError::InvalidUuid)
            ),
            "{uuid:?}"
        );
    }
    for (user, domain) in [("alice bob", DOMAIN), ("alice", "x\nREGISTRAR_DUMP")] {
        assert!(matches!(
            registrar.devices(user, domain, NOW).await,
            Err(RegistrarError::InvalidAddress)
        ));
    }
    let long_domain = format!("{}.org", "a".repeat(600));
    assert!(matches!(
        registrar.devices("alice", &long_domain, NOW).await,
        Err(RegistrarError::InvalidAddress)
    ));
    assert!(proxy.commands().is_empty());
}

#[tokio::test]
async fn a_proxy_that_never_answers_times_out() {
    let setup = Setup::new(11);
    let proxy = FakeProxy::start(setup.dir.path(), 11, Arc::new(|_| None));
    let started = Instant::now();
    let result = setup.registrar().devices("alice", DOMAIN, NOW).await;
    assert!(
        matches!(result, Err(RegistrarError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(proxy.commands(), [GET_ALICE]);
}

#[tokio::test]
async fn answers_are_capped_at_one_mebibyte() {
    let cap = ProxySocketRegistrar::DEFAULT_MAX_ANSWER_BYTES;
    assert_eq!(cap, 1024 * 1024);
    let body = alice_record(shape_one);
    let padded = |len: usize| format!("{body}{}", " ".repeat(len - body.len()));

    let setup = Setup::new(12);
    FakeProxy::start(setup.dir.path(), 12, fixed(&padded(cap)));
    let backend = setup.backend().with_timeout(Duration::from_secs(2));
    let devices = Registrar::ProxySocket(backend)
        .devices("alice", DOMAIN, NOW)
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);

    let setup = Setup::new(13);
    FakeProxy::start(setup.dir.path(), 13, fixed(&padded(cap + 1)));
    let backend = setup.backend().with_timeout(Duration::from_secs(2));
    let result = Registrar::ProxySocket(backend)
        .devices("alice", DOMAIN, NOW)
        .await;
    match result {
        Err(RegistrarError::Unavailable(message)) => assert!(message.contains("too large")),
        other => panic!("{other:?}"),
    }

    // A smaller cap, set by the constructor, applies the same way.
    let setup = Setup::new(14);
    FakeProxy::start(setup.dir.path(), 14, fixed(&body));
    let backend = setup.backend().with_max_answer_bytes(body.len() - 1);
    assert!(matches!(
        Registrar::ProxySocket(backend)
            .devices("alice", DOMAIN, NOW)
            .await,
        Err(RegistrarError::Unavailable(_))
    ));
}

#[tokio::test]
async fn the_pid_file_is_read_at_each_call() {
    let setup = Setup::new(1111);
    let old = FakeProxy::start(
        setup.dir.path(),
        1111,
        fixed(&record(&[shape_one(PHONE, NOW, NOW + 60, "old proxy")])),
    );
    let new = FakeProxy::start(
        setup.dir.path(),
        2222,
        fixed(&record(&[shape_one(DESKTOP, NOW, NOW + 60, "new proxy")])),
    );
    let registrar = setup.registrar();
    assert_eq!(
        registrar.devices("alice", DOMAIN, NOW).await.unwrap()[0].uuid,
        PHONE
    );

    // The proxy restarted with another pid.
    tokio::fs::write(&setup.pid_file, "2222\n").await.unwrap();
    assert_eq!(
        registrar.devices("alice", DOMAIN, NOW).await.unwrap()[0].uuid,
        DESKTOP
    );
    assert_eq!(old.commands().len(), 1);
    assert_eq!(new.commands().len(), 1);

    // A pid with no socket, garbage in the file, no file: unavailable.
    for content in [Some("3333"), Some("not a pid"), None] {
        match content {
            Some(text) => tokio::fs::write(&setup.pid_file, text).await.unwrap(),
            None => tokio::fs::remove_file(&setup.pid_file).await.unwrap(),
        }
        assert!(matches!(
            registrar.devices("alice", DOMAIN, NOW).await,
            Err(RegistrarError::Unavailable(_))
        ));
    }
}
