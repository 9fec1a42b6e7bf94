//! Admin pages: account list, search, paging, actions, API key.

use flexiapi::db::accounts;
use reqwest::Method;
use sea_orm::EntityTrait;

use super::logged_in;
use crate::helpers::TestApp;

async fn is_activated(app: &TestApp, id: i32) -> bool {
    accounts::find_by_id(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .is_activated()
}

async fn is_admin(app: &TestApp, id: i32) -> bool {
    accounts::is_admin(&app.state.db, id).await.unwrap()
}

#[tokio::test]
async fn non_admins_get_403_and_change_nothing() {
    let app = TestApp::spawn().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let other = app.account("other_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let page = browser.get("/account").await;
    assert!(!page.body.contains("/admin/accounts"), "no admin link");
    for path in [
        "/admin/accounts",
        "/admin/api-key",
        "/admin/accounts/2/delete",
    ] {
        assert_eq!(browser.get(path).await.status, 403, "{path}");
    }
    let token = browser.token_of("/account").await;
    for action in ["deactivate", "admin", "delete"] {
        let page = browser
            .post(
                &format!("/admin/accounts/{}/{action}", other.id),
                &[("_token", &token)],
            )
            .await;
        assert_eq!(page.status, 403, "{action}");
    }
    let page = browser.post("/admin/api-key", &[("_token", &token)]).await;
    assert_eq!(page.status, 403);
    assert!(is_activated(&app, other.id).await);
    assert!(!is_admin(&app, other.id).await);
    assert_eq!(app.count("api_keys").await, 2, "the helper's keys only");
}

#[tokio::test]
async fn everyone_is_admin_opens_the_admin_pages() {
    let app = TestApp::spawn_with(&[("APP_EVERYONE_IS_ADMIN", "true")]).await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let page = browser.get("/admin/accounts").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.rows(), 1);
}

#[tokio::test]
async fn search_matches_fields_literally() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.account("alpha_one", "SHA-256", false).await;
    app.account("alphaXone", "SHA-256", false).await;
    app.account_with_phone("phone_owner", "+33699887766").await;
    let mut browser = logged_in(&app, &admin).await;

    let all = browser.get("/admin/accounts").await;
    assert_eq!(all.status, 200);
    assert_eq!(all.rows(), 4);

    for (search, expected) in [
        ("a_o", 1), // `_` is not a wildcard
        ("%", 0),   // nor is `%`
        ("\\", 0),
        ("alpha", 2),
        ("ALPHA_ONE@", 0),
        ("99887", 1),       // phone
        ("example.org", 4), // domain
        ("", 4),
    ] {
        let encoded: String =
            percent_encoding::utf8_percent_encode(search, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let page = browser
            .get(&format!("/admin/accounts?search={encoded}"))
            .await;
        assert_eq!(page.status, 200, "{search}");
        assert_eq!(page.rows(), expected, "{search}: {}", page.body);
    }

    // The search is echoed escaped; hostile and broken queries are 4xx.
    let page = browser.get("/admin/accounts?search=%3Cscript%3E%22x").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>\"x"));
    assert!(
        page.body.contains("&#60;script&#62;&#34;x"),
        "{}",
        page.body
    );
    assert_eq!(browser.get("/admin/accounts?search=%FF").await.status, 400);
    let long = "a".repeat(101);
    assert_eq!(
        browser
            .get(&format!("/admin/accounts?search={long}"))
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn the_list_is_paged_by_twenty() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..24 {
        app.account(&format!("user_{i:03}"), "MD5", false).await;
    }
    let mut browser = logged_in(&app, &admin).await;
    let first = browser.get("/admin/accounts").await;
    assert_eq!(first.rows(), 20);
    assert!(first.body.contains("25 account(s)"));
    assert!(first.body.contains("href=\"/admin/accounts?page=2\""));
    assert!(!first.body.contains("rel=\"prev\""));
    let second = browser.get("/admin/accounts?page=2").await;
    assert_eq!(second.rows(), 5);
    assert!(second.body.contains("user_023@"));
    assert!(!second.body.contains("rel=\"next\""));
    // Past the end: an empty page, not an error; nonsense: the first page.
    assert_eq!(browser.get("/admin/accounts?page=9").await.rows(), 0);
    assert_eq!(browser.get("/admin/accounts?page=abc").await.rows(), 20);
    // Paging keeps the search.
    let page = browser.get("/admin/accounts?search=user_").await;
    assert!(
        page.body
            .contains("href=\"/admin/accounts?page=2&#38;search=user%5F\""),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn admin_actions_on_another_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("managed_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let mut user_browser = logged_in(&app, &user).await;
    let act = |action: &str| format!("/admin/accounts/{}/{action}", user.id);

    // A wrong CSRF token changes nothing.
    let page = browser
        .post(&act("deactivate"), &[("_token", &"x".repeat(40))])
        .await;
    assert_eq!(page.status, 403);
    assert!(is_activated(&app, user.id).await);

    let page = browser
        .submit(
            "/admin/accounts",
            &act("deactivate"),
            &[("search", "managed"), ("page", "1")],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        Some("/admin/accounts?page=1&search=managed")
    );
    assert!(!is_activated(&app, user.id).await);
    // Deactivation ends the account's sessions.
    assert_eq!(user_browser.get("/account").await.status, 303);
    let list = browser.get("/admin/accounts").await;
    assert!(
        list.body
            .contains("managed_user@sip.example.org is deactivated.")
    );

    let page = browser
        .submit("/admin/accounts", &act("activate"), &[])
        .await;
    assert_eq!(page.status, 303);
    assert!(is_activated(&app, user.id).await);

    browser.submit("/admin/accounts", &act("admin"), &[]).await;
    assert!(is_admin(&app, user.id).await);
    browser
        .submit("/admin/accounts", &act("unadmin"), &[])
        .await;
    assert!(!is_admin(&app, user.id).await);

    let page = browser
        .submit("/admin/accounts", &act("frobnicate"), &[])
        .await;
    assert_eq!(page.status, 404);
    let page = browser
        .submit("/admin/accounts", "/admin/accounts/99999/activate", &[])
        .await;
    assert_eq!(page.status, 404);

    // Delete goes through a confirmation page.
    let confirm = browser.get(&act("delete")).await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm
            .body
            .contains("Delete managed_user@sip.example.org?")
    );
    let page = browser.submit(&act("delete"), &act("delete"), &[]).await;
    assert_eq!(page.status, 303);
    assert!(
        accounts::find_by_id(&app.state.db, user.id)
            .await
            .unwrap()
            .is_none()
    );
    let list = browser.get("/admin/accounts").await;
    assert_eq!(list.rows(), 1);
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut browser = logged_in(&app, &admin).await;
    let list = browser.get("/admin/accounts").await;
    assert!(
        !list
            .body
            .contains(&format!("/admin/accounts/{}/unadmin", admin.id))
    );
    for action in ["unadmin", "delete", "deactivate"] {
        let page = browser
            .submit(
                "/admin/accounts",
                &format!("/admin/accounts/{}/{action}", admin.id),
                &[],
            )
            .await;
        assert_eq!(page.status, 422, "{action}");
        assert!(page.body.contains("You cannot"), "{action}");
    }
    assert!(is_admin(&app, admin.id).await);
    assert!(is_activated(&app, admin.id).await);
}

#[tokio::test]
async fn the_api_key_is_shown_once_and_works() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut browser = logged_in(&app, &admin).await;
    let form = browser.get("/admin/api-key").await;
    assert_eq!(form.status, 200);
    assert!(!form.body.contains("id=\"api-key\""));

    let page = browser
        .submit("/admin/api-key", "/admin/api-key", &[])
        .await;
    assert_eq!(page.status, 200);
    let start = page.body.find("id=\"api-key\">").unwrap() + "id=\"api-key\">".len();
    let key = &page.body[start..start + 40];
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");

    let me = app
        .client
        .get(app.url("/api/accounts/me"))
        .header("From", admin.from())
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    // The previous key is replaced.
    let old = app
        .as_key(&admin, Method::GET, "/api/accounts/me")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
    // Stored hashed only.
    let stored = flexiapi::db::entities::api_key::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(stored.iter().all(|row| row.key != key));
    // Not shown again.
    let again = browser.get("/admin/api-key").await;
    assert!(!again.body.contains(key));
}
