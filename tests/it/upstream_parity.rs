//! The 2.x routes as a client written for upstream FlexiAPI uses them
//! (docs/api.md): the optional `algorithm`, `dictionary` on the admin
//! account creation and update, the fields only an admin sets, and
//! `POST /api/account_creation_tokens/consume`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, json};

const ACCOUNTS: &str = "/api/accounts";
const WITH_TOKEN: &str = "/api/accounts/with-account-creation-token";
const CONSUME: &str = "/api/account_creation_tokens/consume";

async fn send(
    app: &TestApp,
    who: &TestAccount,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.as_key(who, method, path)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A fresh account creation token made by `admin`.
async fn creation_token(app: &TestApp, admin: &TestAccount) -> String {
    let response = app
        .as_key(admin, Method::POST, "/api/account_creation_tokens")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    json(response).await["token"].as_str().unwrap().to_string()
}

async fn dictionary_of(app: &TestApp, admin: &TestAccount, id: &Value) -> Value {
    let path = format!("{ACCOUNTS}/{id}");
    let response = app.as_key(admin, Method::GET, &path).send().await.unwrap();
    json(response).await["dictionary"].clone()
}

#[tokio::test]
async fn algorithm_may_be_left_out_and_defaults_to_sha256() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = json!({"username": "no_algo_admin", "password": "secret-pass"});
    let response = send(&app, &admin, Method::POST, ACCOUNTS, body).await;
    assert_eq!(response.status(), 200);
    let created = json(response).await;
    assert_eq!(created["passwords"], json!([{"algorithm": "SHA-256"}]));

    let token = creation_token(&app, &admin).await;
    let body = json!({"username": "no_algo_token", "password": "secret-pass",
                      "account_creation_token": token});
    let response = app.post(WITH_TOKEN).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response).await["passwords"],
        json!([{"algorithm": "SHA-256"}])
    );

    // A given algorithm is still checked, and MD5 still taken.
    for (algorithm, status) in [(json!("SHA-1"), 422), (json!(5), 422), (json!("MD5"), 200)] {
        let body = json!({"username": "given_algo", "password": "secret-pass",
                          "algorithm": algorithm});
        let response = send(&app, &admin, Method::POST, ACCOUNTS, body).await;
        assert_eq!(response.status(), status, "{algorithm}");
        if status == 422 {
            assert!(json(response).await["errors"]["algorithm"].is_array());
        }
    }

    // The update too: a new password without algorithm is SHA-256.
    let path = format!("{ACCOUNTS}/{}", created["id"]);
    let body = json!({"username": "no_algo_admin", "password": "other-pass"});
    let response = send(&app, &admin, Method::PUT, &path, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response).await["passwords"],
        json!([{"algorithm": "SHA-256"}])
    );
}

#[tokio::test]
async fn the_admin_creation_and_update_take_a_dictionary() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = json!({"username": "dict_create", "password": "secret-pass",
                      "dictionary": {"theme": "dark", "Theme": "light"}});
    let response = send(&app, &admin, Method::POST, ACCOUNTS, body).await;
    assert_eq!(response.status(), 200);
    let created = json(response).await;
    let expected = json!({"theme": "dark", "Theme": "light"});
    assert_eq!(created["dictionary"], expected);
    let id = created["id"].clone();
    assert_eq!(dictionary_of(&app, &admin, &id).await, expected);
    assert_eq!(app.count("account_dictionary_entries").await, 2);

    // The update replaces the whole dictionary.
    let path = format!("{ACCOUNTS}/{id}");
    let body = json!({"username": "dict_create", "dictionary": {"lang": "fr"}});
    let response = send(&app, &admin, Method::PUT, &path, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["dictionary"], json!({"lang": "fr"}));
    assert_eq!(
        dictionary_of(&app, &admin, &id).await,
        json!({"lang": "fr"})
    );
    // Without `dictionary` it is kept.
    let body = json!({"username": "dict_create", "display_name": "Kept"});
    let response = send(&app, &admin, Method::PUT, &path, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        dictionary_of(&app, &admin, &id).await,
        json!({"lang": "fr"})
    );
    // `[]` (PHP's empty associative array) and `{}` empty it.
    for empty in [json!([]), json!({})] {
        let body = json!({"username": "dict_create", "dictionary": {"a": "1"}});
        send(&app, &admin, Method::PUT, &path, body).await;
        let body = json!({"username": "dict_create", "dictionary": empty});
        let response = send(&app, &admin, Method::PUT, &path, body).await;
        assert_eq!(response.status(), 200, "{empty}");
        assert_eq!(dictionary_of(&app, &admin, &id).await, json!({}), "{empty}");
    }
}

