//! Guessing bounded over time: wrong codes counted per account across
//! codes and flows, with the lock they bring (audited, mailed to the
//! owner, answered as a wrong code), the limits on e-mail change mails,
//! the Digest and `old_password` throttles, and the 2.x e-mail change by
//! code. The clock is moved, never slept.

use std::time::Duration as StdDuration;

use chrono::Duration;
use flexiapi::db::entities::{account, audit_log, email_changed};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::digest_client::{authorization, challenges};
use crate::helpers::{TestAccount, TestApp, json};
use crate::panel::{Browser, Page};
use crate::smtp_server::SmtpHandle;
use crate::with_token::Delivery;

const PHONE: &str = "+33611111111";
const NEW_PHONE: &str = "+33622222222";
const UNKNOWN_PHONE: &str = "+33699999999";
const OWNER_EMAIL: &str = "owner@example.net";
const REFUSED: &str = "Wrong or expired code.";
const WAIT: StdDuration = StdDuration::from_secs(5);
const NO_WAIT: StdDuration = StdDuration::from_millis(300);

/// A 4-digit code other than `pin`.
fn wrong(pin: &str) -> &'static str {
    if pin == "1234" { "4321" } else { "1234" }
}

async fn set_email(app: &TestApp, account_id: i32, email: &str) {
    account::Entity::update_many()
        .col_expr(account::Column::Email, Expr::value(email))
        .filter(account::Column::Id.eq(account_id))
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn ask_login_code(browser: &mut Browser<'_>, phone: &str) -> Page {
    browser
        .submit("/login/phone", "/login/phone", &[("phone", phone)])
        .await
}

async fn send_login_code(browser: &mut Browser<'_>, phone: &str, code: &str) -> Page {
    browser
        .submit(
            "/login/phone/code",
            "/login/phone/code",
            &[("phone", phone), ("code", code)],
        )
        .await
}

async fn phone_change(
    d: &Delivery,
    account: &TestAccount,
    path: &str,
    body: Value,
) -> reqwest::Response {
    d.app
        .as_key(account, Method::POST, path)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn lock_rows(app: &TestApp) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("account.code_lock"))
        .all(&app.state.db)
        .await
        .unwrap()
}

/// A refused code page, with what differs between two requests (the
/// phone shown back, the form's token) taken out.
fn refusal_shape(page: &Page, phone: &str) -> (u16, String) {
    let body = page
        .body
        .replace(phone, "PHONE")
        .replace(&page.token(), "TOKEN");
    (page.status, body)
}

const LOCKING: &[(&str, &str)] = &[
    ("APP_CODE_FAILURES_BEFORE_LOCK", "3"),
    ("APP_CODE_LOCK_MINUTES", "30"),
    ("APP_RATE_LIMIT_PER_MINUTE", "100"),
];

