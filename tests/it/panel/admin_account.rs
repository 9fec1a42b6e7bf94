//! The admin page of one account: edit form, block/unblock, devices; each
//! form needs the session's CSRF token.

use flexiapi::db::accounts;
use flexiapi::db::entities::account;

use super::{Browser, logged_in};
use crate::helpers::TestApp;
use crate::registrar::fixtures::*;

async fn stored(app: &TestApp, id: i32) -> account::Model {
    accounts::find_by_id(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_edit_form_applies_the_api_rules() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account_with_phone("edited_user", "+33611111111").await;
    app.account("taken_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let path = format!("/admin/accounts/{}", user.id);
    let edit = format!("{path}/edit");

    let page = browser.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("value=\"edited_user\""), "{}", page.body);
    assert!(page.body.contains("value=\"+33611111111\""));
    assert!(!page.body.contains("Devices"), "no registrar configured");

    let page = browser
        .submit(
            &path,
            &edit,
            &[
                ("username", "edited_user"),
                ("email", "new@example.org"),
                ("phone", ""),
                ("display_name", "Edited <User>"),
                ("dtmf_protocol", "sipinfo"),
                ("password", ""),
                ("algorithm", "SHA-256"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), Some(path.as_str()));
    let account = stored(&app, user.id).await;
    assert_eq!(account.email.as_deref(), Some("new@example.org"));
    assert_eq!(account.phone, None);
    assert_eq!(account.display_name.as_deref(), Some("Edited <User>"));
    assert_eq!(account.dtmf_protocol.as_deref(), Some("sipinfo"));
    let page = browser.get(&path).await;
    assert!(
        page.body
            .contains("edited_user@sip.example.org is updated.")
    );
    assert!(page.body.contains("value=\"Edited "));
    assert!(!page.body.contains("Edited <User>"), "escaped");

    for (name, value) in [
        ("username", "taken_user"),
        ("username", "bad user"),
        ("email", "nope"),
        ("phone", "0612"),
        ("dtmf_protocol", "inband"),
    ] {
        let mut fields = vec![
            ("username", "edited_user"),
            ("password", "secret1"),
            ("algorithm", "MD5"),
        ];
        fields.retain(|(n, _)| *n != name);
        fields.push((name, value));
        let page = browser.submit(&path, &edit, &fields).await;
        assert_eq!(page.status, 422, "{name}={value}: {}", page.body);
        assert!(page.body.contains("id=\"error\""));
    }
    // A control character is refused before the form is read, by the
    // panel's "Invalid data" page naming the field.
    let fields = [
        ("username", "edited_user"),
        ("password", "secret1"),
        ("algorithm", "MD5"),
        ("display_name", "a\u{1}b"),
    ];
    let page = browser.submit(&path, &edit, &fields).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body
            .contains("The display_name must not contain control characters.")
    );
    let account = stored(&app, user.id).await;
    assert_eq!(account.username, "edited_user", "nothing was written");
    assert_eq!(account.dtmf_protocol.as_deref(), Some("sipinfo"));
    let passwords = accounts::passwords(&app.state.db, user.id).await.unwrap();
    assert_eq!(passwords[0].algorithm, "SHA-256");

    // Without its token, or with another one, the form changes nothing.
    for token in [None, Some("forged")] {
        let mut fields = vec![("username", "edited_user"), ("email", "")];
        if let Some(token) = token {
            fields.push(("_token", token));
        }
        let page = browser.post(&edit, &fields).await;
        assert_eq!(page.status, 403, "{token:?}");
    }
    assert_eq!(
        stored(&app, user.id).await.email.as_deref(),
        Some("new@example.org")
    );
}

#[tokio::test]
async fn block_and_unblock_from_the_account_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("blocked_user", "SHA-256", false).await;
    let mut victim = logged_in(&app, &user).await;
    let mut browser = logged_in(&app, &admin).await;
    let path = format!("/admin/accounts/{}", user.id);

    // Without the token: refused, nothing changes.
    let page = browser
        .post(&format!("{path}/block"), &[("back", "account")])
        .await;
    assert_eq!(page.status, 403);
    assert!(!stored(&app, user.id).await.blocked);

    let page = browser
        .submit(&path, &format!("{path}/block"), &[("back", "account")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), Some(path.as_str()));
    assert!(stored(&app, user.id).await.blocked);
    assert!(stored(&app, user.id).await.is_activated());
    assert_ne!(
        victim.get("/account").await.status,
        200,
        "its session ended"
    );
    let page = browser.get(&path).await;
    assert!(
        page.body
            .contains("blocked_user@sip.example.org is blocked.")
    );
    assert!(page.body.contains("/unblock"));

    let page = browser
        .submit(&path, &format!("{path}/unblock"), &[("back", "account")])
        .await;
    assert_eq!(page.status, 303);
    assert!(!stored(&app, user.id).await.blocked);
    Browser::new(&app).login_as(&user).await;

    // An admin cannot block themselves.
    let own = format!("/admin/accounts/{}", admin.id);
    assert!(!browser.get(&own).await.body.contains("/block\""));
    let page = browser
        .submit(&own, &format!("{own}/block"), &[("back", "account")])
        .await;
    assert_eq!(page.status, 422);
    assert!(!stored(&app, admin.id).await.blocked);
}

#[tokio::test]
async fn non_admins_and_unknown_ids() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let token = browser.token_of("/account").await;
    let path = format!("/admin/accounts/{}", admin.id);
    assert_eq!(browser.get(&path).await.status, 403);
    for action in ["edit", "block", "devices/delete"] {
        let page = browser
            .post(
                &format!("{path}/{action}"),
                &[
                    ("_token", &token),
                    ("username", "hijacked"),
                    ("uuid", PHONE),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "{action}");
    }
    assert_eq!(stored(&app, admin.id).await.username, "admin_user");
    assert!(!stored(&app, admin.id).await.blocked);

    let mut browser = logged_in(&app, &admin).await;
    for id in ["999999", "abc"] {
        assert_eq!(
            browser.get(&format!("/admin/accounts/{id}")).await.status,
            404
        );
    }
}

#[tokio::test]
async fn an_admin_sees_and_removes_the_accounts_devices() {
    let server = RedisServer::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &server.url())]).await;
    let now = app.state.clock.now().timestamp();
    register_alice_and_bob(&mut server.connection().await, now).await;
    let admin = app.admin().await;
    let alice = app.account("alice", "MD5", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let path = format!("/admin/accounts/{}", alice.id);
    let remove = format!("{path}/devices/delete");

    let page = browser.get(&path).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("<tr class=\"device\"").count(), 2);
    assert!(page.body.contains(PHONE) && page.body.contains(DESKTOP));
    assert!(
        !page.body.contains("b0b00000"),
        "Bob's device is not Alice's"
    );

    let page = browser.post(&remove, &[("uuid", PHONE)]).await;
    assert_eq!(page.status, 403, "no token");
    let page = browser.submit(&path, &remove, &[("uuid", PHONE)]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = browser.get(&path).await;
    assert!(page.body.contains("The device has been removed."));
    assert_eq!(page.body.matches("<tr class=\"device\"").count(), 1);
    assert!(!page.body.contains(PHONE));

    let page = browser.submit(&path, &remove, &[("uuid", PHONE)]).await;
    assert_eq!(page.status, 404, "already removed");
}
