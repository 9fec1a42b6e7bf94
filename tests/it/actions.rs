//! DTMF actions: `/api/accounts/{id}/actions`, refused (403) for accounts
//! without a DTMF protocol.

use reqwest::Method;
use serde_json::{Value, json};

use crate::account_columns;
use crate::helpers::{TestAccount, TestApp, json, keys};

async fn with_dtmf(app: &TestApp, name: &str) -> TestAccount {
    let account = app.account(name, "SHA-256", false).await;
    account_columns::set(app, account.id, "dtmf_protocol", Some("sipinfo")).await;
    account
}

async fn create(app: &TestApp, admin: &TestAccount, id: i32, body: Value) -> reqwest::Response {
    app.as_key(admin, Method::POST, &format!("/api/accounts/{id}/actions"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn crud() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = with_dtmf(&app, "door_user").await;
    let response = create(
        &app,
        &admin,
        account.id,
        json!({"key": "open-door", "code": "12ab"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let action = json(response).await;
    assert_eq!(
        keys(&action),
        [
            "account_id",
            "code",
            "created_at",
            "id",
            "key",
            "updated_at"
        ]
    );
    assert_eq!(action["account_id"], account.id);
    assert_eq!(action["key"], "open-door");
    assert_eq!(action["code"], "12ab");
    let path = format!("/api/accounts/{}/actions/{}", account.id, action["id"]);

    let list = json(
        app.as_key(
            &admin,
            Method::GET,
            &format!("/api/accounts/{}/actions", account.id),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(list, json!([action.clone()]));
    let shown = json(app.as_key(&admin, Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(shown, action);
    // The admin account object lists the account's actions, as upstream.
    let account_path = format!("/api/accounts/{}", account.id);
    let shown = json(
        app.as_key(&admin, Method::GET, &account_path)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["actions"], json!([action.clone()]));

    let response = app
        .as_key(&admin, Method::PUT, &path)
        .json(&json!({"key": "close-door", "code": "9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated = json(response).await;
    assert_eq!(updated["key"], "close-door");
    assert_eq!(updated["code"], "9");
    assert_eq!(updated["id"], action["id"]);

    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("account_actions").await, 0);
    let response = app.as_key(&admin, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn refused_without_dtmf_protocol() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("plain_user", "SHA-256", false).await;
    let base = format!("/api/accounts/{}/actions", account.id);
    for (method, path) in [
        (Method::GET, base.clone()),
        (Method::POST, base.clone()),
        (Method::GET, format!("{base}/1")),
        (Method::PUT, format!("{base}/1")),
        (Method::DELETE, format!("{base}/1")),
    ] {
        let response = app
            .as_key(&admin, method.clone(), &path)
            .json(&json!({"key": "a", "code": "1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        assert_eq!(
            json(response).await["message"],
            "DTMF Protocol must be configured",
            "{method} {path}"
        );
    }
    assert_eq!(app.count("account_actions").await, 0);

    // Once it has one, the same request passes.
    account_columns::set(&app, account.id, "dtmf_protocol", Some("rfc2833")).await;
    let response = create(&app, &admin, account.id, json!({"key": "a", "code": "1"})).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn field_rules_and_uniqueness() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = with_dtmf(&app, "door_user").await;
    for (body, field) in [
        (json!({"code": "1"}), "key"),
        (json!({"key": "a"}), "code"),
        (json!({"key": "Open", "code": "1"}), "key"),
        (json!({"key": "a b", "code": "1"}), "key"),
        (json!({"key": "a\u{0}", "code": "1"}), "key"),
        (json!({"key": "a", "code": "1-2"}), "code"),
        (json!({"key": "a", "code": "AB"}), "code"),
        (json!({"key": "a", "code": 12}), "code"),
        (json!({"key": "a", "code": "😀"}), "code"),
        (json!({"key": "a".repeat(65), "code": "1"}), "key"),
    ] {
        let response = create(&app, &admin, account.id, body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        assert!(json(response).await["errors"][field].is_array(), "{body}");
    }
    assert_eq!(app.count("account_actions").await, 0);

    assert_eq!(
        create(&app, &admin, account.id, json!({"key": "a", "code": "1"}))
            .await
            .status(),
        201
    );
    let response = create(&app, &admin, account.id, json!({"key": "a", "code": "2"})).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["key"].is_array());
    // Another account may use the same key.
    let other = with_dtmf(&app, "other_user").await;
    assert_eq!(
        create(&app, &admin, other.id, json!({"key": "a", "code": "1"}))
            .await
            .status(),
        201
    );
    // An action of another account is not found through this one.
    let theirs = json(
        app.as_key(
            &admin,
            Method::GET,
            &format!("/api/accounts/{}/actions", other.id),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let path = format!("/api/accounts/{}/actions/{}", account.id, theirs[0]["id"]);
    let response = app.as_key(&admin, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn non_admins_unknown_accounts_and_cascade() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = with_dtmf(&app, "door_user").await;
    let response = app
        .as_key(
            &account,
            Method::GET,
            &format!("/api/accounts/{}/actions", account.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = app
        .as_key(&admin, Method::GET, "/api/accounts/999/actions")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    create(&app, &admin, account.id, json!({"key": "a", "code": "1"})).await;
    assert_eq!(app.count("account_actions").await, 1);
    app.as_key(
        &admin,
        Method::DELETE,
        &format!("/api/accounts/{}", account.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(app.count("account_actions").await, 0);
}
