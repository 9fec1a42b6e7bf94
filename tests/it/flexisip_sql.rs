//! Flexisip's own SQL (docs/flexisip.md, "SQL authentication") against our schema, on the backend
//! of `FLEXIAPI_TEST_DB`: the queries run as Flexisip ships them, with the
//! `:name` placeholders bound as prepared-statement parameters.

use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use serde_json::json;

use crate::digest_client::h;
use crate::helpers::TestApp;

const PASSWORD: &str = "select password, algorithm from passwords where account_id = (select id from accounts where username = :id and domain = :domain and activated = true)";
const PASSWORD_UNFILTERED: &str = "select password, algorithm from passwords where account_id = (select id from accounts where username = :id and domain = :domain)";
const USER_WITH_PHONE: &str = "select username from accounts where activated = true and (username = :phone or phone = :phone)";
const USERS_WITH_PHONES: &str = "select username, domain from accounts where activated = true and (username in (:phones) or phone in (:phones))";
const USER_WITH_PHONE_ALIAS: &str = "select a.username from accounts a join aliases al on al.account_id = a.id where a.activated = true and (a.username = :phone or al.alias = :phone)";

/// Runs `query` with each `:name` replaced by a bound parameter.
async fn flexisip_query(app: &TestApp, query: &str, params: &[(&str, &str)]) -> Vec<QueryResult> {
    let backend = app.state.db.get_database_backend();
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    let mut rest = query;
    while let Some(at) = rest.find(':') {
        sql.push_str(&rest[..at]);
        let name_len = rest[at + 1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(rest.len() - at - 1);
        let name = &rest[at + 1..at + 1 + name_len];
        let value = params
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no value for :{name}"))
            .1;
        values.push(value.into());
        if backend == DbBackend::Postgres {
            sql.push_str(&format!("${}", values.len()));
        } else {
            sql.push('?');
        }
        rest = &rest[at + 1 + name_len..];
    }
    sql.push_str(rest);
    app.state
        .db
        .query_all(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn column(rows: &[QueryResult], name: &str) -> Vec<String> {
    let mut values: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", name).unwrap())
        .collect();
    values.sort();
    values
}

#[tokio::test]
async fn password_request_returns_the_ha1_and_algorithm_of_activated_accounts() {
    let app = TestApp::spawn().await;
    let sha = app.account("sha_user", "SHA-256", false).await;
    let md5 = app.account("md5_user", "MD5", false).await;
    let clear = app.account("clear_user", "SHA-256", false).await;
    // A clear-text password as older deployments stored it, beside a hash.
    app.add_password_row(clear.id, "clear-secret", "CLRTXT")
        .await;

    for (account, expected) in [
        (
            &sha,
            vec![(
                h("SHA-256", "sha_user:sip.example.org:sha_user-pass"),
                "SHA-256",
            )],
        ),
        (
            &md5,
            vec![(h("MD5", "md5_user:sip.example.org:md5_user-pass"), "MD5")],
        ),
        (
            &clear,
            vec![
                ("clear-secret".to_string(), "CLRTXT"),
                (
                    h("SHA-256", "clear_user:sip.example.org:clear_user-pass"),
                    "SHA-256",
                ),
            ],
        ),
    ] {
        let rows = flexisip_query(
            &app,
            PASSWORD,
            &[("id", &account.username), ("domain", "sip.example.org")],
        )
        .await;
        let mut found: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get::<String>("", "password").unwrap(),
                    r.try_get::<String>("", "algorithm").unwrap(),
                )
            })
            .collect();
        found.sort();
        let mut expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(p, a)| (p, a.to_string()))
            .collect();
        expected.sort();
        assert_eq!(found, expected, "{}", account.username);
    }

    // Another domain, or a username in another case, is nobody.
    for (id, domain) in [
        ("sha_user", "other.example.org"),
        ("SHA_user", "sip.example.org"),
    ] {
        let rows = flexisip_query(&app, PASSWORD, &[("id", id), ("domain", domain)]).await;
        assert!(rows.is_empty(), "{id}@{domain}");
    }
}

