//! `POST /api/accounts/with-token` with real delivery: the in-test SMTP
//! server and the OVH fake.

use std::time::Duration;

use flexiapi::db::entities::{account, token};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::helpers::{TestApp, account_keys, json, keys};
use crate::ovh_fake::OvhFake;
use crate::smtp_server::{Reject, SmtpHandle, SmtpOptions, SmtpServer};
use crate::tokens::{FakePusher, device};

pub const APP_NAME: &str = "Linphone Test";
const WAIT: Duration = Duration::from_secs(5);
const NO_WAIT: Duration = Duration::from_millis(300);

/// A server that mails through the in-test SMTP server and sends SMS
/// through the OVH fake.
pub struct Delivery {
    pub app: TestApp,
    pub smtp: SmtpHandle,
    pub ovh: OvhFake,
}

impl Delivery {
    pub async fn spawn(vars: &[(&str, &str)]) -> Self {
        Self::spawn_with(SmtpOptions::default(), vars).await
    }

    pub async fn spawn_with(options: SmtpOptions, vars: &[(&str, &str)]) -> Self {
        let (port, smtp) = SmtpServer::start_with(options).await;
        let ovh = OvhFake::start().await;
        let port = port.to_string();
        let ovh_vars = ovh.vars();
        let mut all = vec![
            ("APP_NAME", APP_NAME),
            ("MAIL_MAILER", "smtp"),
            ("MAIL_HOST", "127.0.0.1"),
            ("MAIL_PORT", port.as_str()),
            ("MAIL_ENCRYPTION", "none"),
        ];
        all.extend(ovh_vars.iter().map(|(k, v)| (*k, v.as_str())));
        all.extend_from_slice(vars);
        let app = TestApp::spawn_with(&all).await;
        Delivery { app, smtp, ovh }
    }

    /// A fresh, unused token row.
    pub async fn token(&self) -> String {
        insert_token(&self.app).await
    }

    pub async fn create(&self, body: &Value) -> reqwest::Response {
        self.app
            .post("/api/accounts/with-token")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The PIN of the `index`-th SMS job, checking the message's wording.
    pub fn sms_pin(&self, index: usize) -> String {
        let message = self.ovh.jobs()[index].body["message"]
            .as_str()
            .unwrap()
            .to_string();
        let prefix = format!("Your {APP_NAME} validation code is ");
        let pin = message
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("unexpected SMS: {message}"));
        assert!(
            pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit()),
            "{message}"
        );
        pin.to_string()
    }
}

pub async fn insert_token(app: &TestApp) -> String {
    let value = flexiapi::secrets::random_alphanumeric(32);
    let now = app.state.clock.now_naive();
    token::ActiveModel {
        token: Set(value.clone()),
        pn_provider: Set("fcm".into()),
        pn_param: Set("param".into()),
        pn_prid: Set(flexiapi::secrets::random_alphanumeric(10)),
        used: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    value
}

pub async fn token_used(app: &TestApp, value: &str) -> bool {
    token::Entity::find()
        .filter(token::Column::Token.eq(value))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .used
}

pub async fn stored_account(app: &TestApp, username: &str) -> Option<account::Model> {
    account::Entity::find()
        .filter(account::Column::Username.eq(username))
        .one(&app.state.db)
        .await
        .unwrap()
}

pub fn body(username: &str, token: &str) -> Value {
    json!({"username": username, "password": "secret1", "algorithm": "SHA-256", "token": token})
}

pub fn with(mut body: Value, field: &str, value: &str) -> Value {
    body[field] = json!(value);
    body
}

#[tokio::test]
async fn with_an_email_the_mailed_code_activates_the_account() {
    let mut d = Delivery::spawn(&[]).await;
    let token = d.token().await;
    let response = d
        .app
        .post("/api/accounts/with-token")
        .header("User-Agent", "LinphoneAndroid/5.2.5")
        .json(&with(
            body("mail_user", &token),
            "email",
            "mail.user@example.net",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(keys(&account), account_keys(), "no confirmation_key shown");
    assert_eq!(account["username"], "mail_user");
    assert_eq!(account["domain"], "sip.example.org");
    assert_eq!(account["email"], "mail.user@example.net");
    assert_eq!(account["activated"], false);
    assert_eq!(account["phone"], Value::Null);
    assert_eq!(account["ip_address"], "127.0.0.1");
    assert_eq!(account["user_agent"], "LinphoneAndroid/5.2.5");
    assert_eq!(account["passwords"], json!([{"algorithm": "SHA-256"}]));
    assert!(token_used(&d.app, &token).await);

    let key = stored_account(&d.app, "mail_user")
        .await
        .unwrap()
        .confirmation_key
        .unwrap();
    assert_eq!(key.len(), 13);
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()));
    let mail = d.smtp.next_mail(WAIT).await.expect("the activation mail");
    assert_eq!(mail.to, ["mail.user@example.net"]);
    assert!(mail.header("subject").unwrap().contains(APP_NAME));
    let text = mail.text().unwrap();
    let html = mail.html().unwrap();
    for body in [&text, &html] {
        assert!(body.contains(&key), "{body}");
        assert!(body.contains(APP_NAME), "{body}");
        assert!(body.contains("mail_user@sip.example.org"), "{body}");
    }
    assert!(d.ovh.jobs().is_empty());

    // The code as a person reads it from the mail: the 13-character line.
    let code = text
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 13)
        .unwrap();
    let response = d
        .app
        .post("/api/accounts/mail_user@sip.example.org/activate/email")
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(keys(&account), account_keys());
    assert_eq!(account["activated"], true);
    let stored = stored_account(&d.app, "mail_user").await.unwrap();
    assert!(stored.is_activated());
    assert_eq!(stored.confirmation_key, None);
}

