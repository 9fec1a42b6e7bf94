//! Provisioning tokens (distinct from the activation key), `/provisioning/me`
//! and `/provisioning/auth_token/{token}`.

use chrono::Duration;
use flexiapi::db::entities::provisioning_token;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::digest_client::{authorization, challenges};
use crate::helpers::{TestAccount, TestApp, account_keys, json, keys};

/// The `reg_identity` of the XML's `proxy_0`, and the `username` of each
/// `auth_info_N`: what says whether the account was provisioned.
fn provisioned_identity(xml: &str) -> (Option<String>, Vec<String>) {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let mut identity = None;
    let mut auth_users = Vec::new();
    for section in doc.root_element().children().filter(|n| n.is_element()) {
        let name = section.attribute("name").unwrap_or_default();
        for entry in section.children().filter(|n| n.is_element()) {
            let text = entry.text().unwrap_or_default().to_string();
            match (name, entry.attribute("name")) {
                ("proxy_0", Some("reg_identity")) => identity = Some(text),
                (n, Some("username")) if n.starts_with("auth_info_") => auth_users.push(text),
                _ => {}
            }
        }
    }
    (identity, auth_users)
}

async fn get_xml(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn admin_provision(app: &TestApp, admin: &TestAccount, id: i32) -> Value {
    let response = app
        .as_key(admin, Method::GET, &format!("/api/accounts/{id}/provision"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    json(response).await
}

fn token_of(body: &Value) -> String {
    body["provisioning_token"].as_str().unwrap().to_string()
}

/// An account waiting for activation, created by the admin API.
async fn unactivated_account(app: &TestApp, admin: &TestAccount, username: &str) -> Value {
    let response = app
        .as_key(admin, Method::POST, "/api/accounts")
        .json(&serde_json::json!({
            "username": username,
            "password": "secret-pass",
            "algorithm": "SHA-256",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    json(response).await
}

#[tokio::test]
async fn admin_issues_a_token_that_provisions_once_and_activates() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let created = unactivated_account(&app, &admin, "waiting_user").await;
    let id = created["id"].as_i64().unwrap() as i32;
    let confirmation_key = created["confirmation_key"].as_str().unwrap().to_string();

    let body = admin_provision(&app, &admin, id).await;
    let mut expected = account_keys();
    expected.push("provisioning_token".into());
    expected.push("provisioning_token_expire_at".into());
    expected.sort();
    assert_eq!(keys(&body), expected);
    // Tokens live APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES (a day by
    // default), shown in upstream's ISO 8601 form.
    let expire_at = body["provisioning_token_expire_at"].as_str().unwrap();
    let expire_at = chrono::DateTime::parse_from_rfc3339(expire_at).unwrap();
    let in_a_day = chrono::Utc::now() + chrono::Duration::days(1);
    assert!(
        (expire_at.timestamp() - in_a_day.timestamp()).abs() < 60,
        "{expire_at}"
    );
    assert_eq!(body["id"], id);
    let token = token_of(&body);
    assert_eq!(token.len(), 20);
    assert_ne!(token, confirmation_key);

    // Stored hashed.
    let rows = provisioning_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].token, flexiapi::secrets::sha256_hex(&token));

    let (status, xml) = get_xml(&app, &format!("/provisioning/{token}")).await;
    assert_eq!(status, 200);
    let (identity, users) = provisioned_identity(&xml);
    assert_eq!(
        identity.as_deref(),
        Some("sip:waiting_user@sip.example.org")
    );
    assert_eq!(users, ["waiting_user"]);
    let account = flexiapi::db::accounts::find_by_id(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    assert!(account.is_activated(), "the link proves possession");

    // Single use: the second visit is the base configuration.
    let (status, xml) = get_xml(&app, &format!("/provisioning/{token}")).await;
    assert_eq!(status, 200);
    assert_eq!(provisioned_identity(&xml), (None, vec![]));
    let qr = app
        .get(&format!("/provisioning/qrcode/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 404);
}

#[tokio::test]
async fn a_renewed_token_makes_the_old_one_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let alice = app.account("alice_renew", "SHA-256", false).await;
    let old = token_of(&admin_provision(&app, &admin, alice.id).await);
    let new = token_of(&admin_provision(&app, &admin, alice.id).await);
    assert_ne!(old, new);
    assert_eq!(app.count("provisioning_tokens").await, 1);

    let old_qr = app
        .get(&format!("/provisioning/qrcode/{old}"))
        .send()
        .await
        .unwrap();
    assert_eq!(old_qr.status(), 404);
    let (status, xml) = get_xml(&app, &format!("/provisioning/{old}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        provisioned_identity(&xml),
        (None, vec![]),
        "base configuration"
    );

    let new_qr = app
        .get(&format!("/provisioning/qrcode/{new}"))
        .send()
        .await
        .unwrap();
    assert_eq!(new_qr.status(), 200);
    assert_eq!(new_qr.headers()["content-type"], "image/png");
    let (_, xml) = get_xml(&app, &format!("/provisioning/{new}")).await;
    assert_eq!(provisioned_identity(&xml).1, ["alice_renew"]);
}

#[tokio::test]
async fn the_activation_key_still_provisions_beside_a_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let created = unactivated_account(&app, &admin, "both_ways").await;
    let id = created["id"].as_i64().unwrap() as i32;
    let confirmation_key = created["confirmation_key"].as_str().unwrap().to_string();
    let token = token_of(&admin_provision(&app, &admin, id).await);

    let (_, xml) = get_xml(&app, &format!("/provisioning/{confirmation_key}")).await;
    assert_eq!(provisioned_identity(&xml).1, ["both_ways"]);
    let (_, xml) = get_xml(&app, &format!("/provisioning/{token}")).await;
    assert_eq!(provisioned_identity(&xml).1, ["both_ways"]);
}

#[tokio::test]
async fn tokens_expire_when_configured() {
    let app = TestApp::spawn_with(&[("APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES", "30")]).await;
    let admin = app.admin().await;
    let alice = app.account("alice_ptexp", "SHA-256", false).await;
    let issued_at = app.state.clock.now_naive();
    let body = admin_provision(&app, &admin, alice.id).await;
    // The account JSON says when the token stops working, as upstream's.
    let expected = (issued_at + Duration::minutes(30))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    assert_eq!(body["provisioning_token_expire_at"], expected.as_str());
    let token = token_of(&body);
    app.state.clock.advance(Duration::minutes(29));
    let qr = app
        .get(&format!("/provisioning/qrcode/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 200);
    app.state.clock.advance(Duration::minutes(2));
    let qr = app
        .get(&format!("/provisioning/qrcode/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 404);
    let (status, xml) = get_xml(&app, &format!("/provisioning/{token}")).await;
    assert_eq!(status, 200);
    assert_eq!(provisioned_identity(&xml), (None, vec![]));
}

#[tokio::test]
async fn admin_provision_statuses() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let alice = app.account("alice_pstat", "SHA-256", false).await;
    for id in ["999999", "abc", "99999999999999999999", "-1", "%FF"] {
        let response = app
            .as_key(
                &admin,
                Method::GET,
                &format!("/api/accounts/{id}/provision"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{id}");
    }
    // A control character is refused before any lookup (docs/api.md).
    let response = app
        .as_key(&admin, Method::GET, "/api/accounts/%00/provision")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let not_admin = app
        .as_key(
            &alice,
            Method::GET,
            &format!("/api/accounts/{}/provision", alice.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(not_admin.status(), 403);
    let anonymous = app
        .get(&format!("/api/accounts/{}/provision", alice.id))
        .header("From", admin.from())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(app.count("provisioning_tokens").await, 0);
}

#[tokio::test]
async fn a_device_provisions_itself() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_self", "SHA-256", false).await;
    let response = app
        .as_key(&alice, Method::GET, "/api/accounts/me/provision")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["username"], "alice_self");
    let token = token_of(&body);
    let (_, xml) = get_xml(&app, &format!("/provisioning/{token}")).await;
    assert_eq!(provisioned_identity(&xml).1, ["alice_self"]);

    let anonymous = app
        .get("/api/accounts/me/provision")
        .header("From", alice.from())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn provisioning_me_with_a_key_or_digest_every_time() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_me", "SHA-256", false).await;
    for _ in 0..2 {
        let response = app
            .as_key(&alice, Method::GET, "/provisioning/me")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/xml")
        );
        let xml = response.text().await.unwrap();
        assert_eq!(
            provisioned_identity(&xml),
            (
                Some("sip:alice_me@sip.example.org".into()),
                vec!["alice_me".into()]
            )
        );
    }

    // Digest, as liblinphone answers the challenge.
    let challenged = app
        .get("/provisioning/me")
        .header("From", alice.from())
        .send()
        .await
        .unwrap();
    assert_eq!(challenged.status(), 401);
    let challenge = challenges(&challenged)
        .into_iter()
        .find(|c| c.algorithm == "SHA-256")
        .unwrap();
    let answered = app
        .get("/provisioning/me")
        .header("From", alice.from())
        .header(
            "Authorization",
            authorization(
                &challenge,
                &alice.username,
                &alice.password,
                "GET",
                "/provisioning/me",
                1,
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    let xml = answered.text().await.unwrap();
    assert_eq!(provisioned_identity(&xml).1, ["alice_me"]);

    let wrong = app
        .get("/provisioning/me")
        .header("From", alice.from())
        .header("x-api-key", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn provisioning_by_auth_token_once_and_only_attached() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_patok", "SHA-256", false).await;
    let created = app.post("/api/accounts/auth_token").send().await.unwrap();
    let token = json(created).await["token"].as_str().unwrap().to_string();
    let path = format!("/provisioning/auth_token/{token}");

    let (status, _) = get_xml(&app, &path).await;
    assert_eq!(status, 404, "not attached");
    let attached = app
        .as_key(
            &alice,
            Method::GET,
            &format!("/api/accounts/auth_token/{token}/attach"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(attached.status(), 200);

    // A HEAD does not use it up.
    let head = app.client.head(app.url(&path)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let (status, xml) = get_xml(&app, &path).await;
    assert_eq!(status, 200);
    assert_eq!(provisioned_identity(&xml).1, ["alice_patok"]);
    let (status, _) = get_xml(&app, &path).await;
    assert_eq!(status, 404, "used once");
    let (status, _) = get_xml(&app, "/provisioning/auth_token/unknown-token").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn tokens_go_with_their_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let alice = app.account("alice_gone", "SHA-256", false).await;
    admin_provision(&app, &admin, alice.id).await;
    let created = app.post("/api/accounts/auth_token").send().await.unwrap();
    let token = json(created).await["token"].as_str().unwrap().to_string();
    let attached = app
        .as_key(
            &alice,
            Method::GET,
            &format!("/api/accounts/auth_token/{token}/attach"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(attached.status(), 200);
    let deleted = app
        .as_key(
            &admin,
            Method::DELETE,
            &format!("/api/accounts/{}", alice.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(app.count("provisioning_tokens").await, 0);
    assert_eq!(app.count("auth_tokens").await, 0);
}