/// A 422 naming the dictionary: control characters are named down to the
/// entry (`dictionary.key`, docs/api.md "Text input"), the other rules name
/// the dictionary itself.
async fn assert_names_the_dictionary(response: reqwest::Response) {
    assert_eq!(response.status(), 422);
    let answer = json(response).await;
    let errors = answer["errors"].as_object().unwrap();
    assert!(
        errors.iter().any(|(field, messages)| (field == "dictionary"
            || field.starts_with("dictionary."))
            && messages[0].is_string()),
        "{answer}"
    );
}

#[tokio::test]
async fn an_invalid_dictionary_is_422_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let bad = [
        json!("hop"),
        json!(["a", "b"]),
        json!({"key": {"hey": "hop"}}),
        json!({"key": 1}),
        json!({"key": null}),
        json!({"": "empty key"}),
        json!({"bad\u{1}key": "x"}),
        json!({"key": "x".repeat(60_001)}),
        json!({"key": "nul\u{0}"}),
    ];
    for dictionary in &bad {
        let body = json!({"username": "dict_refused", "password": "secret-pass",
                          "dictionary": dictionary});
        let response = send(&app, &admin, Method::POST, ACCOUNTS, body).await;
        assert_names_the_dictionary(response).await;
    }
    assert_eq!(app.count("accounts").await, 1, "only the admin");
    assert_eq!(app.count("account_dictionary_entries").await, 0);

    let body = json!({"username": "dict_kept", "password": "secret-pass",
                      "dictionary": {"theme": "dark"}});
    let created = json(send(&app, &admin, Method::POST, ACCOUNTS, body).await).await;
    let path = format!("{ACCOUNTS}/{}", created["id"]);
    for dictionary in &bad {
        let body = json!({"username": "dict_renamed", "dictionary": dictionary});
        let response = send(&app, &admin, Method::PUT, &path, body).await;
        assert_names_the_dictionary(response).await;
    }
    // One 422 names every wrong field; nothing of the update is written.
    let body = json!({"username": "x", "dictionary": "hop"});
    let response = send(&app, &admin, Method::PUT, &path, body).await;
    assert_eq!(response.status(), 422);
    let errors = json(response).await["errors"].clone();
    assert!(errors["username"].is_array() && errors["dictionary"].is_array());
    let shown = app.as_key(&admin, Method::GET, &path).send().await.unwrap();
    let shown = json(shown).await;
    assert_eq!(shown["username"], "dict_kept");
    assert_eq!(shown["dictionary"], json!({"theme": "dark"}));
}

#[tokio::test]
async fn with_account_creation_token_refuses_admin_and_activated() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let token = creation_token(&app, &admin).await;
    for (field, value) in [
        ("admin", json!(true)),
        ("admin", json!(false)),
        ("activated", json!(true)),
        ("activated", json!(null)),
    ] {
        let mut body = json!({"username": "self_made", "password": "secret-pass",
                              "account_creation_token": token});
        body[field] = value.clone();
        let response = app.post(WITH_TOKEN).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 422, "{field} = {value}");
        let answer = json(response).await;
        assert!(answer["errors"][field][0].is_string(), "{answer}");
    }
    // A dictionary is checked as upstream checks it, and not stored.
    let body = json!({"username": "self_made", "password": "secret-pass",
                      "account_creation_token": token, "dictionary": "hop"});
    let response = app.post(WITH_TOKEN).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["dictionary"].is_array());
    assert_eq!(app.count("accounts").await, 1, "only the admin");
    // The token was not used by the refused requests.
    let body = json!({"username": "self_made", "password": "secret-pass",
                      "account_creation_token": token, "dictionary": {"a": "b"}});
    let response = app.post(WITH_TOKEN).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let created = json(response).await;
    assert_eq!(created["activated"], false);
    assert_eq!(created["admin"], false);
    assert_eq!(app.count("account_dictionary_entries").await, 0);
}