#[tokio::test]
async fn wrong_codes_across_codes_and_flows_lock_the_account_then_the_lock_lifts() {
    let mut d = Delivery::spawn(LOCKING).await;
    let owner = d.app.account_with_phone("guessed_user", PHONE).await;
    set_email(&d.app, owner.id, OWNER_EMAIL).await;
    let mut browser = Browser::new(&d.app);

    // Two phone login codes, one wrong guess each (each code alone has
    // APP_CODE_MAX_ATTEMPTS = 5 tries).
    for round in 0..2 {
        assert_eq!(ask_login_code(&mut browser, PHONE).await.status, 200);
        let pin = d.sms_pin(round);
        let page = send_login_code(&mut browser, PHONE, wrong(&pin)).await;
        assert_eq!(page.status, 422, "{}", page.body);
        d.app.state.clock.advance(Duration::minutes(1));
    }
    let pending_pin = d.sms_pin(1);
    assert!(lock_rows(&d.app).await.is_empty());

    // A third wrong code, in another flow (the API's phone change), locks.
    let sent = phone_change(
        &d,
        &owner,
        "/api/accounts/me/phone/request",
        json!({"phone": NEW_PHONE}),
    )
    .await;
    assert_eq!(sent.status(), 200);
    let change_pin = d.sms_pin(2);
    let refused = phone_change(
        &d,
        &owner,
        "/api/accounts/me/phone",
        json!({"code": wrong(&change_pin)}),
    )
    .await;
    assert_eq!(refused.status(), 422);

    // Audited, and the owner is told.
    let rows = lock_rows(&d.app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].target_id, Some(owner.id));
    assert_eq!(rows[0].actor, "code guard");
    assert_eq!(rows[0].client_address, "127.0.0.1");
    assert!(
        rows[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("until "))
    );
    let mail = d.smtp.next_mail(WAIT).await.expect("the owner's mail");
    assert_eq!(mail.to, [OWNER_EMAIL]);
    let text = mail.text().unwrap();
    assert!(text.contains("guessed_user@sip.example.org"), "{text}");
    assert!(text.contains("Too many wrong codes"), "{text}");

    // Locked: the right pending login code is refused as a wrong one, and
    // exactly as a code for a number without an account.
    let locked = send_login_code(&mut browser, PHONE, &pending_pin).await;
    assert_eq!(locked.status, 422, "{}", locked.body);
    assert!(locked.body.contains(REFUSED));
    assert!(locked.location().is_none());
    let unknown = send_login_code(&mut browser, UNKNOWN_PHONE, &pending_pin).await;
    assert_eq!(
        refusal_shape(&locked, PHONE),
        refusal_shape(&unknown, UNKNOWN_PHONE)
    );
    // No new code is sent, and the page is the same as for any number.
    let jobs = d.ovh.jobs().len();
    let asked = ask_login_code(&mut browser, PHONE).await;
    assert_eq!(asked.status, 200);
    assert_eq!(d.ovh.jobs().len(), jobs);
    // The API flows of the (authenticated) account say it: 429.
    let locked = phone_change(
        &d,
        &owner,
        "/api/accounts/me/phone/request",
        json!({"phone": NEW_PHONE}),
    )
    .await;
    assert_eq!(locked.status(), 429);
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 30 * 60, "{retry}");
    assert_eq!(d.ovh.jobs().len(), jobs);
    // One lock, one mail.
    assert_eq!(lock_rows(&d.app).await.len(), 1);
    assert!(d.smtp.next_mail(NO_WAIT).await.is_none());

    // The lock lifts after APP_CODE_LOCK_MINUTES.
    d.app.state.clock.advance(Duration::minutes(31));
    assert_eq!(ask_login_code(&mut browser, PHONE).await.status, 200);
    assert_eq!(d.ovh.jobs().len(), jobs + 1);
    let pin = d.sms_pin(jobs);
    let page = send_login_code(&mut browser, PHONE, &pin).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), Some("/account"));
}

#[tokio::test]
async fn failures_older_than_the_window_do_not_count() {
    let d = Delivery::spawn(&[
        ("APP_CODE_FAILURES_BEFORE_LOCK", "2"),
        ("APP_CODE_FAILURE_WINDOW_MINUTES", "60"),
        ("APP_RATE_LIMIT_PER_MINUTE", "100"),
    ])
    .await;
    let owner = d.app.account_with_phone("patient_user", PHONE).await;
    for round in 0..2 {
        let sent = phone_change(
            &d,
            &owner,
            "/api/accounts/me/phone/request",
            json!({"phone": NEW_PHONE}),
        )
        .await;
        assert_eq!(sent.status(), 200);
        let pin = d.sms_pin(round);
        let refused = phone_change(
            &d,
            &owner,
            "/api/accounts/me/phone",
            json!({"code": wrong(&pin)}),
        )
        .await;
        assert_eq!(refused.status(), 422);
        d.app.state.clock.advance(Duration::minutes(61));
    }
    assert!(lock_rows(&d.app).await.is_empty());
    let sent = phone_change(
        &d,
        &owner,
        "/api/accounts/me/phone/request",
        json!({"phone": NEW_PHONE}),
    )
    .await;
    assert_eq!(sent.status(), 200);
}

