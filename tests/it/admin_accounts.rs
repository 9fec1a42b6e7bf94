//! Admin account endpoints (docs/api.md, "Admin endpoints").

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, account_keys, admin_account_keys, json, keys};

async fn create(app: &TestApp, admin: &TestAccount, body: Value) -> reqwest::Response {
    app.as_key(admin, Method::POST, "/api/accounts")
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn create_with_every_parameter() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let response = create(
        &app,
        &admin,
        json!({
            "username": "new_user",
            "password": "secret1",
            "algorithm": "MD5",
            "domain": "evil.example.com",
            "activated": false,
            "admin": true,
            "phone": "+33612345678",
            "email": "new@example.org",
            "confirmation_key_expires": "2040-01-02 03:04:05",
        }),
    )
    .await;
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(keys(&account), admin_account_keys());
    assert_eq!(account["username"], "new_user");
    assert_eq!(
        account["domain"], "sip.example.org",
        "domain is never taken from the body"
    );
    assert_eq!(account["activated"], false);
    assert_eq!(account["admin"], true);
    assert_eq!(account["phone"], "+33612345678");
    assert_eq!(account["email"], "new@example.org");
    assert_eq!(account["confirmation_key_expires"], "2040-01-02 03:04:05");
    assert_eq!(account["passwords"], json!([{"algorithm": "MD5"}]));
    assert_eq!(account["realm"], Value::Null);
    assert_eq!(account["email_changed"], Value::Null);
    assert_eq!(account["ip_address"], "127.0.0.1");
    let key = account["confirmation_key"].as_str().unwrap();
    assert_eq!(key.len(), 13);
    assert!(
        chrono::NaiveDateTime::parse_from_str(
            account["creation_time"].as_str().unwrap(),
            "%Y-%m-%d %H:%M:%S"
        )
        .is_ok()
    );
    // The phone became the account's alias (Flexisip's phone queries).
    assert_eq!(app.count("aliases").await, 1);

    // The stored HA1 is H(username:realm:password).
    use flexiapi::db::entities::password;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let stored = password::Entity::find()
        .filter(password::Column::AccountId.eq(account["id"].as_i64().unwrap() as i32))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.password,
        crate::digest_client::h("MD5", "new_user:sip.example.org:secret1")
    );
}