#[tokio::test]
async fn an_account_consumes_a_creation_token_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("consumer_user", "SHA-256", false).await;
    let token = creation_token(&app, &admin).await;

    for unknown in [json!("0123456789abc"), json!("short")] {
        let body = json!({"account_creation_token": unknown});
        let response = send(&app, &user, Method::POST, CONSUME, body).await;
        assert_eq!(response.status(), 404, "{unknown}");
    }
    for bad in [json!({}), json!({"account_creation_token": 12})] {
        let response = send(&app, &user, Method::POST, CONSUME, bad.clone()).await;
        assert_eq!(response.status(), 422, "{bad}");
        let answer = json(response).await;
        assert!(answer["errors"]["account_creation_token"].is_array());
    }

    let body = json!({"account_creation_token": token});
    let response = send(&app, &user, Method::POST, CONSUME, body.clone()).await;
    assert_eq!(response.status(), 200);
    let mut answer = json(response).await;
    // Creation tokens live a day by default (APP_ACCOUNT_CREATION_TOKEN_EXPIRATION_MINUTES).
    let expire_at = answer["expire_at"].take();
    assert!(
        chrono::DateTime::parse_from_rfc3339(expire_at.as_str().unwrap()).is_ok(),
        "{expire_at}"
    );
    assert_eq!(
        answer,
        json!({"token": token, "expire_at": null, "used": true, "account_id": user.id})
    );
    let rows = {
        use flexiapi::db::entities::account_creation_token as row;
        use sea_orm::EntityTrait;
        row::Entity::find().all(&app.state.db).await.unwrap()
    };
    assert_eq!(rows.len(), 1);
    assert!(rows[0].used);
    assert_eq!(rows[0].account_id, Some(user.id));

    // Once only, and no account can be created with it any more.
    let response = send(&app, &user, Method::POST, CONSUME, body).await;
    assert_eq!(response.status(), 404);
    let create = json!({"username": "too_late", "password": "secret-pass",
                        "account_creation_token": token});
    let response = app.post(WITH_TOKEN).json(&create).send().await.unwrap();
    assert_eq!(response.status(), 422);

    // It needs an authenticated account.
    let response = app
        .post(CONSUME)
        .json(&json!({"account_creation_token": token}))
        .send()
        .await
        .unwrap();
    assert!(matches!(response.status().as_u16(), 401 | 422));
}

#[tokio::test]
async fn an_expired_creation_token_cannot_be_consumed() {
    let app = TestApp::spawn_with(&[("APP_ACCOUNT_CREATION_TOKEN_EXPIRATION_MINUTES", "10")]).await;
    let admin = app.admin().await;
    let user = app.account("late_consumer", "SHA-256", false).await;
    let token = creation_token(&app, &admin).await;
    app.state.clock.advance(chrono::Duration::minutes(11));
    let body = json!({"account_creation_token": token});
    let response = send(&app, &user, Method::POST, CONSUME, body).await;
    assert_eq!(response.status(), 404);
}

/// Phone and e-mail change requests, past the gate: a bad value is the
/// 422 of the request's own rules, sent nothing.
async fn change_requests(app: &TestApp, user: &TestAccount) -> (u16, u16) {
    let phone = "/api/accounts/me/phone/request";
    let phone = send(app, user, Method::POST, phone, json!({"phone": "abc"})).await;
    let email = "/api/accounts/me/email/request";
    let email = send(app, user, Method::POST, email, json!({"email": "abc"})).await;
    (phone.status().as_u16(), email.status().as_u16())
}

