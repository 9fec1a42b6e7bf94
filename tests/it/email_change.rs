//! E-mail change: the mail reaches a real SMTP server, its link confirms
//! the change once (docs/api.md).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, json};
use crate::smtp_server::{Reject, SmtpOptions, SmtpServer};

const WAIT: Duration = Duration::from_secs(5);

async fn app_with_smtp(port: u16) -> TestApp {
    TestApp::spawn_with(&[
        ("MAIL_MAILER", "smtp"),
        ("MAIL_HOST", "127.0.0.1"),
        ("MAIL_PORT", &port.to_string()),
        ("MAIL_ENCRYPTION", "none"),
        ("APP_NAME", "Flexi Test"),
    ])
    .await
}

async fn request(app: &TestApp, account: &TestAccount, email: Value) -> reqwest::Response {
    app.as_key(account, Method::POST, "/api/accounts/me/email/request")
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap()
}

/// The confirmation link in a mail's text part.
fn link_in(text: &str) -> String {
    text.split_whitespace()
        .find(|word| word.contains("/accounts/email/confirm/"))
        .expect("a confirmation link")
        .to_string()
}

#[tokio::test]
async fn the_mailed_link_confirms_the_new_address_once() {
    let (port, mut smtp) = SmtpServer::start().await;
    let app = app_with_smtp(port).await;
    let account = app.account("mail_user", "MD5", false).await;

    let response = request(&app, &account, json!("new.address@example.net")).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(
        body["email"],
        Value::Null,
        "not changed before confirmation"
    );
    assert_eq!(
        body["email_changed"]["new_email"],
        "new.address@example.net"
    );
    assert!(body["email_changed"]["created_at"].is_string());

    let mail = smtp.next_mail(WAIT).await.expect("a mail");
    assert_eq!(mail.to, ["new.address@example.net"]);
    let text = mail.text().unwrap();
    assert!(text.contains("Flexi Test") && text.contains("mail_user@sip.example.org"));
    let link = link_in(&text);
    assert!(
        link.starts_with(&format!("{}/accounts/email/confirm/", app.base)),
        "{link}"
    );
    assert!(mail.html().unwrap().contains(&link));

    // Visiting shows a confirmation form and changes nothing yet.
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("new.address@example.net") && html.contains("<form method=\"post\""));
    let me = json(
        app.as_key(&account, Method::GET, "/api/accounts/me")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["email"], Value::Null);

    let applied = app.client.post(&link).send().await.unwrap();
    assert_eq!(applied.status(), 200);
    let me = json(
        app.as_key(&account, Method::GET, "/api/accounts/me")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["email"], "new.address@example.net");
    assert_eq!(me["email_changed"], Value::Null);

    // Single use.
    assert_eq!(app.client.post(&link).send().await.unwrap().status(), 404);
    assert_eq!(app.client.get(&link).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_new_request_replaces_the_pending_one_and_links_expire() {
    let (port, mut smtp) = SmtpServer::start().await;
    let app = app_with_smtp(port).await;
    let account = app.account("twice_user", "MD5", false).await;

    assert_eq!(
        request(&app, &account, json!("first@example.net"))
            .await
            .status(),
        200
    );
    let first = link_in(&smtp.next_mail(WAIT).await.unwrap().text().unwrap());
    assert_eq!(
        request(&app, &account, json!("second@example.net"))
            .await
            .status(),
        200
    );
    let second = link_in(&smtp.next_mail(WAIT).await.unwrap().text().unwrap());
    assert_eq!(app.count("email_changed").await, 1);
    assert_eq!(app.client.post(&first).send().await.unwrap().status(), 404);

    app.state.clock.advance(chrono::Duration::hours(25));
    assert_eq!(app.client.get(&second).send().await.unwrap().status(), 404);
    assert_eq!(app.client.post(&second).send().await.unwrap().status(), 404);
    let me = json(
        app.as_key(&account, Method::GET, "/api/accounts/me")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["email"], Value::Null);
}

#[tokio::test]
async fn invalid_addresses_and_the_current_one_are_422() {
    let (port, mut smtp) = SmtpServer::start().await;
    let app = app_with_smtp(port).await;
    let account = app.account("same_user", "MD5", false).await;
    for bad in [
        json!("not-an-email"),
        json!(""),
        json!(42),
        json!(["a@b.org"]),
        json!("a b@c.org"),
        // A domain label over 63 characters: the mailer cannot address it
        // (found by schemathesis as a 503 after the change was validated).
        json!(format!("a@{}.org", "b".repeat(64))),
    ] {
        let response = request(&app, &account, bad.clone()).await;
        assert_eq!(response.status(), 422, "{bad}");
        assert!(json(response).await["errors"]["email"].is_array());
    }
    // Make the address current, then ask for it again.
    assert_eq!(
        request(&app, &account, json!("me@example.net"))
            .await
            .status(),
        200
    );
    let link = link_in(&smtp.next_mail(WAIT).await.unwrap().text().unwrap());
    assert_eq!(app.client.post(&link).send().await.unwrap().status(), 200);
    let response = request(&app, &account, json!("ME@example.net")).await;
    assert_eq!(response.status(), 422);
    assert_eq!(app.count("email_changed").await, 0);
}

#[tokio::test]
async fn a_mail_that_cannot_be_sent_is_503_and_nothing_is_pending() {
    let (port, _smtp) = SmtpServer::start_with(SmtpOptions {
        reject: Some(Reject::Data),
        ..Default::default()
    })
    .await;
    let app = app_with_smtp(port).await;
    let account = app.account("lost_user", "MD5", false).await;
    let response = request(&app, &account, json!("x@example.net")).await;
    assert_eq!(response.status(), 503);
    assert!(json(response).await["message"].is_string());
    assert_eq!(app.count("email_changed").await, 0);

    // SMTP server gone entirely.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let app = app_with_smtp(closed).await;
    let account = app.account("lost_user", "MD5", false).await;
    assert_eq!(
        request(&app, &account, json!("x@example.net"))
            .await
            .status(),
        503
    );
    assert_eq!(app.count("email_changed").await, 0);
}

#[tokio::test]
async fn forged_links_are_404() {
    let app = TestApp::spawn().await;
    for secret in ["x", &"a".repeat(40), "%00", &"é".repeat(40)] {
        let url = app.url(&format!("/accounts/email/confirm/{secret}"));
        assert_eq!(
            app.client.get(&url).send().await.unwrap().status(),
            404,
            "{secret}"
        );
        assert_eq!(
            app.client.post(&url).send().await.unwrap().status(),
            404,
            "{secret}"
        );
    }
}
