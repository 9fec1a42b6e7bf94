//! The audit log of the admin's smaller collections: account types, DTMF
//! actions, dictionary, external account, contacts lists, creation tokens
//! and the admin mails, from the API and the panel. Targets that are not
//! accounts have no `target_id` and a description; `detail` says what
//! changed. Refused actions record nothing; no secret reaches a row. Also
//! the migration that made room for them, with rows already there.

use flexiapi::db::entities::{account_action, account_type, audit_log, contacts_list};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};

use crate::account_columns;
use crate::audit::entries;
use crate::console::Console;
use crate::helpers::{TestAccount, TestApp};
use crate::panel::logged_in;
use crate::smtp_server::{Reject, SmtpOptions};
use crate::with_token::Delivery;

fn address(account: &TestAccount) -> String {
    format!("{}@{}", account.username, account.domain)
}

type Row = (String, String, Option<i32>, Option<String>);

/// (action, target, target_id, detail) of each entry.
fn summary(log: &[audit_log::Model]) -> Vec<Row> {
    log.iter()
        .map(|e| {
            (
                e.action.clone(),
                e.target.clone(),
                e.target_id,
                e.detail.clone(),
            )
        })
        .collect()
}

fn row(action: &str, target: &str, target_id: Option<i32>, detail: Option<&str>) -> Row {
    (
        action.into(),
        target.into(),
        target_id,
        detail.map(str::to_string),
    )
}

