//! The audit log: a row per admin action from the API, the console and the
//! panel (actor, target, action, client address, injected clock), none
//! after a refused action, retention, `flexiapi audit list`, and the
//! panel's `/admin/audit` page.

use chrono::NaiveDateTime;
use flexiapi::db::entities::audit_log;
use reqwest::Method;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use crate::console::{Console, stdout_json};
use crate::helpers::{TestAccount, TestApp};
use crate::panel::logged_in;

/// Every entry, in the order written.
pub(crate) async fn entries(db: &impl ConnectionTrait) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await
        .unwrap()
}

fn actions(entries: &[audit_log::Model]) -> Vec<&str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}

fn address(account: &TestAccount) -> String {
    format!("{}@{}", account.username, account.domain)
}

/// An entry written straight into the table, at `at`.
async fn insert_entry(db: &impl ConnectionTrait, at: &str, target_id: i32) {
    audit_log::ActiveModel {
        created_at: Set(NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").unwrap()),
        actor_id: Set(None),
        actor: Set("console".into()),
        target_id: Set(Some(target_id)),
        target: Set(format!("user{target_id}@sip.example.org")),
        action: Set("account.block".into()),
        client_address: Set("console".into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

#[tokio::test]
async fn every_admin_api_action_is_recorded_with_actor_target_and_client() {
    let app = TestApp::spawn_with(&[("APP_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let admin = app.admin().await;
    // The injected clock dates the rows.
    app.state.clock.advance(chrono::Duration::days(40));
    let expected_time = app.state.clock.now_naive();
    let call = |method: Method, path: &str| {
        app.as_key(&admin, method, path)
            .header("X-Forwarded-For", "203.0.113.7")
    };
    let created = call(Method::POST, "/api/accounts")
        .json(&json!({"username": "audited", "password": "s3cret-pass", "algorithm": "SHA-256"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let one = |suffix: &str| format!("/api/accounts/{id}{suffix}");
    for (method, path) in [
        (Method::POST, one("/activate")),
        (Method::POST, one("/deactivate")),
        (Method::GET, one("/activate")),
        (Method::GET, one("/deactivate")),
        (Method::POST, one("/block")),
        (Method::POST, one("/unblock")),
    ] {
        let response = call(method.clone(), &path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{method} {path}");
    }
    let provisioned = call(Method::GET, &one("/provision")).send().await.unwrap();
    assert_eq!(provisioned.status(), 200);
    let token = provisioned.json::<Value>().await.unwrap()["provisioning_token"]
        .as_str()
        .unwrap()
        .to_string();
    let updated = call(Method::PUT, &one(""))
        .json(&json!({"username": "audited2", "password": "other-pass", "algorithm": "MD5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let deleted = call(Method::DELETE, &one("")).send().await.unwrap();
    assert_eq!(deleted.status(), 200);

    let log = entries(&app.state.db).await;
    assert_eq!(
        actions(&log),
        [
            "account.create",
            "account.activate",
            "account.deactivate",
            "account.activate",
            "account.deactivate",
            "account.block",
            "account.unblock",
            "provisioning_token.issue",
            "account.update",
            "account.delete",
        ]
    );
    for entry in &log {
        assert_eq!(entry.actor_id, Some(admin.id));
        assert_eq!(entry.actor, address(&admin));
        assert_eq!(entry.target_id.map(i64::from), Some(id));
        assert_eq!(
            entry.client_address, "203.0.113.7",
            "behind a trusted proxy"
        );
        assert!(
            (entry.created_at - expected_time).num_seconds().abs() < 60,
            "{} is the injected clock's time",
            entry.created_at
        );
        // Only names, never the secrets the requests carried.
        let row = format!("{entry:?}");
        assert!(!row.contains("s3cret") && !row.contains("other-pass"));
        assert!(!row.contains(&admin.api_key) && !row.contains(&token));
    }
    assert_eq!(log[0].target, "audited@sip.example.org");
    // The trail outlives the account, under its last name.
    assert_eq!(log[9].target, "audited2@sip.example.org");
    assert_eq!(app.count("accounts").await, 1, "only the admin is left");
}

#[tokio::test]
async fn refused_api_actions_record_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let taken = app.account("taken_user", "SHA-256", false).await;

    // 403: not an admin.
    for (method, path) in [
        (Method::POST, "/api/accounts".to_string()),
        (Method::DELETE, format!("/api/accounts/{}", taken.id)),
        (Method::POST, format!("/api/accounts/{}/block", taken.id)),
        (
            Method::POST,
            format!("/api/accounts/{}/deactivate", taken.id),
        ),
    ] {
        let response = app
            .as_key(&user, method.clone(), &path)
            .json(&json!({"username": "x_user", "password": "secret1", "algorithm": "MD5"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
    }
    // 422: bad or conflicting fields.
    for body in [
        json!({"username": "taken_user", "password": "secret1", "algorithm": "MD5"}),
        json!({"username": "new_user", "password": "1", "algorithm": "MD5"}),
        json!({"username": "nul\u{0}user", "password": "secret1", "algorithm": "MD5"}),
    ] {
        let response = app
            .as_key(&admin, Method::POST, "/api/accounts")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
    }
    let response = app
        .as_key(&admin, Method::PUT, &format!("/api/accounts/{}", user.id))
        .json(&json!({"username": "taken_user", "password": "secret1", "algorithm": "MD5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    // A user's own token is not an admin action.
    let own = app
        .as_key(&user, Method::GET, "/api/accounts/me/provision")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    // 404: no such account.
    for (method, path) in [
        (Method::DELETE, "/api/accounts/99999"),
        (Method::POST, "/api/accounts/99999/block"),
        (Method::POST, "/api/accounts/99999/activate"),
        (Method::GET, "/api/accounts/99999/provision"),
    ] {
        let response = app.as_key(&admin, method, path).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    assert_eq!(app.count("audit_log").await, 0);
    assert_eq!(app.count("accounts").await, 3);
}

#[tokio::test]
async fn console_actions_are_recorded_as_the_console() {
    let console = Console::new();
    let created = stdout_json(&console.run(&[
        "accounts",
        "create",
        "console_target",
        "--password",
        "secret1",
        "--api-key",
    ]));
    let id = created["id"].to_string();
    let api_key = created["api_key"].as_str().unwrap().to_string();
    for args in [
        vec!["accounts", "set-admin", &id],
        vec!["accounts", "api-key", "console_target@sip.example.org"],
        vec!["accounts", "activate", &id],
        vec!["accounts", "deactivate", &id],
        vec!["accounts", "block", &id],
        vec!["accounts", "unblock", &id],
    ] {
        let output = console.run(&args);
        assert!(output.status.success(), "{args:?}: {output:?}");
    }
    std::fs::write(
        console.dir().join("seed.json"),
        json!([{"username": "seeded", "password": "secret1", "algorithm": "MD5"}]).to_string(),
    )
    .unwrap();
    assert!(
        console
            .run(&["accounts", "seed", "seed.json"])
            .status
            .success()
    );
    // A refused command records nothing.
    assert!(
        !console
            .run(&["accounts", "block", "99999"])
            .status
            .success()
    );
    assert!(
        !console
            .run(&[
                "accounts",
                "create",
                "console_target",
                "--password",
                "secret1"
            ])
            .status
            .success()
    );
    // Never activated, so cleared (and recorded) at once.
    let output = console.run(&["accounts", "clear-unconfirmed", "0", "--apply"]);
    assert!(output.status.success(), "{output:?}");

    let db = console.db().await;
    let log = entries(&db).await;
    assert_eq!(
        actions(&log),
        [
            "account.create",
            "api_key.issue",
            "account.admin_on",
            "api_key.issue",
            "account.activate",
            "account.deactivate",
            "account.block",
            "account.unblock",
            "account.create",
            "account.delete",
            "account.delete",
        ]
    );
    for entry in &log {
        assert_eq!(
            (
                entry.actor_id,
                entry.actor.as_str(),
                entry.client_address.as_str()
            ),
            (None, "console", "console")
        );
        assert!(!format!("{entry:?}").contains(&api_key), "no key in a row");
        assert!(!format!("{entry:?}").contains("secret1"));
    }
    assert_eq!(log[0].target, "console_target@sip.example.org");
    assert_eq!(log[8].target, "seeded@sip.example.org");
    let deleted: Vec<&str> = log[9..].iter().map(|e| e.target.as_str()).collect();
    assert!(deleted.contains(&"seeded@sip.example.org"), "{deleted:?}");
    assert!(deleted.contains(&"console_target@sip.example.org"));
}

/// A failure: non-zero status, nothing on stdout, one line on stderr.
fn one_line_failure(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "succeeded");
    assert!(output.stdout.is_empty(), "printed on stdout");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

fn json_lines(output: &std::process::Output) -> Vec<Value> {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn console_list_since_limit_and_bad_input() {
    let console = Console::new();
    // Migrates the database, records nothing.
    assert!(json_lines(&console.run(&["audit", "list"])).is_empty());
    let db = console.db().await;
    insert_entry(&db, "2026-01-01 23:59:59", 1).await;
    insert_entry(&db, "2026-01-02 00:00:00", 2).await;
    insert_entry(&db, "2026-01-02 12:30:00", 3).await;
    insert_entry(&db, "2026-01-03 08:00:00", 4).await;

    let all = json_lines(&console.run(&["audit", "list"]));
    assert_eq!(all.len(), 4);
    assert_eq!(
        all[0],
        json!({
            "id": all[0]["id"], "time": "2026-01-01 23:59:59", "actor_id": null,
            "actor": "console", "action": "account.block", "target_id": 1,
            "target": "user1@sip.example.org", "detail": null, "client_address": "console"
        })
    );
    let targets = |lines: Vec<Value>| -> Vec<i64> {
        lines
            .iter()
            .map(|l| l["target_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        targets(json_lines(&console.run(&[
            "audit",
            "list",
            "--since",
            "2026-01-02"
        ]))),
        [2, 3, 4]
    );
    assert_eq!(
        targets(json_lines(&console.run(&[
            "audit",
            "list",
            "--since",
            "2026-01-02 12:30:00"
        ]))),
        [3, 4]
    );
    assert_eq!(
        targets(json_lines(&console.run(&[
            "audit",
            "list",
            "--since",
            "2026-01-02",
            "--limit",
            "1"
        ]))),
        [2]
    );
    for args in [
        ["--since", "yesterday"],
        ["--since", "2026-13-01"],
        ["--since", "2026-01-02 25:00:00"],
        ["--since", "2026-01-02\u{7}"],
        ["--limit", "0"],
        ["--limit", "-3"],
        ["--since", "-1"],
        ["--limit", "99999999999999999999"],
        ["--limit", "many"],
    ] {
        let mut all = vec!["audit", "list"];
        all.extend(args);
        let stderr = one_line_failure(&console.run(&all));
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn prune_deletes_entries_past_the_retention() {
    let console = Console::new();
    assert!(console.run(&["audit", "list"]).status.success());
    let db = console.db().await;
    let now = chrono::Utc::now().naive_utc();
    let at = |days: i64| {
        (now - chrono::Duration::days(days))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    insert_entry(&db, &at(400), 1).await;
    insert_entry(&db, &at(40), 2).await;
    insert_entry(&db, &at(1), 3).await;

    // Default: 365 days.
    let output = console.run(&["audit", "prune"]);
    assert!(output.status.success(), "{output:?}");
    let left: Vec<i32> = entries(&db)
        .await
        .iter()
        .filter_map(|e| e.target_id)
        .collect();
    assert_eq!(left, [2, 3]);
    let output = console.run_with_env(&["audit", "prune"], &[("AUDIT_RETENTION_DAYS", "30")]);
    assert!(output.status.success(), "{output:?}");
    let left: Vec<i32> = entries(&db)
        .await
        .iter()
        .filter_map(|e| e.target_id)
        .collect();
    assert_eq!(left, [3]);
    // A bad retention is a configuration error, nothing deleted.
    for bad in ["0", "forever", "36501"] {
        let output = console.run_with_env(&["audit", "prune"], &[("AUDIT_RETENTION_DAYS", bad)]);
        let stderr = one_line_failure(&output);
        assert!(stderr.contains("AUDIT_RETENTION_DAYS"), "{stderr}");
    }
    assert_eq!(entries(&db).await.len(), 1);
}

#[tokio::test]
async fn the_injected_clock_ages_entries_out() {
    let app = TestApp::spawn_with(&[("AUDIT_RETENTION_DAYS", "10")]).await;
    let admin = app.admin().await;
    let user = app.account("aged_user", "SHA-256", false).await;
    let block = format!("/api/accounts/{}/block", user.id);
    let response = app
        .as_key(&admin, Method::POST, &block)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let prune = || {
        flexiapi::audit::prune(
            &app.state.db,
            app.state.config.audit_retention_days,
            app.state.clock.now_naive(),
        )
    };
    app.state.clock.advance(chrono::Duration::days(9));
    assert_eq!(prune().await.unwrap(), 0, "9 days old: kept");
    app.state.clock.advance(chrono::Duration::days(2));
    assert_eq!(prune().await.unwrap(), 1, "11 days old: deleted");
    assert_eq!(app.count("audit_log").await, 0);
}

#[tokio::test]
async fn every_admin_panel_action_is_recorded() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let other = app.account("panel_target", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let act = |action: &str| format!("/admin/accounts/{}/{action}", other.id);
    for action in [
        "activate",
        "deactivate",
        "block",
        "unblock",
        "admin",
        "unadmin",
    ] {
        let page = browser.submit("/admin/accounts", &act(action), &[]).await;
        assert_eq!(page.status, 303, "{action}: {}", page.body);
    }
    let path = format!("/admin/accounts/{}", other.id);
    let page = browser
        .submit(
            &path,
            &format!("{path}/edit"),
            &[("username", "panel_target"), ("email", "t@example.org")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = browser
        .submit("/admin/api-key", "/admin/api-key", &[])
        .await;
    assert_eq!(page.status, 200);
    let page = browser.submit(&act("delete"), &act("delete"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);

    // Refused: the admin's own account, a bad CSRF token, a bad edit.
    let own = format!("/admin/accounts/{}/deactivate", admin.id);
    assert_eq!(
        browser.submit("/admin/accounts", &own, &[]).await.status,
        422
    );
    let page = browser
        .post(&act("block"), &[("_token", &"x".repeat(40))])
        .await;
    assert_ne!(page.status, 303);

    let log = entries(&app.state.db).await;
    assert_eq!(
        actions(&log),
        [
            "account.activate",
            "account.deactivate",
            "account.block",
            "account.unblock",
            "account.admin_on",
            "account.admin_off",
            "account.update",
            "api_key.issue",
            "account.delete",
        ]
    );
    for entry in &log {
        assert_eq!(entry.actor_id, Some(admin.id));
        assert_eq!(entry.actor, address(&admin));
        assert_eq!(entry.client_address, "127.0.0.1");
    }
    assert_eq!(log[7].target_id, Some(admin.id), "the admin's own key");
    assert_eq!(log[8].target, "panel_target@sip.example.org");
    assert_eq!(log[8].target_id, Some(other.id));
}

#[tokio::test]
async fn the_panel_page_is_for_admins_newest_first_50_a_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    for n in 0..120 {
        let at = format!("2026-01-01 {:02}:{:02}:00", n / 60, n % 60);
        insert_entry(&app.state.db, &at, n + 1).await;
    }

    // Not logged in: to the login page; logged in, not an admin: 403.
    let anonymous = crate::panel::Browser::new(&app).get("/admin/audit").await;
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.location().unwrap().starts_with("/login"));
    let mut browser = logged_in(&app, &user).await;
    assert_eq!(browser.get("/admin/audit").await.status, 403);
    assert!(!browser.get("/account").await.body.contains("/admin/audit"));

    let mut browser = logged_in(&app, &admin).await;
    assert!(
        browser
            .get("/account")
            .await
            .body
            .contains("href=\"/admin/audit\"")
    );
    let rows = |body: &str| body.matches("<tr class=\"audit\"").count();
    let first = browser.get("/admin/audit").await;
    assert_eq!(first.status, 200);
    assert_eq!(rows(&first.body), 50);
    assert!(first.body.contains("120 entries"));
    assert!(first.body.contains("2026-01-01 01:59:00"), "newest first");
    assert!(first.body.contains("user120@sip.example.org (#120)"));
    assert!(!first.body.contains("user70@"));
    assert!(first.body.contains("href=\"/admin/audit?page=2\""));
    assert!(!first.body.contains("rel=\"prev\""));
    let last = browser.get("/admin/audit?page=3").await;
    assert_eq!(rows(&last.body), 20);
    assert!(last.body.contains("user1@sip.example.org (#1)"));
    assert!(last.body.contains("href=\"/admin/audit?page=2\""));
    assert!(!last.body.contains("rel=\"next\""));
    let beyond = browser.get("/admin/audit?page=9").await;
    assert_eq!((beyond.status, rows(&beyond.body)), (200, 0));
    for bad in ["abc", "0", "-1", "99999999999999999999999"] {
        let page = browser.get(&format!("/admin/audit?page={bad}")).await;
        assert_eq!(page.status, 200, "{bad}");
        assert_eq!(rows(&page.body), 50, "{bad}: the first page");
    }
    // Values are escaped in the page.
    insert_entry(&app.state.db, "2026-02-01 00:00:00", 999).await;
    audit_log::Entity::update_many()
        .col_expr(
            audit_log::Column::Target,
            sea_orm::sea_query::Expr::value("<b>x</b>@sip.example.org"),
        )
        .filter(audit_log::Column::TargetId.eq(999))
        .exec(&app.state.db)
        .await
        .unwrap();
    let page = browser.get("/admin/audit").await;
    assert!(page.body.contains("x&lt;/b&gt;@") || page.body.contains("x&#60;/b&#62;@"));
    assert!(!page.body.contains("<b>x</b>"));
}

#[tokio::test]
async fn device_deletions_by_an_admin_are_recorded_refused_ones_not() {
    use crate::registrar::fixtures::{DESKTOP, PHONE, RedisServer, register_alice_and_bob};
    let server = RedisServer::start().await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &server.url())]).await;
    let now = app.state.clock.now().timestamp();
    register_alice_and_bob(&mut server.connection().await, now).await;
    let admin = app.admin().await;
    let alice = app.account("alice", "MD5", false).await;
    let devices = format!("/api/accounts/{}/devices", alice.id);
    let delete = |uuid: &str| {
        app.as_key(&admin, Method::DELETE, &format!("{devices}/{uuid}"))
            .send()
    };
    assert_eq!(delete(PHONE).await.unwrap().status(), 200);
    assert_eq!(delete(PHONE).await.unwrap().status(), 404, "already gone");
    let as_alice = app
        .as_key(&alice, Method::DELETE, &format!("{devices}/{DESKTOP}"))
        .send()
        .await
        .unwrap();
    assert_eq!(as_alice.status(), 403);
    assert_eq!(app.count("audit_log").await, 1);

    let mut browser = logged_in(&app, &admin).await;
    let path = format!("/admin/accounts/{}", alice.id);
    let remove = format!("{path}/devices/delete");
    let page = browser.submit(&path, &remove, &[("uuid", DESKTOP)]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = browser.submit(&path, &remove, &[("uuid", DESKTOP)]).await;
    assert_ne!(page.status, 303, "already gone");

    let log = entries(&app.state.db).await;
    assert_eq!(actions(&log), ["device.delete", "device.delete"]);
    for entry in &log {
        assert_eq!(
            (entry.actor_id, entry.target_id),
            (Some(admin.id), Some(alice.id))
        );
        assert_eq!(entry.client_address, "127.0.0.1");
    }
}

#[tokio::test]
async fn serve_prunes_old_entries_at_start() {
    let console = Console::new();
    assert!(console.run(&["audit", "list"]).status.success());
    let db = console.db().await;
    let at = |days: i64| {
        (chrono::Utc::now().naive_utc() - chrono::Duration::days(days))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    insert_entry(&db, &at(400), 1).await;
    insert_entry(&db, &at(2), 2).await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = console
        .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut left = Vec::new();
    for _ in 0..200 {
        left = entries(&db)
            .await
            .iter()
            .filter_map(|e| e.target_id)
            .collect();
        if left == [2] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        left,
        [2],
        "the 400-day-old entry is pruned, the recent one kept"
    );
}

#[tokio::test]
async fn an_action_whose_entry_cannot_be_written_does_not_happen() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.account("kept_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let token = browser.token_of("/admin/accounts").await;
    let cookie = format!(
        "{}={}",
        crate::panel::SESSION_COOKIE,
        browser.session_cookie().unwrap()
    );
    // Without its table the entry fails, and so must the action with it.
    app.state
        .db
        .execute_unprepared("DROP TABLE audit_log")
        .await
        .unwrap();
    let api = |method: Method, path: String| app.as_key(&admin, method, &path).send();
    let block = api(Method::POST, format!("/api/accounts/{}/block", user.id));
    assert_eq!(block.await.unwrap().status(), 500);
    let deactivate = api(
        Method::POST,
        format!("/api/accounts/{}/deactivate", user.id),
    );
    assert_eq!(deactivate.await.unwrap().status(), 500);
    let delete = api(Method::DELETE, format!("/api/accounts/{}", user.id));
    assert_eq!(delete.await.unwrap().status(), 500);
    let created = app
        .as_key(&admin, Method::POST, "/api/accounts")
        .json(&json!({"username": "never_made", "password": "secret1", "algorithm": "MD5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 500);

    // The panel's error page (the test browser refuses 500s).
    let page = app
        .client
        .post(app.url(&format!("/admin/accounts/{}/block", user.id)))
        .header("Cookie", cookie)
        .form(&[("_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 500);

    let stored = flexiapi::db::accounts::find_by_id(&app.state.db, user.id)
        .await
        .unwrap()
        .expect("not deleted");
    assert!(stored.is_activated() && !stored.blocked, "{stored:?}");
    assert_eq!(app.count("accounts").await, 2, "nothing created");
}
