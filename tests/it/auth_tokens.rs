//! QR login (auth tokens exchanged for API keys), device API keys with
//! their expiry and last use, and `accounts clear-api-keys`.

use chrono::Duration;
use flexiapi::db::entities::{api_key, auth_token};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{TestAccount, TestApp, json, keys};

const CREATE: &str = "/api/accounts/auth_token";

async fn create_token(app: &TestApp) -> Value {
    let response = app.post(CREATE).send().await.unwrap();
    assert_eq!(response.status(), 201);
    json(response).await
}

async fn attach(app: &TestApp, account: &TestAccount, token: &str) -> reqwest::Response {
    app.as_key(
        account,
        Method::GET,
        &format!("/api/accounts/auth_token/{token}/attach"),
    )
    .send()
    .await
    .unwrap()
}

async fn exchange(app: &TestApp, token: &str) -> reqwest::Response {
    app.get(&format!("/api/accounts/me/api_key/{token}"))
        .send()
        .await
        .unwrap()
}

/// `GET /api/accounts/me` with `key` as the account's API key.
async fn me_with_key(app: &TestApp, account: &TestAccount, key: &str) -> reqwest::StatusCode {
    app.get("/api/accounts/me")
        .header("From", account.from())
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
        .status()
}

async fn key_row(app: &TestApp, account_id: i32) -> api_key::Model {
    api_key::Entity::find()
        .filter(api_key::Column::AccountId.eq(account_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("an API key row")
}

#[tokio::test]
async fn qr_login_from_token_to_a_working_api_key() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_qr", "SHA-256", false).await;
    let bob = app.account("bob_qr", "SHA-256", false).await;

    let created = create_token(&app).await;
    assert_eq!(
        keys(&created),
        ["created_at", "expire_at", "id", "token", "updated_at"]
    );
    let token = created["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    let created_at =
        flexiapi::clock::parse_datetime(created["created_at"].as_str().unwrap()).unwrap();
    let expire_at =
        flexiapi::clock::parse_datetime(created["expire_at"].as_str().unwrap()).unwrap();
    assert_eq!(expire_at - created_at, Duration::minutes(5));

    // Stored hashed: the clear token is nowhere in the table.
    let rows = auth_token::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token, token);
    assert_eq!(rows[0].token, flexiapi::secrets::sha256_hex(&token));
    assert_eq!(rows[0].account_id, None);

    // Not attached yet: nothing to exchange.
    assert_eq!(exchange(&app, &token).await.status(), 404);

    let attached = attach(&app, &alice, &token).await;
    assert_eq!(attached.status(), 200);
    assert_eq!(json(attached).await, serde_json::json!({}));
    // Attached once: neither the same account nor another one again.
    assert_eq!(attach(&app, &alice, &token).await.status(), 404);
    assert_eq!(attach(&app, &bob, &token).await.status(), 404);

    let exchanged = exchange(&app, &token).await;
    assert_eq!(exchanged.status(), 200);
    let body = json(exchanged).await;
    assert_eq!(keys(&body), ["api_key"]);
    let key = body["api_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 40);
    assert_eq!(me_with_key(&app, &alice, &key).await, 200);
    // The key is Alice's only: not Bob's.
    assert_eq!(me_with_key(&app, &bob, &key).await, 401);
    // Alice's previous key was replaced.
    assert_eq!(me_with_key(&app, &alice, &alice.api_key).await, 401);

    // Used once: gone.
    assert_eq!(exchange(&app, &token).await.status(), 404);
    assert_eq!(attach(&app, &bob, &token).await.status(), 404);
    assert_eq!(app.count("auth_tokens").await, 0);
}

#[tokio::test]
async fn expired_tokens_are_refused_at_every_step() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_exp", "SHA-256", false).await;

    let late_attach = create_token(&app).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let late_exchange = create_token(&app).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(attach(&app, &alice, &late_exchange).await.status(), 200);

    app.state
        .clock
        .advance(Duration::minutes(5) + Duration::seconds(1));
    assert_eq!(attach(&app, &alice, &late_attach).await.status(), 404);
    assert_eq!(exchange(&app, &late_exchange).await.status(), 404);
    // Alice keeps her key: nothing was issued.
    assert_eq!(me_with_key(&app, &alice, &alice.api_key).await, 200);
    // The next creation purges the expired rows.
    create_token(&app).await;
    assert_eq!(app.count("auth_tokens").await, 1);
}

#[tokio::test]
async fn attaching_needs_an_authenticated_account() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_auth", "SHA-256", false).await;
    let token = create_token(&app).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/accounts/auth_token/{token}/attach");

    let anonymous = app
        .get(&path)
        .header("From", alice.from())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let no_from = app.get(&path).send().await.unwrap();
    assert_eq!(no_from.status(), 422);
    let wrong_key = app
        .get(&path)
        .header("From", alice.from())
        .header("x-api-key", "not-the-key")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    // Still attachable by its rightful user.
    assert_eq!(attach(&app, &alice, &token).await.status(), 200);
}