#[tokio::test]
async fn with_a_phone_the_sms_pin_activates_the_account_and_the_phone_is_its_alias() {
    let mut d = Delivery::spawn(&[]).await;
    let token = d.token().await;
    let response = d
        .create(&with(body("phone_user", &token), "phone", "+33612345678"))
        .await;
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(keys(&account), account_keys());
    assert_eq!(account["phone"], "+33612345678");
    assert_eq!(account["activated"], false);

    let jobs = d.ovh.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].body["receivers"], json!(["+33612345678"]));
    let pin = d.sms_pin(0);
    let stored = stored_account(&d.app, "phone_user").await.unwrap();
    assert_eq!(stored.confirmation_key.as_deref(), Some(pin.as_str()));
    assert_eq!(stored.phone.as_deref(), Some("+33612345678"));
    assert_eq!(d.app.count("aliases").await, 1);
    assert!(d.smtp.next_mail(NO_WAIT).await.is_none());

    // Flexisip only finds activated accounts by phone.
    let by_phone = "select username from accounts where activated = true and (username = '+33612345678' or phone = '+33612345678')";
    assert!(flexisip_finds(&d.app, by_phone).await.is_none());
    let response = d
        .app
        .post("/api/accounts/phone_user@sip.example.org/activate/phone")
        .json(&json!({"code": pin}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(account["activated"], true);
    assert_eq!(account["phone"], "+33612345678");
    assert_eq!(
        flexisip_finds(&d.app, by_phone).await.as_deref(),
        Some("phone_user")
    );
}

pub async fn flexisip_finds(app: &TestApp, query: &str) -> Option<String> {
    let backend = app.state.db.get_database_backend();
    app.state
        .db
        .query_one(sea_orm::Statement::from_string(backend, query))
        .await
        .unwrap()
        .map(|row| row.try_get::<String>("", "username").unwrap())
}

#[tokio::test]
async fn without_email_or_phone_the_account_waits_with_a_13_character_key() {
    let mut d = Delivery::spawn(&[]).await;
    let token = d.token().await;
    let response = d.create(&body("quiet_user", &token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["activated"], false);
    let stored = stored_account(&d.app, "quiet_user").await.unwrap();
    assert!(!stored.is_activated());
    assert_eq!(stored.confirmation_key.unwrap().len(), 13);
    assert!(d.smtp.next_mail(NO_WAIT).await.is_none());
    assert!(d.ovh.jobs().is_empty());
}

#[tokio::test]
async fn the_whole_flow_from_a_pushed_token() {
    let pusher = FakePusher::succeeding();
    let path = pusher.path.display().to_string();
    let mut d = Delivery::spawn(&[("APP_FLEXISIP_PUSHER_PATH", &path)]).await;
    let response = d.app.post("/api/tokens").json(&device("p1")).send().await;
    assert_eq!(response.unwrap().status(), 200);
    // The app reads the token from the push payload.
    let argv = pusher.argv();
    let payload = argv
        .iter()
        .position(|a| a == "--customPayload")
        .map(|i| &argv[i + 1])
        .unwrap();
    let payload: Value = serde_json::from_str(payload).unwrap();
    let token = payload["token"].as_str().unwrap();

    let response = d
        .create(&with(body("pushed_user", token), "email", "p@example.net"))
        .await;
    assert_eq!(response.status(), 200);
    let mail = d.smtp.next_mail(WAIT).await.unwrap();
    let text = mail.text().unwrap();
    let code = text.lines().map(str::trim).find(|l| l.len() == 13).unwrap();
    let response = d
        .app
        .post("/api/accounts/pushed_user%40sip.example.org/activate/email")
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let info = d
        .app
        .get("/api/accounts/pushed_user@sip.example.org/info")
        .send()
        .await
        .unwrap();
    assert_eq!(json(info).await["activated"], true);
}

#[tokio::test]
async fn a_token_is_single_use() {
    let d = Delivery::spawn(&[]).await;
    let token = d.token().await;
    assert_eq!(d.create(&body("first_user", &token)).await.status(), 200);
    let response = d.create(&body("second_user", &token)).await;
    assert_eq!(response.status(), 422);
    let errors = json(response).await["errors"].clone();
    assert!(errors["token"].is_array(), "{errors}");
    assert_eq!(d.app.count("accounts").await, 1);
}

// Several worker threads so that the requests really interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creations_with_one_token_create_one_account() {
    let d = Delivery::spawn(&[("APP_RATE_LIMIT_PER_MINUTE", "100")]).await;
    let token = d.token().await;
    let handles: Vec<_> = (0..10)
        .map(|i| {
            let request = d
                .app
                .post("/api/accounts/with-token")
                .json(&body(&format!("racer_{i:02}"), &token))
                .send();
            tokio::spawn(request)
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap().unwrap().status().as_u16());
    }
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 422),
        "{statuses:?}"
    );
    assert_eq!(d.app.count("accounts").await, 1);
    assert_eq!(d.app.count("passwords").await, 1);
}

