//! Monitoring: `/health`, `/ready` with its dependencies down and back, and
//! the Prometheus text of `/metrics` (token, separate listener, counters).
//!
//! Each server has its own metrics registry, so the counts below are exact
//! even with other tests running in the same process.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::digest_client::{authorization, challenges};
use crate::helpers::{TestApp, json};
use crate::node::Node;
use crate::registrar::fixtures::{RedisServer, free_port, url as redis_url};
use crate::tcp_proxy::TcpProxy;
use crate::test_db::{Backend, TestDb};
use crate::tokens::FakePusher;
use crate::with_token::{Delivery, body, with};

const TOKEN: &str = "metrics-token-0123456789";

#[tokio::test]
async fn health_answers_without_touching_anything() {
    // Redis configured on a port nobody listens on: /health does not care.
    let redis = redis_url(free_port());
    let app = TestApp::spawn_with(&[("REDIS_URL", &redis)]).await;
    let response = app.get("/health").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_checks_the_database_and_only_a_configured_redis() {
    let app = TestApp::spawn().await;
    let response = app.get("/ready").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response).await,
        json!({"status": "ok", "checks": {"database": "ok"}})
    );
}

#[tokio::test]
async fn ready_is_503_while_redis_is_down_and_200_once_it_is_back() {
    let port = free_port();
    let app = TestApp::spawn_with(&[("REDIS_URL", &redis_url(port))]).await;
    let response = app.get("/ready").send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body = json(response).await;
    assert_eq!(body["status"], "unavailable");
    assert_eq!(
        body["checks"],
        json!({"database": "ok", "redis": "unreachable"})
    );
    assert_eq!(body["message"], "Not ready: redis unreachable");

    let redis = RedisServer::start_on(port).await;
    let response = app.get("/ready").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response).await["checks"],
        json!({"database": "ok", "redis": "ok"})
    );
    redis.stop().await;
}

/// A database on the test backend's server (PostgreSQL under SQLite), and
/// a proxy in front of it, off; the URL through the proxy.
async fn database_behind_a_proxy() -> (TestDb, TcpProxy, String) {
    let backend = match Backend::from_env() {
        Backend::Sqlite => Backend::Postgres,
        server => server,
    };
    let database = TestDb::on(backend);
    // `scheme://user@host:port/name`: the proxy takes host:port's place.
    let upstream = database
        .url()
        .split_once('@')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(authority, _)| authority.to_string())
        .unwrap();
    let proxy = TcpProxy::new(&upstream).await;
    let url = database
        .url()
        .replacen(&upstream, &proxy.addr.to_string(), 1);
    (database, proxy, url)
}

async fn status_of(client: &reqwest::Client, url: &str) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn ready_is_503_while_the_database_is_unreachable_and_200_once_it_is_back() {
    let (database, mut proxy, url) = database_behind_a_proxy().await;
    proxy.on().await;
    let app = TestApp::spawn_with(&[("DATABASE_URL", &url)]).await;
    assert_eq!(app.get("/ready").send().await.unwrap().status(), 200);

    proxy.off().await;
    let started = std::time::Instant::now();
    let response = app.get("/ready").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a short timeout"
    );
    let body = json(response).await;
    assert_eq!(body["checks"], json!({"database": "unreachable"}));
    assert_eq!(body["message"], "Not ready: database unreachable");
    // The process itself is alive.
    assert_eq!(app.get("/health").send().await.unwrap().status(), 200);

    proxy.on().await;
    let mut status = 0;
    for _ in 0..20 {
        status = status_of(&app.client, &app.url("/ready")).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "ready again once the database is back");
    app.state.db.clone().close().await.unwrap();
    drop(database);
}

#[tokio::test]
async fn while_serve_waits_for_its_database_it_is_alive_but_not_ready() {
    let (database, mut proxy, url) = database_behind_a_proxy().await;
    let node = Node::start(&[
        ("DATABASE_URL", url.as_str()),
        ("DB_CONNECT_TIMEOUT_SECONDS", "1"),
    ])
    .await;
    node.wait_for_log(
        "database unreachable, trying again",
        1,
        Duration::from_secs(20),
    )
    .await;
    let health = node.client.get(node.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(json(health).await, json!({"status": "ok"}));
    assert_eq!(status_of(&node.client, &node.url("/ready")).await, 503);

    proxy.on().await;
    node.wait_ready(Duration::from_secs(30)).await;
    assert_eq!(status_of(&node.client, &node.url("/ready")).await, 200);
    drop(node);
    drop(database);
}

/// One scrape of `/metrics`, parsed.
struct Scrape(Vec<(String, BTreeMap<String, String>, f64)>);

impl Scrape {
    fn parse(text: &str) -> Self {
        let mut samples = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                None => (series, BTreeMap::new()),
                Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').unwrap())),
            };
            samples.push((name.to_string(), labels, value.parse().unwrap()));
        }
        Scrape(samples)
    }

    /// The sample of `name` with exactly these labels; 0 when absent.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.0
            .iter()
            .find(|(n, l, _)| n == name && *l == wanted)
            .map_or(0.0, |(_, _, v)| *v)
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _, _)| n == name)
    }
}

