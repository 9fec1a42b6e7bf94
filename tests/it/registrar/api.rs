//! The device endpoints' bodies on a real server state: the registrar is
//! chosen from configuration, the service starts while Redis is down, and
//! registrar errors become the API's statuses.
//!
//! The routes themselves wrap these bodies once authentication exists.

use axum::response::IntoResponse;
use flexiapi::api::devices::{delete_device, list_devices};
use flexiapi::error::ApiResult;

use super::fixtures::*;
use crate::helpers::TestApp;

/// Status and JSON body, as the client would see them.
async fn answer<T: serde::Serialize>(result: ApiResult<axum::Json<T>>) -> (u16, serde_json::Value) {
    let response = result.into_response();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn without_a_registrar_devices_answer_503_saying_what_to_set() {
    let app = TestApp::spawn().await;
    let (status, body) = answer(list_devices(&app.state, "alice", DOMAIN).await).await;
    assert_eq!(status, 503);
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("REDIS_URL") && message.contains("APP_FLEXISIP_PROXY_PID"));
    let (status, _) = answer(delete_device(&app.state, "alice", DOMAIN, PHONE).await).await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn starts_with_redis_down_then_serves_devices_once_it_is_up() {
    let port = free_port();
    let app = TestApp::spawn_with(&[("REDIS_URL", &url(port))]).await;
    let (status, body) = answer(list_devices(&app.state, "alice", DOMAIN).await).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["message"].as_str().unwrap().contains("Redis"));

    let server = RedisServer::start_on(port).await;
    let now = app.state.clock.now().timestamp();
    register_alice_and_bob(&mut server.connection().await, now).await;

    let (status, body) = answer(list_devices(&app.state, "alice", DOMAIN).await).await;
    assert_eq!(status, 200);
    assert_eq!(body, alice_devices_json(now));
    let (status, body) = answer(list_devices(&app.state, "nobody", DOMAIN).await).await;
    assert_eq!((status, body.to_string()), (200, "{}".to_string()));

    let (status, body) = answer(delete_device(&app.state, "alice", DOMAIN, PHONE).await).await;
    assert_eq!((status, body.to_string()), (200, "{}".to_string()));
    let (status, _) = answer(delete_device(&app.state, "alice", DOMAIN, PHONE).await).await;
    assert_eq!(status, 404);
    let (status, body) =
        answer(delete_device(&app.state, "alice", DOMAIN, "urn:uuid:x y").await).await;
    assert_eq!(status, 422);
    assert!(body["errors"]["uuid"].is_array(), "{body}");
}

#[tokio::test]
async fn the_pid_file_selects_the_cli_socket_when_redis_is_not_set() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("missing.pid");
    let app = TestApp::spawn_with(&[("APP_FLEXISIP_PROXY_PID", pid_file.to_str().unwrap())]).await;
    assert!(matches!(
        app.state.registrar,
        flexiapi::registrar::Registrar::ProxySocket(_)
    ));
    let (status, body) = answer(list_devices(&app.state, "alice", DOMAIN).await).await;
    assert_eq!(status, 503);
    assert!(
        body["message"].as_str().unwrap().contains("pid file"),
        "{body}"
    );
}
