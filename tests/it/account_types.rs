//! Account types: `/api/account_types` and `/api/accounts/{id}/types/{type_id}`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, json, keys};

async fn create(app: &TestApp, admin: &TestAccount, key: Value) -> reqwest::Response {
    app.as_key(admin, Method::POST, "/api/account_types")
        .json(&json!({ "key": key }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn crud() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let response = create(&app, &admin, json!("door-phone_2")).await;
    assert_eq!(response.status(), 201);
    let created = json(response).await;
    assert_eq!(keys(&created), ["id", "key"]);
    assert_eq!(created["key"], "door-phone_2");
    let id = created["id"].as_i64().unwrap();

    let list = json(
        app.as_key(&admin, Method::GET, "/api/account_types")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list, json!([{"id": id, "key": "door-phone_2"}]));

    let path = format!("/api/account_types/{id}");
    let shown = json(app.as_key(&admin, Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(shown, created);

    let response = app
        .as_key(&admin, Method::PUT, &path)
        .json(&json!({"key": "gate"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({"id": id, "key": "gate"}));
    // Keeping its own key is no conflict.
    let response = app
        .as_key(&admin, Method::PUT, &path)
        .json(&json!({"key": "gate"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app.as_key(&admin, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(app.count("account_types").await, 0);
}

#[tokio::test]
async fn key_rules_and_uniqueness() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for bad in [
        json!(null),
        json!(""),
        json!(12),
        json!("Door"),
        json!("a b"),
        json!("door!"),
        json!("a\u{0}b"),
        json!("é"),
        json!("😀"),
        json!("a".repeat(65)),
    ] {
        let response = create(&app, &admin, bad.clone()).await;
        assert_eq!(response.status(), 422, "{bad}");
        assert!(json(response).await["errors"]["key"].is_array(), "{bad}");
    }
    assert_eq!(app.count("account_types").await, 0);

    assert_eq!(create(&app, &admin, json!("door")).await.status(), 201);
    let other = json(create(&app, &admin, json!("gate")).await).await;
    let response = create(&app, &admin, json!("door")).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        json(response).await["errors"]["key"][0],
        "The key has already been taken."
    );
    let response = app
        .as_key(
            &admin,
            Method::PUT,
            &format!("/api/account_types/{}", other["id"]),
        )
        .json(&json!({"key": "door"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(app.count("account_types").await, 2);
}

#[tokio::test]
async fn unknown_ids_and_non_admins() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    for (method, path) in [
        (Method::GET, "/api/account_types/999"),
        (Method::GET, "/api/account_types/abc"),
        (Method::GET, "/api/account_types/99999999999999999999"),
        (Method::GET, "/api/account_types/-1"),
        (Method::PUT, "/api/account_types/999"),
        (Method::DELETE, "/api/account_types/999"),
        (Method::POST, "/api/accounts/999/types/1"),
    ] {
        let response = app
            .as_key(&admin, method.clone(), path)
            .json(&json!({"key": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    for (method, path) in [
        (Method::GET, "/api/account_types"),
        (Method::POST, "/api/account_types"),
        (Method::DELETE, "/api/account_types/1"),
        (Method::POST, "/api/accounts/1/types/1"),
    ] {
        let response = app
            .as_key(&user, method.clone(), path)
            .json(&json!({"key": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
    }
    assert_eq!(app.count("account_types").await, 0);
}

#[tokio::test]
async fn attach_detach_and_cascades() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("typed_user", "SHA-256", false).await;
    let kind = json(create(&app, &admin, json!("door")).await).await;
    let path = format!("/api/accounts/{}/types/{}", user.id, kind["id"]);

    let response = app
        .as_key(&admin, Method::POST, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("account_account_type").await, 1);
    // A repeated attachment is refused, as FlexiAPI does.
    let response = app
        .as_key(&admin, Method::POST, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.count("account_account_type").await, 1);

    let unknown_type = format!("/api/accounts/{}/types/999", user.id);
    let response = app
        .as_key(&admin, Method::POST, &unknown_type)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("account_account_type").await, 0);
    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // Deleting the type or the account drops its attachments.
    app.as_key(&admin, Method::POST, &path)
        .send()
        .await
        .unwrap();
    let response = app
        .as_key(
            &admin,
            Method::DELETE,
            &format!("/api/account_types/{}", kind["id"]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("account_account_type").await, 0);

    let kind = json(create(&app, &admin, json!("gate")).await).await;
    let path = format!("/api/accounts/{}/types/{}", user.id, kind["id"]);
    app.as_key(&admin, Method::POST, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(app.count("account_account_type").await, 1);
    let response = app
        .as_key(
            &admin,
            Method::DELETE,
            &format!("/api/accounts/{}", user.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("account_account_type").await, 0);
    assert_eq!(app.count("account_types").await, 1, "the type itself stays");
}

#[tokio::test]
async fn types_and_dictionaries_for_many_accounts() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let first = app.account("first_user", "SHA-256", false).await;
    let second = app.account("second_user", "SHA-256", false).await;
    let kind = json(create(&app, &admin, json!("door")).await).await;
    app.as_key(
        &admin,
        Method::POST,
        &format!("/api/accounts/{}/types/{}", first.id, kind["id"]),
    )
    .send()
    .await
    .unwrap();
    app.as_key(
        &admin,
        Method::POST,
        &format!("/api/accounts/{}/dictionary/theme", second.id),
    )
    .json(&json!({"value": "dark"}))
    .send()
    .await
    .unwrap();
    let map = flexiapi::service::account_lists::lists_of(&app.state.db, &[first.id, second.id])
        .await
        .unwrap();
    let first_lists = &map[&first.id];
    assert_eq!(
        json!(first_lists.types),
        json!([{"id": kind["id"], "key": "door"}])
    );
    assert_eq!(json!(first_lists.actions), json!([]));
    assert_eq!(json!(first_lists.dictionary), json!({}));
    let second_lists = &map[&second.id];
    assert_eq!(json!(second_lists.types), json!([]));
    assert_eq!(json!(second_lists.dictionary), json!({"theme": "dark"}));

    // The admin account object shows both.
    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{}", first.id))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["types"], json!([{"id": kind["id"], "key": "door"}]));
    assert_eq!(shown["dictionary"], json!({}));
    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{}", second.id))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["types"], json!([]));
    assert_eq!(shown["dictionary"], json!({"theme": "dark"}));
}