/// `a="x",b="y"` (values may hold `{`, `}` and `,`).
fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").unwrap();
        let end = after.find('"').unwrap();
        labels.insert(key.to_string(), after[..end].to_string());
        rest = after[end + 1..].trim_start_matches(',');
    }
    labels
}

async fn scrape(app: &TestApp) -> (Scrape, String) {
    let response = app.get("/metrics").bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    (Scrape::parse(&text), text)
}

fn requests(scrape: &Scrape, method: &str, route: &str, status: &str) -> f64 {
    scrape.value(
        "flexiapi_http_requests_total",
        &[("method", method), ("route", route), ("status", status)],
    )
}

#[tokio::test]
async fn metrics_need_the_token_or_are_not_served() {
    let app = TestApp::spawn().await;
    let response = app.get("/metrics").bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 404, "no METRICS_* variable: not exposed");

    let app = TestApp::spawn_with(&[("METRICS_TOKEN", TOKEN)]).await;
    for request in [
        app.get("/metrics"),
        app.get("/metrics").bearer_auth("metrics-token-012345678"),
        app.get("/metrics").bearer_auth(format!("{TOKEN}x")),
        app.get("/metrics").header("Authorization", TOKEN),
        app.get("/metrics").basic_auth(TOKEN, None::<&str>),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(json(response).await["message"], "Unauthenticated request");
    }
    let (scrape, _) = scrape(&app).await;
    assert_eq!(requests(&scrape, "GET", "/metrics", "401"), 5.0);
}

