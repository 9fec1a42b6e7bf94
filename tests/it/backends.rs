//! The same service on the real MariaDB and PostgreSQL servers: migrations,
//! the account API, Digest's atomic nonce update, the panel's search,
//! cascade deletes, and the SQL queries Flexisip itself runs against our
//! tables (docs/flexisip.md, "SQL authentication").

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::digest_client::{authorization, challenges};
use crate::helpers::{TestApp, json};
use crate::test_db::{Backend, TestDb};

async fn exercise(backend: Backend) {
    let database = TestDb::on(backend);
    let app = TestApp::spawn_with(&[("DATABASE_URL", database.url())]).await;
    // Migrations are idempotent.
    flexiapi::db::migrate(&app.state.db).await.unwrap();

    let admin = app.admin().await;
    let response = app
        .as_key(&admin, Method::POST, "/api/accounts")
        .json(
            &json!({"username": "backend_user", "password": "secret1", "algorithm": "SHA-256",
                      "activated": true, "phone": "+33612345678"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let created = json(response).await;
    let id = created["id"].as_i64().unwrap();

    // Unique username per domain holds on this backend too.
    let response = app
        .as_key(&admin, Method::POST, "/api/accounts")
        .json(&json!({"username": "backend_user", "password": "secret1", "algorithm": "MD5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    let page = json(
        app.as_key(&admin, Method::GET, "/api/accounts")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["total"], 2);

    // Digest, with 20 concurrent answers using one nc over a real pool.
    let me = "/api/accounts/me";
    let from = "sip:backend_user@sip.example.org";
    let response = app.get(me).header("From", from).send().await.unwrap();
    let challenge = challenges(&response).remove(0);
    let header = authorization(&challenge, "backend_user", "secret1", "GET", me, 1);
    let handles: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn(
                app.get(me)
                    .header("From", from)
                    .header("Authorization", header.clone())
                    .send(),
            )
        })
        .collect();
    let mut ok = 0;
    for handle in handles {
        if handle.await.unwrap().unwrap().status() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);

    // Flexisip's default queries (placeholders filled in).
    let backend = app.state.db.get_database_backend();
    let row = app
        .state
        .db
        .query_one(Statement::from_string(
            backend,
            "select password, algorithm from passwords where account_id = (select id from accounts where username = 'backend_user' and domain = 'sip.example.org' and activated = true)",
        ))
        .await
        .unwrap()
        .expect("Flexisip finds the password");
    assert_eq!(row.try_get::<String>("", "algorithm").unwrap(), "SHA-256");
    assert_eq!(
        row.try_get::<String>("", "password").unwrap(),
        crate::digest_client::h("SHA-256", "backend_user:sip.example.org:secret1")
    );
    for query in [
        "select username from accounts where activated = true and (username = '+33612345678' or phone = '+33612345678')",
        "select username, domain from accounts where activated = true and (username in ('+33612345678') or phone in ('+33612345678'))",
        "select a.username from accounts a join aliases al on al.account_id = a.id where a.activated = true and (a.username = '+33612345678' or al.alias = '+33612345678')",
    ] {
        let row = app
            .state
            .db
            .query_one(Statement::from_string(backend, query))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no row for {query}"));
        assert_eq!(
            row.try_get::<String>("", "username").unwrap(),
            "backend_user"
        );
    }

    // The panel's search escapes LIKE wildcards on this backend too.
    for (search, expected) in [
        ("kend%user", 0),
        ("%", 0),
        ("\\", 0),
        ("_user", 2),
        ("kend_", 1),
        ("BACKEND_User", 1),
        ("3361234", 1),
    ] {
        let (rows, total) = flexiapi::db::accounts::search_page(&app.state.db, Some(search), 1, 20)
            .await
            .unwrap();
        assert_eq!((rows.len() as u64, total), (expected, expected), "{search}");
    }

    let response = app
        .as_key(&admin, Method::DELETE, &format!("/api/accounts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("aliases").await, 0);
    assert_eq!(app.count("nonces").await, 0);
    assert_eq!(app.count("passwords").await, 1);
}

#[tokio::test]
async fn mariadb() {
    exercise(Backend::MariaDb).await;
}

#[tokio::test]
async fn postgresql() {
    exercise(Backend::Postgres).await;
}
