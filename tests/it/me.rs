//! The authenticated account's own routes.

use reqwest::Method;
use serde_json::json;

use crate::digest_client::{authorization, challenges};
use crate::helpers::{TestApp, account_keys, json, keys};

const ME: &str = "/api/accounts/me";

#[tokio::test]
async fn show_me_has_exactly_the_account_keys() {
    let app = TestApp::spawn().await;
    let account = app.account("me_user", "SHA-256", false).await;
    let response = app.as_key(&account, Method::GET, ME).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(keys(&body), account_keys());
    assert_eq!(body["id"], account.id);
    assert_eq!(body["passwords"], json!([{"algorithm": "SHA-256"}]));
    assert_eq!(body["admin"], false);
}

#[tokio::test]
async fn show_me_gathers_passwords_expiry_and_pending_email() {
    use flexiapi::db::entities::activation_expiration;
    use sea_orm::{ActiveModelTrait, Set};

    let app = TestApp::spawn().await;
    let account = app.account("me_user", "SHA-256", false).await;
    app.add_password_row(account.id, "0123456789abcdef0123456789abcdef", "MD5")
        .await;
    let expires = chrono::NaiveDate::from_ymd_opt(2031, 2, 3)
        .unwrap()
        .and_hms_opt(4, 5, 6)
        .unwrap();
    activation_expiration::ActiveModel {
        account_id: Set(account.id),
        expires: Set(expires),
        created_at: Set(expires),
        updated_at: Set(expires),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let response = app
        .as_key(&account, Method::POST, "/api/accounts/me/email/request")
        .json(&json!({"email": "new@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let body = json(app.as_key(&account, Method::GET, ME).send().await.unwrap()).await;
    assert_eq!(keys(&body), account_keys());
    assert_eq!(
        body["passwords"],
        json!([{"algorithm": "SHA-256"}, {"algorithm": "MD5"}]),
        "every password once, in stored order"
    );
    assert_eq!(body["confirmation_key_expires"], "2031-02-03 04:05:06");
    assert_eq!(body["email_changed"]["new_email"], "new@example.org");
}

#[tokio::test]
async fn delete_me_removes_the_account() {
    let app = TestApp::spawn().await;
    let account = app.account("gone_user", "MD5", false).await;
    let response = app
        .as_key(&account, Method::DELETE, ME)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("accounts").await, 0);
    assert_eq!(app.count("passwords").await, 0);
    assert_eq!(app.count("api_keys").await, 0);
    let response = app.as_key(&account, Method::GET, ME).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn change_password_keeps_exactly_one_password() {
    let app = TestApp::spawn().await;
    let account = app.account("pass_user", "MD5", false).await;
    app.add_password_row(
        account.id,
        &crate::digest_client::h(
            "SHA-256",
            &format!("pass_user:sip.example.org:{}", account.password),
        ),
        "SHA-256",
    )
    .await;
    let response = app
        .as_key(&account, Method::POST, "/api/accounts/me/password")
        .json(&json!({"algorithm": "SHA-256", "old_password": account.password, "password": "brand-new"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response).await["passwords"],
        json!([{"algorithm": "SHA-256"}])
    );
    assert_eq!(app.count("passwords").await, 1);

    // The new password works with Digest; the old one no longer does.
    let response = app
        .get(ME)
        .header("From", account.from())
        .send()
        .await
        .unwrap();
    let challenge = challenges(&response).remove(0);
    assert_eq!(challenge.algorithm, "SHA-256");
    let old = authorization(
        &challenge,
        &account.username,
        &account.password,
        "GET",
        ME,
        1,
    );
    let response = app
        .get(ME)
        .header("From", account.from())
        .header("Authorization", old)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let new = authorization(&challenge, &account.username, "brand-new", "GET", ME, 1);
    let response = app
        .get(ME)
        .header("From", account.from())
        .header("Authorization", new)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn change_password_failures_change_nothing() {
    let app = TestApp::spawn().await;
    let account = app.account("fail_pass", "MD5", false).await;
    let cases = [
        (
            json!({"algorithm": "SHA-256", "password": "brand-new"}),
            "old_password",
        ),
        (
            json!({"algorithm": "SHA-256", "old_password": "wrong-one", "password": "brand-new"}),
            "old_password",
        ),
        (
            json!({"algorithm": "SHA-1", "old_password": account.password, "password": "brand-new"}),
            "algorithm",
        ),
        (
            json!({"algorithm": "MD5", "old_password": account.password, "password": "short"}),
            "password",
        ),
        (
            json!({"algorithm": "MD5", "old_password": account.password}),
            "password",
        ),
        (
            json!({"algorithm": "MD5", "old_password": account.password, "password": 1234567}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .as_key(&account, Method::POST, "/api/accounts/me/password")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
        assert!(json(response).await["errors"][field].is_array(), "{body}");
    }
    // Still the original MD5 password.
    use flexiapi::db::entities::password;
    use sea_orm::EntityTrait;
    let stored = password::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].password,
        crate::digest_client::h(
            "MD5",
            &format!("fail_pass:sip.example.org:{}", account.password)
        )
    );
}

#[tokio::test]
async fn an_account_without_password_sets_one_without_old_password() {
    let app = TestApp::spawn().await;
    let account = app.account("nopass_user", "MD5", false).await;
    use flexiapi::db::entities::password;
    use sea_orm::EntityTrait;
    password::Entity::delete_many()
        .exec(&app.state.db)
        .await
        .unwrap();
    let response = app
        .as_key(&account, Method::POST, "/api/accounts/me/password")
        .json(&json!({"algorithm": "MD5", "password": "first-one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("passwords").await, 1);
}