#[tokio::test]
async fn changes_may_need_a_consumed_creation_token() {
    // Off by default: any account may ask.
    let app = TestApp::spawn().await;
    let user = app.account("free_changer", "SHA-256", false).await;
    assert_eq!(change_requests(&app, &user).await, (422, 422));

    let app = TestApp::spawn_with(&[("APP_PHONE_EMAIL_CHANGE_NEEDS_CREATION_TOKEN", "true")]).await;
    let admin = app.admin().await;
    let user = app.account("gated_changer", "SHA-256", false).await;
    for path in [
        "/api/accounts/me/phone/request",
        "/api/accounts/me/email/request",
    ] {
        let body = json!({"phone": "+33612345678", "email": "new@example.org"});
        let response = send(&app, &user, Method::POST, path, body).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(json(response).await["message"], "Account unvalidated");
    }
    assert_eq!(app.count("phone_change_codes").await, 0);
    assert_eq!(app.count("email_changed").await, 0);

    // Consuming a token opens them, as creating the account with one does.
    let token = creation_token(&app, &admin).await;
    let body = json!({"account_creation_token": token});
    let response = send(&app, &user, Method::POST, CONSUME, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(change_requests(&app, &user).await, (422, 422));
}

#[tokio::test]
async fn an_admin_gives_an_account_direct_contacts() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.account("contact_owner", "SHA-256", false).await;
    let door = app.account("front_door", "SHA-256", false).await;
    let gate = app.account("back_gate", "SHA-256", false).await;
    let base = format!("{ACCOUNTS}/{}/contacts", owner.id);
    let call = |method: Method, path: String| {
        let (app, admin) = (&app, &admin);
        async move { app.as_key(admin, method, &path).send().await.unwrap() }
    };

    for contact in [&door, &gate, &door] {
        let response = call(Method::POST, format!("{base}/{}", contact.id)).await;
        assert_eq!(response.status(), 200, "again is fine, as upstream");
    }
    assert_eq!(app.count("contacts").await, 2);
    for path in [
        format!("{base}/999999"),
        format!("{ACCOUNTS}/999999/contacts/{}", door.id),
    ] {
        assert_eq!(
            call(Method::POST, path.clone()).await.status(),
            404,
            "{path}"
        );
    }

    let listed = json(call(Method::GET, base.clone()).await).await;
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&json!(door.id), &json!(gate.id)]);
    let one = json(call(Method::GET, format!("{base}/{}", gate.id)).await).await;
    assert_eq!(one["username"], "back_gate");
    let stranger = format!("{base}/{}", admin.id);
    assert_eq!(call(Method::GET, stranger).await.status(), 404);

    // The owner sees them as its contacts, in JSON and vCards.
    let mine = app
        .as_key(&owner, Method::GET, "/api/accounts/me/contacts")
        .send()
        .await
        .unwrap();
    assert_eq!(json(mine).await, listed);
    let cards = app
        .as_key(&owner, Method::GET, "/contacts/vcard")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        cards.contains("front_door") && cards.contains("back_gate"),
        "{cards}"
    );
    // Nobody else does.
    let theirs = app
        .as_key(&door, Method::GET, "/api/accounts/me/contacts")
        .send()
        .await
        .unwrap();
    assert_eq!(json(theirs).await, json!([]));

    let remove = format!("{base}/{}", door.id);
    assert_eq!(call(Method::DELETE, remove.clone()).await.status(), 200);
    assert_eq!(call(Method::DELETE, remove).await.status(), 404);
    assert_eq!(app.count("contacts").await, 1);

    // A deleted contact leaves the table with its account.
    let gone = format!("{ACCOUNTS}/{}", gate.id);
    assert_eq!(call(Method::DELETE, gone).await.status(), 200);
    assert_eq!(app.count("contacts").await, 0);

    // Admins only.
    let response = app.as_key(&owner, Method::GET, &base).send().await.unwrap();
    assert_eq!(response.status(), 403);
}