#[tokio::test]
async fn a_deactivated_account_gets_no_key() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_deact", "SHA-256", false).await;
    let token = create_token(&app).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(attach(&app, &alice, &token).await.status(), 200);
    flexiapi::db::accounts::set_activated(&app.state.db, alice.id, false)
        .await
        .unwrap();
    assert_eq!(exchange(&app, &token).await.status(), 404);
}

#[tokio::test]
async fn bad_tokens_are_404_never_500() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_bad", "SHA-256", false).await;
    let long = "a".repeat(5000);
    // A control character is refused before any lookup (docs/api.md).
    for token in ["%00", "x%00y"] {
        assert_eq!(attach(&app, &alice, token).await.status(), 422, "{token}");
        assert_eq!(exchange(&app, token).await.status(), 422, "{token}");
        let provisioning = app
            .get(&format!("/provisioning/auth_token/{token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(provisioning.status(), 422, "{token}");
    }
    for token in ["%F0%9F%98%80", "%C3%A9t%C3%A9", long.as_str(), "%FF"] {
        assert_eq!(attach(&app, &alice, token).await.status(), 404, "{token}");
        assert_eq!(exchange(&app, token).await.status(), 404, "{token}");
        let provisioning = app
            .get(&format!("/provisioning/auth_token/{token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(provisioning.status(), 404, "{token}");
    }
    // A body on the creation is ignored, whatever it is.
    let with_body = app.post(CREATE).body("{not json").send().await.unwrap();
    assert_eq!(with_body.status(), 201);
}

#[tokio::test]
async fn token_creation_is_rate_limited() {
    let app = TestApp::spawn_with(&[("APP_RATE_LIMIT_PER_MINUTE", "2")]).await;
    create_token(&app).await;
    create_token(&app).await;
    let third = app.post(CREATE).send().await.unwrap();
    assert_eq!(third.status(), 429);
    assert!(third.headers().get("retry-after").is_some());
    assert_eq!(app.count("auth_tokens").await, 2);
}

#[tokio::test]
async fn own_api_key_is_plain_text_and_replaces_the_previous_one() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_own", "SHA-256", false).await;
    let anonymous = app
        .get("/api/accounts/me/api_key")
        .header("From", alice.from())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let response = app
        .as_key(&alice, Method::GET, "/api/accounts/me/api_key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let key = response.text().await.unwrap();
    assert_eq!(key.len(), 40);
    assert_eq!(me_with_key(&app, &alice, &key).await, 200);
    assert_eq!(me_with_key(&app, &alice, &alice.api_key).await, 401);
    // Stored hashed, as a device key (no expiry configured: 0).
    let row = key_row(&app, alice.id).await;
    assert_eq!(row.key, flexiapi::secrets::sha256_hex(&key));
    assert_eq!(row.expires_after_last_used_minutes, Some(0));
}

#[tokio::test]
async fn device_keys_expire_after_a_time_without_use() {
    let app = TestApp::spawn_with(&[("APP_API_KEY_EXPIRATION_MINUTES", "60")]).await;
    let alice = app.account("alice_keyexp", "SHA-256", false).await;
    let stable = app.account("stable_key", "SHA-256", false).await;
    let key = app
        .as_key(&alice, Method::GET, "/api/accounts/me/api_key")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        key_row(&app, alice.id)
            .await
            .expires_after_last_used_minutes,
        Some(60)
    );

    // Used within the hour, then again within the hour of that use.
    app.state.clock.advance(Duration::minutes(50));
    assert_eq!(me_with_key(&app, &alice, &key).await, 200);
    app.state.clock.advance(Duration::minutes(50));
    assert_eq!(me_with_key(&app, &alice, &key).await, 200);
    // More than an hour without use: refused.
    app.state.clock.advance(Duration::minutes(61));
    assert_eq!(me_with_key(&app, &alice, &key).await, 401);

    // Keys from the panel or the console never expire.
    assert_eq!(me_with_key(&app, &stable, &stable.api_key).await, 200);
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_touch", "SHA-256", false).await;
    assert_eq!(key_row(&app, alice.id).await.last_used_at, None);

    assert_eq!(me_with_key(&app, &alice, &alice.api_key).await, 200);
    let first = key_row(&app, alice.id)
        .await
        .last_used_at
        .expect("recorded");
    let now = app.state.clock.now_naive();
    assert!((now - first).num_seconds().abs() <= 2);

    // Within the minute: no write.
    app.state.clock.advance(Duration::seconds(30));
    assert_eq!(me_with_key(&app, &alice, &alice.api_key).await, 200);
    assert_eq!(key_row(&app, alice.id).await.last_used_at, Some(first));

    // After it: recorded again.
    app.state.clock.advance(Duration::seconds(40));
    assert_eq!(me_with_key(&app, &alice, &alice.api_key).await, 200);
    let second = key_row(&app, alice.id).await.last_used_at.unwrap();
    assert!(second - first >= Duration::seconds(70));

    // A refused key records nothing.
    app.state.clock.advance(Duration::minutes(5));
    assert_eq!(me_with_key(&app, &alice, "wrong-key").await, 401);
    assert_eq!(key_row(&app, alice.id).await.last_used_at, Some(second));
}

/// Runs the real binary on the test's database.
fn console(app: &TestApp, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_flexiapi"));
    command
        .args(args)
        .current_dir(app.dir.path())
        .env_clear()
        .env("DATABASE_URL", &app.state.config.database_url)
        .env("RUST_LOG", "warn");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[tokio::test]
async fn clear_api_keys_deletes_unused_device_keys_only() {
    use flexiapi::auth::api_key::{issue_for_device, regenerate};
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let now = app.state.clock.now_naive();
    let hours_ago = |h| now - Duration::hours(h);
    let stable = app.account("stable_old", "SHA-256", false).await;
    let idle = app.account("device_idle", "SHA-256", false).await;
    let recent = app.account("device_recent", "SHA-256", false).await;
    let expired = app.account("device_expired", "SHA-256", false).await;
    regenerate(db, stable.id, hours_ago(5)).await.unwrap();
    issue_for_device(db, idle.id, hours_ago(3), None)
        .await
        .unwrap();
    issue_for_device(db, recent.id, now, None).await.unwrap();
    // Its own expiry (30 minutes) is over, whatever MINUTES says.
    issue_for_device(db, expired.id, hours_ago(1), Some(30))
        .await
        .unwrap();

    // Without MINUTES nor APP_API_KEY_EXPIRATION_MINUTES: only expired keys.
    let output = console(&app, &["accounts", "clear-api-keys"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "1 expired API key(s) deleted."
    );
    assert_eq!(app.count("api_keys").await, 3);

    // 0 clears nothing by age, as in the PHP command.
    let output = console(&app, &["accounts", "clear-api-keys", "0"], &[]);
    assert!(output.status.success());
    assert_eq!(app.count("api_keys").await, 3);

    // From the configuration: device keys unused for 2 hours go.
    let output = console(
        &app,
        &["accounts", "clear-api-keys"],
        &[("APP_API_KEY_EXPIRATION_MINUTES", "120")],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("1 API key(s) deleted"));
    let left: Vec<i32> = api_key::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.account_id)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&stable.id) && left.contains(&recent.id));

    // Bad input: a one-line error, nothing deleted.
    for bad in ["-5", "soon", "99999999999"] {
        let output = console(&app, &["accounts", "clear-api-keys", bad], &[]);
        assert!(!output.status.success(), "{bad}");
    }
    assert_eq!(app.count("api_keys").await, 2);
}