#[tokio::test]
async fn deactivated_accounts_are_found_only_without_the_activated_filter() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("sleepy_user", "MD5", false).await;
    let response = app
        .as_key(
            &admin,
            Method::GET,
            &format!("/api/accounts/{}/deactivate", user.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let params = [("id", "sleepy_user"), ("domain", "sip.example.org")];
    assert!(flexisip_query(&app, PASSWORD, &params).await.is_empty());
    let rows = flexisip_query(&app, PASSWORD_UNFILTERED, &params).await;
    assert_eq!(column(&rows, "algorithm"), ["MD5"]);
    assert_eq!(
        column(&rows, "password"),
        [h("MD5", "sleepy_user:sip.example.org:sleepy_user-pass")]
    );
}

#[tokio::test]
async fn phone_requests_find_the_user_by_phone_or_alias() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.account_with_phone("phone_user", "+33612345678").await;
    // Created by the API, so the phone goes through the same code path
    // as operators' accounts; deactivated, it must not be found.
    let response = app
        .as_key(&admin, Method::POST, "/api/accounts")
        .json(
            &json!({"username": "asleep_phone", "password": "secret1", "algorithm": "MD5",
                      "phone": "+33687654321"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    for query in [USER_WITH_PHONE, USER_WITH_PHONE_ALIAS] {
        let rows = flexisip_query(&app, query, &[("phone", "+33612345678")]).await;
        assert_eq!(column(&rows, "username"), ["phone_user"], "{query}");
        let rows = flexisip_query(&app, query, &[("phone", "+33687654321")]).await;
        assert!(rows.is_empty(), "not activated: {query}");
        // Flexisip also tries the username itself.
        let rows = flexisip_query(&app, query, &[("phone", "phone_user")]).await;
        assert_eq!(column(&rows, "username"), ["phone_user"], "{query}");
    }
    let rows = flexisip_query(&app, USERS_WITH_PHONES, &[("phones", "+33612345678")]).await;
    assert_eq!(column(&rows, "username"), ["phone_user"]);
    assert_eq!(column(&rows, "domain"), ["sip.example.org"]);
}

/// What each of Flexisip's queries finds of `username` (phone `phone`):
/// `[password, phone, phone list, alias]`, true when found.
async fn flexisip_finds(app: &TestApp, username: &str, phone: &str) -> [bool; 4] {
    let by_address = [("id", username), ("domain", "sip.example.org")];
    let by_phone = [("phone", phone)];
    [
        !flexisip_query(app, PASSWORD, &by_address).await.is_empty(),
        !flexisip_query(app, USER_WITH_PHONE, &by_phone)
            .await
            .is_empty(),
        !flexisip_query(app, USERS_WITH_PHONES, &[("phones", phone)])
            .await
            .is_empty(),
        !flexisip_query(app, USER_WITH_PHONE_ALIAS, &by_phone)
            .await
            .is_empty(),
    ]
}

/// An admin's state change; answers the admin account object.
async fn admin_action(
    app: &TestApp,
    admin: &crate::helpers::TestAccount,
    id: i32,
    action: &str,
) -> serde_json::Value {
    let response = app
        .as_key(admin, Method::POST, &format!("/api/accounts/{id}/{action}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{action}");
    crate::helpers::json(response).await
}

/// `GET /api/accounts/{sip}/info`'s `activated`.
async fn info_activated(app: &TestApp, username: &str) -> serde_json::Value {
    let response = app
        .get(&format!("/api/accounts/{username}@sip.example.org/info"))
        .send()
        .await
        .unwrap();
    crate::helpers::json(response).await["activated"].clone()
}

#[tokio::test]
async fn a_blocked_account_is_nobody_to_flexisip_until_unblocked() {
    const PHONE: &str = "+33611112222";
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account_with_phone("blocked_sip", PHONE).await;
    assert_eq!(flexisip_finds(&app, "blocked_sip", PHONE).await, [true; 4]);

    let shown = admin_action(&app, &admin, user.id, "block").await;
    assert_eq!(flexisip_finds(&app, "blocked_sip", PHONE).await, [false; 4]);
    // The API still shows the activation, beside `blocked`, as PHP does.
    assert_eq!(
        (shown["activated"].clone(), shown["blocked"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(info_activated(&app, "blocked_sip").await, json!(true));
    // Blocking twice does not lose the remembered activation.
    admin_action(&app, &admin, user.id, "block").await;

    let shown = admin_action(&app, &admin, user.id, "unblock").await;
    assert_eq!(
        (shown["activated"].clone(), shown["blocked"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(flexisip_finds(&app, "blocked_sip", PHONE).await, [true; 4]);
}

#[tokio::test]
async fn activation_changed_while_blocked_is_what_unblocking_restores() {
    const PHONE: &str = "+33633334444";
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account_with_phone("asleep_sip", PHONE).await;

    // Deactivated, then blocked, then unblocked: still deactivated.
    admin_action(&app, &admin, user.id, "deactivate").await;
    admin_action(&app, &admin, user.id, "block").await;
    let shown = admin_action(&app, &admin, user.id, "unblock").await;
    assert_eq!(shown["activated"], false);
    assert_eq!(info_activated(&app, "asleep_sip").await, json!(false));
    assert_eq!(flexisip_finds(&app, "asleep_sip", PHONE).await, [false; 4]);

    // Activated while blocked: Flexisip still finds nobody until unblocked.
    admin_action(&app, &admin, user.id, "block").await;
    let shown = admin_action(&app, &admin, user.id, "activate").await;
    assert_eq!(
        (shown["activated"].clone(), shown["blocked"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(flexisip_finds(&app, "asleep_sip", PHONE).await, [false; 4]);
    admin_action(&app, &admin, user.id, "unblock").await;
    assert_eq!(flexisip_finds(&app, "asleep_sip", PHONE).await, [true; 4]);

    // Deactivated while blocked: unblocking keeps it deactivated.
    admin_action(&app, &admin, user.id, "block").await;
    let shown = admin_action(&app, &admin, user.id, "deactivate").await;
    assert_eq!(
        (shown["activated"].clone(), shown["blocked"].clone()),
        (json!(false), json!(true))
    );
    admin_action(&app, &admin, user.id, "unblock").await;
    assert_eq!(flexisip_finds(&app, "asleep_sip", PHONE).await, [false; 4]);
    assert_eq!(info_activated(&app, "asleep_sip").await, json!(false));
}

#[tokio::test]
async fn the_console_blocks_and_unblocks_the_same_way() {
    use flexiapi::db::accounts;
    const PHONE: &str = "+33655556666";
    let app = TestApp::spawn().await;
    let user = app.account_with_phone("console_sip", PHONE).await;
    let id = user.id.to_string();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_flexiapi"))
            .args(args)
            .current_dir(app.dir.path())
            .env_clear()
            .env("DATABASE_URL", &app.state.config.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&["accounts", "block", &id]);
    assert_eq!(flexisip_finds(&app, "console_sip", PHONE).await, [false; 4]);
    let stored = accounts::find_by_id(&app.state.db, user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.is_activated() && stored.blocked);
    run(&["accounts", "unblock", &id]);
    assert_eq!(flexisip_finds(&app, "console_sip", PHONE).await, [true; 4]);
}