#[tokio::test]
async fn liblinphone_string_values_are_accepted() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let response = create(
        &app,
        &admin,
        json!({"username": "string_user", "password": "secret1", "algorithm": "SHA-256",
               "activated": "1", "admin": "0"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(account["activated"], true);
    assert_eq!(account["admin"], false);
    assert_eq!(account["confirmation_key"], Value::Null);
}

#[tokio::test]
async fn field_rules_answer_422_naming_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let valid = json!({"username": "valid_user", "password": "secret1", "algorithm": "SHA-256"});
    let cases: Vec<(&str, Value)> = vec![
        ("username", json!("short")),
        ("username", json!("a".repeat(65))),
        ("username", json!("bad user")),
        ("username", json!("ünïcødé_user")),
        ("username", json!(12345678)),
        ("password", json!("12345")),
        ("password", json!(true)),
        ("algorithm", json!("SHA-1")),
        ("algorithm", json!("md5")),
        ("phone", json!("0612345678")),
        ("phone", json!("+123")),
        ("phone", json!("+1234567890123456")),
        ("phone", json!(33612345678u64)),
        ("email", json!("not-an-email")),
        ("activated", json!("yes")),
        ("admin", json!([true])),
        ("confirmation_key_expires", json!("2040-01-02")),
        ("confirmation_key_expires", json!("02/01/2040 03:04:05")),
    ];
    for (field, value) in cases {
        let mut body = valid.clone();
        body[field] = value.clone();
        let response = create(&app, &admin, body).await;
        assert_eq!(response.status(), 422, "{field} = {value}");
        let body = json(response).await;
        assert_eq!(body["message"], "The given data was invalid.");
        assert!(
            body["errors"][field][0].is_string(),
            "{field} = {value}: {body}"
        );
    }
    // `algorithm` may be left out since FlexiAPI 2.1 (it was required).
    for missing in ["username", "password"] {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(missing);
        let response = create(&app, &admin, body).await;
        assert_eq!(response.status(), 422);
        assert!(json(response).await["errors"][missing].is_array());
    }
    assert_eq!(app.count("accounts").await, 1, "only the admin exists");
    assert_eq!(app.count("passwords").await, 1);
}

#[tokio::test]
async fn usernames_and_phones_are_unique() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let first = json!({"username": "taken_user", "password": "secret1", "algorithm": "MD5",
                       "phone": "+33611111111"});
    assert_eq!(create(&app, &admin, first.clone()).await.status(), 200);

    let response = create(&app, &admin, first.clone()).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["username"].is_array());
    // Without a phone the unique index finds the taken address (on
    // SQLite in the in-place transaction, which then writes nothing).
    let no_phone = json!({"username": "taken_user", "password": "secret1", "algorithm": "MD5"});
    let response = create(&app, &admin, no_phone).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["username"].is_array());
    assert_eq!(app.count("accounts").await, 2, "the admin and taken_user");

    let mut same_phone = first.clone();
    same_phone["username"] = json!("other_user");
    let response = create(&app, &admin, same_phone).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["phone"].is_array());

    // A phone equal to an existing username is taken too.
    let response = create(
        &app,
        &admin,
        json!({"username": "+33622222222", "password": "secret1", "algorithm": "MD5"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = create(
        &app,
        &admin,
        json!({"username": "third_user", "password": "secret1", "algorithm": "MD5", "phone": "+33622222222"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(app.count("accounts").await, 3);
}

#[tokio::test]
async fn show_list_activate_deactivate_delete() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let created = json(
        create(
            &app,
            &admin,
            json!({"username": "managed_user", "password": "secret1", "algorithm": "MD5"}),
        )
        .await,
    )
    .await;
    let id = created["id"].as_i64().unwrap();

    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(keys(&shown), admin_account_keys());
    assert_eq!(shown["confirmation_key"], created["confirmation_key"]);

    let response = app
        .as_key(&admin, Method::GET, &format!("/api/accounts/{id}/activate"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let activated = json(response).await;
    assert_eq!(keys(&activated), account_keys());
    assert_eq!(activated["activated"], true);
    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        shown["confirmation_key"],
        Value::Null,
        "activation consumes the key"
    );

    let deactivated = json(
        app.as_key(
            &admin,
            Method::GET,
            &format!("/api/accounts/{id}/deactivate"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(deactivated["activated"], false);

    let response = app
        .as_key(&admin, Method::DELETE, &format!("/api/accounts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("accounts").await, 1);
    assert_eq!(
        app.count("passwords").await,
        1,
        "passwords went with the account"
    );

    for path in [
        format!("/api/accounts/{id}"),
        format!("/api/accounts/{id}/activate"),
        format!("/api/accounts/{id}/deactivate"),
    ] {
        let response = app.as_key(&admin, Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let response = app
        .as_key(&admin, Method::DELETE, &format!("/api/accounts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn ids_that_are_not_ids_are_404() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for id in [
        "abc",
        "-1",
        "0",
        "1.5",
        "99999999999999999999",
        "%C3%A9",
        "1%20OR%201=1",
    ] {
        for (method, suffix) in [
            (Method::GET, ""),
            (Method::DELETE, ""),
            (Method::GET, "/activate"),
            (Method::GET, "/deactivate"),
        ] {
            let path = format!("/api/accounts/{id}{suffix}");
            let response = app
                .as_key(&admin, method.clone(), &path)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{method} {path}");
            assert!(json(response).await["message"].is_string());
        }
    }
    // A control character is refused before any lookup (docs/api.md).
    let response = app
        .as_key(&admin, Method::GET, "/api/accounts/%00")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(app.count("accounts").await, 1);
}

#[tokio::test]
async fn deleting_an_account_removes_everything_it_owns() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let created = json(
        create(
            &app,
            &admin,
            json!({"username": "owner_user", "password": "secret1", "algorithm": "MD5",
                   "phone": "+33633333333", "admin": true,
                   "confirmation_key_expires": "2040-01-01 00:00:00"}),
        )
        .await,
    )
    .await;
    let id = created["id"].as_i64().unwrap() as i32;
    flexiapi::auth::api_key::regenerate(&app.state.db, id, app.state.clock.now_naive())
        .await
        .unwrap();
    let response = app
        .as_key(&admin, Method::DELETE, &format!("/api/accounts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    for (table, left) in [
        ("accounts", 1),
        ("passwords", 1),
        ("aliases", 0),
        ("admins", 1),
        ("api_keys", 1),
        ("activation_expirations", 0),
    ] {
        assert_eq!(app.count(table).await, left, "{table}");
    }
}

#[tokio::test]
async fn list_is_a_laravel_paginator() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..24 {
        let status = create(
            &app,
            &admin,
            json!({"username": format!("listed_{i:02}"), "password": "secret1", "algorithm": "MD5"}),
        )
        .await
        .status();
        assert_eq!(status, 200);
    }
    let page = json(
        app.as_key(&admin, Method::GET, "/api/accounts")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let order: Vec<&str> = page
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        order,
        [
            "current_page",
            "data",
            "first_page_url",
            "from",
            "last_page",
            "last_page_url",
            "links",
            "next_page_url",
            "path",
            "per_page",
            "prev_page_url",
            "to",
            "total"
        ]
    );
    let base = format!("{}/api/accounts", app.base);
    assert_eq!(page["current_page"], 1);
    assert_eq!(page["data"].as_array().unwrap().len(), 20);
    assert_eq!(page["data"][0]["id"], 1);
    assert_eq!(page["data"][19]["id"], 20);
    assert_eq!(
        keys(&page["data"][0]),
        account_keys(),
        "list items have no confirmation_key"
    );
    assert_eq!(page["first_page_url"], format!("{base}?page=1"));
    assert_eq!(page["from"], 1);
    assert_eq!(page["to"], 20);
    assert_eq!(page["last_page"], 2);
    assert_eq!(page["last_page_url"], format!("{base}?page=2"));
    assert_eq!(page["next_page_url"], format!("{base}?page=2"));
    assert_eq!(page["prev_page_url"], Value::Null);
    assert_eq!(page["path"], base);
    assert_eq!(page["per_page"], 20);
    assert_eq!(page["total"], 25);
    assert_eq!(
        page["links"],
        json!([
            {"url": null, "label": "&laquo; Previous", "active": false},
            {"url": format!("{base}?page=1"), "label": "1", "active": true},
            {"url": format!("{base}?page=2"), "label": "2", "active": false},
            {"url": format!("{base}?page=2"), "label": "Next &raquo;", "active": false},
        ])
    );

    let second = json(
        app.as_key(&admin, Method::GET, "/api/accounts?page=2")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(second["data"].as_array().unwrap().len(), 5);
    assert_eq!(
        (second["from"].clone(), second["to"].clone()),
        (json!(21), json!(25))
    );
    assert_eq!(second["next_page_url"], Value::Null);

    let beyond = json(
        app.as_key(&admin, Method::GET, "/api/accounts?page=9")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(beyond["data"], json!([]));
    assert_eq!(
        (beyond["from"].clone(), beyond["to"].clone()),
        (Value::Null, Value::Null)
    );

    // Past u64 (found by schemathesis): the first page too, as the
    // document's string `page` says.
    for junk in ["abc", "0", "-3", "9223372036854775808", "1000000001"] {
        let page = json(
            app.as_key(&admin, Method::GET, &format!("/api/accounts?page={junk}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(page["current_page"], 1, "page={junk}");
    }
}

#[tokio::test]
async fn info_is_public_and_takes_literal_or_encoded_at() {
    let app = TestApp::spawn_with(&[("ACCOUNT_REALM", "realm.example.net")]).await;
    app.account("info_user", "MD5", false).await;
    for path in [
        "/api/accounts/info_user@sip.example.org/info",
        "/api/accounts/info_user%40sip.example.org/info",
    ] {
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            json(response).await,
            json!({"activated": true, "realm": "realm.example.net"})
        );
    }
    for path in [
        "/api/accounts/nobody_user@sip.example.org/info",
        "/api/accounts/info_user/info",
        "/api/accounts/sip:info_user@sip.example.org/info",
        "/api/accounts/%E2%9C%93@x.org/info",
    ] {
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // A control character is refused before any lookup (docs/api.md).
    let response = app.get("/api/accounts/%00@x/info").send().await.unwrap();
    assert_eq!(response.status(), 422);
}

/// The creation's answer is built from what was written, without reading
/// it back: it must be exactly what reading it back shows.
#[tokio::test]
async fn the_creation_answer_is_the_stored_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for body in [
        json!({"username": "plain_new", "password": "secret1", "algorithm": "MD5"}),
        json!({
            "username": "full_new", "password": "secret1", "algorithm": "SHA-256",
            "admin": true, "email": "full@example.org", "phone": "+33612345678",
            "display_name": "Full 🎉", "dtmf_protocol": "rfc2833",
            "confirmation_key_expires": "2030-01-02 03:04:05",
        }),
        json!({
            "username": "active_new", "password": "secret1", "algorithm": "MD5",
            "activated": true, "confirmation_key_expires": "2030-01-02 03:04:05",
        }),
    ] {
        let response = create(&app, &admin, body.clone()).await;
        assert_eq!(response.status(), 200, "{body}");
        let created = json(response).await;
        let id = created["id"].as_i64().unwrap();
        let shown = json(
            app.as_key(&admin, Method::GET, &format!("/api/accounts/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(created, shown, "{body}");
    }
}
