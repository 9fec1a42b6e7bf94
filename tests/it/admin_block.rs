//! Block, unblock and the 2.x `POST` activation routes; a blocked account
//! is refused by every authentication path (`403` `Account blocked` on the
//! API once its credentials are proven, as PHP FlexiAPI's CheckBlocked).

use reqwest::Method;
use serde_json::{Value, json};

use crate::digest_client::{authorization, challenges};
use crate::helpers::{TestAccount, TestApp, account_keys, admin_account_keys, json, keys};
use crate::panel::Browser;

async fn post(app: &TestApp, admin: &TestAccount, path: &str) -> reqwest::Response {
    app.as_key(admin, Method::POST, path).send().await.unwrap()
}

async fn me_status(app: &TestApp, account: &TestAccount) -> u16 {
    app.as_key(account, Method::GET, "/api/accounts/me")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn block_unblock_activate_deactivate_answer_the_admin_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("blocked_user", "SHA-256", false).await;
    let base = format!("/api/accounts/{}", user.id);

    let response = post(&app, &admin, &format!("{base}/block")).await;
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(keys(&account), admin_account_keys());
    assert_eq!(account["blocked"], true);
    assert_eq!(account["activated"], true, "blocking keeps activation");

    let account = json(post(&app, &admin, &format!("{base}/deactivate")).await).await;
    assert_eq!(keys(&account), admin_account_keys());
    assert_eq!(
        (account["activated"].clone(), account["blocked"].clone()),
        (json!(false), json!(true))
    );
    let account = json(post(&app, &admin, &format!("{base}/activate")).await).await;
    assert_eq!(account["activated"], true);
    assert_eq!(account["blocked"], true, "activation does not unblock");

    let account = json(post(&app, &admin, &format!("{base}/unblock")).await).await;
    assert_eq!(account["blocked"], false);
    assert_eq!(me_status(&app, &user).await, 200);

    // The 2021 GET forms keep their 14 keys.
    let response = app
        .as_key(&admin, Method::GET, &format!("{base}/activate"))
        .send()
        .await
        .unwrap();
    assert_eq!(keys(&json(response).await), account_keys());
    // List items keep their 14 keys.
    let page = json(
        app.as_key(&admin, Method::GET, "/api/accounts")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(keys(&page["data"][1]), account_keys());
}

#[tokio::test]
async fn non_admins_get_403_and_unknown_ids_404() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    for action in ["block", "unblock", "activate", "deactivate"] {
        let path = format!("/api/accounts/{}/{action}", admin.id);
        assert_eq!(post(&app, &user, &path).await.status(), 403, "{action}");
        for id in ["999999", "x"] {
            let path = format!("/api/accounts/{id}/{action}");
            assert_eq!(post(&app, &admin, &path).await.status(), 404, "{action}");
        }
    }
    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{}", admin.id))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["blocked"], false, "the 403s changed nothing");
}

async fn block(app: &TestApp, admin: &TestAccount, account: &TestAccount) {
    let path = format!("/api/accounts/{}/block", account.id);
    assert_eq!(post(app, admin, &path).await.status(), 200);
}

