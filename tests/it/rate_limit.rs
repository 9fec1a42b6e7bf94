//! The per-address rate limit, on `POST /api/tokens`.

use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn request(app: &TestApp) -> u16 {
    app.post("/api/tokens")
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_rate_limit_answers_429_until_the_window_frees() {
    let app = TestApp::spawn_with(&[("APP_RATE_LIMIT_PER_MINUTE", "3")]).await;
    // Counted before the body is read: invalid requests count too.
    for _ in 0..3 {
        assert_eq!(request(&app).await, 422);
    }
    let response = app
        .post("/api/tokens")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(response.json::<Value>().await.unwrap()["message"].is_string());

    // Times are kept to the second, so a check just before the end of the
    // window would be racy: move a whole window on.
    app.state.clock.advance(chrono::Duration::seconds(60));
    for _ in 0..3 {
        assert_eq!(request(&app).await, 422);
    }
    assert_eq!(request(&app).await, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_never_pass_more_than_the_limit() {
    let app = TestApp::spawn_with(&[("APP_RATE_LIMIT_PER_MINUTE", "5")]).await;
    let handles: Vec<_> = (0..12)
        .map(|_| tokio::spawn(app.post("/api/tokens").json(&json!({})).send()))
        .collect();
    let mut passed = 0;
    for handle in handles {
        match handle.await.unwrap().unwrap().status().as_u16() {
            422 => passed += 1,
            429 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(passed, 5);
}

#[tokio::test]
async fn limits_are_per_address_and_per_bucket() {
    use flexiapi::rate_limit::http::rate_limit;
    use std::net::IpAddr;

    let app = TestApp::spawn_with(&[("APP_RATE_LIMIT_PER_MINUTE", "2")]).await;
    let one: IpAddr = "192.0.2.1".parse().unwrap();
    let two: IpAddr = "192.0.2.2".parse().unwrap();
    for _ in 0..2 {
        rate_limit(&app.state, "tokens", one).await.unwrap();
    }
    assert!(rate_limit(&app.state, "tokens", one).await.is_err());
    rate_limit(&app.state, "tokens", two).await.unwrap();
    rate_limit(&app.state, "login", one).await.unwrap();
}

/// `POST /api/tokens` as forwarded by a proxy for `client`.
async fn forwarded_request(app: &TestApp, client: &str) -> u16 {
    app.post("/api/tokens")
        .header("X-Forwarded-For", client)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limit_is_per_forwarded_client() {
    let app = TestApp::spawn_with(&[
        ("APP_RATE_LIMIT_PER_MINUTE", "2"),
        ("APP_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    for _ in 0..2 {
        assert_eq!(forwarded_request(&app, "203.0.113.1").await, 422);
    }
    assert_eq!(forwarded_request(&app, "203.0.113.1").await, 429);
    // Another client behind the same proxy has its own limit; an address
    // the client wrote itself before the proxy's does not count.
    assert_eq!(forwarded_request(&app, "203.0.113.2").await, 422);
    assert_eq!(
        forwarded_request(&app, "198.51.100.7, 203.0.113.1").await,
        429
    );
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_addresses_are_ignored() {
    let app = TestApp::spawn_with(&[("APP_RATE_LIMIT_PER_MINUTE", "2")]).await;
    assert_eq!(forwarded_request(&app, "203.0.113.1").await, 422);
    assert_eq!(forwarded_request(&app, "203.0.113.2").await, 422);
    assert_eq!(
        forwarded_request(&app, "203.0.113.3").await,
        429,
        "a client cannot dodge the limit by writing X-Forwarded-For"
    );
}

#[tokio::test]
async fn accounts_record_the_forwarded_client_address() {
    use reqwest::Method;

    for (trusted, expected) in [("127.0.0.1", "203.0.113.50"), ("10.0.0.1", "127.0.0.1")] {
        let app = TestApp::spawn_with(&[("APP_TRUSTED_PROXIES", trusted)]).await;
        let admin = app.admin().await;
        let response = app
            .as_key(&admin, Method::POST, "/api/accounts")
            .header("X-Forwarded-For", "203.0.113.50")
            .json(
                &json!({"username": "proxied_user", "password": "secret1", "algorithm": "SHA-256"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["ip_address"], expected, "trusted {trusted}");
    }
}
