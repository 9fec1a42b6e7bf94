//! Login with a phone number and an SMS code (`PHONE_AUTHENTICATION`),
//! against the OVH fake.

use flexiapi::db::accounts;
use flexiapi::db::entities::alias;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, Statement};
use serde_json::json;

use super::{Browser, Page, SESSION_COOKIE};
use crate::with_token::Delivery;

const PHONE: &str = "+33611111111";
const OTHER: &str = "+33622222222";
const REFUSED: &str = "Wrong or expired code.";
const LOGIN_COOKIE: &str = "flexiapi_login";

/// Opens the phone form and asks for a code for `phone`.
async fn request(browser: &mut Browser<'_>, phone: &str) -> Page {
    browser
        .submit("/login/phone", "/login/phone", &[("phone", phone)])
        .await
}

/// Opens the code form and submits `phone` and `code`.
async fn submit(browser: &mut Browser<'_>, phone: &str, code: &str) -> Page {
    browser
        .submit(
            "/login/phone/code",
            "/login/phone/code",
            &[("phone", phone), ("code", code)],
        )
        .await
}

/// A 4-digit code other than `pin`.
fn wrong(pin: &str) -> &'static str {
    if pin == "1234" { "4321" } else { "1234" }
}

fn assert_code_form(page: &Page) {
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("action=\"/login/phone/code\""),
        "{}",
        page.body
    );
}

fn assert_refused(page: &Page) {
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains(REFUSED), "{}", page.body);
    assert!(!page.headers.contains_key("location"));
}

#[tokio::test]
async fn a_code_received_by_sms_opens_a_session() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);

    let login = browser.get("/login").await;
    assert!(
        login.body.contains("href=\"/login/phone\""),
        "{}",
        login.body
    );
    assert!(login.body.contains("Log in with a phone number"));

    let page = request(&mut browser, PHONE).await;
    assert_code_form(&page);
    assert!(page.body.contains(&format!("value=\"{PHONE}\"")));
    let jobs = d.ovh.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].body["receivers"], json!([PHONE]));
    assert_eq!(d.app.count("phone_login_codes").await, 1);
    let pin = d.sms_pin(0);

    let page = submit(&mut browser, PHONE, &pin).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), Some("/account"));
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(browser.session_cookie().is_some());
    assert!(!browser.cookies.contains_key(LOGIN_COOKIE));
    assert_eq!(d.app.count("phone_login_codes").await, 0);

    let me = browser.get("/account").await;
    assert_eq!(me.status, 200);
    assert!(me.body.contains("phone_user@sip.example.org"));
    let sessions = d.app.count("panel_sessions").await;
    assert_eq!(sessions, 1);
    let row = flexiapi::db::entities::panel_session::Entity::find()
        .one(&d.app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.account_id, account.id);

    // The code is used up.
    let mut other = Browser::new(&d.app);
    assert_refused(&submit(&mut other, PHONE, &pin).await);
}

#[tokio::test]
async fn a_number_that_is_only_an_alias_works_too() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account("alias_user", "SHA-256", false).await;
    alias::ActiveModel {
        account_id: Set(account.id),
        alias: Set(PHONE.to_string()),
        domain: Set(account.domain.clone()),
        ..Default::default()
    }
    .insert(&d.app.state.db)
    .await
    .unwrap();
    let mut browser = Browser::new(&d.app);
    assert_code_form(&request(&mut browser, PHONE).await);
    let page = submit(&mut browser, PHONE, &d.sms_pin(0)).await;
    assert_eq!(page.location(), Some("/account"), "{}", page.body);
}

