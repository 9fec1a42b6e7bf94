//! Console commands on existing accounts (`show`, `block`, `unblock`,
//! `activate`, `deactivate`) and bulk creation (`seed`).

use std::process::Output;

use serde_json::{Value, json};

use crate::console::{Console, stdout_json};
use crate::helpers::{admin_account_keys, keys};

/// A failure: non-zero status, nothing on stdout, one line on stderr.
fn one_line_failure(output: &Output) -> String {
    assert!(!output.status.success(), "succeeded");
    assert!(output.stdout.is_empty(), "printed on stdout");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

fn create(console: &Console, username: &str) -> Value {
    stdout_json(&console.run(&[
        "accounts",
        "create",
        username,
        "--password",
        "secret1",
        "--activated",
    ]))
}

fn show(console: &Console, account: &str) -> Value {
    stdout_json(&console.run(&["accounts", "show", account]))
}

#[tokio::test]
async fn show_by_id_or_sip_address() {
    let console = Console::new();
    let created = create(&console, "shown_user");
    let id = created["id"].to_string();
    for account in [
        id.as_str(),
        "shown_user@sip.example.org",
        "sip:shown_user@sip.example.org",
    ] {
        let shown = show(&console, account);
        assert_eq!(keys(&shown), admin_account_keys(), "{account}");
        assert_eq!(shown["id"], created["id"]);
    }
    for account in ["999", "nobody@sip.example.org", "not an address"] {
        let stderr = one_line_failure(&console.run(&["accounts", "show", account]));
        assert!(stderr.contains(account), "{stderr}");
    }
}

#[tokio::test]
async fn block_unblock_activate_deactivate() {
    let console = Console::new();
    let id = create(&console, "state_user")["id"].to_string();
    let state = |console: &Console| {
        let shown = show(console, &id);
        (shown["activated"].clone(), shown["blocked"].clone())
    };
    let run = |command: &str| {
        let output = console.run(&["accounts", command, &id]);
        assert!(output.status.success(), "{command}");
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    assert!(run("block").contains("state_user@sip.example.org"));
    assert_eq!(state(&console), (json!(true), json!(true)));
    run("deactivate");
    assert_eq!(state(&console), (json!(false), json!(true)));
    run("unblock");
    assert_eq!(state(&console), (json!(false), json!(false)));
    run("activate");
    assert_eq!(state(&console), (json!(true), json!(false)));

    for command in ["block", "unblock", "activate", "deactivate"] {
        let stderr = one_line_failure(&console.run(&["accounts", command, "999"]));
        assert!(stderr.contains("999"), "{stderr}");
    }
    assert_eq!(state(&console), (json!(true), json!(false)));
}

fn write(console: &Console, name: &str, content: &str) -> String {
    let path = console.dir().join(name).display().to_string();
    std::fs::write(&path, content).unwrap();
    path
}

#[tokio::test]
async fn seed_creates_every_account_of_the_list() {
    let console = Console::new();
    let file = write(
        &console,
        "seed.json",
        &json!([
            {"username": "seeded_one", "password": "secret1", "algorithm": "SHA-256",
             "activated": true, "email": "one@example.org", "display_name": "One"},
            {"username": "seeded_two", "password": "secret2", "algorithm": "MD5",
             "phone": "+33611111111", "admin": "1", "domain": "other.example.org",
             "dtmf_protocol": "sipinfo"},
        ])
        .to_string(),
    );
    let output = console.run(&["accounts", "seed", &file]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(keys(&lines[0]), admin_account_keys());
    assert_eq!(lines[0]["display_name"], "One");
    assert_eq!(lines[0]["confirmation_key"], Value::Null);
    assert_eq!(lines[1]["domain"], "other.example.org");
    assert_eq!(lines[1]["admin"], true);
    assert_eq!(lines[1]["dtmf_protocol"], "sipinfo");
    assert_eq!(lines[1]["confirmation_key"].as_str().unwrap().len(), 13);
    assert_eq!(console.count("accounts").await, 2);
    assert_eq!(console.count("aliases").await, 1);
    assert_eq!(console.count("admins").await, 1);
}

#[tokio::test]
async fn a_bad_seed_names_the_entry_and_field_and_writes_nothing() {
    let console = Console::new();
    create(&console, "existing_user");
    let good = json!({"username": "good_user", "password": "secret1", "algorithm": "MD5"});
    let with = |field: &str, value: Value| {
        let mut entry = good.clone();
        entry["username"] = json!("other_user");
        entry[field] = value;
        entry
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            json!([good, with("username", json!("short"))]),
            "entry 1: username",
        ),
        (
            json!([good, with("password", json!("123"))]),
            "entry 1: password",
        ),
        (
            json!([with("algorithm", json!("SHA-1"))]),
            "entry 0: algorithm",
        ),
        (
            json!([good, good, with("email", json!("nope"))]),
            "entry 2: email",
        ),
        (
            json!([good, with("phone", json!("0612"))]),
            "entry 1: phone",
        ),
        (
            json!([good, with("domain", json!("bad domain"))]),
            "entry 1: domain",
        ),
        (
            json!([good, with("display_name", json!("a\u{0}b"))]),
            "entry 1: display_name",
        ),
        // Caught by the database, inside the one transaction.
        (json!([good, good]), "entry 1: username"),
        (
            json!([with("username", json!("existing_user"))]),
            "entry 0: username",
        ),
        (
            json!([with("phone", json!("+33611111111")), {"username": "third_user",
                   "password": "secret1", "algorithm": "MD5", "phone": "+33611111111"}]),
            "entry 1: phone",
        ),
        (json!([good, 12]), "entry 1"),
        (json!({"username": "x"}), "list"),
    ];
    for (content, expected) in cases {
        let file = write(&console, "bad.json", &content.to_string());
        let stderr = one_line_failure(&console.run(&["accounts", "seed", &file]));
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let file = write(&console, "broken.json", "[{\"username\": ");
    let stderr = one_line_failure(&console.run(&["accounts", "seed", &file]));
    assert!(stderr.contains("JSON"), "{stderr}");
    let stderr = one_line_failure(&console.run(&["accounts", "seed", "/no/such/file.json"]));
    assert!(stderr.contains("/no/such/file.json"), "{stderr}");

    assert_eq!(console.count("accounts").await, 1, "nothing was written");
    assert_eq!(console.count("passwords").await, 1);
    assert_eq!(console.count("aliases").await, 0);
}
