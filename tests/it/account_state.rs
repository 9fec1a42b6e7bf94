//! An account's state holds on every path: no token an account held
//! reactivates it once an admin deactivated it, no provisioning path hands
//! out a blocked or deactivated account's HA1, a password change ends what
//! the old password opened, and every token kind expires by default.

use chrono::Duration;
use flexiapi::db::accounts;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestAccount, TestApp, json};
use crate::panel::{Browser, logged_in};

async fn admin_post(app: &TestApp, admin: &TestAccount, path: &str) -> reqwest::Response {
    app.as_key(admin, Method::POST, path).send().await.unwrap()
}

async fn deactivate(app: &TestApp, admin: &TestAccount, id: i32) {
    let path = format!("/api/accounts/{id}/deactivate");
    assert_eq!(admin_post(app, admin, &path).await.status(), 200);
}

async fn block(app: &TestApp, admin: &TestAccount, id: i32) {
    let path = format!("/api/accounts/{id}/block");
    assert_eq!(admin_post(app, admin, &path).await.status(), 200);
}

async fn is_activated(app: &TestApp, id: i32) -> bool {
    accounts::find_by_id(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .is_activated()
}

/// Whether the XML at `path` carries an account (its `auth_info`).
async fn provisions(app: &TestApp, path: &str) -> bool {
    let response = app.get(path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap().contains("auth_info")
}

async fn qrcode_status(app: &TestApp, key: &str) -> u16 {
    let path = format!("/provisioning/qrcode/{key}");
    app.get(&path).send().await.unwrap().status().as_u16()
}

/// The account's own provisioning token (`GET /api/accounts/me/provision`).
async fn own_provisioning_token(app: &TestApp, account: &TestAccount) -> String {
    let response = app
        .as_key(account, Method::GET, "/api/accounts/me/provision")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    json(response).await["provisioning_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A provisioning token an admin issues for `id`.
async fn admin_provisioning_token(app: &TestApp, admin: &TestAccount, id: i32) -> String {
    let response = app
        .as_key(admin, Method::GET, &format!("/api/accounts/{id}/provision"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    json(response).await["provisioning_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// An account waiting for activation, made by the admin API: its id and
/// activation key.
async fn unactivated(app: &TestApp, admin: &TestAccount, username: &str) -> (i32, String) {
    let response = app
        .as_key(admin, Method::POST, "/api/accounts")
        .json(&json!({"username": username, "password": "secret-pass", "algorithm": "SHA-256"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    let id = body["id"].as_i64().unwrap() as i32;
    (id, body["confirmation_key"].as_str().unwrap().to_string())
}

/// An attached auth token of `account`.
async fn attached_auth_token(app: &TestApp, account: &TestAccount) -> String {
    let response = app.post("/api/accounts/auth_token").send().await.unwrap();
    assert_eq!(response.status(), 201);
    let token = json(response).await["token"].as_str().unwrap().to_string();
    let path = format!("/api/accounts/auth_token/{token}/attach");
    let response = app
        .as_key(account, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    token
}

async fn activate_by_email(app: &TestApp, username: &str, code: &str) -> u16 {
    app.post(&format!(
        "/api/accounts/{username}@sip.example.org/activate/email"
    ))
    .json(&json!({ "code": code }))
    .send()
    .await
    .unwrap()
    .status()
    .as_u16()
}

#[tokio::test]
async fn no_token_reactivates_an_account_an_admin_deactivated() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    // A provisioning token fetched by the device before the deactivation.
    let user = app.account("fetched_token", "SHA-256", false).await;
    let token = own_provisioning_token(&app, &user).await;
    deactivate(&app, &admin, user.id).await;
    assert_eq!(app.count("provisioning_tokens").await, 0, "revoked");
    assert!(!provisions(&app, &format!("/provisioning/{token}")).await);
    assert_eq!(qrcode_status(&app, &token).await, 404);
    assert!(!is_activated(&app, user.id).await);

    // One an admin issues after the deactivation provisions nothing and
    // activates nothing: only an account awaiting activation is activated.
    let token = admin_provisioning_token(&app, &admin, user.id).await;
    assert_eq!(qrcode_status(&app, &token).await, 404);
    assert!(!provisions(&app, &format!("/provisioning/{token}")).await);
    assert!(!is_activated(&app, user.id).await);

    // The activation key of an account first activated by its link, then
    // deactivated: neither provisioning nor the activation route take it.
    let (id, key) = unactivated(&app, &admin, "linked_user").await;
    let token = admin_provisioning_token(&app, &admin, id).await;
    assert!(provisions(&app, &format!("/provisioning/{token}")).await);
    assert!(
        is_activated(&app, id).await,
        "the link activates a new account"
    );
    deactivate(&app, &admin, id).await;
    assert!(!provisions(&app, &format!("/provisioning/{key}")).await);
    assert_eq!(qrcode_status(&app, &key).await, 404);
    assert_eq!(activate_by_email(&app, "linked_user", &key).await, 404);
    assert!(!is_activated(&app, id).await);

    // A never-activated account's key, after an explicit deactivation.
    let (id, key) = unactivated(&app, &admin, "keyed_user").await;
    deactivate(&app, &admin, id).await;
    assert_eq!(activate_by_email(&app, "keyed_user", &key).await, 404);
    assert!(!provisions(&app, &format!("/provisioning/{key}")).await);
    assert!(!is_activated(&app, id).await);

    // An auth token attached before the deactivation.
    let user = app.account("qr_user", "SHA-256", false).await;
    let auth_token = attached_auth_token(&app, &user).await;
    deactivate(&app, &admin, user.id).await;
    let response = app
        .get(&format!("/api/accounts/me/api_key/{auth_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = app
        .get(&format!("/provisioning/auth_token/{auth_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(!is_activated(&app, user.id).await);
}

#[tokio::test]
async fn a_new_account_is_still_activated_by_its_key_or_its_link() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (id, key) = unactivated(&app, &admin, "new_by_key").await;
    assert_eq!(activate_by_email(&app, "new_by_key", &key).await, 200);
    assert!(is_activated(&app, id).await);
    let (id, _) = unactivated(&app, &admin, "new_by_link").await;
    let token = admin_provisioning_token(&app, &admin, id).await;
    assert!(provisions(&app, &format!("/provisioning/{token}")).await);
    let stored = accounts::find_by_id(&app.state.db, id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.is_activated());
    assert_eq!(stored.confirmation_key, None, "the key has served");
}

#[tokio::test]
async fn a_reset_link_on_a_deactivated_account_opens_no_session() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("reset_asleep", "SHA-256", false).await;
    let link = flexiapi::service::recovery::issue_reset_token(
        &app.state.db,
        user.id,
        Duration::minutes(60),
        app.state.clock.now_naive(),
    )
    .await
    .unwrap();
    deactivate(&app, &admin, user.id).await;
    let path = format!("/recovery/password/{link}");
    let mut browser = Browser::new(&app);
    let page = browser
        .submit(&path, &path, &[("password", "brand-new-pw")])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(browser.session_cookie().is_none());
    assert_eq!(app.count("panel_sessions").await, 0);
    assert!(!is_activated(&app, user.id).await);
}

#[tokio::test]
async fn blocked_and_deactivated_accounts_get_no_provisioning_anywhere() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (username, blocked) in [("prov_blocked", true), ("prov_asleep", false)] {
        let user = app.account(username, "SHA-256", false).await;
        let fetched = own_provisioning_token(&app, &user).await;
        let auth_token = attached_auth_token(&app, &user).await;
        if blocked {
            block(&app, &admin, user.id).await;
        } else {
            deactivate(&app, &admin, user.id).await;
        }
        let issued = admin_provisioning_token(&app, &admin, user.id).await;
        for token in [&fetched, &issued] {
            assert_eq!(qrcode_status(&app, token).await, 404, "{username}");
            assert!(
                !provisions(&app, &format!("/provisioning/{token}")).await,
                "{username}"
            );
        }
        let response = app
            .get(&format!("/provisioning/auth_token/{auth_token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{username}");
        let response = app
            .as_key(&user, Method::GET, "/provisioning/me")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            if blocked { 403 } else { 401 },
            "{username}"
        );
        assert_eq!(is_activated(&app, user.id).await, blocked, "{username}");
    }
}

#[tokio::test]
async fn blocking_and_deactivating_revoke_every_standing_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (username, blocked) in [("revoke_blocked", true), ("revoke_asleep", false)] {
        let (id, _) = unactivated(&app, &admin, username).await;
        admin_provisioning_token(&app, &admin, id).await;
        if blocked {
            block(&app, &admin, id).await;
        } else {
            deactivate(&app, &admin, id).await;
        }
        let stored = accounts::find_by_id(&app.state.db, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.confirmation_key, None, "{username}");
    }
    let user = app.account("revoke_auth", "SHA-256", false).await;
    attached_auth_token(&app, &user).await;
    block(&app, &admin, user.id).await;
    assert_eq!(app.count("provisioning_tokens").await, 0);
    assert_eq!(app.count("auth_tokens").await, 0);
}

#[tokio::test]
async fn a_blocked_account_is_403_on_user_and_admin_routes_once_proven() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let other_admin = app.account("blocked_admin", "SHA-256", true).await;
    block(&app, &admin, other_admin.id).await;
    for path in [
        "/api/accounts/me",
        "/api/accounts",
        "/api/accounts/me/devices",
    ] {
        let response = app
            .as_key(&other_admin, Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(
            json(response).await,
            json!({"message": "Account blocked"}),
            "{path}"
        );
    }
    // Deactivated too: 401, as for any deactivated account.
    deactivate(&app, &admin, other_admin.id).await;
    let response = app
        .as_key(&other_admin, Method::GET, "/api/accounts/me")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn change_password_by_api(app: &TestApp, user: &TestAccount) {
    let response = app
        .as_key(user, Method::POST, "/api/accounts/me/password")
        .json(&json!({"algorithm": "SHA-256", "old_password": user.password, "password": "changed-pass"}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// A reset link and a provisioning token of `user`, to see them revoked.
async fn standing_links(app: &TestApp, user: &TestAccount) -> (String, String) {
    let link = flexiapi::service::recovery::issue_reset_token(
        &app.state.db,
        user.id,
        Duration::minutes(60),
        app.state.clock.now_naive(),
    )
    .await
    .unwrap();
    (link, own_provisioning_token(app, user).await)
}

async fn assert_links_revoked(app: &TestApp, (link, token): &(String, String)) {
    let mut browser = Browser::new(app);
    let path = format!("/recovery/password/{link}");
    assert_eq!(browser.get(&path).await.status, 404, "reset link");
    assert_eq!(qrcode_status(app, token).await, 404, "provisioning token");
    assert!(!provisions(app, &format!("/provisioning/{token}")).await);
}

#[tokio::test]
async fn a_password_change_ends_other_sessions_and_revokes_links() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    // By the API: every panel session ends.
    let user = app.account("api_change", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let links = standing_links(&app, &user).await;
    change_password_by_api(&app, &user).await;
    assert_ne!(browser.get("/account").await.status, 200);
    assert_links_revoked(&app, &links).await;

    // In the panel: the session that changed it stays, the others end.
    let user = app.account("panel_change", "SHA-256", false).await;
    let mut changing = logged_in(&app, &user).await;
    let mut other = logged_in(&app, &user).await;
    let links = standing_links(&app, &user).await;
    let fields = [
        ("old_password", user.password.as_str()),
        ("password", "changed-pass"),
        ("algorithm", "SHA-256"),
    ];
    let page = changing
        .submit("/account", "/account/password", &fields)
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(changing.get("/account").await.status, 200);
    assert_ne!(other.get("/account").await.status, 200);
    assert_links_revoked(&app, &links).await;

    // By an admin's update.
    let user = app.account("admin_change", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let links = standing_links(&app, &user).await;
    let response = app
        .as_key(&admin, Method::PUT, &format!("/api/accounts/{}", user.id))
        .json(
            &json!({"username": "admin_change", "domain": "sip.example.org",
                      "password": "changed-pass", "algorithm": "SHA-256"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_ne!(browser.get("/account").await.status, 200);
    assert_links_revoked(&app, &links).await;

    // By a reset link: the other links and sessions end too.
    let user = app.account("reset_change", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let (other_link, token) = standing_links(&app, &user).await;
    let used = flexiapi::service::recovery::issue_reset_token(
        &app.state.db,
        user.id,
        Duration::minutes(60),
        app.state.clock.now_naive(),
    )
    .await
    .unwrap();
    let path = format!("/recovery/password/{used}");
    let page = Browser::new(&app)
        .submit(&path, &path, &[("password", "changed-pass")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_ne!(browser.get("/account").await.status, 200);
    assert_links_revoked(&app, &(other_link, token)).await;
}

#[tokio::test]
async fn tokens_and_keys_expire_by_default() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    // Provisioning token: a day.
    let user = app.account("old_qr", "SHA-256", false).await;
    let token = own_provisioning_token(&app, &user).await;
    app.state.clock.advance(Duration::minutes(24 * 60 - 1));
    assert_eq!(qrcode_status(&app, &token).await, 200);
    app.state.clock.advance(Duration::minutes(2));
    assert_eq!(qrcode_status(&app, &token).await, 404);
    assert!(!provisions(&app, &format!("/provisioning/{token}")).await);

    // Account creation token: a day, as its `expire_at` says.
    let response = admin_post(&app, &admin, "/api/account_creation_tokens").await;
    assert_eq!(response.status(), 201);
    let body = json(response).await;
    assert!(body["expire_at"].is_string(), "{body}");
    let creation_token = body["token"].as_str().unwrap().to_string();
    app.state.clock.advance(Duration::minutes(24 * 60 + 1));
    let response = app
        .post("/api/accounts/with-account-creation-token")
        .json(
            &json!({"username": "too_late", "password": "secret-pass", "algorithm": "SHA-256",
                      "account_creation_token": creation_token}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["account_creation_token"].is_array());

    // Creation request token: the same day.
    let response = app
        .post("/api/account_creation_request_tokens")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let url = json(response).await["validation_url"]
        .as_str()
        .unwrap()
        .to_string();
    app.state.clock.advance(Duration::minutes(24 * 60 + 1));
    let path = url.strip_prefix(&app.base).unwrap().to_string();
    assert_eq!(Browser::new(&app).get(&path).await.status, 404);

    // Activation key: a week from the account's creation.
    let (id, key) = unactivated(&app, &admin, "slow_reader").await;
    app.state.clock.advance(Duration::minutes(7 * 24 * 60 - 1));
    assert_eq!(qrcode_status(&app, &key).await, 200);
    app.state.clock.advance(Duration::minutes(2));
    assert_eq!(qrcode_status(&app, &key).await, 404);
    assert!(!provisions(&app, &format!("/provisioning/{key}")).await);
    assert_eq!(activate_by_email(&app, "slow_reader", &key).await, 403);
    assert!(!is_activated(&app, id).await);
}

#[tokio::test]
async fn zero_keeps_tokens_and_keys_forever() {
    let app = TestApp::spawn_with(&[
        ("APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES", "0"),
        ("APP_ACTIVATION_KEY_EXPIRATION_MINUTES", "0"),
    ])
    .await;
    let admin = app.admin().await;
    let user = app.account("forever_qr", "SHA-256", false).await;
    let token = own_provisioning_token(&app, &user).await;
    let (_, key) = unactivated(&app, &admin, "forever_key").await;
    app.state.clock.advance(Duration::days(400));
    assert_eq!(qrcode_status(&app, &token).await, 200);
    assert_eq!(qrcode_status(&app, &key).await, 200);
}

#[tokio::test]
async fn a_blocked_activated_account_is_not_an_unconfirmed_one() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("blocked_old", "SHA-256", false).await;
    block(&app, &admin, user.id).await;
    let (never, _) = unactivated(&app, &admin, "never_activated").await;
    block(&app, &admin, never).await;
    let later = app.state.clock.now_naive() + Duration::days(1);
    let found = accounts::unconfirmed_before(&app.state.db, later)
        .await
        .unwrap();
    let ids: Vec<i32> = found.iter().map(|a| a.id).collect();
    assert_eq!(ids, [never], "the activated one stays out of the clean-up");
}

/// The step that adds `activated_on_unblock` moves the activation of the
/// accounts already blocked out of the column Flexisip reads, and going
/// back puts it back.
#[tokio::test]
async fn the_migration_moves_blocked_accounts_activation_both_ways() {
    use flexiapi::db::migrations::Migrator;
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::MigratorTrait;
    let database = crate::test_db::TestDb::new();
    let db = flexiapi::db::connect(database.url()).await.unwrap();
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let before_this_step = names
        .iter()
        .position(|name| name == "m20261207_000010_activation_while_blocked")
        .unwrap() as u32;
    let steps_back = names.len() as u32 - before_this_step;
    Migrator::up(db.conn(), Some(before_this_step))
        .await
        .unwrap();
    for (id, username, activated, blocked) in [
        (1, "blocked_on", true, true),
        (2, "blocked_off", false, true),
        (3, "free_on", true, false),
    ] {
        db.execute_unprepared(&format!(
            "INSERT INTO accounts (id, username, domain, activated, ip_address, user_agent, \
             creation_time, failed_code_attempts, blocked) VALUES ({id}, '{username}', \
             'sip.example.org', {activated}, '::1', 'ua', '2026-01-02 03:04:05', 0, {blocked})"
        ))
        .await
        .unwrap();
    }

    Migrator::up(db.conn(), None).await.unwrap();
    let mut states = Vec::new();
    for id in 1..=3 {
        let a = accounts::find_by_id(&db, id).await.unwrap().unwrap();
        states.push((a.flexisip_activated, a.is_activated()));
    }
    assert_eq!(states, [(false, true), (false, false), (true, true)]);

    Migrator::down(db.conn(), Some(steps_back)).await.unwrap();
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT activated FROM accounts ORDER BY id",
        ))
        .await
        .unwrap();
    let activated: Vec<bool> = rows
        .iter()
        .map(|r| r.try_get("", "activated").unwrap())
        .collect();
    assert_eq!(activated, [true, false, true]);
}

#[tokio::test]
async fn an_sms_pin_does_not_reactivate_a_deactivated_account() {
    use flexiapi::db::entities::account;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (id, _) = unactivated(&app, &admin, "pin_user").await;
    // The PIN an account created by phone holds as its activation key.
    account::Entity::update_many()
        .col_expr(account::Column::ConfirmationKey, Expr::value("0421"))
        .filter(account::Column::Id.eq(id))
        .exec(&app.state.db)
        .await
        .unwrap();
    deactivate(&app, &admin, id).await;
    let response = app
        .post("/api/accounts/pin_user@sip.example.org/activate/phone")
        .json(&json!({"code": "0421"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(!is_activated(&app, id).await);
}
