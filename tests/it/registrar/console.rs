//! `flexiapi devices list SIP_ADDRESS`, the built binary against a real Redis.

use std::process::Output;

use tokio::process::Command;

use super::fixtures::*;

/// Runs the binary with only the given variables, in an empty directory
/// (no stray `.env`).
async fn flexiapi(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::test_db::TestDb::new();
    Command::new(env!("CARGO_BIN_EXE_flexiapi"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database.url())
        .env("RUST_LOG", "warn")
        .envs(vars.iter().copied())
        .current_dir(dir.path())
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn devices_list_prints_the_api_object() {
    let server = RedisServer::start().await;
    let now = chrono::Utc::now().timestamp();
    register_alice_and_bob(&mut server.connection().await, now).await;
    let redis = server.url();

    for address in ["sip:alice@sip.example.org", "alice@sip.example.org"] {
        let output = flexiapi(&["devices", "list", address], &[("REDIS_URL", &redis)]).await;
        assert!(output.status.success(), "{output:?}");
        let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(printed, alice_devices_json(now), "{address}");
    }

    let output = flexiapi(
        &["devices", "list", "carol@sip.example.org"],
        &[("REDIS_URL", &redis)],
    )
    .await;
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim(), "{}");
}

#[tokio::test]
async fn bad_addresses_and_missing_settings_fail_with_one_line() {
    let redis = url(free_port());
    for address in [
        "alice",
        "sip:alice",
        "alice@",
        "<sip:alice@sip.example.org>",
        "a b@c",
    ] {
        let output = flexiapi(&["devices", "list", address], &[("REDIS_URL", &redis)]).await;
        assert!(!output.status.success(), "{address}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("invalid SIP address"), "{stderr}");
    }

    let output = flexiapi(&["devices", "list", "alice@sip.example.org"], &[]).await;
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("REDIS_URL"), "{stderr}");

    // Redis down: a one-line error, not a hang.
    let output = flexiapi(
        &["devices", "list", "alice@sip.example.org"],
        &[("REDIS_URL", &redis)],
    )
    .await;
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unavailable"), "{stderr}");
}
