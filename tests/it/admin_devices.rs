//! `GET /api/accounts/{id}/devices` and `DELETE
//! /api/accounts/{id}/devices/{uuid}`, against a real `redis-server`.

use reqwest::Method;

use crate::helpers::{TestApp, json};
use crate::registrar::fixtures::*;

#[tokio::test]
async fn an_admin_reads_and_deletes_any_accounts_devices() {
    let server = RedisServer::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &server.url())]).await;
    let now = app.state.clock.now().timestamp();
    register_alice_and_bob(&mut server.connection().await, now).await;
    let admin = app.admin().await;
    let alice = app.account("alice", "MD5", false).await;
    let devices = format!("/api/accounts/{}/devices", alice.id);

    let response = app
        .as_key(&admin, Method::GET, &devices)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, alice_devices_json(now));

    let response = app
        .as_key(&admin, Method::DELETE, &format!("{devices}/{PHONE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let left = json(
        app.as_key(&admin, Method::GET, &devices)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        left.as_object().unwrap().keys().collect::<Vec<_>>(),
        [DESKTOP]
    );
    // Gone from Redis itself.
    let exists: bool = redis::cmd("HEXISTS")
        .arg(format!("fs:alice@{DOMAIN}"))
        .arg(field(PHONE))
        .query_async(&mut server.connection().await)
        .await
        .unwrap();
    assert!(!exists);

    let response = app
        .as_key(&admin, Method::DELETE, &format!("{devices}/{PHONE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "already deleted");
    let response = app
        .as_key(&admin, Method::DELETE, &format!("{devices}/urn:uuid:x%20y"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["uuid"].is_array());

    // An account without devices: an empty object.
    let response = app
        .as_key(
            &admin,
            Method::GET,
            &format!("/api/accounts/{}/devices", admin.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "{}");
}

#[tokio::test]
async fn non_admins_get_403_unknown_ids_404_and_no_registrar_503() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("alice", "MD5", false).await;
    let devices = format!("/api/accounts/{}/devices", admin.id);
    for (method, path) in [
        (Method::GET, devices.clone()),
        (Method::DELETE, format!("{devices}/{PHONE}")),
    ] {
        let response = app
            .as_key(&user, method.clone(), &path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        let response = app
            .as_key(&admin, method.clone(), &path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503, "no registrar: {method} {path}");
    }
    for path in [
        "/api/accounts/999999/devices".to_string(),
        format!("/api/accounts/999999/devices/{PHONE}"),
    ] {
        let method = if path.ends_with("devices") {
            Method::GET
        } else {
            Method::DELETE
        };
        let response = app.as_key(&admin, method, &path).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}