#[tokio::test]
async fn a_locked_account_refuses_its_right_activation_code_as_a_wrong_one() {
    let d = Delivery::spawn(LOCKING).await;
    let owner = d.app.account_with_phone("pending_user", PHONE).await;
    // Not activated yet, with a pending key.
    account::Entity::update_many()
        .col_expr(account::Column::FlexisipActivated, Expr::value(false))
        .col_expr(
            account::Column::ConfirmationKey,
            Expr::value("rightkey12345"),
        )
        .filter(account::Column::Id.eq(owner.id))
        .exec(&d.app.state.db)
        .await
        .unwrap();
    let activate = |sip: String, code: &'static str| {
        let app = &d.app;
        async move {
            app.post(&format!("/api/accounts/{sip}/activate/email"))
                .json(&json!({"code": code}))
                .send()
                .await
                .unwrap()
        }
    };
    let sip = "pending_user@sip.example.org".to_string();
    for _ in 0..3 {
        assert_eq!(activate(sip.clone(), "wrongkey12345").await.status(), 404);
    }
    assert_eq!(lock_rows(&d.app).await.len(), 1);
    let locked = activate(sip.clone(), "rightkey12345").await;
    let unknown = activate("nobody@sip.example.org".into(), "rightkey12345").await;
    assert_eq!(locked.status(), 404);
    assert_eq!(unknown.status(), 404);
    assert_eq!(json(locked).await, json(unknown).await);

    d.app.state.clock.advance(Duration::minutes(31));
    let activated = activate(sip, "rightkey12345").await;
    assert_eq!(activated.status(), 200);
    assert_eq!(json(activated).await["activated"], true);
}

// --- E-mail change: by code, and its limits --------------------------------

async fn email_request(app: &TestApp, account: &TestAccount, email: &str) -> reqwest::Response {
    app.as_key(account, Method::POST, "/api/accounts/me/email/request")
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap()
}

