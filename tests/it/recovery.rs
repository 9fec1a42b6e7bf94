//! Account recovery end to end: the "recover my account" pages by e-mail
//! (the in-test SMTP server) and by SMS (the OVH fake), with the 3-try
//! limit, expiry and the same answer for unknown addresses; the password
//! reset and provisioning mails an admin sends; recovery tokens pushed
//! with the fake `flexisip_pusher`.

use std::time::Duration as StdDuration;

use chrono::Duration;
use flexiapi::db::entities::{account, account_recovery_token};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, json};
use crate::panel::{Browser, Page, SESSION_COOKIE};
use crate::smtp_server::{Reject, SmtpHandle, SmtpOptions};
use crate::tokens::{FakePusher, device};
use crate::with_token::Delivery;

const EMAIL: &str = "lost.user@example.org";
const PHONE: &str = "+33633333333";
const REFUSED: &str = "Wrong or expired code.";
const MAIL_WAIT: StdDuration = StdDuration::from_secs(5);
/// Many form posts in one test: the per-address limit is not what is tested.
const RELAXED: (&str, &str) = ("APP_RATE_LIMIT_PER_MINUTE", "100");

async fn set_email(app: &TestApp, account: &TestAccount, email: &str) {
    let row = account::Entity::find_by_id(account.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active = row.into_active_model();
    active.email = Set(Some(email.to_string()));
    active.update(&app.state.db).await.unwrap();
}

async fn ask_by_email(browser: &mut Browser<'_>, username: &str, email: &str) -> Page {
    browser
        .submit(
            "/recovery/email",
            "/recovery/email",
            &[("username", username), ("email", email)],
        )
        .await
}

async fn code_by_email(browser: &mut Browser<'_>, username: &str, email: &str, code: &str) -> Page {
    browser
        .submit(
            "/recovery/email",
            "/recovery/email/code",
            &[("username", username), ("email", email), ("code", code)],
        )
        .await
}

async fn ask_by_phone(browser: &mut Browser<'_>, phone: &str) -> Page {
    browser
        .submit("/recovery/phone", "/recovery/phone", &[("phone", phone)])
        .await
}

async fn code_by_phone(browser: &mut Browser<'_>, phone: &str, code: &str) -> Page {
    browser
        .submit(
            "/recovery/phone",
            "/recovery/phone/code",
            &[("phone", phone), ("code", code)],
        )
        .await
}

/// The 4-digit code of a recovery mail, found in both of its parts.
async fn mailed_code(smtp: &mut SmtpHandle) -> String {
    let mail = smtp.next_mail(MAIL_WAIT).await.expect("a recovery mail");
    assert!(mail.to.iter().any(|to| to.contains(EMAIL)), "{:?}", mail.to);
    let text = mail.text().unwrap();
    let code = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 4 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_string();
    assert!(mail.html().unwrap().contains(&code));
    code
}

/// The PIN of the `index`-th SMS, once the detached task sent it.
async fn texted_code(d: &Delivery, index: usize) -> String {
    for _ in 0..100 {
        if d.ovh.jobs().len() > index {
            return d.sms_pin(index);
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("no SMS {index}");
}

fn wrong(code: &str) -> &'static str {
    if code == "1234" { "4321" } else { "1234" }
}

fn assert_refused(page: &Page) {
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains(REFUSED), "{}", page.body);
}

/// Follows a right code's redirect, sets `password`, and checks that the
/// person lands logged in on their account page.
async fn set_new_password(browser: &mut Browser<'_>, page: &Page, password: &str) {
    assert_eq!(page.status, 303, "{}", page.body);
    let link = page.location().unwrap().to_string();
    assert!(link.starts_with("/recovery/password/"), "{link}");
    let done = browser
        .submit(
            &link,
            &link,
            &[("password", password), ("algorithm", "SHA-256")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some("/account"));
    assert!(browser.cookies.contains_key(SESSION_COOKIE));
    // The link was single use.
    assert_eq!(browser.get(&link).await.status, 404);
}

async fn password_works(app: &TestApp, account: &TestAccount, password: &str) -> bool {
    let mut browser = Browser::new(app);
    let address = format!("{}@{}", account.username, account.domain);
    browser.login(&address, password).await.status == 303
}

#[tokio::test]
async fn a_code_by_email_lets_the_person_set_a_new_password() {
    let mut d = Delivery::spawn(&[]).await;
    let account = d.app.account("lost_user", "MD5", false).await;
    set_email(&d.app, &account, EMAIL).await;
    let mut browser = Browser::new(&d.app);

    // The e-mail is compared without case.
    let page = ask_by_email(&mut browser, "lost_user", "Lost.User@Example.org").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("action=\"/recovery/email/code\""));
    let code = mailed_code(&mut d.smtp).await;

    assert_refused(&code_by_email(&mut browser, "lost_user", EMAIL, wrong(&code)).await);
    let page = code_by_email(&mut browser, "lost_user", EMAIL, &code).await;
    set_new_password(&mut browser, &page, "brand-new-secret").await;

    assert!(password_works(&d.app, &account, "brand-new-secret").await);
    assert!(!password_works(&d.app, &account, &account.password).await);
    // The code was consumed.
    let again = code_by_email(&mut Browser::new(&d.app), "lost_user", EMAIL, &code).await;
    assert_refused(&again);
}

#[tokio::test]
async fn three_wrong_codes_drop_the_code() {
    let mut d = Delivery::spawn(&[RELAXED]).await;
    let account = d.app.account("lost_user", "SHA-256", false).await;
    set_email(&d.app, &account, EMAIL).await;
    let mut browser = Browser::new(&d.app);
    ask_by_email(&mut browser, "lost_user", EMAIL).await;
    let code = mailed_code(&mut d.smtp).await;
    for _ in 0..3 {
        assert_refused(&code_by_email(&mut browser, "lost_user", EMAIL, wrong(&code)).await);
    }
    // Even the right code is refused now.
    assert_refused(&code_by_email(&mut browser, "lost_user", EMAIL, &code).await);
    assert!(password_works(&d.app, &account, &account.password).await);
}

/// A page's body without its (per-browser) form token and the address
/// typed, which it shows back.
fn without_token(page: &Page, typed: &str) -> String {
    page.body
        .replace(&page.token(), "TOKEN")
        .replace(typed, "TYPED")
}

#[tokio::test]
async fn unknown_addresses_get_the_same_answer_and_nothing_is_sent() {
    let mut d = Delivery::spawn(&[RELAXED]).await;
    let account = d.app.account("lost_user", "SHA-256", false).await;
    set_email(&d.app, &account, EMAIL).await;
    d.app.account_with_phone("phone_user", PHONE).await;

    let mut known = Browser::new(&d.app);
    let mut unknown = Browser::new(&d.app);
    let a = ask_by_email(&mut known, "lost_user", EMAIL).await;
    let b = ask_by_email(&mut unknown, "lost_user", "other@example.org").await;
    assert_eq!(
        (a.status, without_token(&a, EMAIL)),
        (b.status, without_token(&b, "other@example.org"))
    );
    let c = ask_by_email(&mut unknown, "nobody_here", EMAIL).await;
    assert_eq!(c.status, a.status);
    mailed_code(&mut d.smtp).await;
    assert!(
        d.smtp
            .next_mail(StdDuration::from_millis(500))
            .await
            .is_none()
    );
    // A code typed for an unknown address gets the wrong-code answer.
    assert_refused(&code_by_email(&mut unknown, "nobody_here", EMAIL, "1234").await);

    let a = ask_by_phone(&mut known, PHONE).await;
    let b = ask_by_phone(&mut unknown, "+33699999999").await;
    assert_eq!(
        (a.status, without_token(&a, PHONE)),
        (b.status, without_token(&b, "+33699999999"))
    );
    texted_code(&d, 0).await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(d.ovh.jobs().len(), 1, "no SMS for an unknown number");
    assert_refused(&code_by_phone(&mut unknown, "+33699999999", "1234").await);
}

#[tokio::test]
async fn a_code_by_sms_works_once_with_three_tries() {
    let d = Delivery::spawn(&[RELAXED]).await;
    let account = d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    let page = ask_by_phone(&mut browser, PHONE).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let code = texted_code(&d, 0).await;
    assert_eq!(d.ovh.jobs()[0].body["receivers"], json!([PHONE]));
    assert_refused(&code_by_phone(&mut browser, PHONE, wrong(&code)).await);
    let page = code_by_phone(&mut browser, PHONE, &code).await;
    set_new_password(&mut browser, &page, "phone-new-secret").await;
    assert!(password_works(&d.app, &account, "phone-new-secret").await);

    // A new code, three wrong tries: gone.
    d.app.state.clock.advance(Duration::minutes(2));
    ask_by_phone(&mut browser, PHONE).await;
    let code = texted_code(&d, 1).await;
    for _ in 0..3 {
        assert_refused(&code_by_phone(&mut browser, PHONE, wrong(&code)).await);
    }
    assert_refused(&code_by_phone(&mut browser, PHONE, &code).await);
}

#[tokio::test]
async fn codes_expire_with_the_configured_minutes() {
    let mut d = Delivery::spawn(&[("APP_RECOVERY_CODE_EXPIRATION_MINUTES", "5")]).await;
    let account = d.app.account("lost_user", "SHA-256", false).await;
    set_email(&d.app, &account, EMAIL).await;
    let mut browser = Browser::new(&d.app);
    let page = ask_by_email(&mut browser, "lost_user", EMAIL).await;
    assert!(page.body.contains("valid for 5 minutes"), "{}", page.body);
    let code = mailed_code(&mut d.smtp).await;
    d.app.state.clock.advance(Duration::minutes(6));
    assert_refused(&code_by_email(&mut browser, "lost_user", EMAIL, &code).await);
}

#[tokio::test]
async fn bad_inputs_and_forged_forms_change_nothing() {
    let d = Delivery::spawn(&[RELAXED]).await;
    let mut browser = Browser::new(&d.app);
    for (username, email) in [
        ("", EMAIL),
        ("lost_user", ""),
        ("lost_user", "not-an-email"),
        ("lost\0user", EMAIL),
        ("lost_user", "a\u{0}@example.org"),
        ("😀😀😀😀😀😀", EMAIL),
    ] {
        let page = ask_by_email(&mut browser, username, email).await;
        assert_eq!(page.status, 422, "{username:?} {email:?}: {}", page.body);
    }
    for phone in ["", "0612345678", "+33 6 12", "+3361234567890123456789"] {
        assert_eq!(
            ask_by_phone(&mut browser, phone).await.status,
            422,
            "{phone:?}"
        );
    }
    for code in ["", "12a4", "12345", "٠١٢٣"] {
        let page = code_by_phone(&mut browser, PHONE, code).await;
        assert_eq!(page.status, 422, "{code:?}");
    }
    // Without the form's token.
    browser.get("/recovery/email").await;
    let page = browser
        .post(
            "/recovery/email",
            &[
                ("_token", "forged"),
                ("username", "lost_user"),
                ("email", EMAIL),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = browser.post_raw("/recovery/email", b"a=%FF".to_vec()).await;
    assert_eq!(page.status, 400);
    // Unknown or malformed reset links.
    for link in ["/recovery/password/short", "/recovery/password/%00"] {
        assert_eq!(browser.get(link).await.status, 404, "{link}");
    }
    let unknown = format!("/recovery/password/{}", "a".repeat(40));
    assert_eq!(browser.get(&unknown).await.status, 404);
    assert_eq!(d.ovh.jobs().len(), 0);
}

#[tokio::test]
async fn phone_recovery_follows_phone_authentication() {
    let d = Delivery::spawn(&[("PHONE_AUTHENTICATION", "false")]).await;
    let mut browser = Browser::new(&d.app);
    assert_eq!(browser.get("/recovery/phone").await.status, 404);
    assert_eq!(browser.get("/recovery/email").await.status, 200);
}

async fn admin_post(app: &TestApp, admin: &TestAccount, path: &str) -> reqwest::Response {
    app.as_key(admin, Method::POST, path).send().await.unwrap()
}

#[tokio::test]
async fn an_admin_mails_a_single_use_password_reset_link() {
    let mut d = Delivery::spawn(&[]).await;
    let admin = d.app.admin().await;
    let account = d.app.account("lost_user", "SHA-256", false).await;
    let path = format!("/api/accounts/{}/send_reset_password_email", account.id);

    // No e-mail address yet.
    let response = admin_post(&d.app, &admin, &path).await;
    assert_eq!(response.status(), 403);
    assert!(json(response).await["message"].is_string());
    set_email(&d.app, &account, EMAIL).await;

    let response = admin_post(&d.app, &admin, &path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({}));
    let mail = d.smtp.next_mail(MAIL_WAIT).await.unwrap();
    let text = mail.text().unwrap();
    let prefix = d.app.url("/recovery/password/");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no link in {text}"))
        .to_string();
    assert!(mail.html().unwrap().contains(&link));
    assert!(text.contains("lost_user@sip.example.org"));

    let mut browser = Browser::new(&d.app);
    let path = link.strip_prefix(&d.app.base).unwrap();
    let page = browser.get(path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("lost_user@sip.example.org"));
    // Too short a password: refused, the link still works.
    let page = browser.submit(path, path, &[("password", "123")]).await;
    assert_eq!(page.status, 422);
    let page = browser
        .submit(path, path, &[("password", "admin-reset-pw")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(password_works(&d.app, &account, "admin-reset-pw").await);
    assert_eq!(browser.get(path).await.status, 404);

    // A link expires (APP_RESET_PASSWORD_EMAIL_TOKEN_EXPIRATION_MINUTES).
    let response = admin_post(
        &d.app,
        &admin,
        &format!("/api/accounts/{}/send_reset_password_email", account.id),
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = d.smtp.next_mail(MAIL_WAIT).await.unwrap().text().unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with(&prefix))
        .unwrap()
        .to_string();
    d.app.state.clock.advance(Duration::minutes(24 * 60 + 1));
    let path = link.strip_prefix(&d.app.base).unwrap();
    assert_eq!(browser.get(path).await.status, 404);
}

#[tokio::test]
async fn admin_mails_check_the_account_and_the_caller() {
    let d = Delivery::spawn(&[]).await;
    let admin = d.app.admin().await;
    let user = d.app.account("plain_user", "SHA-256", false).await;
    for action in ["send_reset_password_email", "send_provisioning_email"] {
        for id in ["999999", "abc", "99999999999999999999"] {
            let response =
                admin_post(&d.app, &admin, &format!("/api/accounts/{id}/{action}")).await;
            assert_eq!(response.status(), 404, "{action} {id}");
        }
        let path = format!("/api/accounts/{}/{action}", user.id);
        assert_eq!(admin_post(&d.app, &user, &path).await.status(), 403);
    }
}

#[tokio::test]
async fn a_refused_mail_is_503() {
    let options = SmtpOptions {
        reject: Some(Reject::Data),
        ..SmtpOptions::default()
    };
    let d = Delivery::spawn_with(options, &[]).await;
    let admin = d.app.admin().await;
    let account = d.app.account("lost_user", "SHA-256", false).await;
    set_email(&d.app, &account, EMAIL).await;
    for action in ["send_reset_password_email", "send_provisioning_email"] {
        let path = format!("/api/accounts/{}/{action}", account.id);
        assert_eq!(
            admin_post(&d.app, &admin, &path).await.status(),
            503,
            "{action}"
        );
    }
}

#[tokio::test]
async fn an_admin_mails_the_provisioning_link() {
    let mut d = Delivery::spawn(&[]).await;
    let admin = d.app.admin().await;
    let account = d.app.account("prov_user", "SHA-256", false).await;
    set_email(&d.app, &account, EMAIL).await;
    let path = format!("/api/accounts/{}/send_provisioning_email", account.id);
    let response = admin_post(&d.app, &admin, &path).await;
    assert_eq!(response.status(), 200);
    let mail = d.smtp.next_mail(MAIL_WAIT).await.unwrap();
    let text = mail.text().unwrap();
    let prefix = d.app.url("/provisioning/");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with(&prefix) && !w.contains("qrcode"))
        .unwrap_or_else(|| panic!("no link in {text}"))
        .to_string();
    let html = mail.html().unwrap();
    assert!(html.contains(&link));
    assert!(html.contains(&link.replace("/provisioning/", "/provisioning/qrcode/")));

    // A provisioning token, not the activation key.
    let key = link.strip_prefix(&prefix).unwrap();
    assert_eq!(key.len(), 20, "{key}");
    assert!(provisioned(&d.app, &link).await);
    // Single use.
    assert!(!provisioned(&d.app, &link).await);

    // A new mail replaces the previous link.
    assert_eq!(admin_post(&d.app, &admin, &path).await.status(), 200);
    let first = d.smtp.next_mail(MAIL_WAIT).await.unwrap().text().unwrap();
    assert_eq!(admin_post(&d.app, &admin, &path).await.status(), 200);
    let second = d.smtp.next_mail(MAIL_WAIT).await.unwrap().text().unwrap();
    let link_of = |text: &str| {
        text.split_whitespace()
            .find(|w| w.starts_with(&prefix) && !w.contains("qrcode"))
            .unwrap()
            .to_string()
    };
    assert!(!provisioned(&d.app, &link_of(&first)).await);
    assert!(provisioned(&d.app, &link_of(&second)).await);
}

/// Whether the provisioning XML at `link` carries the test account.
async fn provisioned(app: &TestApp, link: &str) -> bool {
    let response = app.client.get(link).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let xml = response.text().await.unwrap();
    xml.contains("sip:prov_user@sip.example.org")
}

async fn recovery_rows(app: &TestApp) -> Vec<account_recovery_token::Model> {
    account_recovery_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn recovery_tokens_are_pushed_with_the_token_limits() {
    const SEND: &str = "/api/account_recovery_tokens/send-by-push";
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[]).await;
    let post = |body: Value| app.post(SEND).json(&body).send();
    let response = post(device("recover-1")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({}));
    let argv = pusher.argv();
    let payload: Value = serde_json::from_str(argv.last().unwrap()).unwrap();
    assert_eq!(payload["token"].as_str().unwrap().len(), 13);
    assert_eq!(recovery_rows(&app).await.len(), 1);

    assert_eq!(post(device("recover-1")).await.unwrap().status(), 403);
    assert_eq!(post(json!({})).await.unwrap().status(), 422);

    // Once used, the device waits the retry delay.
    let mut row = recovery_rows(&app).await.remove(0).into_active_model();
    row.used = Set(true);
    row.update(&app.state.db).await.unwrap();
    assert_eq!(post(device("recover-1")).await.unwrap().status(), 429);
    app.state.clock.advance(Duration::minutes(61));
    assert_eq!(post(device("recover-1")).await.unwrap().status(), 200);

    let failing = FakePusher::new("exit 3");
    let app = failing.app(&[]).await;
    let response = app.post(SEND).json(&device("x")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(recovery_rows(&app).await.is_empty());
}

#[tokio::test]
async fn a_pushed_recovery_token_opens_the_phone_page_once() {
    let pusher = FakePusher::succeeding();
    let d = Delivery::spawn(&[("APP_FLEXISIP_PUSHER_PATH", pusher.path.to_str().unwrap())]).await;
    let account = d.app.account_with_phone("phone_user", PHONE).await;
    let response = d
        .app
        .post("/api/account_recovery_tokens/send-by-push")
        .json(&device("recover-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let argv = pusher.argv();
    let payload: Value = serde_json::from_str(argv.last().unwrap()).unwrap();
    let token = payload["token"].as_str().unwrap().to_string();

    let mut browser = Browser::new(&d.app);
    assert_eq!(
        browser.get("/recovery/phone/0123456789abc").await.status,
        404
    );
    assert_eq!(browser.get("/recovery/phone/%00").await.status, 404);
    let path = format!("/recovery/phone/{token}?phone=%2B33633333333");
    let page = browser.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!("value=\"{PHONE}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains(&token));

    let form_token = page.token();
    let fields = [
        ("_token", form_token.as_str()),
        ("phone", PHONE),
        ("account_recovery_token", token.as_str()),
    ];
    let sent = browser.post("/recovery/phone", &fields).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let code = texted_code(&d, 0).await;
    let rows = recovery_rows(&d.app).await;
    assert!(rows[0].used);
    assert_eq!(rows[0].account_id, Some(account.id));

    // The token served once.
    assert_eq!(browser.get(&path).await.status, 404);
    let form_token = browser.token_of("/recovery/phone").await;
    let fields = [
        ("_token", form_token.as_str()),
        ("phone", PHONE),
        ("account_recovery_token", token.as_str()),
    ];
    assert_eq!(browser.post("/recovery/phone", &fields).await.status, 404);

    let page = code_by_phone(&mut browser, PHONE, &code).await;
    set_new_password(&mut browser, &page, "pushed-new-secret").await;
}

#[tokio::test]
async fn a_blocked_account_is_not_recovered() {
    let mut d = Delivery::spawn(&[]).await;
    let account = d.app.account("lost_user", "SHA-256", false).await;
    set_email(&d.app, &account, EMAIL).await;
    let row = account::Entity::find_by_id(account.id)
        .one(&d.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active = row.into_active_model();
    active.blocked = Set(true);
    active.update(&d.app.state.db).await.unwrap();

    let mut browser = Browser::new(&d.app);
    let page = ask_by_email(&mut browser, "lost_user", EMAIL).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        d.smtp
            .next_mail(StdDuration::from_millis(500))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn wrong_recovery_codes_count_on_the_account_lock_by_email_and_phone() {
    let mut d = Delivery::spawn(&[
        RELAXED,
        ("APP_CODE_FAILURES_BEFORE_LOCK", "2"),
        ("APP_CODE_LOCK_MINUTES", "30"),
    ])
    .await;
    let account = d.app.account_with_phone("lost_user", PHONE).await;
    set_email(&d.app, &account, EMAIL).await;
    let mut browser = Browser::new(&d.app);

    // One wrong code by e-mail, one by phone: the lock comes from both.
    assert_eq!(
        ask_by_email(&mut browser, "lost_user", EMAIL).await.status,
        200
    );
    let code = mailed_code(&mut d.smtp).await;
    assert_refused(&code_by_email(&mut browser, "lost_user", EMAIL, wrong(&code)).await);
    d.app.state.clock.advance(Duration::minutes(1));
    assert_eq!(ask_by_phone(&mut browser, PHONE).await.status, 200);
    let pin = texted_code(&d, 0).await;
    assert_refused(&code_by_phone(&mut browser, PHONE, wrong(&pin)).await);
    // The owner's mail about the lock.
    let mail = d.smtp.next_mail(MAIL_WAIT).await.expect("the lock mail");
    assert!(mail.text().unwrap().contains("Too many wrong codes"));

    // The right e-mail code (still pending, with tries left) is refused.
    assert_refused(&code_by_email(&mut browser, "lost_user", EMAIL, &code).await);
    // No new code is sent while locked.
    d.app.state.clock.advance(Duration::minutes(1));
    assert_eq!(
        ask_by_email(&mut browser, "lost_user", EMAIL).await.status,
        200
    );
    assert!(
        d.smtp
            .next_mail(StdDuration::from_millis(500))
            .await
            .is_none()
    );

    d.app.state.clock.advance(Duration::minutes(30));
    assert_eq!(
        ask_by_email(&mut browser, "lost_user", EMAIL).await.status,
        200
    );
    let code = mailed_code(&mut d.smtp).await;
    let page = code_by_email(&mut browser, "lost_user", EMAIL, &code).await;
    set_new_password(&mut browser, &page, "unlocked-new-secret").await;
}

#[tokio::test]
async fn pushed_recovery_tokens_expire_after_their_setting() {
    let pusher = FakePusher::succeeding();
    let d = Delivery::spawn(&[
        ("APP_FLEXISIP_PUSHER_PATH", pusher.path.to_str().unwrap()),
        ("APP_ACCOUNT_RECOVERY_TOKEN_EXPIRATION_MINUTES", "30"),
        ("APP_API_ACCOUNT_RECOVERY_TOKEN_RETRY_MINUTES", "0"),
    ])
    .await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    for (advance, expected) in [(29, 200), (30, 404)] {
        let response = d
            .app
            .post("/api/account_recovery_tokens/send-by-push")
            .json(&device(&format!("expiring-{advance}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let argv = pusher.argv();
        let payload: Value = serde_json::from_str(argv.last().unwrap()).unwrap();
        let token = payload["token"].as_str().unwrap().to_string();
        d.app.state.clock.advance(Duration::minutes(advance));
        let page = browser.get(&format!("/recovery/phone/{token}")).await;
        assert_eq!(page.status, expected, "after {advance} minutes");
    }
}
