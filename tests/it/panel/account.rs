//! The account page and its forms.

use std::time::Duration;

use flexiapi::db::entities::{account, password};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Browser, logged_in};
use crate::helpers::{TestApp, json};
use crate::smtp_server::SmtpServer;
use crate::with_token::Delivery;

async fn stored_passwords(app: &TestApp, account_id: i32) -> Vec<password::Model> {
    password::Entity::find()
        .filter(password::Column::AccountId.eq(account_id))
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn stored(app: &TestApp, id: i32) -> Option<account::Model> {
    account::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn password_change_with_the_old_password_and_csrf() {
    let app = TestApp::spawn().await;
    let user = app.account("panel_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let before = stored_passwords(&app, user.id).await;

    // Without the CSRF token (or with a wrong one): 403, nothing changed.
    let fields = [
        ("old_password", user.password.as_str()),
        ("password", "brand-new-pass"),
        ("algorithm", "MD5"),
    ];
    let page = browser.post("/account/password", &fields).await;
    assert_eq!(page.status, 403);
    let mut wrong = vec![("_token", "x".repeat(40))];
    wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = browser.post("/account/password", &wrong).await;
    assert_eq!(page.status, 403);
    assert_eq!(stored_passwords(&app, user.id).await, before);

    // The API's rules: old password required and right, new one >= 6.
    for (old, new, algorithm, message) in [
        (
            "",
            "brand-new-pass",
            "MD5",
            "The old_password field is required.",
        ),
        (
            "wrong-old",
            "brand-new-pass",
            "MD5",
            "The old password is incorrect.",
        ),
        (
            user.password.as_str(),
            "short",
            "MD5",
            "at least 6 characters",
        ),
        (
            user.password.as_str(),
            "brand-new-pass",
            "SHA-1",
            "MD5 or SHA-256",
        ),
    ] {
        let page = browser
            .submit(
                "/account",
                "/account/password",
                &[
                    ("old_password", old),
                    ("password", new),
                    ("algorithm", algorithm),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{message}");
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
    assert_eq!(stored_passwords(&app, user.id).await, before);

    let page = browser
        .submit("/account", "/account/password", &fields)
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/account"));
    let after = stored_passwords(&app, user.id).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].algorithm, "MD5");
    // The one-shot message shows once.
    let page = browser.get("/account").await;
    assert!(page.body.contains("Your password has been changed."));
    let page = browser.get("/account").await;
    assert!(!page.body.contains("Your password has been changed."));

    // The new password logs in, the old one no longer does.
    let address = "panel_user@sip.example.org";
    let mut other = Browser::new(&app);
    assert_eq!(other.login(address, &user.password).await.status, 422);
    assert_eq!(other.login(address, "brand-new-pass").await.status, 303);
}

#[tokio::test]
async fn e_mail_change_sends_the_link() {
    let (port, mut smtp) = SmtpServer::start().await;
    let port = port.to_string();
    let app = TestApp::spawn_with(&[
        ("MAIL_MAILER", "smtp"),
        ("MAIL_HOST", "127.0.0.1"),
        ("MAIL_PORT", &port),
        ("MAIL_ENCRYPTION", "none"),
    ])
    .await;
    let user = app.account("panel_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;

    let page = browser
        .submit("/account", "/account/email", &[("email", "not an address")])
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("The email must be a valid email address.")
    );
    assert_eq!(app.count("email_changed").await, 0);

    let page = browser
        .submit(
            "/account",
            "/account/email",
            &[("email", "new.one@example.net")],
        )
        .await;
    assert_eq!(page.status, 303);
    let mail = smtp
        .next_mail(Duration::from_secs(5))
        .await
        .expect("a mail");
    assert_eq!(mail.to, ["new.one@example.net"]);
    assert!(mail.text().unwrap().contains("/accounts/email/confirm/"));
    let page = browser.get("/account").await;
    assert!(
        page.body
            .contains("A confirmation link was sent to new.one@example.net")
    );
    assert!(
        page.body
            .contains("Waiting for confirmation: new.one@example.net")
    );
}

#[tokio::test]
async fn phone_change_by_sms_pin() {
    let d = Delivery::spawn(&[]).await;
    let app = &d.app;
    let user = app.account_with_phone("phone_user", "+33611111111").await;
    let mut browser = logged_in(app, &user).await;
    let page = browser.get("/account").await;
    assert!(page.body.contains("Change my phone number"));
    assert!(
        !page.body.contains("/account/phone/confirm"),
        "nothing pending"
    );

    let page = browser
        .submit("/account", "/account/phone/request", &[("phone", "0612")])
        .await;
    assert_eq!(page.status, 422);
    assert!(d.ovh.jobs().is_empty());

    let page = browser
        .submit(
            "/account",
            "/account/phone/request",
            &[("phone", "+33622222222")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let pin = d.sms_pin(0);
    let page = browser.get("/account").await;
    assert!(page.body.contains("Code sent to +33622222222"));

    let page = browser
        .submit("/account", "/account/phone/confirm", &[("code", &pin)])
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        stored(app, user.id).await.unwrap().phone.as_deref(),
        Some("+33622222222")
    );

    // A wrong code cancels the pending change (the API's rule).
    browser
        .submit(
            "/account",
            "/account/phone/request",
            &[("phone", "+33633333333")],
        )
        .await;
    let wrong = if d.sms_pin(1) == "0000" {
        "1111"
    } else {
        "0000"
    };
    let page = browser
        .submit("/account", "/account/phone/confirm", &[("code", wrong)])
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("The code is wrong"));
    assert_eq!(app.count("phone_change_codes").await, 0);
}

#[tokio::test]
async fn phone_change_is_hidden_and_refused_when_disabled() {
    let app = TestApp::spawn_with(&[("PHONE_AUTHENTICATION", "false")]).await;
    let user = app.account("panel_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let page = browser.get("/account").await;
    assert!(!page.body.contains("Change my phone number"));
    let page = browser
        .submit(
            "/account",
            "/account/phone/request",
            &[("phone", "+33622222222")],
        )
        .await;
    assert_eq!(page.status, 404);
    // Devices are off by default too.
    assert!(!page.body.contains("My devices"));
    let page = browser
        .submit(
            "/account",
            "/account/devices/delete",
            &[("uuid", "urn:uuid:x")],
        )
        .await;
    assert_eq!(page.status, 404);
}

#[tokio::test]
async fn devices_without_a_registrar_are_explained_on_the_page() {
    let app = TestApp::spawn_with(&[("DEVICES_MANAGEMENT", "true")]).await;
    let user = app.account("panel_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let page = browser.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("My devices"));
    assert!(
        page.body.contains("no registrar is configured"),
        "{}",
        page.body
    );
    let page = browser
        .submit(
            "/account",
            "/account/devices/delete",
            &[("uuid", "urn:uuid:a1b2c3d4-0000-4000-8000-0123456789ab")],
        )
        .await;
    assert_eq!(page.status, 503);
}

#[tokio::test]
async fn devices_from_redis_are_listed_and_removed() {
    use crate::registrar::fixtures::{
        DESKTOP, DESKTOP_UA_ESCAPED, PHONE, PHONE_UA_ESCAPED, RedisServer, register,
    };
    let server = RedisServer::start().await;
    let url = server.url();
    let app = TestApp::spawn_with(&[("DEVICES_MANAGEMENT", "true"), ("REDIS_URL", &url)]).await;
    let user = app.account("panel_user", "SHA-256", false).await;
    let now = chrono::Utc::now().timestamp();
    let mut conn = server.connection().await;
    register(&mut conn, "panel_user", PHONE, now, 3600, PHONE_UA_ESCAPED).await;
    register(
        &mut conn,
        "panel_user",
        DESKTOP,
        now,
        3600,
        DESKTOP_UA_ESCAPED,
    )
    .await;

    let mut browser = logged_in(&app, &user).await;
    let page = browser.get("/account").await;
    assert!(page.body.contains(PHONE) && page.body.contains(DESKTOP));
    assert!(page.body.contains("LinphoneAndroid/5.2.5 (Pixel 7)"));

    let page = browser
        .submit("/account", "/account/devices/delete", &[("uuid", PHONE)])
        .await;
    assert_eq!(page.status, 303);
    let page = browser.get("/account").await;
    assert!(page.body.contains("The device has been removed."));
    assert!(!page.body.contains(PHONE) && page.body.contains(DESKTOP));

    let page = browser
        .submit("/account", "/account/devices/delete", &[("uuid", PHONE)])
        .await;
    assert_eq!(page.status, 404);
    let page = browser
        .submit(
            "/account",
            "/account/devices/delete",
            &[("uuid", "not a uuid")],
        )
        .await;
    assert_eq!(page.status, 422);
}

#[tokio::test]
async fn account_deletion_needs_confirmation_and_ends_the_session() {
    let app = TestApp::spawn().await;
    let user = app.account("panel_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;

    for typed in ["", "someone_else", "wrong-password"] {
        let page = browser
            .submit("/account", "/account/delete", &[("confirm", typed)])
            .await;
        assert_eq!(page.status, 422, "{typed:?}");
        assert!(stored(&app, user.id).await.is_some());
    }
    // The password confirms too.
    let page = browser
        .submit(
            "/account",
            "/account/delete",
            &[("confirm", &user.password)],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Your account has been deleted."));
    assert!(stored(&app, user.id).await.is_none());
    assert_eq!(app.count("panel_sessions").await, 0);
    assert_eq!(app.count("passwords").await, 0);
    assert!(browser.session_cookie().is_none());
    assert_eq!(browser.get("/account").await.status, 303);

    // By username.
    let other = app.account("other_user", "MD5", false).await;
    let mut browser = logged_in(&app, &other).await;
    let page = browser
        .submit("/account", "/account/delete", &[("confirm", "other_user")])
        .await;
    assert_eq!(page.status, 200);
    assert!(stored(&app, other.id).await.is_none());
}

#[tokio::test]
async fn bad_form_bodies_get_a_4xx_page() {
    let app = TestApp::spawn().await;
    let user = app.account("panel_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let token = browser.token_of("/account").await;

    // Not UTF-8, raw or percent-encoded.
    for body in [
        format!("_token={token}&password=\u{0}").into_bytes(),
        [format!("_token={token}&password=").as_bytes(), b"\xff\xfe"].concat(),
        format!("_token={token}&password=%FF%FE").into_bytes(),
    ] {
        let page = browser.post_raw("/account/password", body).await;
        assert!((400..500).contains(&page.status), "{}", page.status);
        assert!(page.body.contains("<html"), "an HTML page");
    }
    // Too large.
    let huge = format!("_token={token}&password={}", "a".repeat(100_000)).into_bytes();
    let page = browser.post_raw("/account/password", huge).await;
    assert_eq!(page.status, 413);
    // Long but within the limit: the field rule refuses it.
    let long = "a".repeat(10_000);
    let page = browser
        .submit(
            "/account",
            "/account/password",
            &[
                ("old_password", &user.password),
                ("password", &long),
                ("algorithm", "MD5"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    // Missing everything.
    let page = browser.submit("/account", "/account/password", &[]).await;
    assert_eq!(page.status, 422);
    let page = browser.submit("/account", "/account/email", &[]).await;
    assert_eq!(page.status, 422);

    // The API still answers for the account.
    let me = json(
        app.as_key(&user, Method::GET, "/api/accounts/me")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["passwords"][0]["algorithm"], "SHA-256");
}