#[tokio::test]
async fn unknown_and_deactivated_numbers_get_the_same_answer_and_no_sms() {
    let d = Delivery::spawn(&[]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let inactive = d.app.account_with_phone("inactive_user", OTHER).await;
    accounts::set_activated(&d.app.state.db, inactive.id, false)
        .await
        .unwrap();
    let mut browser = Browser::new(&d.app);

    let unknown = request(&mut browser, "+33633333333").await;
    let deactivated = request(&mut browser, OTHER).await;
    assert!(d.ovh.jobs().is_empty());
    assert_eq!(d.app.count("phone_login_codes").await, 0);
    let known = request(&mut browser, PHONE).await;
    assert_eq!(d.ovh.jobs().len(), 1);

    let shape = |page: &Page, phone: &str| {
        let mut headers: Vec<String> = page
            .headers
            .iter()
            .filter(|(name, _)| *name != "date" && *name != "content-length")
            .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
            .collect();
        headers.sort();
        (page.status, headers, page.body.replace(phone, "PHONE"))
    };
    assert_code_form(&known);
    assert_eq!(shape(&unknown, "+33633333333"), shape(&known, PHONE));
    assert_eq!(shape(&deactivated, OTHER), shape(&known, PHONE));

    // A code for the deactivated account's number opens nothing.
    assert_refused(&submit(&mut browser, OTHER, "1234").await);
}

#[tokio::test]
async fn wrong_codes_are_refused_and_the_last_try_drops_the_code() {
    let d = Delivery::spawn(&[("APP_CODE_MAX_ATTEMPTS", "3")]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);

    // Tries left: the right code still works.
    request(&mut browser, PHONE).await;
    let pin = d.sms_pin(0);
    for _ in 0..2 {
        assert_refused(&submit(&mut browser, PHONE, wrong(&pin)).await);
    }
    let page = submit(&mut browser, PHONE, &pin).await;
    assert_eq!(page.status, 303, "{}", page.body);

    // Three wrong codes: even the right one fails. (A minute later: one
    // SMS a minute per account.)
    d.app.state.clock.advance(chrono::Duration::seconds(60));
    let mut browser = Browser::new(&d.app);
    request(&mut browser, PHONE).await;
    let pin = d.sms_pin(1);
    for _ in 0..3 {
        assert_refused(&submit(&mut browser, PHONE, wrong(&pin)).await);
    }
    assert_eq!(d.app.count("phone_login_codes").await, 0);
    assert_refused(&submit(&mut browser, PHONE, &pin).await);
    assert!(browser.session_cookie().is_none());
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let d = Delivery::spawn(&[]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    request(&mut browser, PHONE).await;
    d.app.state.clock.advance(chrono::Duration::minutes(11));
    assert_refused(&submit(&mut browser, PHONE, &d.sms_pin(0)).await);
    assert!(browser.session_cookie().is_none());
}

#[tokio::test]
async fn a_new_request_replaces_the_pending_code() {
    let d = Delivery::spawn(&[]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    request(&mut browser, PHONE).await;
    d.app.state.clock.advance(chrono::Duration::seconds(60));
    request(&mut browser, PHONE).await;
    assert_eq!(d.ovh.jobs().len(), 2);
    assert_eq!(d.app.count("phone_login_codes").await, 1);
    let (old, new) = (d.sms_pin(0), d.sms_pin(1));
    if old != new {
        assert_refused(&submit(&mut browser, PHONE, &old).await);
    }
    let page = submit(&mut browser, PHONE, &new).await;
    assert_eq!(page.location(), Some("/account"), "{}", page.body);
}

#[tokio::test]
async fn an_account_deactivated_since_the_request_is_refused() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    request(&mut browser, PHONE).await;
    accounts::set_activated(&d.app.state.db, account.id, false)
        .await
        .unwrap();
    assert_refused(&submit(&mut browser, PHONE, &d.sms_pin(0)).await);
    assert_eq!(d.app.count("panel_sessions").await, 0);
}

#[tokio::test]
async fn the_forms_need_their_csrf_token() {
    let d = Delivery::spawn(&[]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    let token = browser.token_of("/login/phone").await;

    for fields in [
        vec![("phone", PHONE)],
        vec![("_token", "0123456789abcdef"), ("phone", PHONE)],
    ] {
        let page = browser.post("/login/phone", &fields).await;
        assert_eq!(page.status, 403, "{}", page.body);
        let mut with_code = fields.clone();
        with_code.push(("code", "1234"));
        let page = browser.post("/login/phone/code", &with_code).await;
        assert_eq!(page.status, 403, "{}", page.body);
    }
    // A good token without the cookie it goes with.
    let mut stranger = Browser::new(&d.app);
    let page = stranger
        .post("/login/phone", &[("_token", &token), ("phone", PHONE)])
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(d.ovh.jobs().is_empty());
    assert_eq!(d.app.count("phone_login_codes").await, 0);
}

#[tokio::test]
async fn the_forms_share_the_login_rate_limit() {
    let d = Delivery::spawn(&[("APP_RATE_LIMIT_PER_MINUTE", "2")]).await;
    let mut browser = Browser::new(&d.app);
    assert_eq!(
        browser.login("nobody@sip.example.org", "x").await.status,
        422
    );
    assert_code_form(&request(&mut browser, "+33633333333").await);
    for page in [
        request(&mut browser, "+33633333333").await,
        submit(&mut browser, "+33633333333", "1234").await,
    ] {
        assert_eq!(page.status, 429, "{}", page.body);
        let seconds: u64 = page.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&seconds));
    }
}

#[tokio::test]
async fn sms_are_limited_per_account_whatever_the_client() {
    let d = Delivery::spawn(&[("APP_TRUSTED_PROXIES", "127.0.0.1")]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    let token = browser.token_of("/login/phone").await;
    for client in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        let request = browser
            .client
            .post(d.app.url("/login/phone"))
            .header("X-Forwarded-For", client)
            .form(&[("_token", token.as_str()), ("phone", PHONE)]);
        // Over the account's limit the answer does not change.
        assert_code_form(&browser.send(request).await);
    }
    assert_eq!(d.ovh.jobs().len(), 1, "one SMS a minute per account");
    // The next minute, one more.
    d.app.state.clock.advance(chrono::Duration::seconds(60));
    let request = browser
        .client
        .post(d.app.url("/login/phone"))
        .header("X-Forwarded-For", "192.0.2.4")
        .form(&[("_token", token.as_str()), ("phone", PHONE)]);
    assert_code_form(&browser.send(request).await);
    assert_eq!(d.ovh.jobs().len(), 2);
}

#[tokio::test]
async fn a_failed_sms_is_503_and_stores_nothing() {
    let d = Delivery::spawn(&[]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    d.ovh.fail_jobs_with(Some(500));
    let mut browser = Browser::new(&d.app);
    let page = request(&mut browser, PHONE).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert_eq!(d.app.count("phone_login_codes").await, 0);
}

#[tokio::test]
async fn bad_phones_and_codes_are_422() {
    let d = Delivery::spawn(&[("APP_RATE_LIMIT_PER_MINUTE", "100")]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    for phone in [
        "",
        "0611111111",
        "+331",
        "+33 6 11 11 11 11",
        "+3361111111111111",
    ] {
        let page = request(&mut browser, phone).await;
        assert_eq!(page.status, 422, "{phone}: {}", page.body);
        assert!(page.body.contains("phone"), "{}", page.body);
        let page = submit(&mut browser, phone, "1234").await;
        assert_eq!(page.status, 422, "{phone}: {}", page.body);
    }
    assert!(d.ovh.jobs().is_empty());

    request(&mut browser, PHONE).await;
    for code in ["", "123", "12345", "12a4", "aB3dE6gH9jK1m"] {
        let page = submit(&mut browser, PHONE, code).await;
        assert_eq!(page.status, 422, "{code}: {}", page.body);
        assert!(!page.body.contains(REFUSED), "{}", page.body);
    }
    // Malformed codes took no try.
    let page = submit(&mut browser, PHONE, &d.sms_pin(0)).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

#[tokio::test]
async fn phone_authentication_false_hides_the_link_and_the_routes() {
    let d = Delivery::spawn(&[("PHONE_AUTHENTICATION", "false")]).await;
    d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);
    let login = browser.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(!login.body.contains("/login/phone"), "{}", login.body);
    let token = login.token();
    for path in ["/login/phone", "/login/phone/code"] {
        assert_eq!(browser.get(path).await.status, 404);
        let page = browser
            .post(
                path,
                &[("_token", &token), ("phone", PHONE), ("code", "1234")],
            )
            .await;
        assert_eq!(page.status, 404, "{path}");
    }
    assert!(d.ovh.jobs().is_empty());
}

#[tokio::test]
async fn deleting_the_account_removes_its_pending_code() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", PHONE).await;
    let other = d.app.account_with_phone("other_user", OTHER).await;
    let mut browser = Browser::new(&d.app);
    request(&mut browser, PHONE).await;
    request(&mut browser, OTHER).await;
    assert_eq!(d.app.count("phone_login_codes").await, 2);

    assert!(accounts::delete(&d.app.state.db, account.id).await.unwrap());
    assert_eq!(d.app.count("phone_login_codes").await, 1);
    // The foreign key cascades as well.
    let db = &d.app.state.db;
    db.execute(Statement::from_string(
        db.get_database_backend(),
        format!("DELETE FROM accounts WHERE id = {}", other.id),
    ))
    .await
    .unwrap();
    assert_eq!(d.app.count("phone_login_codes").await, 0);
}
