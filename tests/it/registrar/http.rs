//! The device routes over HTTP: authentication applies, an account sees and
//! deletes only its own devices, and odd uuids never reach Redis.

use reqwest::Method;

use super::fixtures::*;
use crate::helpers::{TestApp, json};

const BOB_PHONE: &str = "urn:uuid:b0b00000-0000-4000-8000-000000000000";

#[tokio::test]
async fn an_account_sees_and_deletes_only_its_own_devices() {
    let server = RedisServer::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &server.url())]).await;
    let now = app.state.clock.now().timestamp();
    let mut redis = server.connection().await;
    register_alice_and_bob(&mut redis, now).await;
    let alice = app.account("alice", "MD5", false).await;
    let bob = app.account("bob", "MD5", false).await;

    let response = app.get("/api/accounts/me/devices").send().await.unwrap();
    assert_eq!(response.status(), 422, "no From");
    let response = app
        .get("/api/accounts/me/devices")
        .header("From", alice.from())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let response = app
        .as_key(&alice, Method::GET, "/api/accounts/me/devices")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, alice_devices_json(now));

    let bob_devices = json(
        app.as_key(&bob, Method::GET, "/api/accounts/me/devices")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        bob_devices.as_object().unwrap().keys().collect::<Vec<_>>(),
        [BOB_PHONE]
    );

    // Alice cannot delete Bob's device: it is not hers.
    let response = app
        .as_key(
            &alice,
            Method::DELETE,
            &format!("/api/accounts/me/devices/{BOB_PHONE}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let still: bool = redis::cmd("HEXISTS")
        .arg(format!("fs:bob@{DOMAIN}"))
        .arg(field(BOB_PHONE))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(still);

    let response = app
        .as_key(
            &alice,
            Method::DELETE,
            &format!("/api/accounts/me/devices/{PHONE}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let gone: bool = redis::cmd("HEXISTS")
        .arg(format!("fs:alice@{DOMAIN}"))
        .arg(field(PHONE))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(!gone);

    for bad in [
        "urn:uuid:x%20y",
        "%22%3Curn:uuid:a%3E%22",
        "urn:uuid:a%0AFLUSHALL",
        "*",
        "urn:uuid:*",
    ] {
        let response = app
            .as_key(
                &alice,
                Method::DELETE,
                &format!("/api/accounts/me/devices/{bad}"),
            )
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(status == 422 || status == 404, "{bad}: {status}");
    }
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
}

#[tokio::test]
async fn redis_down_is_503_over_http() {
    let port = free_port();
    let app = TestApp::spawn_with(&[("REDIS_URL", &url(port))]).await;
    let alice = app.account("alice", "MD5", false).await;
    let response = app
        .as_key(&alice, Method::GET, "/api/accounts/me/devices")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(json(response).await["message"].is_string());
}
