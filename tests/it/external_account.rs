//! External SIP accounts: `/api/accounts/{id}/external`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, json, keys};

fn body() -> Value {
    json!({
        "username": "remote.user",
        "domain": "Remote.Example.com",
        "password": "remote-secret",
        "realm": "realm.example.com",
        "registrar": "registrar.example.com:5060",
        "outbound_proxy": "proxy.example.com",
        "protocol": "TLS",
    })
}

async fn store(app: &TestApp, admin: &TestAccount, id: i32, body: &Value) -> reqwest::Response {
    app.as_key(admin, Method::POST, &format!("/api/accounts/{id}/external"))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn stored_password(app: &TestApp) -> (String, String) {
    use flexiapi::db::entities::external_account;
    use sea_orm::EntityTrait;
    let row = external_account::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    (row.password, row.algorithm)
}

fn md5_ha1(user: &str, realm: &str, password: &str) -> String {
    flexiapi::auth::digest::Algorithm::Md5.ha1(user, realm, password)
}

#[tokio::test]
async fn create_show_replace_delete() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("ext_user", "SHA-256", false).await;
    let path = format!("/api/accounts/{}/external", account.id);
    let response = app.as_key(&admin, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);

    let response = store(&app, &admin, account.id, &body()).await;
    assert_eq!(response.status(), 201);
    let created = json(response).await;
    assert_eq!(
        keys(&created),
        [
            "account_id",
            "algorithm",
            "created_at",
            "domain",
            "id",
            "outbound_proxy",
            "protocol",
            "realm",
            "registrar",
            "updated_at",
            "username"
        ]
    );
    assert!(!created.to_string().contains("remote-secret"));
    assert_eq!(created["domain"], "remote.example.com");
    assert_eq!(created["protocol"], "TLS");
    assert_eq!(created["registrar"], "registrar.example.com:5060");
    // Stored as FlexiAPI does: MD5 HA1 under the realm.
    assert_eq!(
        stored_password(&app).await,
        (
            md5_ha1("remote.user", "realm.example.com", "remote-secret"),
            "MD5".to_string()
        )
    );
    let shown = json(app.as_key(&admin, Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(shown, created);

    // Same realm: the password may be left out and is kept.
    let mut update = body();
    update.as_object_mut().unwrap().remove("password");
    update["protocol"] = json!("UDP");
    update["outbound_proxy"] = Value::Null;
    let response = store(&app, &admin, account.id, &update).await;
    assert_eq!(response.status(), 200);
    let updated = json(response).await;
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["protocol"], "UDP");
    assert_eq!(updated["outbound_proxy"], Value::Null);
    assert_eq!(app.count("external_accounts").await, 1);
    assert_eq!(
        stored_password(&app).await.0,
        md5_ha1("remote.user", "realm.example.com", "remote-secret")
    );

    // A new realm needs the password again (the HA1 depends on it).
    update["realm"] = json!("other.example.com");
    let response = store(&app, &admin, account.id, &update).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["password"].is_array());
    // Without a realm the HA1 is under the domain.
    update.as_object_mut().unwrap().remove("realm");
    update["password"] = json!("new-secret");
    assert_eq!(store(&app, &admin, account.id, &update).await.status(), 200);
    assert_eq!(
        stored_password(&app).await.0,
        md5_ha1("remote.user", "remote.example.com", "new-secret")
    );

    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("external_accounts").await, 0);
    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn field_rules() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("ext_user", "SHA-256", false).await;
    let cases: Vec<(&str, Value)> = vec![
        ("username", Value::Null),
        ("username", json!("a b")),
        ("username", json!("a\u{0}")),
        ("username", json!("x".repeat(65))),
        ("username", json!(12)),
        ("domain", Value::Null),
        ("domain", json!("exa mple.com")),
        ("domain", json!("😀.com")),
        ("password", Value::Null),
        ("password", json!("a\u{0}b")),
        ("password", json!("p".repeat(256))),
        ("protocol", Value::Null),
        ("protocol", json!("udp")),
        ("protocol", json!("SCTP")),
        ("realm", json!("Remote.Example.com")),
        ("realm", json!("remote.example.com")),
        ("registrar", json!("remote.example.com")),
        ("outbound_proxy", json!("remote.example.com")),
        ("outbound_proxy", json!("a b")),
        ("registrar", json!("r".repeat(65))),
    ];
    for (field, value) in cases {
        let mut bad = body();
        bad["domain"] = json!("remote.example.com");
        bad[field] = value.clone();
        let response = store(&app, &admin, account.id, &bad).await;
        assert_eq!(response.status(), 422, "{field} = {value}");
        let errors = json(response).await["errors"].clone();
        assert!(errors[field].is_array(), "{field} = {value}: {errors}");
    }
    assert_eq!(app.count("external_accounts").await, 0);
}

#[tokio::test]
async fn one_address_per_external_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let first = app.account("first_user", "SHA-256", false).await;
    let second = app.account("second_user", "SHA-256", false).await;
    assert_eq!(store(&app, &admin, first.id, &body()).await.status(), 201);
    let response = store(&app, &admin, second.id, &body()).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["username"].is_array());
    assert_eq!(app.count("external_accounts").await, 1);
    // SIP user parts are case-sensitive, on every backend.
    let mut other_case = body();
    other_case["username"] = json!("Remote.User");
    assert_eq!(
        store(&app, &admin, second.id, &other_case).await.status(),
        201
    );
    assert_eq!(app.count("external_accounts").await, 2);
}

#[tokio::test]
async fn non_admins_unknown_accounts_and_cascade() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("ext_user", "SHA-256", false).await;
    let response = store(&app, &account, account.id, &body()).await;
    assert_eq!(response.status(), 403);
    for method in [Method::GET, Method::POST, Method::DELETE] {
        let response = app
            .as_key(&admin, method.clone(), "/api/accounts/999/external")
            .json(&body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method}");
    }
    assert_eq!(app.count("external_accounts").await, 0);

    store(&app, &admin, account.id, &body()).await;
    app.as_key(
        &admin,
        Method::DELETE,
        &format!("/api/accounts/{}", account.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(app.count("external_accounts").await, 0);
}
