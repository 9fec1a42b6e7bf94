//! Token claim, attempt counting and phone change on the real MariaDB and
//! PostgreSQL servers: their conditional updates must hold there too.

use reqwest::Method;
use serde_json::json;

use crate::test_db::{Backend, TestDb};
use crate::with_token::{Delivery, body, stored_account, with};

async fn exercise(backend: Backend) {
    let database = TestDb::on(backend);
    let url = database.url();
    let d = Delivery::spawn(&[("DATABASE_URL", url), ("APP_RATE_LIMIT_PER_MINUTE", "100")]).await;

    // One token, concurrent creations over a real pool: one account.
    let token = d.token().await;
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let request = with(
                body(&format!("racer_{i:02}"), &token),
                "phone",
                "+33612345678",
            );
            tokio::spawn(d.app.post("/api/accounts/with-token").json(&request).send())
        })
        .collect();
    let mut created = 0;
    for handle in handles {
        if handle.await.unwrap().unwrap().status() == 200 {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(d.app.count("accounts").await, 1);
    let username = stored_account_by_phone(&d).await;

    // A wrong PIN is counted, the right one activates and resets.
    let pin = d.sms_pin(0);
    let wrong = if pin == "0000" { "0001" } else { "0000" };
    let path = format!("/api/accounts/{username}@sip.example.org/activate/phone");
    let post = |code: &str| d.app.post(&path).json(&json!({"code": code})).send();
    assert_eq!(post(wrong).await.unwrap().status(), 404);
    assert_eq!(
        stored_account(&d.app, &username)
            .await
            .unwrap()
            .failed_code_attempts,
        1
    );
    assert_eq!(post(&pin).await.unwrap().status(), 200);
    let stored = stored_account(&d.app, &username).await.unwrap();
    assert!(stored.is_activated());
    assert_eq!(stored.failed_code_attempts, 0);
    assert_eq!(stored.confirmation_key, None);

    // Five wrong e-mail codes drop the key.
    let token = d.token().await;
    let response = d.create(&body("keyed_user", &token)).await;
    assert_eq!(response.status(), 200);
    let key = stored_account(&d.app, "keyed_user")
        .await
        .unwrap()
        .confirmation_key
        .unwrap();
    let path = "/api/accounts/keyed_user@sip.example.org/activate/email";
    for _ in 0..5 {
        let response = d
            .app
            .post(path)
            .json(&json!({"code": "zzzzzzzzzzzzz"}))
            .send()
            .await;
        assert_eq!(response.unwrap().status(), 404);
    }
    let response = d.app.post(path).json(&json!({"code": key})).send().await;
    assert_eq!(response.unwrap().status(), 404);

    // Phone change.
    let now = d.app.state.clock.now_naive();
    let id = stored_account(&d.app, &username).await.unwrap().id;
    let api_key = flexiapi::auth::api_key::regenerate(&d.app.state.db, id, now)
        .await
        .unwrap();
    let me = |path: &str| {
        d.app
            .client
            .request(Method::POST, d.app.url(path))
            .header("From", format!("sip:{username}@sip.example.org"))
            .header("x-api-key", &api_key)
    };
    let response = me("/api/accounts/me/phone/request")
        .json(&json!({"phone": "+33699999999"}))
        .send()
        .await;
    assert_eq!(response.unwrap().status(), 200);
    let response = me("/api/accounts/me/phone")
        .json(&json!({"code": d.sms_pin(1)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["phone"],
        "+33699999999"
    );
    assert_eq!(d.app.count("aliases").await, 1);
}

async fn stored_account_by_phone(d: &Delivery) -> String {
    use flexiapi::db::entities::account;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    account::Entity::find()
        .filter(account::Column::Phone.eq("+33612345678"))
        .one(&d.app.state.db)
        .await
        .unwrap()
        .unwrap()
        .username
}

#[tokio::test]
async fn mariadb() {
    exercise(Backend::MariaDb).await;
}

#[tokio::test]
async fn postgresql() {
    exercise(Backend::Postgres).await;
}
