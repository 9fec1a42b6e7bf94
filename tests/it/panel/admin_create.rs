//! The account creation form of the admin list (`POST /admin/accounts`).

use flexiapi::db::accounts;

use super::logged_in;
use crate::helpers::TestApp;

const LIST: &str = "/admin/accounts";

#[tokio::test]
async fn an_admin_creates_an_account_with_the_api_rules() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut browser = logged_in(&app, &admin).await;
    let page = browser.get(LIST).await;
    assert!(
        page.body
            .contains("action=\"/admin/accounts\" id=\"create\"")
    );

    let fields = [
        ("username", "new_user"),
        ("password", "secret-123"),
        ("algorithm", "MD5"),
        ("email", "new@example.org"),
        ("phone", "+33612345678"),
        ("activated", "1"),
        // The domain is never taken from the form.
        ("domain", "elsewhere.example.org"),
    ];
    let page = browser.submit(LIST, LIST, &fields).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let domain = &app.state.config.sip_domain;
    let created = accounts::find_by_address(&app.state.db, "new_user", domain)
        .await
        .unwrap()
        .expect("created in APP_SIP_DOMAIN");
    assert_eq!(page.location(), Some(&*format!("{LIST}/{}", created.id)));
    assert!(created.is_activated());
    assert_eq!(created.email.as_deref(), Some("new@example.org"));
    assert_eq!(created.phone.as_deref(), Some("+33612345678"));
    let view = accounts::view(&app.state.db, created).await.unwrap();
    assert_eq!(view.algorithms, ["MD5"]);
    assert!(!view.admin);
    let page = browser.get(page.location().unwrap()).await;
    assert!(
        page.body
            .contains(&format!("new_user@{domain} is created."))
    );

    // Unchecked boxes: not activated, and admin when asked.
    let fields = [
        ("username", "second_user"),
        ("password", "secret-123"),
        ("algorithm", "SHA-256"),
        ("admin", "1"),
    ];
    assert_eq!(browser.submit(LIST, LIST, &fields).await.status, 303);
    let second = accounts::find_by_address(&app.state.db, "second_user", domain)
        .await
        .unwrap()
        .unwrap();
    assert!(!second.is_activated());
    assert!(accounts::is_admin(&app.state.db, second.id).await.unwrap());

    // Both creations are in the audit log, by the admin of the session.
    let entries = crate::audit::entries(&app.state.db).await;
    let created: Vec<_> = entries
        .iter()
        .map(|e| (e.action.as_str(), e.actor_id, e.target_id))
        .collect();
    assert_eq!(
        created,
        [
            (
                "account.create",
                Some(admin.id),
                Some(view_id(&app, "new_user").await)
            ),
            ("account.create", Some(admin.id), Some(second.id)),
        ]
    );
}

async fn view_id(app: &TestApp, username: &str) -> i32 {
    accounts::find_by_address(&app.state.db, username, &app.state.config.sip_domain)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn bad_input_is_a_422_naming_the_problem_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.account("taken_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let before = app.count("accounts").await;
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("password", "secret-123"), ("algorithm", "MD5")],
            "The username field is required.",
        ),
        (
            &[
                ("username", "short_pw"),
                ("password", "abc"),
                ("algorithm", "MD5"),
            ],
            "password",
        ),
        (
            &[
                ("username", "bad_alg"),
                ("password", "secret-123"),
                ("algorithm", "MD4"),
            ],
            "algorithm",
        ),
        (
            &[
                ("username", "taken_user"),
                ("password", "secret-123"),
                ("algorithm", "MD5"),
            ],
            "The username has already been taken.",
        ),
        (
            &[
                ("username", "nul\0user"),
                ("password", "secret-123"),
                ("algorithm", "MD5"),
            ],
            "username",
        ),
        (
            &[
                ("username", "bad_flag"),
                ("password", "secret-123"),
                ("algorithm", "MD5"),
                ("activated", "on"),
            ],
            "The activated field must be true or false.",
        ),
    ];
    for (fields, message) in cases {
        let page = browser.submit(LIST, LIST, fields).await;
        assert_eq!(page.status, 422, "{fields:?}: {}", page.body);
        assert!(page.body.contains(message), "{fields:?}: {}", page.body);
    }
    assert_eq!(app.count("accounts").await, before);
    assert_eq!(
        app.count("audit_log").await,
        0,
        "a refused creation is not audited"
    );
}

#[tokio::test]
async fn a_wrong_token_or_a_non_admin_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let fields = [
        ("username", "intruder"),
        ("password", "secret-123"),
        ("algorithm", "MD5"),
    ];
    let before = app.count("accounts").await;

    let mut browser = logged_in(&app, &admin).await;
    let mut forged = vec![("_token", "not-the-token")];
    forged.extend_from_slice(&fields);
    assert_eq!(browser.post(LIST, &forged).await.status, 403);

    let mut browser = logged_in(&app, &user).await;
    let page = browser.submit("/account", LIST, &fields).await;
    assert_eq!(page.status, 403);
    assert_eq!(app.count("accounts").await, before);
}