#[tokio::test]
async fn expired_and_unknown_tokens_are_422_on_token() {
    let d = Delivery::spawn(&[("APP_TOKEN_LIFETIME_MINUTES", "60")]).await;
    let token = d.token().await;
    d.app.state.clock.advance(chrono::Duration::minutes(61));
    let fresh = d.token().await;
    let long = "x".repeat(300);
    for given in [
        token.as_str(),
        "unknown-token",
        &long,
        &token.to_lowercase(),
    ] {
        let response = d.create(&body("late_user", given)).await;
        assert_eq!(response.status(), 422, "{given}");
        let errors = json(response).await["errors"].clone();
        assert_eq!(
            errors.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["token"]
        );
    }
    assert_eq!(d.app.count("accounts").await, 0);
    assert!(!token_used(&d.app, &token).await);
    // A token within its lifetime works.
    assert_eq!(d.create(&body("late_user", &fresh)).await.status(), 200);
}

#[tokio::test]
async fn only_the_service_domain_is_accepted() {
    let d = Delivery::spawn(&[]).await;
    let token = d.token().await;
    let response = d
        .create(&with(
            body("dom_user", &token),
            "domain",
            "other.example.com",
        ))
        .await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["domain"].is_array());
    assert!(!token_used(&d.app, &token).await);
    let response = d
        .create(&with(body("dom_user", &token), "domain", "sip.example.org"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["domain"], "sip.example.org");
}

