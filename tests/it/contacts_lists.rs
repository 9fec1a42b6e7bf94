//! Contacts lists: `/api/contacts_lists`, their contacts, the accounts they
//! are given to, and `GET /api/accounts/me/contacts[/{sip}]`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::account_columns;
use crate::helpers::{TestAccount, TestApp, json, keys};

async fn create_list(app: &TestApp, admin: &TestAccount, body: Value) -> reqwest::Response {
    app.as_key(admin, Method::POST, "/api/contacts_lists")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn call(app: &TestApp, who: &TestAccount, method: Method, path: &str) -> reqwest::Response {
    app.as_key(who, method, path).send().await.unwrap()
}

#[tokio::test]
async fn crud() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let response = create_list(
        &app,
        &admin,
        json!({"title": "Building A", "description": "Doors\nand gates"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let list = json(response).await;
    assert_eq!(
        keys(&list),
        [
            "contacts_count",
            "created_at",
            "description",
            "id",
            "title",
            "updated_at"
        ]
    );
    assert_eq!(list["contacts_count"], 0);
    let path = format!("/api/contacts_lists/{}", list["id"]);

    let all = json(call(&app, &admin, Method::GET, "/api/contacts_lists").await).await;
    assert_eq!(all, json!([list.clone()]));
    let shown = json(call(&app, &admin, Method::GET, &path).await).await;
    assert_eq!(shown, list);

    let response = app
        .as_key(&admin, Method::PUT, &path)
        .json(&json!({"title": "Building B", "description": "Only doors"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated = json(response).await;
    assert_eq!(updated["title"], "Building B");
    assert_eq!(updated["description"], "Only doors");

    assert_eq!(
        call(&app, &admin, Method::DELETE, &path).await.status(),
        200
    );
    assert_eq!(call(&app, &admin, Method::GET, &path).await.status(), 404);
    assert_eq!(
        call(&app, &admin, Method::DELETE, &path).await.status(),
        404
    );
}

#[tokio::test]
async fn field_rules() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (body, field) in [
        (json!({"description": "d"}), "title"),
        (json!({"title": "t"}), "description"),
        (json!({"title": "", "description": "d"}), "title"),
        (json!({"title": 1, "description": "d"}), "title"),
        (json!({"title": "a\nb", "description": "d"}), "title"),
        (json!({"title": "a\u{0}b", "description": "d"}), "title"),
        (
            json!({"title": "t".repeat(256), "description": "d"}),
            "title",
        ),
        (
            json!({"title": "t", "description": "a\u{0}"}),
            "description",
        ),
        (
            json!({"title": "t", "description": "d".repeat(10_001)}),
            "description",
        ),
    ] {
        let response = create_list(&app, &admin, body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        assert!(json(response).await["errors"][field].is_array(), "{body}");
    }
    assert_eq!(app.count("contacts_lists").await, 0);
    // 4-byte UTF-8 is kept whole.
    let list = json(
        create_list(
            &app,
            &admin,
            json!({"title": "😀 list", "description": "🚪"}),
        )
        .await,
    )
    .await;
    assert_eq!(list["title"], "😀 list");
}

#[tokio::test]
async fn contacts_subscriptions_and_user_view() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let subscriber = app.account("subscriber", "SHA-256", false).await;
    let door = app.account("door_one", "SHA-256", false).await;
    let gate = app.account("gate_one", "SHA-256", false).await;
    let stranger = app.account("stranger", "SHA-256", false).await;
    account_columns::set(&app, door.id, "dtmf_protocol", Some("sipinfo")).await;
    account_columns::set(&app, door.id, "display_name", Some("Front door")).await;
    let list =
        json(create_list(&app, &admin, json!({"title": "Doors", "description": "d"})).await).await;
    let list_id = list["id"].as_i64().unwrap();

    for contact in [&door, &gate] {
        let path = format!("/api/contacts_lists/{list_id}/contacts/{}", contact.id);
        assert_eq!(call(&app, &admin, Method::POST, &path).await.status(), 200);
    }
    // Putting a contact in again succeeds and changes nothing, as upstream
    // answers (this was a 403 before).
    let again = format!("/api/contacts_lists/{list_id}/contacts/{}", door.id);
    assert_eq!(call(&app, &admin, Method::POST, &again).await.status(), 200);
    assert_eq!(app.count("contacts_list_contact").await, 2);
    let shown = json(
        call(
            &app,
            &admin,
            Method::GET,
            &format!("/api/contacts_lists/{list_id}"),
        )
        .await,
    )
    .await;
    assert_eq!(shown["contacts_count"], 2);

    // Not subscribed yet: no contacts.
    let mine = json(call(&app, &subscriber, Method::GET, "/api/accounts/me/contacts").await).await;
    assert_eq!(mine, json!([]));

    let subscribe = format!("/api/accounts/{}/contacts_lists/{list_id}", subscriber.id);
    assert_eq!(
        call(&app, &admin, Method::POST, &subscribe).await.status(),
        200
    );
    assert_eq!(
        call(&app, &admin, Method::POST, &subscribe).await.status(),
        403
    );

    // A type and an action show on the contact.
    let kind = json(
        app.as_key(&admin, Method::POST, "/api/account_types")
            .json(&json!({"key": "door"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/accounts/{}/types/{}", door.id, kind["id"]),
    )
    .await;
    app.as_key(
        &admin,
        Method::POST,
        &format!("/api/accounts/{}/actions", door.id),
    )
    .json(&json!({"key": "open", "code": "1"}))
    .send()
    .await
    .unwrap();

    let mine = json(call(&app, &subscriber, Method::GET, "/api/accounts/me/contacts").await).await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(
        keys(&mine[0]),
        [
            "actions",
            "activated",
            "display_name",
            "domain",
            "dtmf_protocol",
            "id",
            "types",
            "username"
        ]
    );
    assert_eq!(mine[0]["username"], "door_one");
    assert_eq!(mine[0]["display_name"], "Front door");
    assert_eq!(mine[0]["dtmf_protocol"], "sipinfo");
    assert_eq!(mine[0]["types"], json!([{"id": kind["id"], "key": "door"}]));
    assert_eq!(mine[0]["actions"][0]["key"], "open");
    assert_eq!(mine[1]["username"], "gate_one");
    assert_eq!(mine[1]["types"], json!([]));

    let one = format!("/api/accounts/me/contacts/door_one@{}", door.domain);
    let response = call(&app, &subscriber, Method::GET, &one).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["id"], door.id);
    for missing in [
        format!("/api/accounts/me/contacts/stranger@{}", stranger.domain),
        "/api/accounts/me/contacts/door_one@other.example.org".to_string(),
        "/api/accounts/me/contacts/not-an-address".to_string(),
    ] {
        let response = call(&app, &subscriber, Method::GET, &missing).await;
        assert_eq!(response.status(), 404, "{missing}");
    }
    // Another account sees none of it.
    let theirs = json(call(&app, &stranger, Method::GET, "/api/accounts/me/contacts").await).await;
    assert_eq!(theirs, json!([]));

    // Removing a contact, then the subscription.
    let remove = format!("/api/contacts_lists/{list_id}/contacts/{}", gate.id);
    assert_eq!(
        call(&app, &admin, Method::DELETE, &remove).await.status(),
        200
    );
    // Not in the list (any more): 404, as upstream (this was a 403).
    assert_eq!(
        call(&app, &admin, Method::DELETE, &remove).await.status(),
        404
    );
    let mine = json(call(&app, &subscriber, Method::GET, "/api/accounts/me/contacts").await).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(
        call(&app, &admin, Method::DELETE, &subscribe)
            .await
            .status(),
        200
    );
    assert_eq!(
        call(&app, &admin, Method::DELETE, &subscribe)
            .await
            .status(),
        403
    );
    let mine = json(call(&app, &subscriber, Method::GET, "/api/accounts/me/contacts").await).await;
    assert_eq!(mine, json!([]));
}

#[tokio::test]
async fn non_admins_unknown_ids_and_cascades() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let contact = app.account("contact_user", "SHA-256", false).await;
    for (method, path) in [
        (Method::GET, "/api/contacts_lists".to_string()),
        (Method::POST, "/api/contacts_lists".to_string()),
        (
            Method::POST,
            format!("/api/contacts_lists/1/contacts/{}", user.id),
        ),
        (
            Method::POST,
            format!("/api/accounts/{}/contacts_lists/1", user.id),
        ),
    ] {
        let response = app
            .as_key(&user, method.clone(), &path)
            .json(&json!({"title": "t", "description": "d"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
    }
    assert_eq!(app.count("contacts_lists").await, 0);

    let list =
        json(create_list(&app, &admin, json!({"title": "t", "description": "d"})).await).await;
    let id = list["id"].as_i64().unwrap();
    for (method, path) in [
        (Method::GET, "/api/contacts_lists/999".to_string()),
        (Method::PUT, "/api/contacts_lists/999".to_string()),
        (
            Method::POST,
            format!("/api/contacts_lists/999/contacts/{}", contact.id),
        ),
        (
            Method::POST,
            format!("/api/contacts_lists/{id}/contacts/999"),
        ),
        (
            Method::POST,
            format!("/api/accounts/999/contacts_lists/{id}"),
        ),
        (
            Method::POST,
            format!("/api/accounts/{}/contacts_lists/999", user.id),
        ),
    ] {
        let response = app
            .as_key(&admin, method.clone(), &path)
            .json(&json!({"title": "t", "description": "d"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }

    call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/contacts_lists/{id}/contacts/{}", contact.id),
    )
    .await;
    call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/accounts/{}/contacts_lists/{id}", user.id),
    )
    .await;
    assert_eq!(app.count("contacts_list_contact").await, 1);
    assert_eq!(app.count("account_contacts_list").await, 1);
    // Deleting the contact's account drops its membership; the subscriber's
    // account its subscription.
    call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/accounts/{}", contact.id),
    )
    .await;
    assert_eq!(app.count("contacts_list_contact").await, 0);
    call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/accounts/{}", user.id),
    )
    .await;
    assert_eq!(app.count("account_contacts_list").await, 0);

    // Deleting a list drops both.
    let other = app.account("other_user", "SHA-256", false).await;
    let subscriber = app.account("subscriber", "SHA-256", false).await;
    call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/contacts_lists/{id}/contacts/{}", other.id),
    )
    .await;
    call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/accounts/{}/contacts_lists/{id}", subscriber.id),
    )
    .await;
    call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/contacts_lists/{id}"),
    )
    .await;
    assert_eq!(app.count("contacts_list_contact").await, 0);
    assert_eq!(app.count("account_contacts_list").await, 0);
}