async fn api(
    app: &TestApp,
    who: &TestAccount,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.as_key(who, method.clone(), path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The one row of `Entity`, for its id.
async fn only<E: EntityTrait>(app: &TestApp) -> E::Model {
    let mut rows = E::find().all(&app.state.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    rows.remove(0)
}

fn external_body() -> Value {
    json!({
        "username": "remote.user",
        "domain": "Remote.Example.com",
        "password": "remote-secret",
        "protocol": "TLS",
    })
}

#[tokio::test]
async fn every_admin_api_item_action_is_recorded() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("item_user", "SHA-256", false).await;
    account_columns::set(&app, user.id, "dtmf_protocol", Some("sipinfo")).await;
    let contact = app.account("item_contact", "SHA-256", false).await;
    let (u, c) = (user.id, contact.id);
    let call = |method: Method, path: String, body: Option<Value>| {
        let (app, admin) = (&app, &admin);
        async move {
            let (status, answer) = api(app, admin, method.clone(), &path, body).await;
            // Creations answer 201 (as upstream), the rest 200.
            assert!(status == 200 || status == 201, "{method} {path}: {answer}");
            answer
        }
    };

    let kind = call(
        Method::POST,
        "/api/account_types".into(),
        Some(json!({"key": "premium"})),
    )
    .await;
    let t = kind["id"].as_i64().unwrap();
    let types = format!("/api/account_types/{t}");
    call(Method::PUT, types.clone(), Some(json!({"key": "gold"}))).await;
    call(Method::POST, format!("/api/accounts/{u}/types/{t}"), None).await;
    call(Method::DELETE, format!("/api/accounts/{u}/types/{t}"), None).await;
    call(Method::DELETE, types, None).await;

    let actions = format!("/api/accounts/{u}/actions");
    let action = call(
        Method::POST,
        actions.clone(),
        Some(json!({"key": "open", "code": "12"})),
    )
    .await;
    let a = action["id"].as_i64().unwrap();
    let one_action = format!("{actions}/{a}");
    call(
        Method::PUT,
        one_action.clone(),
        Some(json!({"key": "close", "code": "3"})),
    )
    .await;
    call(Method::DELETE, one_action, None).await;

    let dictionary = format!("/api/accounts/{u}/dictionary");
    call(
        Method::POST,
        format!("{dictionary}/theme"),
        Some(json!({"value": "kept-out-of-the-log"})),
    )
    .await;
    call(Method::DELETE, format!("{dictionary}/theme"), None).await;
    call(Method::DELETE, format!("{dictionary}/clear"), None).await;
    call(Method::DELETE, dictionary, None).await;

    let external = format!("/api/accounts/{u}/external");
    call(Method::POST, external.clone(), Some(external_body())).await;
    call(Method::DELETE, external, None).await;

    let list = call(
        Method::POST,
        "/api/contacts_lists".into(),
        Some(json!({"title": "Friends", "description": "d"})),
    )
    .await;
    let l = list["id"].as_i64().unwrap();
    let lists = format!("/api/contacts_lists/{l}");
    call(
        Method::PUT,
        lists.clone(),
        Some(json!({"title": "Family", "description": "d"})),
    )
    .await;
    call(Method::POST, format!("{lists}/contacts/{c}"), None).await;
    call(Method::DELETE, format!("{lists}/contacts/{c}"), None).await;
    let given = format!("/api/accounts/{u}/contacts_lists/{l}");
    call(Method::POST, given.clone(), None).await;
    call(Method::DELETE, given, None).await;
    call(Method::DELETE, lists, None).await;

    let (status, token) = api(
        &app,
        &admin,
        Method::POST,
        "/api/account_creation_tokens",
        None,
    )
    .await;
    assert_eq!(status, 201);
    let token = token["token"].as_str().unwrap().to_string();

    let log = entries(&app.state.db).await;
    let user_address = address(&user);
    let on_user = |action: &str, detail: Option<&str>| row(action, &user_address, Some(u), detail);
    let gold = format!("account type {t} (gold)");
    let family = format!("contacts list {l} (Family)");
    let the_contact = format!("contact {} (#{c})", address(&contact));
    let creation_token = format!(
        "account creation token {}",
        only::<flexiapi::db::entities::account_creation_token::Entity>(&app)
            .await
            .id
    );
    assert_eq!(
        summary(&log),
        [
            row(
                "account_type.create",
                format!("account type {t} (premium)").as_str(),
                None,
                None
            ),
            row("account_type.update", &gold, None, Some("key was premium")),
            on_user("account_type.give", Some(&*gold)),
            on_user("account_type.take", Some(&*gold)),
            row("account_type.delete", &gold, None, None),
            on_user(
                "account_action.create",
                Some(&*format!("action {a} (open)"))
            ),
            on_user(
                "account_action.update",
                Some(&*format!("action {a} (close)"))
            ),
            on_user(
                "account_action.delete",
                Some(&*format!("action {a} (close)"))
            ),
            on_user("dictionary.set", Some("key theme")),
            on_user("dictionary.delete", Some("key theme")),
            on_user("dictionary.clear", None),
            on_user("dictionary.clear", None),
            on_user(
                "external_account.set",
                Some("external remote.user@remote.example.com")
            ),
            on_user(
                "external_account.delete",
                Some("external remote.user@remote.example.com")
            ),
            row(
                "contacts_list.create",
                format!("contacts list {l} (Friends)").as_str(),
                None,
                None
            ),
            row("contacts_list.update", &family, None, None),
            row(
                "contacts_list.contact_add",
                &family,
                None,
                Some(&*the_contact)
            ),
            row(
                "contacts_list.contact_remove",
                &family,
                None,
                Some(&*the_contact)
            ),
            on_user("contacts_list.give", Some(&*family)),
            on_user("contacts_list.take", Some(&*family)),
            row("contacts_list.delete", &family, None, None),
            row("account_creation_token.issue", &creation_token, None, None),
        ]
    );
    for entry in &log {
        assert_eq!(entry.actor_id, Some(admin.id));
        assert_eq!(entry.actor, address(&admin));
        assert_eq!(entry.client_address, "127.0.0.1");
        let row = format!("{entry:?}");
        for secret in ["kept-out-of-the-log", "remote-secret", token.as_str()] {
            assert!(!row.contains(secret), "{secret} in {row}");
        }
    }
}

#[tokio::test]
async fn refused_api_item_actions_record_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("item_user", "SHA-256", false).await;
    account_columns::set(&app, user.id, "dtmf_protocol", Some("sipinfo")).await;
    let contact = app.account("item_contact", "SHA-256", false).await;
    let (u, c) = (user.id, contact.id);
    let (_, kind) = api(
        &app,
        &admin,
        Method::POST,
        "/api/account_types",
        Some(json!({"key": "silver"})),
    )
    .await;
    let t = kind["id"].as_i64().unwrap();
    let give = format!("/api/accounts/{u}/types/{t}");
    assert_eq!(api(&app, &admin, Method::POST, &give, None).await.0, 200);
    let (_, list) = api(
        &app,
        &admin,
        Method::POST,
        "/api/contacts_lists",
        Some(json!({"title": "Team", "description": "d"})),
    )
    .await;
    let l = list["id"].as_i64().unwrap();
    let before = app.count("audit_log").await;
    assert_eq!(before, 3);

    let refused: Vec<(Method, String, Option<Value>, u16)> = vec![
        (
            Method::POST,
            "/api/account_types".into(),
            Some(json!({"key": "Not A Key"})),
            422,
        ),
        (
            Method::POST,
            "/api/account_types".into(),
            Some(json!({"key": "silver"})),
            422,
        ),
        (
            Method::PUT,
            "/api/account_types/999999".into(),
            Some(json!({"key": "x"})),
            404,
        ),
        (
            Method::DELETE,
            "/api/account_types/999999".into(),
            None,
            404,
        ),
        (Method::DELETE, "/api/account_types/abc".into(), None, 404),
        (Method::POST, give.clone(), None, 403),
        (
            Method::DELETE,
            format!("/api/accounts/{c}/types/{t}"),
            None,
            403,
        ),
        (
            Method::POST,
            format!("/api/accounts/{u}/actions"),
            Some(json!({"key": "open"})),
            422,
        ),
        (
            Method::POST,
            format!("/api/accounts/{c}/actions"),
            Some(json!({"key": "open", "code": "1"})),
            403,
        ),
        (
            Method::DELETE,
            format!("/api/accounts/{u}/actions/999999"),
            None,
            404,
        ),
        (
            Method::POST,
            format!("/api/accounts/{u}/dictionary/theme"),
            Some(json!({})),
            422,
        ),
        (
            Method::DELETE,
            format!("/api/accounts/{u}/dictionary/missing"),
            None,
            404,
        ),
        (
            Method::POST,
            format!("/api/accounts/{u}/external"),
            Some(json!({"username": "remote"})),
            422,
        ),
        (
            Method::DELETE,
            format!("/api/accounts/{u}/external"),
            None,
            404,
        ),
        (
            Method::POST,
            "/api/contacts_lists".into(),
            Some(json!({"title": ""})),
            422,
        ),
        (
            Method::PUT,
            format!("/api/contacts_lists/{l}"),
            Some(json!({"title": "x".repeat(300), "description": ""})),
            422,
        ),
        (
            Method::DELETE,
            "/api/contacts_lists/999999".into(),
            None,
            404,
        ),
        (
            Method::DELETE,
            format!("/api/contacts_lists/{l}/contacts/{c}"),
            None,
            404,
        ),
        (
            Method::DELETE,
            format!("/api/accounts/{u}/contacts_lists/{l}"),
            None,
            403,
        ),
        (
            Method::POST,
            format!("/api/accounts/999999/contacts_lists/{l}"),
            None,
            404,
        ),
    ];
    for (method, path, body, status) in refused {
        let (got, answer) = api(&app, &admin, method.clone(), &path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
    }
    // Not an admin: refused before any handler.
    let (got, _) = api(
        &app,
        &user,
        Method::POST,
        "/api/account_types",
        Some(json!({"key": "by-user"})),
    )
    .await;
    assert_eq!(got, 403);
    let (got, _) = api(
        &app,
        &user,
        Method::POST,
        "/api/account_creation_tokens",
        None,
    )
    .await;
    assert_eq!(got, 403);
    assert_eq!(app.count("audit_log").await, before);
}

#[tokio::test]
async fn an_item_action_whose_entry_cannot_be_written_does_not_happen() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("kept_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let token = browser.token_of("/admin/contacts_lists").await;
    let cookie = format!(
        "{}={}",
        crate::panel::SESSION_COOKIE,
        browser.session_cookie().unwrap()
    );
    app.state
        .db
        .execute_unprepared("DROP TABLE audit_log")
        .await
        .unwrap();
    let (status, _) = api(
        &app,
        &admin,
        Method::POST,
        "/api/account_types",
        Some(json!({"key": "never"})),
    )
    .await;
    assert_eq!(status, 500);
    let path = format!("/api/accounts/{}/dictionary/theme", user.id);
    let (status, _) = api(
        &app,
        &admin,
        Method::POST,
        &path,
        Some(json!({"value": "dark"})),
    )
    .await;
    assert_eq!(status, 500);
    let (status, _) = api(
        &app,
        &admin,
        Method::POST,
        "/api/account_creation_tokens",
        None,
    )
    .await;
    assert_eq!(status, 500);
    // The panel's error page (the test browser refuses 500s).
    let page = app
        .client
        .post(app.url("/admin/contacts_lists"))
        .header("Cookie", cookie)
        .form(&[
            ("_token", token.as_str()),
            ("title", "Never"),
            ("description", "d"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 500);
    for table in [
        "account_types",
        "account_dictionary_entries",
        "account_creation_tokens",
        "contacts_lists",
    ] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn admin_mails_are_recorded_once_sent() {
    let d = Delivery::spawn(&[]).await;
    let admin = d.app.admin().await;
    let user = d.app.account("mailed_user", "SHA-256", false).await;
    let reset = format!("/api/accounts/{}/send_reset_password_email", user.id);
    let provisioning = format!("/api/accounts/{}/send_provisioning_email", user.id);
    // No address: refused, nothing recorded.
    assert_eq!(api(&d.app, &admin, Method::POST, &reset, None).await.0, 403);
    assert_eq!(d.app.count("audit_log").await, 0);
    account_columns::set(&d.app, user.id, "email", Some("mailed@example.org")).await;
    assert_eq!(api(&d.app, &admin, Method::POST, &reset, None).await.0, 200);
    let sent = api(&d.app, &admin, Method::POST, &provisioning, None).await;
    assert_eq!(sent.0, 200);
    let log = entries(&d.app.state.db).await;
    let user_address = address(&user);
    assert_eq!(
        summary(&log),
        [
            row(
                "email.reset_password",
                user_address.as_str(),
                Some(user.id),
                None
            ),
            row(
                "email.provisioning",
                user_address.as_str(),
                Some(user.id),
                None
            ),
        ]
    );
    assert!(log.iter().all(|e| e.actor_id == Some(admin.id)));
}

#[tokio::test]
async fn admin_mails_that_fail_are_not_recorded() {
    let options = SmtpOptions {
        reject: Some(Reject::Data),
        ..SmtpOptions::default()
    };
    let d = Delivery::spawn_with(options, &[]).await;
    let admin = d.app.admin().await;
    let user = d.app.account("mailed_user", "SHA-256", false).await;
    account_columns::set(&d.app, user.id, "email", Some("mailed@example.org")).await;
    for action in ["send_reset_password_email", "send_provisioning_email"] {
        let path = format!("/api/accounts/{}/{action}", user.id);
        assert_eq!(api(&d.app, &admin, Method::POST, &path, None).await.0, 503);
    }
    assert_eq!(d.app.count("audit_log").await, 0);
}

#[tokio::test]
async fn every_admin_panel_item_action_is_recorded() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("panel_user", "SHA-256", false).await;
    account_columns::set(&app, user.id, "dtmf_protocol", Some("sipinfo")).await;
    let contact = app.account("panel_contact", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let base = format!("/admin/accounts/{}", user.id);
    let mut submit = async |page: &str, action: &str, fields: &[(&str, &str)]| {
        let answer = browser.submit(page, action, fields).await;
        assert_eq!(answer.status, 303, "{action}: {}", answer.body);
    };

    submit(
        "/admin/account_types",
        "/admin/account_types",
        &[("key", "door")],
    )
    .await;
    let t = only::<account_type::Entity>(&app).await.id;
    let types = format!("{base}/types");
    submit(&types, &types, &[("type_id", &t.to_string())]).await;
    submit(&types, &format!("{types}/{t}/remove"), &[]).await;
    submit(
        "/admin/account_types",
        &format!("/admin/account_types/{t}/delete"),
        &[],
    )
    .await;

    let actions = format!("{base}/actions");
    submit(&actions, &actions, &[("key", "open"), ("code", "1")]).await;
    let a = only::<account_action::Entity>(&app).await.id;
    submit(&actions, &format!("{actions}/{a}/remove"), &[]).await;

    let dictionary = format!("{base}/dictionary");
    submit(
        &dictionary,
        &dictionary,
        &[("key", "theme"), ("value", "kept-out-of-the-log")],
    )
    .await;
    submit(
        &dictionary,
        &format!("{dictionary}/remove"),
        &[("key", "theme")],
    )
    .await;

    let external = format!("{base}/external");
    let fields = [
        ("username", "remote"),
        ("domain", "remote.example.com"),
        ("password", "remote-secret"),
        ("protocol", "TCP"),
    ];
    submit(&external, &external, &fields).await;
    submit(&external, &format!("{external}/remove"), &[]).await;

    submit(
        "/admin/contacts_lists",
        "/admin/contacts_lists",
        &[("title", "Doors"), ("description", "d")],
    )
    .await;
    let l = only::<contacts_list::Entity>(&app).await.id;
    let list = format!("/admin/contacts_lists/{l}");
    submit(&list, &list, &[("title", "Gates"), ("description", "d")]).await;
    let contact_address = address(&contact);
    submit(
        &list,
        &format!("{list}/contacts"),
        &[("address", &contact_address)],
    )
    .await;
    submit(
        &list,
        &format!("{list}/contacts/{}/remove", contact.id),
        &[],
    )
    .await;
    let user_address = address(&user);
    submit(
        &list,
        &format!("{list}/subscribers"),
        &[("address", &user_address)],
    )
    .await;
    submit(
        &list,
        &format!("{list}/subscribers/{}/remove", user.id),
        &[],
    )
    .await;
    submit(&list, &format!("{list}/delete"), &[]).await;

    // Refused: a second removal, a forged form, a bad key.
    let refused = [
        (types.clone(), format!("{types}/{t}/remove"), vec![]),
        (
            dictionary.clone(),
            format!("{dictionary}/remove"),
            vec![("key", "theme")],
        ),
        (dictionary.clone(), dictionary.clone(), vec![("key", "")]),
    ];
    for (page, action, fields) in refused {
        let answer = browser.submit(&page, &action, &fields).await;
        assert!(answer.status >= 400, "{action}: {}", answer.status);
    }
    let forged = browser
        .post(
            "/admin/account_types",
            &[("_token", &"x".repeat(40)), ("key", "forged")],
        )
        .await;
    assert_eq!(forged.status, 403);

    let log = entries(&app.state.db).await;
    let door = format!("account type {t} (door)");
    let gates = format!("contacts list {l} (Gates)");
    let on_user =
        |action: &str, detail: Option<&str>| row(action, &user_address, Some(user.id), detail);
    let the_contact = format!("contact {contact_address} (#{})", contact.id);
    assert_eq!(
        summary(&log),
        [
            row("account_type.create", door.as_str(), None, None),
            on_user("account_type.give", Some(&*door)),
            on_user("account_type.take", Some(&*door)),
            row("account_type.delete", &door, None, None),
            on_user(
                "account_action.create",
                Some(&*format!("action {a} (open)"))
            ),
            on_user(
                "account_action.delete",
                Some(&*format!("action {a} (open)"))
            ),
            on_user("dictionary.set", Some("key theme")),
            on_user("dictionary.delete", Some("key theme")),
            on_user(
                "external_account.set",
                Some("external remote@remote.example.com")
            ),
            on_user(
                "external_account.delete",
                Some("external remote@remote.example.com")
            ),
            row(
                "contacts_list.create",
                format!("contacts list {l} (Doors)").as_str(),
                None,
                None
            ),
            row("contacts_list.update", &gates, None, None),
            row(
                "contacts_list.contact_add",
                &gates,
                None,
                Some(&*the_contact)
            ),
            row(
                "contacts_list.contact_remove",
                &gates,
                None,
                Some(&*the_contact)
            ),
            on_user("contacts_list.give", Some(&*gates)),
            on_user("contacts_list.take", Some(&*gates)),
            row("contacts_list.delete", &gates, None, None),
        ]
    );
    for entry in &log {
        assert_eq!(entry.actor_id, Some(admin.id));
        assert_eq!(entry.client_address, "127.0.0.1");
        let row = format!("{entry:?}");
        assert!(!row.contains("kept-out-of-the-log") && !row.contains("remote-secret"));
    }
}

#[tokio::test]
async fn other_targets_show_on_the_panel_page_and_in_audit_list() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, kind) = api(
        &app,
        &admin,
        Method::POST,
        "/api/account_types",
        Some(json!({"key": "premium"})),
    )
    .await;
    let t = kind["id"].as_i64().unwrap();
    let path = format!("/api/accounts/{}/dictionary/theme", admin.id);
    let (status, _) = api(
        &app,
        &admin,
        Method::POST,
        &path,
        Some(json!({"value": "dark"})),
    )
    .await;
    assert_eq!(status, 201);
    let mut browser = logged_in(&app, &admin).await;
    let page = browser.get("/admin/audit").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&format!("<td>account type {t} (premium)</td>")),
        "no account id for a type: {}",
        page.body
    );
    assert!(page.body.contains(&format!(
        "<td>{} (#{})</td>\n<td>key theme</td>",
        address(&admin),
        admin.id
    )));

    let console = Console::new();
    assert!(console.run(&["audit", "list"]).status.success());
    let db = console.db().await;
    audit_log::ActiveModel {
        created_at: Set(chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()),
        actor_id: Set(None),
        actor: Set("console".into()),
        target_id: Set(None),
        target: Set("contacts list 4 (Friends)".into()),
        action: Set("contacts_list.contact_add".into()),
        client_address: Set("console".into()),
        detail: Set(Some("contact bob@sip.example.org (#9)".into())),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let output = console.run(&["audit", "list"]);
    assert!(output.status.success());
    let line: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["target_id"], Value::Null);
    assert_eq!(line["target"], "contacts list 4 (Friends)");
    assert_eq!(line["detail"], "contact bob@sip.example.org (#9)");
}

/// The step that rebuilds `audit_log` on SQLite and alters it elsewhere
/// keeps the rows it finds; going back drops only the rows without an
/// account, which the old shape cannot hold.
#[tokio::test]
async fn the_migration_keeps_existing_entries_both_ways() {
    use flexiapi::db::migrations::Migrator;
    let database = crate::test_db::TestDb::new();
    let db = flexiapi::db::connect(database.url()).await.unwrap();
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let before_this_step = names
        .iter()
        .position(|name| name == "m20261201_000080_audit_other_targets")
        .unwrap() as u32;
    // This step and the ones after it.
    let steps_back = names.len() as u32 - before_this_step;
    Migrator::up(db.conn(), Some(before_this_step))
        .await
        .unwrap();
    let insert = |target_id: &str| {
        format!(
            "INSERT INTO audit_log (created_at, actor_id, actor, target_id, target, action, \
             client_address) VALUES ('2026-01-01 10:00:00', NULL, 'console', {target_id}, \
             'old@sip.example.org', 'account.block', 'console')"
        )
    };
    db.execute_unprepared(&insert("7")).await.unwrap();
    assert!(
        db.execute_unprepared(&insert("NULL")).await.is_err(),
        "the old shape wants an account"
    );

    Migrator::up(db.conn(), None).await.unwrap();
    let rows = entries(&db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].target_id, rows[0].detail.as_deref()),
        (Some(7), None)
    );
    assert_eq!(rows[0].target, "old@sip.example.org");
    db.execute_unprepared(&insert("NULL")).await.unwrap();
    let next: Vec<i32> = entries(&db).await.iter().map(|e| e.id).collect();
    assert_eq!(next.len(), 2);
    assert!(next[1] > next[0], "ids go on from the copied rows");

    Migrator::down(db.conn(), Some(steps_back)).await.unwrap();
    let left = db
        .query_all(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT target_id FROM audit_log",
        ))
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    let target: i32 = left[0].try_get("", "target_id").unwrap();
    assert_eq!(target, 7);
    Migrator::up(db.conn(), None).await.unwrap();
    assert_eq!(entries(&db).await.len(), 1);
}