#[tokio::test]
async fn every_field_rule_names_its_field_and_changes_nothing() {
    let d = Delivery::spawn(&[("APP_RATE_LIMIT_PER_MINUTE", "100")]).await;
    let token = d.token().await;

    let response = d.create(&json!({})).await;
    assert_eq!(response.status(), 422);
    let errors = json(response).await["errors"].clone();
    let mut fields: Vec<&String> = errors.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["algorithm", "password", "token", "username"]);

    let good = body("rule_user", &token);
    let cases: Vec<(Value, &[&str])> = vec![
        (with(good.clone(), "username", "short"), &["username"]),
        (with(good.clone(), "username", "bad user!"), &["username"]),
        (with(good.clone(), "password", "12345"), &["password"]),
        (with(good.clone(), "algorithm", "SHA-1"), &["algorithm"]),
        (with(good.clone(), "email", "not-an-email"), &["email"]),
        (with(good.clone(), "phone", "0612345678"), &["phone"]),
        (with(good.clone(), "phone", "+12345"), &["phone"]),
        (
            with(
                with(good.clone(), "email", "a@example.net"),
                "phone",
                "+33612345678",
            ),
            &["email", "phone"],
        ),
        (
            {
                let mut b = good.clone();
                b["token"] = json!(12);
                b
            },
            &["token"],
        ),
        (
            {
                let mut b = good.clone();
                b["username"] = json!(["rule_user"]);
                b
            },
            &["username"],
        ),
    ];
    for (body, expected) in cases {
        let response = d.create(&body).await;
        assert_eq!(response.status(), 422, "{body}");
        let errors = json(response).await["errors"].clone();
        let mut fields: Vec<&str> = errors
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort();
        assert_eq!(fields, expected, "{body}");
    }
    assert_eq!(d.app.count("accounts").await, 0);
    assert!(!token_used(&d.app, &token).await);
    assert!(d.ovh.jobs().is_empty());
}

#[tokio::test]
async fn a_taken_username_or_phone_is_422_and_keeps_the_token() {
    let d = Delivery::spawn(&[]).await;
    let first = d.token().await;
    let response = d
        .create(&with(body("taken_user", &first), "phone", "+33612345678"))
        .await;
    assert_eq!(response.status(), 200);

    let token = d.token().await;
    let response = d.create(&body("taken_user", &token)).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["username"].is_array());
    let response = d
        .create(&with(body("other_user", &token), "phone", "+33612345678"))
        .await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["phone"].is_array());
    assert!(!token_used(&d.app, &token).await);
    assert_eq!(d.app.count("accounts").await, 1);
    assert_eq!(d.ovh.jobs().len(), 1, "no SMS for refused creations");
}

#[tokio::test]
async fn smtp_refusing_the_mail_gives_503_and_keeps_nothing() {
    let d = Delivery::spawn_with(
        SmtpOptions {
            reject: Some(Reject::Data),
            ..Default::default()
        },
        &[],
    )
    .await;
    let token = d.token().await;
    let response = d
        .create(&with(
            body("lost_user", &token),
            "email",
            "lost@example.net",
        ))
        .await;
    assert_eq!(response.status(), 503);
    assert!(json(response).await["message"].is_string());
    for table in ["accounts", "passwords", "aliases"] {
        assert_eq!(d.app.count(table).await, 0, "{table}");
    }
    // The token is still usable, and so is the username.
    assert!(!token_used(&d.app, &token).await);
    assert_eq!(d.create(&body("lost_user", &token)).await.status(), 200);
}

#[tokio::test]
async fn smtp_down_gives_503_and_keeps_nothing() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let d = Delivery::spawn(&[("MAIL_PORT", &closed)]).await;
    let token = d.token().await;
    let response = d
        .create(&with(
            body("down_user", &token),
            "email",
            "down@example.net",
        ))
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(d.app.count("accounts").await, 0);
    assert!(!token_used(&d.app, &token).await);
}

#[tokio::test]
async fn ovh_failing_gives_503_and_keeps_nothing_then_the_token_works() {
    let d = Delivery::spawn(&[]).await;
    let token = d.token().await;
    let request = with(body("sms_user", &token), "phone", "+33612345678");
    d.ovh.fail_jobs_with(Some(500));
    let response = d.create(&request).await;
    assert_eq!(response.status(), 503);
    for table in ["accounts", "passwords", "aliases"] {
        assert_eq!(d.app.count(table).await, 0, "{table}");
    }
    assert!(!token_used(&d.app, &token).await);

    d.ovh.fail_jobs_with(None);
    let response = d.create(&request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(d.ovh.jobs().len(), 1);
    assert!(token_used(&d.app, &token).await);
}

#[tokio::test]
async fn with_token_is_rate_limited() {
    let d = Delivery::spawn(&[("APP_RATE_LIMIT_PER_MINUTE", "3")]).await;
    for _ in 0..3 {
        assert_eq!(d.create(&json!({})).await.status(), 422);
    }
    let response = d.create(&json!({})).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}
