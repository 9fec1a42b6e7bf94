//! The account dictionary: `/api/accounts/{id}/dictionary[/{key}]`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, json};

async fn set(
    app: &TestApp,
    admin: &TestAccount,
    id: i32,
    key: &str,
    body: Value,
) -> reqwest::Response {
    app.as_key(
        admin,
        Method::POST,
        &format!("/api/accounts/{id}/dictionary/{key}"),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

async fn all(app: &TestApp, admin: &TestAccount, id: i32) -> Value {
    json(
        app.as_key(
            admin,
            Method::GET,
            &format!("/api/accounts/{id}/dictionary"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await
}

#[tokio::test]
async fn set_show_replace_delete_and_clear() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("dict_user", "SHA-256", false).await;
    assert_eq!(all(&app, &admin, account.id).await, json!({}));

    let response = set(&app, &admin, account.id, "theme", json!({"value": "dark"})).await;
    assert_eq!(response.status(), 201);
    // Upstream's entry: its row (this was `{key, value}` only).
    let created = json(response).await;
    let mut fields: Vec<&String> = created.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "account_id",
            "created_at",
            "id",
            "key",
            "updated_at",
            "value"
        ]
    );
    assert_eq!(created["account_id"], account.id);
    assert_eq!(created["key"], "theme");
    assert_eq!(created["value"], "dark");
    // A second POST replaces the value, it never duplicates the key; it
    // answers 201 too, as upstream (the entry is written anew).
    let response = set(
        &app,
        &admin,
        account.id,
        "theme",
        json!({"value": "light, \"🌞\""}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let replaced = json(response).await;
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["value"], "light, \"🌞\"");
    // Keys are case-sensitive on every backend.
    set(&app, &admin, account.id, "Theme", json!({"value": "other"})).await;
    set(
        &app,
        &admin,
        account.id,
        "with%20space",
        json!({"value": "x"}),
    )
    .await;
    assert_eq!(
        all(&app, &admin, account.id).await,
        json!({"theme": "light, \"🌞\"", "Theme": "other", "with space": "x"})
    );
    assert_eq!(app.count("account_dictionary_entries").await, 3);

    let path = format!("/api/accounts/{}/dictionary/theme", account.id);
    let shown = json(app.as_key(&admin, Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(shown, replaced);

    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app.as_key(&admin, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        all(&app, &admin, account.id).await,
        json!({"Theme": "other", "with space": "x"})
    );

    let clear = format!("/api/accounts/{}/dictionary/clear", account.id);
    let response = app
        .as_key(&admin, Method::DELETE, &clear)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(all(&app, &admin, account.id).await, json!({}));

    set(&app, &admin, account.id, "a", json!({"value": "1"})).await;
    let response = app
        .as_key(
            &admin,
            Method::DELETE,
            &format!("/api/accounts/{}/dictionary", account.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("account_dictionary_entries").await, 0);
}

#[tokio::test]
async fn value_and_key_rules() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("dict_user", "SHA-256", false).await;
    for body in [
        json!({}),
        json!({"value": ""}),
        json!({"value": 12}),
        json!({"value": ["a"]}),
        json!({"value": "a\u{0}b"}),
        json!({"value": "x".repeat(60_001)}),
    ] {
        let response = set(&app, &admin, account.id, "theme", body.clone()).await;
        assert_eq!(response.status(), 422);
        assert!(json(response).await["errors"]["value"].is_array(), "{body}");
    }
    for key in ["a%00b", "a%0Ab", &"k".repeat(192)] {
        let response = set(&app, &admin, account.id, key, json!({"value": "v"})).await;
        assert_eq!(response.status(), 422, "{key}");
        assert!(json(response).await["errors"]["key"].is_array());
    }
    assert_eq!(app.count("account_dictionary_entries").await, 0);
}

#[tokio::test]
async fn non_admins_unknown_accounts_and_cascade() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("dict_user", "SHA-256", false).await;
    let response = app
        .as_key(
            &account,
            Method::GET,
            &format!("/api/accounts/{}/dictionary", account.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = set(&app, &account, account.id, "a", json!({"value": "1"})).await;
    assert_eq!(response.status(), 403);
    for (method, path) in [
        (Method::GET, "/api/accounts/999/dictionary"),
        (Method::GET, "/api/accounts/999/dictionary/a"),
        (Method::POST, "/api/accounts/999/dictionary/a"),
        (Method::DELETE, "/api/accounts/999/dictionary/a"),
        (Method::DELETE, "/api/accounts/999/dictionary/clear"),
    ] {
        let response = app
            .as_key(&admin, method.clone(), path)
            .json(&json!({"value": "1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    assert_eq!(app.count("account_dictionary_entries").await, 0);

    set(&app, &admin, account.id, "a", json!({"value": "1"})).await;
    app.as_key(
        &admin,
        Method::DELETE,
        &format!("/api/accounts/{}", account.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(app.count("account_dictionary_entries").await, 0);
}
