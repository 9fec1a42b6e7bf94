//! `POST /api/tokens` with a fake `flexisip_pusher`, and token limits.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flexiapi::db::entities::token;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::TestApp;

/// A `flexisip_pusher` stand-in: a shell script that writes its arguments
/// one per line to `argv`, then runs `tail` (its exit, or a hang).
pub(crate) struct FakePusher {
    dir: TempDir,
    pub(crate) path: PathBuf,
}

impl FakePusher {
    pub(crate) fn new(tail: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flexisip_pusher");
        let argv = dir.path().join("argv");
        let script = format!(
            "#!/bin/sh\nfor arg in \"$@\"; do printf '%s\\n' \"$arg\"; done > '{}'\necho $$ > '{}'\n{tail}\n",
            argv.display(),
            dir.path().join("pid").display(),
        );
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakePusher { dir, path }
    }

    pub(crate) fn succeeding() -> Self {
        Self::new("exit 0")
    }

    pub(crate) async fn app(&self, vars: &[(&str, &str)]) -> TestApp {
        let path = self.path.display().to_string();
        let mut all = vec![("APP_FLEXISIP_PUSHER_PATH", path.as_str())];
        all.extend_from_slice(vars);
        TestApp::spawn_with(&all).await
    }

    /// The arguments of the last run.
    pub(crate) fn argv(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("argv"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn ran(&self) -> bool {
        self.dir.path().join("argv").exists()
    }

    fn pid(&self) -> u32 {
        std::fs::read_to_string(self.dir.path().join("pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

pub(crate) fn device(prid: &str) -> Value {
    json!({"pn_provider": "apns", "pn_param": "ABCD1234.org.linphone.phone.voip", "pn_prid": prid})
}

async fn request(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post("/api/tokens").json(body).send().await.unwrap()
}

async fn tokens(app: &TestApp) -> Vec<token::Model> {
    token::Entity::find().all(&app.state.db).await.unwrap()
}

async fn mark_all_used(app: &TestApp) {
    for row in tokens(app).await {
        let mut active = row.into_active_model();
        active.used = Set(true);
        active.update(&app.state.db).await.unwrap();
    }
}

#[tokio::test]
async fn pushes_the_token_with_exact_arguments_and_keeps_it() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[]).await;
    let response = request(&app, &device("a1b2c3")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));

    let rows = tokens(&app).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert!(!row.used);
    assert_eq!(row.token.len(), 32);
    assert!(row.token.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(
        (
            row.pn_provider.as_str(),
            row.pn_param.as_str(),
            row.pn_prid.as_str()
        ),
        ("apns", "ABCD1234.org.linphone.phone.voip", "a1b2c3")
    );
    assert_eq!(
        pusher.argv(),
        [
            "--pn-provider",
            "apns",
            "--pn-param",
            "ABCD1234.org.linphone.phone.voip",
            "--pn-prid",
            "a1b2c3",
            "--apple-push-type",
            "Background",
            "--customPayload",
            &format!(r#"{{"token":"{}"}}"#, row.token),
        ]
    );
}

#[tokio::test]
async fn fcm_pushes_have_no_apple_push_type() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[]).await;
    let body =
        json!({"pn_provider": "fcm", "pn_param": "929724111839", "pn_prid": "cXyZ0:APA91bHq"});
    assert_eq!(request(&app, &body).await.status(), 200);
    let token = &tokens(&app).await[0].token;
    assert_eq!(
        pusher.argv(),
        [
            "--pn-provider",
            "fcm",
            "--pn-param",
            "929724111839",
            "--pn-prid",
            "cXyZ0:APA91bHq",
            "--customPayload",
            &format!(r#"{{"token":"{token}"}}"#),
        ]
    );
}

#[tokio::test]
async fn fcm_pushes_carry_their_project_service_account() {
    let pusher = FakePusher::succeeding();
    let app = pusher
        .app(&[(
            "APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP",
            "929724111839:/etc/flexisip/linphone.json other:/etc/flexisip/other.json",
        )])
        .await;
    let body =
        json!({"pn_provider": "fcm", "pn_param": "929724111839", "pn_prid": "cXyZ0:APA91bHq"});
    assert_eq!(request(&app, &body).await.status(), 200);
    let argv = pusher.argv();
    let key = argv.iter().position(|a| a == "--key").expect("a --key");
    assert_eq!(argv[key + 1], "/etc/flexisip/linphone.json", "{argv:?}");
    assert_eq!(argv.len(), 10, "{argv:?}");

    // Apple devices get no key.
    let body = json!({"pn_provider": "apns", "pn_param": "ABCD.org.linphone.phone.voip", "pn_prid": "0123abcd"});
    assert_eq!(request(&app, &body).await.status(), 200);
    assert!(!pusher.argv().contains(&"--key".to_string()));
}

#[tokio::test]
async fn an_fcm_project_without_service_account_is_503_and_runs_nothing() {
    let pusher = FakePusher::succeeding();
    let app = pusher
        .app(&[(
            "APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP",
            "other:/etc/flexisip/other.json",
        )])
        .await;
    let body =
        json!({"pn_provider": "fcm", "pn_param": "929724111839", "pn_prid": "cXyZ0:APA91bHq"});
    assert_eq!(request(&app, &body).await.status(), 503);
    assert!(!pusher.ran());
    assert!(tokens(&app).await.is_empty());
}

#[tokio::test]
async fn a_hostile_prid_is_one_argument_and_runs_nothing() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[]).await;
    let marker = pusher.dir.path().join("pwned");
    let prid = format!(
        r#"x' "y"; touch {m}; $(touch {m}) `touch {m}` | touch {m} && echo"#,
        m = marker.display()
    );
    // Refused by upstream's character set before anything runs.
    assert_eq!(request(&app, &device(&prid)).await.status(), 422);
    assert!(!pusher.ran());
    assert!(!Path::new(&marker).exists(), "a shell ran the prid");
    // An accepted prid is one argument, as given.
    let prid = "a1:b2_c3-d4";
    assert_eq!(request(&app, &device(prid)).await.status(), 200);
    let argv = pusher.argv();
    assert_eq!(argv.len(), 10, "{argv:?}");
    assert_eq!(argv[5], prid);
}

#[tokio::test]
async fn a_failing_pusher_gives_503_and_keeps_no_token() {
    let pusher = FakePusher::new("echo 'cannot reach APNs' >&2\nexit 1");
    let app = pusher.app(&[]).await;
    let response = request(&app, &device("a1b2c3")).await;
    assert_eq!(response.status(), 503);
    assert!(response.json::<Value>().await.unwrap()["message"].is_string());
    assert!(pusher.ran());
    assert!(tokens(&app).await.is_empty());
    // Nothing left behind blocks the device: the next try pushes again.
    assert_eq!(request(&app, &device("a1b2c3")).await.status(), 503);
}

#[tokio::test]
async fn a_hanging_pusher_is_killed_at_the_timeout() {
    // `exec` so that the recorded pid is the sleeping process itself.
    let pusher = FakePusher::new("exec sleep 60");
    let app = pusher.app(&[]).await;
    app.state.pusher.set_timeout(Duration::from_secs(1));
    let started = Instant::now();
    let response = request(&app, &device("a1b2c3")).await;
    assert_eq!(response.status(), 503);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
    assert!(tokens(&app).await.is_empty());
    let proc = PathBuf::from(format!("/proc/{}", pusher.pid()));
    assert!(!proc.exists(), "the pusher still runs");
}

#[tokio::test]
async fn no_pusher_configured_gives_503() {
    let app = TestApp::spawn().await;
    assert_eq!(request(&app, &device("a1b2c3")).await.status(), 503);
    assert!(tokens(&app).await.is_empty());
}

#[tokio::test]
async fn an_unused_token_blocks_another_until_used_or_expired() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[]).await;
    assert_eq!(request(&app, &device("a1b2c3")).await.status(), 200);
    let response = request(&app, &device("a1b2c3")).await;
    assert_eq!(response.status(), 403);
    assert!(response.json::<Value>().await.unwrap()["message"].is_string());
    assert_eq!(tokens(&app).await.len(), 1);
    // Another device is not concerned.
    assert_eq!(request(&app, &device("d4e5f6")).await.status(), 200);

