//! `PUT /api/accounts/{id}` (FlexiAPI 2.x admin update).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, admin_account_keys, json, keys};

async fn put(app: &TestApp, admin: &TestAccount, id: i32, body: Value) -> reqwest::Response {
    app.as_key(admin, Method::PUT, &format!("/api/accounts/{id}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn stored_ha1(app: &TestApp, id: i32) -> Vec<(String, String)> {
    use flexiapi::db::entities::password;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    password::Entity::find()
        .filter(password::Column::AccountId.eq(id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.algorithm, p.password))
        .collect()
}

#[tokio::test]
async fn update_replaces_every_field_and_answers_the_admin_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account_with_phone("edited_user", "+33600000001").await;
    let response = put(
        &app,
        &admin,
        user.id,
        json!({
            "username": "renamed_user",
            "domain": "sip.example.org",
            "password": "new-secret",
            "algorithm": "MD5",
            "email": "Renamed@Example.org",
            "phone": "+33600000002",
            "display_name": "Renamed 🎉 User",
            "dtmf_protocol": "rfc2833",
            // Not settable here: their own routes.
            "admin": true,
            "activated": false,
        }),
    )
    .await;
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(keys(&account), admin_account_keys());
    assert_eq!(account["id"], user.id);
    assert_eq!(account["username"], "renamed_user");
    assert_eq!(account["email"], "Renamed@Example.org");
    assert_eq!(account["phone"], "+33600000002");
    assert_eq!(account["display_name"], "Renamed 🎉 User");
    assert_eq!(account["dtmf_protocol"], "rfc2833");
    assert_eq!(account["passwords"], json!([{"algorithm": "MD5"}]));
    assert_eq!(account["activated"], true, "an update never deactivates");
    assert_eq!(account["admin"], false, "an update never grants admin");
    assert_eq!(account["blocked"], false);
    assert_eq!(
        stored_ha1(&app, user.id).await,
        [(
            "MD5".to_string(),
            crate::digest_client::h("MD5", "renamed_user:sip.example.org:new-secret")
        )]
    );
    // The alias followed the phone.
    assert_eq!(app.count("aliases").await, 1);
    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{}", user.id))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["display_name"], "Renamed 🎉 User");

    // Fields left out are cleared; the password is kept when not given
    // and the address does not change.
    let response = put(&app, &admin, user.id, json!({"username": "renamed_user"})).await;
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    for cleared in ["email", "phone", "display_name", "dtmf_protocol"] {
        assert_eq!(account[cleared], Value::Null, "{cleared}");
    }
    assert_eq!(app.count("aliases").await, 0);
    assert_eq!(stored_ha1(&app, user.id).await.len(), 1);
}

#[tokio::test]
async fn update_does_not_change_activation_or_blocking() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("inactive_user", "SHA-256", false).await;
    app.as_key(
        &admin,
        Method::POST,
        &format!("/api/accounts/{}/deactivate", user.id),
    )
    .send()
    .await
    .unwrap();
    app.as_key(
        &admin,
        Method::POST,
        &format!("/api/accounts/{}/block", user.id),
    )
    .send()
    .await
    .unwrap();
    let response = put(
        &app,
        &admin,
        user.id,
        json!({"username": "inactive_user", "activated": true, "blocked": false}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(account["activated"], false);
    assert_eq!(account["blocked"], true, "blocking has its own routes");
}

#[tokio::test]
async fn each_field_rule_is_a_422_naming_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("ruled_user", "SHA-256", false).await;
    let valid = json!({"username": "ruled_user", "password": "secret1", "algorithm": "SHA-256"});
    let cases: Vec<(&str, Value)> = vec![
        ("username", json!("short")),
        ("username", json!("a".repeat(65))),
        ("username", json!("bad user")),
        ("username", json!("nul\u{0}user")),
        ("username", json!(12345678)),
        ("domain", json!("other.example.org")),
        ("domain", json!(42)),
        ("password", json!("12345")),
        ("password", json!(["secret1"])),
        // A null algorithm is the default (SHA-256) since FlexiAPI 2.1.
        ("algorithm", json!("SHA-1")),
        ("email", json!("not-an-email")),
        ("email", json!("a\u{0}b@example.org")),
        ("phone", json!("0612345678")),
        ("phone", json!("+1234567890123456")),
        ("phone", json!(33612345678u64)),
        ("display_name", json!("a".repeat(256))),
        ("display_name", json!("nul\u{0}byte")),
        ("display_name", json!("line\nbreak")),
        ("display_name", json!(12)),
        ("dtmf_protocol", json!("inband")),
        ("dtmf_protocol", json!("SIPINFO")),
        ("dtmf_protocol", json!(true)),
    ];
    for (field, value) in cases {
        let mut body = valid.clone();
        body[field] = value.clone();
        let response = put(&app, &admin, user.id, body).await;
        assert_eq!(response.status(), 422, "{field} = {value}");
        let body = json(response).await;
        assert!(
            body["errors"][field][0].is_string(),
            "{field} = {value}: {body}"
        );
    }
    let response = put(&app, &admin, user.id, json!({"email": "x@example.org"})).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["username"].is_array());

    // A new address without a new password: the stored HA1 would no
    // longer match it.
    let response = put(&app, &admin, user.id, json!({"username": "moved_user"})).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["password"].is_array());

    // Nothing changed.
    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{}", user.id))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["username"], "ruled_user");
    assert_eq!(shown["email"], Value::Null);
    assert_eq!(
        stored_ha1(&app, user.id).await,
        [(
            "SHA-256".to_string(),
            crate::digest_client::h("SHA-256", "ruled_user:sip.example.org:ruled_user-pass")
        )]
    );
}

#[tokio::test]
async fn a_taken_username_or_phone_is_a_422_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let _other = app.account_with_phone("other_user", "+33611111111").await;
    let user = app.account_with_phone("moving_user", "+33622222222").await;

    let response = put(
        &app,
        &admin,
        user.id,
        json!({"username": "other_user", "password": "secret1", "algorithm": "MD5",
               "email": "changed@example.org"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["username"].is_array());

    let response = put(
        &app,
        &admin,
        user.id,
        json!({"username": "moving_user", "phone": "+33611111111", "email": "changed@example.org"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["phone"].is_array());

    // A phone that is another account's username is taken too.
    app.account("+33633333333", "SHA-256", false).await;
    let response = put(
        &app,
        &admin,
        user.id,
        json!({"username": "moving_user", "phone": "+33633333333"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["phone"].is_array());

    let response = put(
        &app,
        &admin,
        user.id,
        json!({"username": "moving_user", "phone": "+33612345678"}),
    )
    .await;
    assert_eq!(response.status(), 200, "free number");
    let shown = json(response).await;
    assert_eq!(
        shown["email"],
        Value::Null,
        "the refused updates wrote nothing"
    );

    // Keeping its own username and phone is no conflict.
    let response = put(
        &app,
        &admin,
        user.id,
        json!({"username": "moving_user", "phone": "+33612345678", "email": "kept@example.org"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["email"], "kept@example.org");
}

#[tokio::test]
async fn non_admins_get_403_and_unknown_ids_404() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let body = json!({"username": "plain_user"});
    assert_eq!(put(&app, &user, user.id, body.clone()).await.status(), 403);
    for id in ["999999", "abc", "-1", "99999999999999999999"] {
        let response = app
            .as_key(&admin, Method::PUT, &format!("/api/accounts/{id}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{id}");
    }
    let response = app
        .as_key(&admin, Method::PUT, &format!("/api/accounts/{}", user.id))
        .header("Content-Type", "application/json")
        .body("[1]")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}