#[tokio::test]
async fn short_metrics_tokens_and_bad_addresses_are_refused_at_start() {
    use flexiapi::config::Config;
    for (variable, value) in [
        ("METRICS_TOKEN", "short"),
        ("METRICS_LISTEN", "nowhere"),
        ("METRICS_LISTEN", "127.0.0.1:8000"),
    ] {
        let map = [(variable.to_string(), value.to_string())].into();
        let err = Config::from_map(&map).unwrap_err();
        assert_eq!(err.variable, variable, "{value}");
    }
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status() {
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", TOKEN)]).await;
    let admin = app.admin().await;
    let user = app.account("counted_user", "SHA-256", false).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/ping").send().await.unwrap().status(), 200);
    }
    let path = format!("/api/accounts/{}", user.id);
    assert_eq!(
        app.as_key(&admin, Method::GET, &path)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.as_key(&admin, Method::GET, "/api/accounts/999999")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // An unknown path is never a label: it may carry anything.
    let secret_path = "/no/such/PATH-SECRET-42";
    assert_eq!(app.get(secret_path).send().await.unwrap().status(), 404);
    let provisioning_key = "/provisioning/PROVKEY1234567";
    app.get(provisioning_key).send().await.unwrap();

    let (scrape, text) = scrape(&app).await;
    assert_eq!(requests(&scrape, "GET", "/api/ping", "200"), 3.0);
    let route = "/api/accounts/{account}";
    assert_eq!(requests(&scrape, "GET", route, "200"), 1.0, "{text}");
    assert_eq!(requests(&scrape, "GET", route, "404"), 1.0);
    assert_eq!(requests(&scrape, "GET", "unmatched", "404"), 1.0);
    assert_eq!(
        scrape.value(
            "flexiapi_http_request_duration_seconds_count",
            &[("method", "GET"), ("route", "/api/ping")],
        ),
        3.0
    );
    assert_eq!(
        scrape.value(
            "flexiapi_http_request_duration_seconds_bucket",
            &[("method", "GET"), ("route", "/api/ping"), ("le", "+Inf")],
        ),
        3.0
    );
    for leaked in ["PATH-SECRET-42", "PROVKEY1234567", &user.id.to_string()] {
        assert!(!text.contains(&format!("{leaked}\"")), "{leaked} in {text}");
    }
    assert!(scrape.value("flexiapi_db_pool_connections", &[]) >= 1.0);
    assert!(scrape.has("flexiapi_db_pool_connections_in_use"));
}

fn auth_failures(scrape: &Scrape, reason: &str) -> f64 {
    scrape.value("flexiapi_auth_failures_total", &[("reason", reason)])
}

#[tokio::test]
async fn authentication_failures_are_counted_by_reason() {
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", TOKEN)]).await;
    let (before, _) = scrape(&app).await;
    for reason in [
        "unknown_account",
        "wrong_response",
        "replayed_nonce",
        "invalid_nonce",
        "bad_key",
        "deactivated",
        "blocked",
    ] {
        assert!(before.0.iter().any(|(n, l, v)| {
            n == "flexiapi_auth_failures_total" && l["reason"] == reason && *v == 0.0
        }));
    }

    let user = app.account("auth_counted", "SHA-256", false).await;
    const ME: &str = "/api/accounts/me";
    let status = |response: reqwest::Response| response.status().as_u16();

    // Unknown account (twice), bad key (once).
    for _ in 0..2 {
        let response = app
            .get(ME)
            .header("From", "sip:nobody_here@sip.example.org")
            .header("x-api-key", "whatever")
            .send()
            .await
            .unwrap();
        assert_eq!(status(response), 404);
    }
    let mut wrong_key = user.clone();
    wrong_key.api_key = "not-the-key".into();
    assert_eq!(
        status(
            app.as_key(&wrong_key, Method::GET, ME)
                .send()
                .await
                .unwrap()
        ),
        401
    );

    // Digest: a challenge is no failure; a wrong password is, a good answer
    // is not, its replay is, an unknown nonce is.
    let response = app
        .get(ME)
        .header("From", user.from())
        .send()
        .await
        .unwrap();
    let challenge = challenges(&response).remove(0);
    let digest = |password: &str, nc: u32, challenge: &crate::digest_client::Challenge| {
        app.get(ME).header("From", user.from()).header(
            "Authorization",
            authorization(challenge, &user.username, password, "GET", ME, nc),
        )
    };
    assert_eq!(
        status(digest("wrong-pass", 1, &challenge).send().await.unwrap()),
        401
    );
    assert_eq!(
        status(digest(&user.password, 1, &challenge).send().await.unwrap()),
        200
    );
    assert_eq!(
        status(digest(&user.password, 1, &challenge).send().await.unwrap()),
        401
    );
    let mut unknown = challenge.clone();
    unknown.nonce = "no-such-nonce".into();
    assert_eq!(
        status(digest(&user.password, 1, &unknown).send().await.unwrap()),
        401
    );

    // A blocked account (twice: 403 once its key is proven), then a
    // deactivated one (401), even with their right keys.
    let blocked = app.account("auth_blocked", "SHA-256", false).await;
    flexiapi::db::accounts::set_blocked(&app.state.db, blocked.id, true)
        .await
        .unwrap();
    for _ in 0..2 {
        let response = app.as_key(&blocked, Method::GET, ME).send().await.unwrap();
        assert_eq!(status(response), 403);
    }
    flexiapi::db::accounts::set_activated(&app.state.db, user.id, false)
        .await
        .unwrap();
    assert_eq!(
        status(app.as_key(&user, Method::GET, ME).send().await.unwrap()),
        401
    );

    let (after, _) = scrape(&app).await;
    for (reason, expected) in [
        ("unknown_account", 2.0),
        ("bad_key", 1.0),
        ("wrong_response", 1.0),
        ("replayed_nonce", 1.0),
        ("invalid_nonce", 1.0),
        ("deactivated", 1.0),
        ("blocked", 2.0),
    ] {
        assert_eq!(auth_failures(&after, reason), expected, "{reason}");
    }
}

fn delivery_failures(scrape: &Scrape, channel: &str) -> f64 {
    scrape.value("flexiapi_delivery_failures_total", &[("channel", channel)])
}

#[tokio::test]
async fn failed_pushes_mails_and_sms_are_counted() {
    let pusher = FakePusher::new("exit 1");
    let app = pusher.app(&[("METRICS_TOKEN", TOKEN)]).await;
    for _ in 0..2 {
        let response = app
            .post("/api/tokens")
            .json(&crate::tokens::device("feedbeef"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
    }
    let (scrape_push, _) = scrape(&app).await;
    assert_eq!(delivery_failures(&scrape_push, "push"), 2.0);
    assert_eq!(delivery_failures(&scrape_push, "mail"), 0.0);

    let closed = free_port().to_string();
    let d = Delivery::spawn(&[("MAIL_PORT", &closed), ("METRICS_TOKEN", TOKEN)]).await;
    let token = d.token().await;
    let request = with(body("mail_failed", &token), "email", "a@example.net");
    assert_eq!(d.create(&request).await.status(), 503);
    d.ovh.fail_jobs_with(Some(500));
    let request = with(body("sms_failed", &token), "phone", "+33612345678");
    assert_eq!(d.create(&request).await.status(), 503);
    let (after, _) = scrape(&d.app).await;
    assert_eq!(delivery_failures(&after, "mail"), 1.0);
    assert_eq!(delivery_failures(&after, "sms"), 1.0);
    assert_eq!(delivery_failures(&after, "push"), 0.0);
}

#[tokio::test]
async fn metrics_listen_serves_metrics_there_and_not_on_the_main_address() {
    let metrics_address = format!("127.0.0.1:{}", free_port());
    let node = Node::spawn(&[("METRICS_LISTEN", metrics_address.as_str())]).await;
    let metrics = format!("http://{metrics_address}");
    assert_eq!(status_of(&node.client, &node.url("/api/ping")).await, 200);
    assert_eq!(
        status_of(&node.client, &node.url("/metrics")).await,
        404,
        "not on the main listener"
    );
    let response = node
        .client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let scrape = Scrape::parse(&response.text().await.unwrap());
    // wait_ready's pings and ours.
    assert!(requests(&scrape, "GET", "/api/ping", "200") >= 2.0);
    // The main listener has no /metrics route: its 404 is unmatched.
    assert_eq!(requests(&scrape, "GET", "unmatched", "404"), 1.0);
    assert_eq!(
        status_of(&node.client, &format!("{metrics}/api/ping")).await,
        404,
        "the metrics listener serves /metrics only"
    );
}