#[tokio::test]
async fn a_blocked_account_is_refused_with_its_api_key() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("keyed_user", "SHA-256", false).await;
    assert_eq!(me_status(&app, &user).await, 200);
    block(&app, &admin, &user).await;
    assert_eq!(me_status(&app, &user).await, 403);
    let response = app
        .as_key(&user, Method::GET, "/api/accounts/me")
        .send()
        .await
        .unwrap();
    assert_eq!(json(response).await, json!({"message": "Account blocked"}));
    // A wrong key learns nothing of the block.
    let wrong = TestAccount {
        api_key: "not-the-key".into(),
        ..user.clone()
    };
    assert_eq!(me_status(&app, &wrong).await, 401);
    // A blocked admin loses the admin routes too.
    let other_admin = app.account("other_admin", "SHA-256", true).await;
    block(&app, &admin, &other_admin).await;
    let response = app
        .as_key(&other_admin, Method::GET, "/api/accounts")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_blocked_account_is_refused_with_digest() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("digest_user", "MD5", false).await;
    let me = "/api/accounts/me";
    let response = app
        .get(me)
        .header("From", user.from())
        .send()
        .await
        .unwrap();
    let challenge = challenges(&response).remove(0);
    let digest = |nc| authorization(&challenge, &user.username, &user.password, "GET", me, nc);
    let response = app
        .get(me)
        .header("From", user.from())
        .header("Authorization", digest(1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the digest is right");
    block(&app, &admin, &user).await;
    let response = app
        .get(me)
        .header("From", user.from())
        .header("Authorization", digest(2))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A wrong password is a 401, blocked or not.
    let wrong = authorization(&challenge, &user.username, "wrong", "GET", me, 3);
    let response = app
        .get(me)
        .header("From", user.from())
        .header("Authorization", wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_blocked_account_cannot_log_in_to_the_panel_and_loses_its_session() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("panel_user", "SHA-256", false).await;
    let mut browser = Browser::new(&app);
    browser.login_as(&user).await;
    assert_eq!(browser.get("/account").await.status, 200);

    block(&app, &admin, &user).await;
    let page = browser.get("/account").await;
    assert_ne!(page.status, 200, "the open session ends");

    let mut fresh = Browser::new(&app);
    let page = fresh
        .login(
            &format!("{}@{}", user.username, user.domain),
            &user.password,
        )
        .await;
    assert_ne!(page.location(), Some("/account"), "{}", page.body);
    assert!(fresh.session_cookie().is_none());

    // Unblocked, the same password opens it again.
    let path = format!("/api/accounts/{}/unblock", user.id);
    assert_eq!(post(&app, &admin, &path).await.status(), 200);
    Browser::new(&app).login_as(&user).await;
}

#[tokio::test]
async fn a_blocked_account_gets_no_provisioning() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let created = json(
        app.as_key(&admin, Method::POST, "/api/accounts")
            .json(
                &json!({"username": "provisioned", "password": "secret1", "algorithm": "SHA-256"}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let key = created["confirmation_key"].as_str().unwrap().to_string();
    let response = post(&app, &admin, &format!("/api/accounts/{id}/block")).await;
    assert_eq!(response.status(), 200);

    let xml = app
        .get(&format!("/provisioning/{key}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!xml.contains("auth_info"), "{xml}");
    assert!(!xml.contains("provisioned"), "{xml}");
    let qr = app
        .get(&format!("/provisioning/qrcode/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 404);
    let shown = json(
        app.as_key(&admin, Method::GET, &format!("/api/accounts/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["activated"], false, "the key did not activate it");
    assert_eq!(
        shown["confirmation_key"],
        Value::Null,
        "blocking revoked the key"
    );

    // Unblocked, the revoked key still provisions nothing.
    post(&app, &admin, &format!("/api/accounts/{id}/unblock")).await;
    let xml = app
        .get(&format!("/provisioning/{key}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!xml.contains("auth_info"), "{xml}");
}

#[tokio::test]
async fn a_blocked_account_cannot_log_in_with_its_phone() {
    const PHONE: &str = "+33611111111";
    let d = crate::with_token::Delivery::spawn(&[]).await;
    let admin = d.app.admin().await;
    let user = d.app.account_with_phone("phone_user", PHONE).await;
    let mut browser = Browser::new(&d.app);

    // Blocked before the request: no SMS at all.
    block(&d.app, &admin, &user).await;
    let page = browser
        .submit("/login/phone", "/login/phone", &[("phone", PHONE)])
        .await;
    assert_eq!(page.status, 200, "same answer as an unknown number");
    assert!(d.ovh.jobs().is_empty());
    assert_eq!(d.app.count("phone_login_codes").await, 0);

    // Blocked after the code was sent: the right code opens nothing.
    let path = format!("/api/accounts/{}/unblock", user.id);
    assert_eq!(post(&d.app, &admin, &path).await.status(), 200);
    browser
        .submit("/login/phone", "/login/phone", &[("phone", PHONE)])
        .await;
    assert_eq!(d.ovh.jobs().len(), 1);
    block(&d.app, &admin, &user).await;
    let page = browser
        .submit(
            "/login/phone/code",
            "/login/phone/code",
            &[("phone", PHONE), ("code", &d.sms_pin(0))],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(d.app.count("panel_sessions").await, 0);
}
