//! Login, sessions, logout and the login form's protections.

use flexiapi::db::entities::panel_session;
use reqwest::Method;
use sea_orm::EntityTrait;

use super::{Browser, SESSION_COOKIE, logged_in};
use crate::helpers::TestApp;

async fn sessions(app: &TestApp) -> Vec<panel_session::Model> {
    panel_session::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn login_sets_a_hardened_cookie_and_stores_only_its_hash() {
    let app = TestApp::spawn().await;
    let account = app.account("panel_user", "SHA-256", false).await;
    let mut browser = Browser::new(&app);
    let page = browser.login_as(&account).await;

    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    // The pre-login cookie is dropped.
    assert!(!browser.cookies.contains_key("flexiapi_login"));

    let token = browser.session_cookie().unwrap();
    let rows = sessions(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].account_id, account.id);
    assert_eq!(rows[0].token_hash, flexiapi::secrets::sha256_hex(&token));
    assert_ne!(rows[0].csrf_token, token);

    let me = browser.get("/account").await;
    assert_eq!(me.status, 200);
    assert!(me.body.contains("panel_user@sip.example.org"));
    // Nothing of the panel is cached or framed.
    assert_eq!(me.headers["cache-control"], "no-store");
    assert_eq!(me.headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn the_cookies_are_secure_behind_https() {
    let app = TestApp::spawn_with(&[("APP_URL", "https://flexiapi.example.org")]).await;
    let account = app.account("panel_user", "SHA-256", false).await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/login").await;
    assert!(
        form.set_cookies()[0].ends_with("; Secure"),
        "{:?}",
        form.set_cookies()
    );
    let page = browser.login_as(&account).await;
    let cookie = &page.set_cookies()[0];
    assert!(
        cookie.starts_with(SESSION_COOKIE) && cookie.ends_with("; Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn unknown_account_wrong_password_and_deactivated_account_look_the_same() {
    let app = TestApp::spawn().await;
    let account = app.account("panel_user", "MD5", false).await;
    let inactive = app.account("inactive_user", "SHA-256", false).await;
    flexiapi::db::accounts::set_activated(&app.state.db, inactive.id, false)
        .await
        .unwrap();
    let mut browser = Browser::new(&app);

    let wrong = browser
        .login("panel_user@sip.example.org", "not-the-password")
        .await;
    let unknown = browser
        .login("nobody_here@sip.example.org", "not-the-password")
        .await;
    let deactivated = browser
        .login("inactive_user@sip.example.org", &inactive.password)
        .await;
    for page in [&wrong, &unknown, &deactivated] {
        assert_eq!(page.status, 422);
        assert!(page.body.contains("Wrong SIP address or password."));
        assert!(
            page.set_cookies()
                .iter()
                .all(|c| !c.starts_with(SESSION_COOKIE))
        );
    }
    // Apart from the echoed address, the pages are identical.
    let normalize = |body: &str, address: &str| body.replace(address, "ADDRESS");
    assert_eq!(
        normalize(&wrong.body, "panel_user@sip.example.org"),
        normalize(&unknown.body, "nobody_here@sip.example.org")
    );
    assert_eq!(
        normalize(&wrong.body, "panel_user@sip.example.org"),
        normalize(&deactivated.body, "inactive_user@sip.example.org")
    );
    assert!(sessions(&app).await.is_empty());

    // The right password, with or without `sip:`, works.
    let page = browser
        .login("sip:panel_user@sip.example.org", &account.password)
        .await;
    assert_eq!(page.status, 303);
}

#[tokio::test]
async fn a_clear_text_password_logs_in_and_missing_fields_are_422() {
    let app = TestApp::spawn().await;
    let account = app.account("clear_user", "SHA-256", false).await;
    app.add_password_row(account.id, "clear-secret", "CLRTXT")
        .await;
    let mut browser = Browser::new(&app);
    for (address, password) in [
        ("", "x"),
        ("clear_user@sip.example.org", ""),
        ("no-at-sign", "x"),
    ] {
        let page = browser.login(address, password).await;
        assert_eq!(page.status, 422, "{address:?}");
    }
    let page = browser
        .login("clear_user@sip.example.org", "clear-secret")
        .await;
    assert_eq!(page.status, 303);
}

#[tokio::test]
async fn login_is_rate_limited_per_address() {
    let app = TestApp::spawn_with(&[("APP_RATE_LIMIT_PER_MINUTE", "3")]).await;
    let account = app.account("panel_user", "SHA-256", false).await;
    let mut browser = Browser::new(&app);
    for _ in 0..3 {
        let page = browser
            .login("panel_user@sip.example.org", "wrong-pass")
            .await;
        assert_eq!(page.status, 422);
    }
    // Even the right password waits now.
    let page = browser
        .login("panel_user@sip.example.org", &account.password)
        .await;
    assert_eq!(page.status, 429);
    let retry: u64 = page.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert!(page.body.contains("Too many attempts"));
    assert!(sessions(&app).await.is_empty());
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_token() {
    let app = TestApp::spawn().await;
    let account = app.account("panel_user", "SHA-256", false).await;
    let address = "panel_user@sip.example.org";
    let mut browser = Browser::new(&app);

    // No pre-login cookie at all (a cross-site form).
    let page = browser
        .post(
            "/login",
            &[("address", address), ("password", &account.password)],
        )
        .await;
    assert_eq!(page.status, 403);

    // The cookie, but a token that is not its HMAC.
    let form = browser.get("/login").await;
    let token = form.token();
    assert_eq!(token.len(), 64);
    let page = browser
        .post(
            "/login",
            &[
                ("_token", &"0".repeat(64)),
                ("address", address),
                ("password", &account.password),
            ],
        )
        .await;
    assert_eq!(page.status, 403);

    // A token for another cookie.
    browser
        .cookies
        .insert("flexiapi_login".into(), "A".repeat(32));
    let page = browser
        .post(
            "/login",
            &[
                ("_token", &token),
                ("address", address),
                ("password", &account.password),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(sessions(&app).await.is_empty());
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let account = app.account("panel_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &account).await;
    let stolen = browser.session_cookie().unwrap();

    // Logout is a form too: without its token nothing happens.
    let page = browser.post("/logout", &[]).await;
    assert_eq!(page.status, 403);
    assert_eq!(sessions(&app).await.len(), 1);

    let page = browser.submit("/account", "/logout", &[]).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login"));
    assert!(browser.session_cookie().is_none(), "cookie cleared");
    assert!(sessions(&app).await.is_empty());

    // The old cookie opens nothing.
    browser.cookies.insert(SESSION_COOKIE.into(), stolen);
    let page = browser.get("/account").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login"));
}

#[tokio::test]
async fn sessions_end_with_deactivation_and_idle_time() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("panel_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &account).await;

    let response = app
        .as_key(
            &admin,
            Method::GET,
            &format!("/api/accounts/{}/deactivate", account.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = browser.get("/account").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login"));
    assert!(sessions(&app).await.is_empty());

    // Idle for longer than the idle lifetime.
    let mut browser = logged_in(&app, &admin).await;
    assert_eq!(browser.get("/account").await.status, 200);
    app.state.clock.advance(chrono::Duration::hours(3));
    assert_eq!(browser.get("/account").await.status, 303);
}

#[tokio::test]
async fn pages_need_a_login_and_the_root_redirects() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::new(&app);
    for path in ["/", "/account", "/admin/accounts", "/admin/api-key"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location(), Some("/login"), "{path}");
    }
    let page = browser
        .post("/account/password", &[("password", "x")])
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login"));
}

#[tokio::test]
async fn echoed_input_is_html_escaped() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::new(&app);
    let page = browser
        .login("<script>alert(1)</script>\"@x.org", "secret")
        .await;
    assert_eq!(page.status, 422);
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;&#34;@x.org")
    );
}