async fn email_confirm(app: &TestApp, account: &TestAccount, body: Value) -> reqwest::Response {
    app.as_key(account, Method::POST, "/api/accounts/me/email")
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The 4-digit code of the next e-mail change mail.
async fn mailed_code(smtp: &mut SmtpHandle) -> String {
    let text = smtp.next_mail(WAIT).await.expect("a mail").text().unwrap();
    text.split_whitespace()
        .find(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_string()
}

async fn me(app: &TestApp, account: &TestAccount) -> Value {
    json(
        app.as_key(account, Method::GET, "/api/accounts/me")
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_mailed_code_changes_the_email() {
    let mut d = Delivery::spawn(&[]).await;
    let owner = d.app.account("mail_user", "SHA-256", false).await;
    assert_eq!(
        email_request(&d.app, &owner, "new@example.net")
            .await
            .status(),
        200
    );
    let code = mailed_code(&mut d.smtp).await;
    let response = email_confirm(&d.app, &owner, json!({ "code": code })).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["email"], "new@example.net");
    assert_eq!(body["email_changed"], Value::Null);
    assert_eq!(d.app.count("email_changed").await, 0);
    // Used: nothing pending any more.
    let again = email_confirm(&d.app, &owner, json!({ "code": code })).await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn a_wrong_email_code_is_422_and_dropped_but_the_link_stays() {
    let mut d = Delivery::spawn(&[]).await;
    let owner = d.app.account("mail_user", "SHA-256", false).await;
    assert_eq!(
        email_request(&d.app, &owner, "new@example.net")
            .await
            .status(),
        200
    );
    let code = mailed_code(&mut d.smtp).await;
    for bad in [json!("12a4"), json!("12345"), json!(1234), Value::Null] {
        let response = email_confirm(&d.app, &owner, json!({ "code": bad })).await;
        assert_eq!(response.status(), 422, "{bad}");
        assert!(json(response).await["errors"]["code"].is_array());
    }
    let response = email_confirm(&d.app, &owner, json!({ "code": wrong(&code) })).await;
    assert_eq!(response.status(), 422);
    let body = json(response).await;
    assert_eq!(body["message"], "The given data was invalid.");
    assert!(body["errors"]["code"].is_array());
    // The code is gone (the right one now finds nothing); the change,
    // and its link, stay.
    assert_eq!(
        email_confirm(&d.app, &owner, json!({ "code": code }))
            .await
            .status(),
        404
    );
    assert_eq!(me(&d.app, &owner).await["email"], Value::Null);
    let rows = email_changed::Entity::find()
        .all(&d.app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].code_hash, None);
}

#[tokio::test]
async fn an_expired_email_code_is_410() {
    let mut d = Delivery::spawn(&[("APP_EMAIL_CHANGE_CODE_EXPIRATION_MINUTES", "10")]).await;
    let owner = d.app.account("mail_user", "SHA-256", false).await;
    assert_eq!(
        email_request(&d.app, &owner, "late@example.net")
            .await
            .status(),
        200
    );
    let code = mailed_code(&mut d.smtp).await;
    d.app.state.clock.advance(Duration::minutes(10));
    let response = email_confirm(&d.app, &owner, json!({ "code": code })).await;
    assert_eq!(response.status(), 410);
    assert!(json(response).await["message"].is_string());
    assert_eq!(me(&d.app, &owner).await["email"], Value::Null);

    // Within its lifetime it works.
    d.app.state.clock.advance(Duration::minutes(1));
    assert_eq!(
        email_request(&d.app, &owner, "late@example.net")
            .await
            .status(),
        200
    );
    let code = mailed_code(&mut d.smtp).await;
    d.app.state.clock.advance(Duration::minutes(9));
    let response = email_confirm(&d.app, &owner, json!({ "code": code })).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn email_change_mails_are_limited_per_account_and_per_address() {
    let mut d = Delivery::spawn(&[("APP_RATE_LIMIT_PER_MINUTE", "2")]).await;
    let first = d.app.account("first_user", "SHA-256", false).await;
    let second = d.app.account("second_user", "SHA-256", false).await;

    // One mail a minute to an address, whichever account asks.
    assert_eq!(
        email_request(&d.app, &first, "target@example.net")
            .await
            .status(),
        200
    );
    let limited = email_request(&d.app, &second, "TARGET@example.net").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    // Per account: APP_RATE_LIMIT_PER_MINUTE requests a minute.
    assert_eq!(
        email_request(&d.app, &first, "other@example.net")
            .await
            .status(),
        200
    );
    assert_eq!(
        email_request(&d.app, &first, "third@example.net")
            .await
            .status(),
        429
    );
    let mut mails = 0;
    while d.smtp.next_mail(NO_WAIT).await.is_some() {
        mails += 1;
    }
    assert_eq!(mails, 2);

    d.app.state.clock.advance(Duration::minutes(1));
    assert_eq!(
        email_request(&d.app, &second, "target@example.net")
            .await
            .status(),
        200
    );
    assert_eq!(
        email_request(&d.app, &first, "third@example.net")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn wrong_email_codes_count_on_the_account_lock() {
    let mut d = Delivery::spawn(LOCKING).await;
    let owner = d.app.account("mail_user", "SHA-256", false).await;
    for round in 0..3 {
        let email = format!("new{round}@example.net");
        assert_eq!(email_request(&d.app, &owner, &email).await.status(), 200);
        let code = mailed_code(&mut d.smtp).await;
        let response = email_confirm(&d.app, &owner, json!({ "code": wrong(&code) })).await;
        assert_eq!(response.status(), 422);
        d.app.state.clock.advance(Duration::minutes(1));
    }
    assert_eq!(lock_rows(&d.app).await.len(), 1);
    assert_eq!(
        email_request(&d.app, &owner, "new9@example.net")
            .await
            .status(),
        429
    );
    assert_eq!(
        email_confirm(&d.app, &owner, json!({ "code": "1234" }))
            .await
            .status(),
        429
    );
}

// --- Throttled answers: Digest and old_password -----------------------------

const ME: &str = "/api/accounts/me";

async fn digest_me(
    app: &TestApp,
    account: &TestAccount,
    password: &str,
    from: Option<&str>,
) -> reqwest::Response {
    let mut first = app.get(ME).header("From", account.from());
    if let Some(ip) = from {
        first = first.header("X-Forwarded-For", ip);
    }
    let challenge = first.send().await.unwrap();
    let challenge = challenges(&challenge).into_iter().next().unwrap();
    let mut answer = app.get(ME).header("From", account.from()).header(
        "Authorization",
        authorization(&challenge, &account.username, password, "GET", ME, 1),
    );
    if let Some(ip) = from {
        answer = answer.header("X-Forwarded-For", ip);
    }
    answer.send().await.unwrap()
}

#[tokio::test]
async fn wrong_digest_answers_are_throttled_per_address_for_a_bounded_time() {
    let app = TestApp::spawn_with(&[("APP_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let owner = app.account("digest_user", "SHA-256", false).await;
    let right = owner.password.clone();
    let guesser = Some("192.0.2.7");
    for _ in 0..10 {
        assert_eq!(
            digest_me(&app, &owner, "wrong-guess", guesser)
                .await
                .status(),
            401
        );
    }
    // Throttled from that address: the right password too, so no oracle.
    let throttled = digest_me(&app, &owner, &right, guesser).await;
    assert_eq!(throttled.status(), 429);
    let retry: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 300, "{retry}");
    // The owner, from another address, is not locked out.
    assert_eq!(
        digest_me(&app, &owner, &right, Some("198.51.100.4"))
            .await
            .status(),
        200
    );
    // Nor with its API key.
    let by_key = app.as_key(&owner, Method::GET, ME).send().await.unwrap();
    assert_eq!(by_key.status(), 200);
    // At most one window: then the address is heard again.
    app.state.clock.advance(Duration::minutes(5));
    assert_eq!(digest_me(&app, &owner, &right, guesser).await.status(), 200);
}

async fn change_password(app: &TestApp, account: &TestAccount, old: &str) -> reqwest::Response {
    app.as_key(account, Method::POST, "/api/accounts/me/password")
        .json(&json!({"algorithm": "SHA-256", "old_password": old, "password": "brand-new-pass"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_old_passwords_are_throttled_for_a_bounded_time() {
    let app = TestApp::spawn().await;
    let owner = app.account("oracle_user", "SHA-256", false).await;
    let right = owner.password.clone();
    for _ in 0..5 {
        let response = change_password(&app, &owner, "not-the-password").await;
        assert_eq!(response.status(), 422);
        assert!(json(response).await["errors"]["old_password"].is_array());
    }
    // Throttled: the right value too.
    let throttled = change_password(&app, &owner, &right).await;
    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));
    // For one window at most.
    app.state.clock.advance(Duration::minutes(15));
    assert_eq!(change_password(&app, &owner, &right).await.status(), 200);
}

#[tokio::test]
async fn wrong_digest_answers_from_many_addresses_reach_the_account_bound() {
    let app = TestApp::spawn_with(&[("APP_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let owner = app.account("spread_user", "SHA-256", false).await;
    let right = owner.password.clone();
    // 100 addresses, one wrong answer each: no address is throttled, the
    // account is.
    for i in 0..100 {
        let ip = format!("10.0.{}.{}", i / 200, i % 200 + 1);
        let response = digest_me(&app, &owner, "wrong-guess", Some(&ip)).await;
        assert_eq!(response.status(), 401, "{ip}");
    }
    let throttled = digest_me(&app, &owner, &right, Some("203.0.113.9")).await;
    assert_eq!(throttled.status(), 429);
    // Keys are not throttled; Digest is heard again after the window.
    let by_key = app.as_key(&owner, Method::GET, ME).send().await.unwrap();
    assert_eq!(by_key.status(), 200);
    app.state.clock.advance(Duration::minutes(5));
    assert_eq!(
        digest_me(&app, &owner, &right, Some("203.0.113.9"))
            .await
            .status(),
        200
    );
}
