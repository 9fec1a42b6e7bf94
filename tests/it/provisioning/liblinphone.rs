//! Debian's liblinphone 5.1 fetches our XML through its own remote
//! provisioning, as a Linphone app does after scanning the QR code. Skipped,
//! with a notice, when liblinphone-dev, pkg-config or a C compiler is missing
//! (`apt-get install liblinphone-dev pkg-config gcc`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::{Digest, Md5};
use tokio::process::Command;

use super::{KEY, seed_account, stored};
use crate::helpers::TestApp;

const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/provisioning/liblinphone_provision.c"
);

/// Builds the C test program, or says why it cannot be built here.
async fn compile(dir: &Path) -> Option<PathBuf> {
    let skip = |why: &str| {
        eprintln!("NOTICE: liblinphone provisioning test skipped: {why}");
        None
    };
    let flags = match Command::new("pkg-config")
        .args(["--cflags", "--libs", "linphone"])
        .output()
        .await
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => return skip("pkg-config does not know linphone (liblinphone-dev not installed)"),
    };
    let program = dir.join("provision");
    // Debian's linphone.pc lacks -llinphone itself.
    let compiled = Command::new("cc")
        .arg(SOURCE)
        .args(flags.split_whitespace())
        .args(["-llinphone", "-o"])
        .arg(&program)
        .output()
        .await;
    match compiled {
        Err(_) => skip("no C compiler (cc)"),
        Ok(out) => {
            // liblinphone is there: a program that does not build is a failure.
            assert!(
                out.status.success(),
                "cc failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(program)
        }
    }
}

#[tokio::test]
async fn liblinphone_provisions_the_account_from_our_xml() {
    let work = tempfile::tempdir().unwrap();
    let Some(program) = compile(work.path()).await else {
        return;
    };
    let app = TestApp::spawn_with(&[
        // A closed local port: the REGISTER fails at once, nothing leaves.
        ("ACCOUNT_PROXY_REGISTRAR_ADDRESS", "127.0.0.1:9"),
        ("ACCOUNT_REALM", "realm.example.org"),
    ])
    .await;
    let id = seed_account(&app, "alice", KEY, &[("s3cret-pass", "CLRTXT")]).await;

    let run = Command::new(&program)
        .arg(app.url(&format!("/provisioning/{KEY}")))
        .arg(work.path())
        // Keeps the sound system's files out of the real home.
        .env("HOME", work.path())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("liblinphone finished within a minute")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("RESULT "))
        .collect();
    assert!(
        out.status.success(),
        "provisioning failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let ha1 = hex::encode(Md5::digest("alice:realm.example.org:s3cret-pass"));
    assert_eq!(
        results,
        [
            "configuring state=0 message=".to_string(),
            "account identity=sip:alice@sip.example.org \
             server=<sip:127.0.0.1:9;transport=tls> register=1"
                .to_string(),
            format!(
                "auth username=alice domain=sip.example.org realm=realm.example.org \
                 algorithm=MD5 ha1={ha1} passwd="
            ),
        ],
        "{stdout}"
    );
    // liblinphone's visit consumed the key.
    assert!(stored(&app, id).await.is_activated());
}