    mark_all_used(&app).await;
    assert_eq!(request(&app, &device("a1b2c3")).await.status(), 200);
    // An unused token past its lifetime (default 24 h) blocks nothing.
    app.state.clock.advance(chrono::Duration::minutes(1441));
    assert_eq!(request(&app, &device("a1b2c3")).await.status(), 200);
}

#[tokio::test]
async fn a_device_gets_a_limited_number_of_tokens_ever() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[("APP_TOKENS_PER_DEVICE", "2")]).await;
    for _ in 0..2 {
        assert_eq!(request(&app, &device("a1b2c3")).await.status(), 200);
        mark_all_used(&app).await;
    }
    assert_eq!(request(&app, &device("a1b2c3")).await.status(), 403);
    assert_eq!(tokens(&app).await.len(), 2);
    assert_eq!(request(&app, &device("other")).await.status(), 200);
}

// Several worker threads, so that requests interleave between their
// statements and the check after the insert is exercised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_device_keep_at_most_one_token() {
    let pusher = FakePusher::new("sleep 0.3\nexit 0");
    let app = pusher.app(&[("APP_RATE_LIMIT_PER_MINUTE", "100")]).await;
    // Spawned so that the requests really run at the same time.
    let handles: Vec<_> = (0..12)
        .map(|_| {
            let send = app.post("/api/tokens").json(&device("a1b2c3")).send();
            tokio::spawn(send)
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap().unwrap().status().as_u16());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok <= 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 403),
        "{statuses:?}"
    );
    assert_eq!(tokens(&app).await.len(), ok);
}

