//! Values mean the same on every backend: text (4-byte UTF-8, the case of
//! usernames), booleans, ids and UTC times. Runs on the backend of
//! `FLEXIAPI_TEST_DB`, and on a MariaDB database whose default charset is
//! not utf8mb4.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, json};
use crate::test_db::{Backend, TestDb};

/// An e-mail with a 4-byte character is stored and read back unchanged.
async fn emoji_email_round_trips(app: &TestApp) {
    let admin = app.admin().await;
    let email = "fox😀🦊@example.org";
    let response = app
        .as_key(&admin, Method::POST, "/api/accounts")
        .json(&json!({"username": "emoji_user", "password": "secret1",
                      "algorithm": "SHA-256", "email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let id = json(response).await["id"].as_i64().unwrap();
    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["email"], email);
}

#[tokio::test]
async fn four_byte_utf8_round_trips() {
    emoji_email_round_trips(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn four_byte_utf8_round_trips_in_a_latin1_mariadb_database() {
    let database = TestDb::on_with(Backend::MariaDb, "CHARACTER SET latin1");
    let app = TestApp::spawn_with(&[("DATABASE_URL", database.url())]).await;
    emoji_email_round_trips(&app).await;
}

#[tokio::test]
async fn usernames_differing_in_case_are_two_accounts() {
    let app = TestApp::spawn().await;
    let lower = app.account("case_user", "SHA-256", false).await;
    let upper = app.account("CASE_USER", "SHA-256", false).await;
    assert_ne!(lower.id, upper.id);

    // Each key opens its own account only.
    let me = json(
        app.as_key(&upper, Method::GET, "/api/accounts/me")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["username"], "CASE_USER");
    let response = app
        .get("/api/accounts/me")
        .header("From", lower.from())
        .header("x-api-key", &upper.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // The public lookup tells them apart too.
    let info = json(
        app.get("/api/accounts/CASE_user@sip.example.org/info")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(info["message"], "Not Found");
}

#[tokio::test]
async fn booleans_ids_and_utc_times() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let before = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(2);
    let mut ids = Vec::new();
    for (username, activated) in [("bool_user_a", "1"), ("bool_user_b", "0")] {
        let response = app
            .as_key(&admin, Method::POST, "/api/accounts")
            .json(&json!({"username": username, "password": "secret1",
                          "algorithm": "MD5", "activated": activated}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let account = json(response).await;
        assert_eq!(account["activated"], activated == "1", "{username}");
        assert_eq!(account["admin"], false);
        let created = chrono::NaiveDateTime::parse_from_str(
            account["creation_time"].as_str().unwrap(),
            "%Y-%m-%d %H:%M:%S",
        )
        .unwrap();
        let after = chrono::Utc::now().naive_utc() + chrono::Duration::seconds(2);
        assert!(before <= created && created <= after, "{created} is UTC");
        ids.push(account["id"].as_i64().unwrap());
    }
    assert!(ids[0] > admin.id as i64 && ids[1] > ids[0], "{ids:?}");

    let page = json(
        app.as_key(&admin, Method::GET, "/api/accounts")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let activated: Vec<_> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_i64().unwrap(), a["activated"].clone()))
        .collect();
    assert_eq!(
        activated,
        vec![
            (admin.id as i64, json!(true)),
            (ids[0], json!(true)),
            (ids[1], json!(false))
        ]
    );
}
