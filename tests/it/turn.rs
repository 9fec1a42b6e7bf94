//! TURN credentials for coturn's REST API, checked by recomputing the
//! HMAC-SHA1 here (written from RFC 2104, not with the server's crate).

use base64::Engine;
use reqwest::Method;
use sha1::{Digest, Sha1};

use crate::helpers::{TestApp, json, keys};

const TURN: &str = "/api/accounts/me/services/turn";
const SECRET: &str = "coturn-static-secret";

/// HMAC-SHA1 (RFC 2104) of `message` under `key`.
fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let inner = Sha1::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha1::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

#[tokio::test]
async fn credentials_are_coturns_rest_api_ones() {
    let app = TestApp::spawn_with(&[
        ("COTURN_SERVER_HOST", "turn.example.org:3478"),
        ("COTURN_STATIC_AUTH_SECRET", SECRET),
        ("COTURN_SESSION_TTL_MINUTES", "30"),
    ])
    .await;
    let alice = app.account("alice_turn", "SHA-256", false).await;
    let response = app.as_key(&alice, Method::GET, TURN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(keys(&body), ["password", "ttl", "uris", "username"]);
    assert_eq!(body["ttl"], 1800);
    assert_eq!(
        body["uris"],
        serde_json::json!(["turn:turn.example.org:3478"])
    );

    let username = body["username"].as_str().unwrap();
    let (expiry, user) = username.split_once(':').unwrap();
    let expiry: i64 = expiry.parse().unwrap();
    let expected_expiry = app.state.clock.now().timestamp() + 1800;
    assert!(
        (expiry - expected_expiry).abs() <= 2,
        "{expiry} vs {expected_expiry}"
    );
    assert_eq!(user.len(), 16);
    assert!(!user.contains("alice"), "the user part names no account");

    let expected = base64::engine::general_purpose::STANDARD
        .encode(hmac_sha1(SECRET.as_bytes(), username.as_bytes()));
    assert_eq!(body["password"], expected);

    // A new request, new credentials.
    let again = json(app.as_key(&alice, Method::GET, TURN).send().await.unwrap()).await;
    assert_ne!(again["username"], body["username"]);
}

#[tokio::test]
async fn hmac_helper_matches_rfc_2202() {
    let mac = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(hex::encode(mac), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

#[tokio::test]
async fn not_configured_is_404_and_anonymous_401() {
    for vars in [
        vec![],
        vec![
            ("COTURN_SERVER_HOST", "turn.example.org"),
            ("COTURN_STATIC_AUTH_SECRET", SECRET),
            ("COTURN_SESSION_TTL_MINUTES", "0"),
        ],
    ] {
        let app = TestApp::spawn_with(&vars).await;
        let alice = app.account("alice_noturn", "SHA-256", false).await;
        let response = app.as_key(&alice, Method::GET, TURN).send().await.unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(
            json(response).await["message"],
            "No TURN service configured"
        );
        let anonymous = app
            .get(TURN)
            .header("From", alice.from())
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
    }
}