#[tokio::test]
async fn missing_and_invalid_fields_are_422() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[]).await;
    let response = request(&app, &json!({"pn_prid": 12})).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "The given data was invalid.");
    let errors = body["errors"].as_object().unwrap();
    let mut fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(fields, ["pn_param", "pn_prid", "pn_provider"]);

    let long = "x".repeat(256);
    for (body, field) in [
        (
            json!({"pn_provider": "sms", "pn_param": "p", "pn_prid": "r"}),
            "pn_provider",
        ),
        (
            json!({"pn_provider": "fcm", "pn_param": long, "pn_prid": "r"}),
            "pn_param",
        ),
        (
            json!({"pn_provider": "fcm", "pn_param": "p", "pn_prid": long}),
            "pn_prid",
        ),
        (
            json!({"pn_provider": "fcm", "pn_param": "p", "pn_prid": "a\nb"}),
            "pn_prid",
        ),
    ] {
        let response = request(&app, &body).await;
        assert_eq!(response.status(), 422, "{field}");
        let errors: Value = response.json().await.unwrap();
        assert!(errors["errors"][field].is_array(), "{field}: {errors}");
    }
    assert!(!pusher.ran());
    assert!(tokens(&app).await.is_empty());
}

#[tokio::test]
async fn malformed_json_is_400() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[]).await;
    for body in [r#"{"pn_provider": "#, "[]"] {
        let response = app
            .post("/api/tokens")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert!(response.json::<Value>().await.unwrap()["message"].is_string());
    }
}

#[tokio::test]
async fn push_addresses_that_could_be_read_as_options_never_reach_the_pusher() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[("APP_RATE_LIMIT_PER_MINUTE", "1000")]).await;
    let routes = [
        "/api/tokens",
        "/api/account_creation_tokens/send-by-push",
        "/api/account_recovery_tokens/send-by-push",
    ];
    let bad = [
        ("pn_param", "-h"),
        ("pn_param", "--key=/etc/passwd"),
        ("pn_param", "team id"),
        ("pn_param", "a/b"),
        ("pn_param", "ABCD1234:org"),
        ("pn_prid", "-h"),
        ("pn_prid", "--help"),
        ("pn_prid", "a b"),
        ("pn_prid", "a.b"),
        ("pn_prid", "é"),
    ];
    for route in routes {
        for (field, value) in bad {
            let mut body = device("valid-prid_0:1");
            body[field] = json!(value);
            let response = app.post(route).json(&body).send().await.unwrap();
            let status = response.status();
            let answer: Value = response.json().await.unwrap();
            assert_eq!(status, 422, "{route} {field}={value:?}: {answer}");
            assert!(
                answer["errors"][field].is_array(),
                "{route} {field}={value:?}: {answer}"
            );
        }
    }
    assert!(!pusher.ran(), "the pusher ran: {:?}", pusher.argv());
    // Upstream's characters pass, a dash inside a prid included.
    let response = request(&app, &device("valid-prid_0:1")).await;
    assert_eq!(response.status(), 200);
    assert!(pusher.argv().contains(&"valid-prid_0:1".to_string()));
}
