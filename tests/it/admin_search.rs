//! Admin look-ups: `/api/accounts/{sip}/search`,
//! `/api/accounts/{email}/search-by-email`, `/api/resolve/{sip}`.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestAccount, TestApp, admin_account_keys, json, keys};

async fn get(app: &TestApp, as_account: &TestAccount, path: &str) -> reqwest::Response {
    app.as_key(as_account, Method::GET, path)
        .send()
        .await
        .unwrap()
}

async fn set_email(app: &TestApp, admin: &TestAccount, account: &TestAccount, email: &str) {
    let response = app
        .as_key(admin, Method::PUT, &format!("/api/accounts/{}", account.id))
        .json(&json!({"username": account.username, "email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn search_finds_the_exact_sip_address() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("searched_user", "SHA-256", false).await;
    let _near = app.account("searched_user2", "SHA-256", false).await;
    for sip in [
        "searched_user@sip.example.org",
        "searched_user%40sip.example.org",
    ] {
        let response = get(&app, &admin, &format!("/api/accounts/{sip}/search")).await;
        assert_eq!(response.status(), 200, "{sip}");
        let account = json(response).await;
        assert_eq!(keys(&account), admin_account_keys());
        assert_eq!(account["id"], user.id);
    }
    for sip in [
        "searched_use@sip.example.org",
        "SEARCHED_USER@sip.example.org",
        "searched_user@other.example.org",
        "searched_user",
        "searched_%25@sip.example.org",
    ] {
        let response = get(&app, &admin, &format!("/api/accounts/{sip}/search")).await;
        assert_eq!(response.status(), 404, "{sip}");
    }
    // A control character is refused before any lookup (docs/api.md).
    let response = get(&app, &admin, "/api/accounts/nul%00@sip.example.org/search").await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn search_by_email_ignores_case_and_nothing_else() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("mailed_user", "SHA-256", false).await;
    set_email(&app, &admin, &user, "John.Doe@Example.org").await;
    for email in [
        "John.Doe@Example.org",
        "john.doe@example.org",
        "JOHN.DOE%40EXAMPLE.ORG",
    ] {
        let response = get(
            &app,
            &admin,
            &format!("/api/accounts/{email}/search-by-email"),
        )
        .await;
        assert_eq!(response.status(), 200, "{email}");
        let account = json(response).await;
        assert_eq!(keys(&account), admin_account_keys());
        assert_eq!(account["id"], user.id);
    }
    for email in [
        "john.doe@example.or",
        "ohn.doe@example.org",
        "john%25@example.org",
        "john_doe@example.org",
        // MySQL's collation would take it for the same address.
        "j%C3%B3hn.doe@example.org",
        "not-an-email",
    ] {
        let response = get(
            &app,
            &admin,
            &format!("/api/accounts/{email}/search-by-email"),
        )
        .await;
        assert_eq!(response.status(), 404, "{email}");
    }
    // A control character is refused before any lookup (docs/api.md).
    let response = get(
        &app,
        &admin,
        "/api/accounts/john.doe%00@example.org/search-by-email",
    )
    .await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn search_by_email_folds_ascii_letters_only_on_every_backend() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("accented_user", "SHA-256", false).await;
    set_email(&app, &admin, &user, "Jóhn@Example.org").await;
    let path = |email: &str| format!("/api/accounts/{email}/search-by-email");
    let response = get(&app, &admin, &path("jóHN@EXAMPLE.ORG")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["id"], user.id);
    for email in ["jÓhn@example.org", "john@example.org"] {
        let response = get(&app, &admin, &path(email)).await;
        assert_eq!(response.status(), 404, "{email}");
    }
}

#[tokio::test]
async fn resolve_finds_an_account_by_address_or_alias() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account_with_phone("aliased_user", "+33612345678").await;
    for sip in [
        "aliased_user@sip.example.org",
        "+33612345678@sip.example.org",
    ] {
        let response = get(&app, &admin, &format!("/api/resolve/{sip}")).await;
        assert_eq!(response.status(), 200, "{sip}");
        // Upstream's typed envelope around the admin account object.
        let resolved = json(response).await;
        assert_eq!(keys(&resolved), ["payload", "type"], "{sip}");
        assert_eq!(resolved["type"], "account");
        let account = &resolved["payload"];
        assert_eq!(keys(account), admin_account_keys());
        assert_eq!(account["id"], user.id);
    }
    for sip in [
        "+33612345678@other.example.org",
        "+33612345679@sip.example.org",
        "nobody@sip.example.org",
        "not a sip",
    ] {
        let response = get(&app, &admin, &format!("/api/resolve/{sip}")).await;
        assert_eq!(response.status(), 404, "{sip}");
    }
}

#[tokio::test]
async fn look_ups_are_for_admins_only() {
    let app = TestApp::spawn().await;
    let _admin = app.admin().await;
    let user = app.account("curious_user", "SHA-256", false).await;
    for path in [
        "/api/accounts/admin_user@sip.example.org/search",
        "/api/accounts/a@example.org/search-by-email",
        "/api/resolve/admin_user@sip.example.org",
    ] {
        assert_eq!(get(&app, &user, path).await.status(), 403, "{path}");
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), 422, "no From: {path}");
    }
}
