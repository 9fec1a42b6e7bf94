//! `POST /api/accounts/{sip}/activate/email` and `…/activate/phone`:
//! codes, expiry, attempt counting and the rate limit.

use flexiapi::db::accounts::{NewAccount, insert};
use serde_json::{Value, json};

use crate::helpers::{TestApp, account_keys, json, keys};
use crate::with_token::stored_account;

const EMAIL_KEY: &str = "aB3dE6gH9jK1m";
const PIN: &str = "0421";

/// A pending account whose confirmation key is `key`, optionally expiring.
async fn pending(app: &TestApp, username: &str, key: &str, expires: Option<chrono::NaiveDateTime>) {
    insert(
        &app.state.db,
        &app.state.config,
        NewAccount {
            username,
            domain: &app.state.config.sip_domain,
            password: Some(("secret1", flexiapi::auth::digest::Algorithm::Sha256)),
            confirmation_key: Some(key.to_string()),
            confirmation_key_expires: expires,
            ip_address: "127.0.0.1",
            user_agent: "test",
            ..Default::default()
        },
        app.state.clock.now_naive(),
    )
    .await
    .unwrap();
}

async fn activate(app: &TestApp, sip: &str, channel: &str, code: Value) -> reqwest::Response {
    app.post(&format!("/api/accounts/{sip}/activate/{channel}"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
}

async fn attempts(app: &TestApp, username: &str) -> i32 {
    stored_account(app, username)
        .await
        .unwrap()
        .failed_code_attempts
}

/// A server with a rate limit high enough not to interfere.
async fn spawn(vars: &[(&str, &str)]) -> TestApp {
    let mut all = vec![("APP_RATE_LIMIT_PER_MINUTE", "1000")];
    all.extend_from_slice(vars);
    TestApp::spawn_with(&all).await
}

#[tokio::test]
async fn the_right_code_activates_and_is_consumed() {
    let app = spawn(&[]).await;
    pending(&app, "email_user", EMAIL_KEY, None).await;
    pending(&app, "phone_user", PIN, None).await;
    for (user, channel, code) in [
        ("email_user", "email", EMAIL_KEY),
        ("phone_user", "phone", PIN),
    ] {
        let sip = format!("{user}@sip.example.org");
        let response = activate(&app, &sip, channel, json!(code)).await;
        assert_eq!(response.status(), 200, "{channel}");
        let account = json(response).await;
        assert_eq!(keys(&account), account_keys(), "{channel}");
        assert_eq!(account["activated"], true);
        assert_eq!(account["username"], user);
        let stored = stored_account(&app, user).await.unwrap();
        assert!(stored.is_activated());
        assert_eq!(stored.confirmation_key, None);
        // Consumed: a second use finds nothing.
        assert_eq!(
            activate(&app, &sip, channel, json!(code)).await.status(),
            404
        );
    }
}

#[tokio::test]
async fn a_wrong_code_is_404_and_counted() {
    let app = spawn(&[]).await;
    pending(&app, "email_user", EMAIL_KEY, None).await;
    pending(&app, "phone_user", PIN, None).await;
    let response = activate(
        &app,
        "email_user@sip.example.org",
        "email",
        json!("aB3dE6gH9jK1M"),
    )
    .await;
    assert_eq!(response.status(), 404);
    assert!(json(response).await["message"].is_string());
    let response = activate(&app, "phone_user@sip.example.org", "phone", json!("0422")).await;
    assert_eq!(response.status(), 404);
    for user in ["email_user", "phone_user"] {
        let stored = stored_account(&app, user).await.unwrap();
        assert!(!stored.is_activated());
        assert_eq!(stored.failed_code_attempts, 1);
    }
}

#[tokio::test]
async fn a_code_of_the_wrong_shape_is_422_and_not_counted() {
    let app = spawn(&[]).await;
    pending(&app, "email_user", EMAIL_KEY, None).await;
    pending(&app, "phone_user", PIN, None).await;
    let email = "email_user@sip.example.org";
    let phone = "phone_user@sip.example.org";
    for (sip, channel, code) in [
        (email, "email", json!("aB3dE6gH9jK1")),
        (email, "email", json!("aB3dE6gH9jK1mm")),
        // A PIN is never an e-mail code…
        (email, "email", json!("0421")),
        (email, "email", json!(null)),
        (phone, "phone", json!("042")),
        (phone, "phone", json!("04211")),
        (phone, "phone", json!("04a1")),
        (phone, "phone", json!(421)),
        // …nor the reverse, even the account's own key.
        (phone, "phone", json!(EMAIL_KEY)),
    ] {
        let response = activate(&app, sip, channel, code.clone()).await;
        assert_eq!(response.status(), 422, "{channel} {code}");
        assert!(json(response).await["errors"]["code"].is_array());
    }
    // The right PIN on the e-mail route is refused even for a PIN account.
    assert_eq!(
        activate(&app, phone, "email", json!(PIN)).await.status(),
        422
    );
    for user in ["email_user", "phone_user"] {
        assert_eq!(attempts(&app, user).await, 0, "{user}");
        assert!(!stored_account(&app, user).await.unwrap().is_activated());
    }
}

#[tokio::test]
async fn an_unknown_account_is_404() {
    let app = spawn(&[]).await;
    pending(&app, "email_user", EMAIL_KEY, None).await;
    for sip in [
        "nobody_here@sip.example.org",
        "email_user@other.example.org",
        "not-a-sip",
    ] {
        let response = activate(&app, sip, "email", json!(EMAIL_KEY)).await;
        assert_eq!(response.status(), 404, "{sip}");
    }
    assert!(
        !stored_account(&app, "email_user")
            .await
            .unwrap()
            .is_activated()
    );
}

#[tokio::test]
async fn an_expired_code_is_403_but_only_once_it_is_right() {
    let app = spawn(&[]).await;
    let past = app.state.clock.now_naive() - chrono::Duration::hours(1);
    pending(&app, "late_user", EMAIL_KEY, Some(past)).await;
    let sip = "late_user@sip.example.org";
    // The code is checked first.
    assert_eq!(
        activate(&app, sip, "email", json!("zzzzzzzzzzzzz"))
            .await
            .status(),
        404
    );
    let response = activate(&app, sip, "email", json!(EMAIL_KEY)).await;
    assert_eq!(response.status(), 403);
    assert!(json(response).await["message"].is_string());
    let stored = stored_account(&app, "late_user").await.unwrap();
    assert!(!stored.is_activated());
    // Only the wrong code counts as a wrong try.
    assert_eq!(stored.failed_code_attempts, 1);
}

#[tokio::test]
async fn a_code_expires_when_the_clock_passes_its_expiry() {
    let app = spawn(&[]).await;
    let admin = app.admin().await;
    let expires = app.state.clock.now_naive() + chrono::Duration::hours(2);
    let response = app
        .as_key(&admin, reqwest::Method::POST, "/api/accounts")
        .json(
            &json!({"username": "admin_made", "password": "secret1", "algorithm": "MD5",
                      "confirmation_key_expires": expires.format("%Y-%m-%d %H:%M:%S").to_string()}),
        )
        .send()
        .await
        .unwrap();
    let key = json(response).await["confirmation_key"]
        .as_str()
        .unwrap()
        .to_string();
    app.state.clock.advance(chrono::Duration::hours(3));
    let sip = "admin_made@sip.example.org";
    assert_eq!(activate(&app, sip, "email", json!(key)).await.status(), 403);
    app.state.clock.advance(chrono::Duration::hours(-2));
    assert_eq!(activate(&app, sip, "email", json!(key)).await.status(), 200);
}

#[tokio::test]
async fn after_five_wrong_codes_even_the_right_one_is_404() {
    let app = spawn(&[]).await;
    pending(&app, "email_user", EMAIL_KEY, None).await;
    pending(&app, "phone_user", PIN, None).await;
    for (user, channel, right, wrong) in [
        ("email_user", "email", EMAIL_KEY, "wrongwrong123"),
        ("phone_user", "phone", PIN, "9999"),
    ] {
        let sip = format!("{user}@sip.example.org");
        for _ in 0..5 {
            assert_eq!(
                activate(&app, &sip, channel, json!(wrong)).await.status(),
                404
            );
        }
        assert_eq!(
            activate(&app, &sip, channel, json!(right)).await.status(),
            404,
            "{channel}"
        );
        let stored = stored_account(&app, user).await.unwrap();
        assert!(!stored.is_activated());
        assert_eq!(stored.confirmation_key, None, "the pending code is dropped");
    }
}

#[tokio::test]
async fn four_wrong_codes_leave_the_fifth_try() {
    let app = spawn(&[]).await;
    pending(&app, "phone_user", PIN, None).await;
    let sip = "phone_user@sip.example.org";
    for _ in 0..4 {
        assert_eq!(
            activate(&app, sip, "phone", json!("9999")).await.status(),
            404
        );
    }
    assert_eq!(activate(&app, sip, "phone", json!(PIN)).await.status(), 200);
    assert_eq!(attempts(&app, "phone_user").await, 0, "reset on success");
}

#[tokio::test]
async fn the_attempt_limit_is_configurable() {
    let app = spawn(&[("APP_CODE_MAX_ATTEMPTS", "2")]).await;
    pending(&app, "phone_user", PIN, None).await;
    let sip = "phone_user@sip.example.org";
    for _ in 0..2 {
        assert_eq!(
            activate(&app, sip, "phone", json!("9999")).await.status(),
            404
        );
    }
    assert_eq!(activate(&app, sip, "phone", json!(PIN)).await.status(), 404);
}

// Concurrent guesses must not each get compared before any is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_concurrent_guesses_gets_no_more_tries_than_the_limit() {
    let app = spawn(&[]).await;
    pending(&app, "phone_user", PIN, None).await;
    let handles: Vec<_> = (0..30)
        .map(|i| {
            let request = app
                .post("/api/accounts/phone_user@sip.example.org/activate/phone")
                .json(&json!({"code": format!("{:04}", 1000 + i)}))
                .send();
            tokio::spawn(request)
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.await.unwrap().unwrap().status(), 404);
    }
    let stored = stored_account(&app, "phone_user").await.unwrap();
    assert_eq!(stored.failed_code_attempts, 5);
    assert_eq!(stored.confirmation_key, None);
}

#[tokio::test]
async fn activation_is_rate_limited_per_address_across_both_routes() {
    let app = TestApp::spawn_with(&[("APP_RATE_LIMIT_PER_MINUTE", "3")]).await;
    pending(&app, "phone_user", PIN, None).await;
    let sip = "phone_user@sip.example.org";
    assert_eq!(
        activate(&app, sip, "phone", json!("9999")).await.status(),
        404
    );
    assert_eq!(activate(&app, sip, "email", json!("x")).await.status(), 422);
    assert_eq!(
        activate(&app, sip, "phone", json!("9998")).await.status(),
        404
    );
    let response = activate(&app, sip, "phone", json!(PIN)).await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(
        !stored_account(&app, "phone_user")
            .await
            .unwrap()
            .is_activated()
    );

    app.state.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(activate(&app, sip, "phone", json!(PIN)).await.status(), 200);
}
