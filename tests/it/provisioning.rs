//! Provisioning XML and QR codes (docs/integrations.md, "Provisioning").

mod liblinphone;

use std::collections::HashMap;

use chrono::Duration;
use flexiapi::clock::Clock;
use flexiapi::config::Config;
use flexiapi::db::entities::{account, activation_expiration, password};
use flexiapi::state::AppState;
use md5::{Digest, Md5};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use tempfile::TempDir;

use crate::helpers::TestApp;

const NS: &str = "http://www.linphone.org/xsds/lpconfig.xsd";
const KEY: &str = "Key0123456789";

/// A section as the client sees it: name, then (entry, value, overwrite).
#[derive(Debug, PartialEq)]
struct Section {
    name: String,
    entries: Vec<(String, String, Option<String>)>,
}

impl Section {
    fn pairs(&self) -> Vec<(&str, &str)> {
        self.entries
            .iter()
            .map(|(k, v, _)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// Parses with a real XML parser, checking the root and its namespace.
fn parse(xml: &str) -> Vec<Section> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "config");
    assert_eq!(root.tag_name().namespace(), Some(NS));
    root.children()
        .filter(|n| n.is_element())
        .map(|section| {
            assert_eq!(section.tag_name().name(), "section");
            assert_eq!(section.tag_name().namespace(), Some(NS));
            Section {
                name: section.attribute("name").unwrap().to_string(),
                entries: section
                    .children()
                    .filter(|n| n.is_element())
                    .map(|entry| {
                        assert_eq!(entry.tag_name().name(), "entry");
                        (
                            entry.attribute("name").unwrap().to_string(),
                            entry.text().unwrap_or_default().to_string(),
                            entry.attribute("overwrite").map(str::to_string),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

fn names(sections: &[Section]) -> Vec<&str> {
    sections.iter().map(|s| s.name.as_str()).collect()
}

fn section<'a>(sections: &'a [Section], name: &str) -> &'a Section {
    sections
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no section {name} in {:?}", names(sections)))
}

/// Operator files live outside the app's own directory.
struct Files(TempDir);

impl Files {
    fn new() -> Self {
        Files(tempfile::tempdir().unwrap())
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.0.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

/// Seeds an account waiting for provisioning, with its passwords.
async fn seed_account(app: &TestApp, username: &str, key: &str, passwords: &[(&str, &str)]) -> i32 {
    let now = app.state.clock.now_naive();
    let account = account::ActiveModel {
        username: Set(username.into()),
        domain: Set("sip.example.org".into()),
        email: Set(None),
        flexisip_activated: Set(false),
        confirmation_key: Set(Some(key.into())),
        ip_address: Set("127.0.0.1".into()),
        user_agent: Set("test".into()),
        creation_time: Set(now),
        expire_time: Set(None),
        phone: Set(None),
        failed_code_attempts: Set(0),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    for (value, algorithm) in passwords {
        password::ActiveModel {
            account_id: Set(account.id),
            password: Set(value.to_string()),
            algorithm: Set(algorithm.to_string()),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .unwrap();
    }
    account.id
}

async fn set_expiry(app: &TestApp, account_id: i32, from_now: Duration) {
    let now = app.state.clock.now_naive();
    activation_expiration::ActiveModel {
        account_id: Set(account_id),
        expires: Set(now + from_now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
}

async fn stored(app: &TestApp, account_id: i32) -> account::Model {
    account::Entity::find_by_id(account_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

/// GETs a provisioning path, checks the XML answer, returns its sections.
async fn provisioning(app: &TestApp, path: &str) -> Vec<Section> {
    let response = app.get(path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    parse(&response.text().await.unwrap())
}

const HA1_MD5: &str = "0123456789abcdef0123456789abcdef";
const HA1_SHA256: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn base_configuration_is_the_rc_file_in_order_with_escaped_values() {
    let files = Files::new();
    let rc = files.write(
        "linphone.rc",
        "# operator settings\n[sip]\nverify_server_certs=1\nsip_tcp_port=-1\n\n\
         [misc]\nfile_transfer_server_url=https://x.example.org/?a=1&b=<2>\n\
         display=\"Zoë's café\" <sip:déjà@vu>\n\
         [app]\nempty=\n",
    );
    let app = TestApp::spawn_with(&[("ACCOUNT_PROVISIONING_RC_FILE", &rc)]).await;

    let expected = vec![
        Section {
            name: "sip".into(),
            entries: vec![
                ("verify_server_certs".into(), "1".into(), None),
                ("sip_tcp_port".into(), "-1".into(), None),
            ],
        },
        Section {
            name: "misc".into(),
            entries: vec![
                (
                    "file_transfer_server_url".into(),
                    "https://x.example.org/?a=1&b=<2>".into(),
                    None,
                ),
                (
                    "display".into(),
                    "\"Zoë's café\" <sip:déjà@vu>".into(),
                    None,
                ),
            ],
        },
        Section {
            name: "app".into(),
            entries: vec![("empty".into(), "".into(), None)],
        },
    ];
    assert_eq!(provisioning(&app, "/provisioning").await, expected);
    assert_eq!(
        provisioning(&app, "/provisioning/UnknownKey123456").await,
        expected
    );
}

#[tokio::test]
async fn valid_key_adds_the_account_once_and_activates_it() {
    let app = TestApp::spawn().await;
    let id = seed_account(
        &app,
        "alice",
        KEY,
        &[(HA1_MD5, "MD5"), (HA1_SHA256, "SHA-256")],
    )
    .await;

    let sections = provisioning(&app, &format!("/provisioning/{KEY}")).await;
    assert_eq!(names(&sections), ["proxy_0", "auth_info_0", "auth_info_1"]);
    assert_eq!(
        sections[0].pairs(),
        [
            ("reg_identity", "sip:alice@sip.example.org"),
            ("reg_sendregister", "1"),
            ("reg_proxy", "<sip:sip.example.org;transport=tls>"),
        ]
    );
    assert_eq!(
        sections[1].pairs(),
        [
            ("username", "alice"),
            ("domain", "sip.example.org"),
            ("ha1", HA1_MD5),
            ("realm", "sip.example.org"),
            ("algorithm", "MD5"),
        ]
    );
    assert_eq!(
        sections[2].pairs(),
        [
            ("username", "alice"),
            ("domain", "sip.example.org"),
            ("ha1", HA1_SHA256),
            ("realm", "sip.example.org"),
            ("algorithm", "SHA-256"),
        ]
    );
    assert!(
        sections
            .iter()
            .flat_map(|s| &s.entries)
            .all(|(_, _, overwrite)| overwrite.is_none())
    );

    let account = stored(&app, id).await;
    assert!(account.is_activated());
    assert_eq!(account.confirmation_key, None);

    // Consumed: the second visit and the QR code know nothing of the key.
    assert!(
        provisioning(&app, &format!("/provisioning/{KEY}"))
            .await
            .is_empty()
    );
    let qr = app
        .get(&format!("/provisioning/qrcode/{KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 404);
}

#[tokio::test]
async fn account_merges_into_the_rc_proxy_0_and_auth_info_0() {
    let files = Files::new();
    let rc = files.write(
        "linphone.rc",
        "[sip]\nguess_hostname=1\n\
         [proxy_0]\nreg_proxy=<sip:proxy.example.org:5061;transport=tls>\n\
         reg_route=<sip:proxy.example.org:5061;transport=tls;lr>\nreg_identity=sip:old@x\n\
         realm=sip.example.org\n\
         [auth_info_0]\nalgorithm=SHA-256\n\
         [net]\nmtu=1300\n",
    );
    let app = TestApp::spawn_with(&[
        ("ACCOUNT_PROVISIONING_RC_FILE", &rc),
        ("ACCOUNT_REALM", "Realm \"A&B\""),
    ])
    .await;
    seed_account(&app, "bob.smith", KEY, &[("s3cr3t<&>", "CLRTXT")]).await;

    let sections = provisioning(&app, &format!("/provisioning/{KEY}")).await;
    assert_eq!(names(&sections), ["sip", "proxy_0", "auth_info_0", "net"]);
    assert_eq!(
        section(&sections, "proxy_0").pairs(),
        [
            ("reg_proxy", "<sip:proxy.example.org:5061;transport=tls>"),
            ("reg_route", "<sip:proxy.example.org:5061;transport=tls;lr>"),
            ("reg_identity", "sip:bob.smith@sip.example.org"),
            ("realm", "sip.example.org"),
            ("reg_sendregister", "1"),
        ]
    );
    // The clear-text password never travels: its MD5 HA1 does.
    let ha1 = hex::encode(Md5::digest("bob.smith:Realm \"A&B\":s3cr3t<&>"));
    assert_eq!(
        section(&sections, "auth_info_0").pairs(),
        [
            ("algorithm", "MD5"),
            ("username", "bob.smith"),
            ("domain", "sip.example.org"),
            ("ha1", ha1.as_str()),
            ("realm", "Realm \"A&B\""),
        ]
    );
}

#[tokio::test]
async fn auth_info_numbering_follows_the_rc_file_credentials() {
    let files = Files::new();
    let rc = files.write(
        "linphone.rc",
        "[auth_info_0]\nusername=conference\nha1=aaaa\n\
         [auth_info_1]\nusername=voicemail\nha1=bbbb\n",
    );
    let app = TestApp::spawn_with(&[
        ("ACCOUNT_PROVISIONING_RC_FILE", &rc),
        ("ACCOUNT_PROXY_REGISTRAR_ADDRESS", "proxy.example.org:5061"),
    ])
    .await;
    seed_account(
        &app,
        "carol",
        KEY,
        &[(HA1_SHA256, "SHA-256"), (HA1_MD5, "MD5")],
    )
    .await;

    let sections = provisioning(&app, &format!("/provisioning/{KEY}")).await;
    assert_eq!(
        names(&sections),
        [
            "auth_info_0",
            "auth_info_1",
            "proxy_0",
            "auth_info_2",
            "auth_info_3"
        ]
    );
    assert_eq!(
        sections[0].pairs(),
        [("username", "conference"), ("ha1", "aaaa")]
    );
    assert_eq!(
        sections[1].pairs(),
        [("username", "voicemail"), ("ha1", "bbbb")]
    );
    assert_eq!(
        section(&sections, "proxy_0").pairs()[2],
        ("reg_proxy", "<sip:proxy.example.org:5061;transport=tls>")
    );
    let auth2 = section(&sections, "auth_info_2");
    assert_eq!(auth2.pairs()[0], ("username", "carol"));
    assert_eq!(auth2.pairs()[2], ("ha1", HA1_SHA256));
    assert_eq!(auth2.pairs()[4], ("algorithm", "SHA-256"));
    let auth3 = section(&sections, "auth_info_3");
    assert_eq!(auth3.pairs()[2], ("ha1", HA1_MD5));
    assert_eq!(auth3.pairs()[4], ("algorithm", "MD5"));
}

#[tokio::test]
async fn overwrite_all_marks_every_entry() {
    let files = Files::new();
    let rc = files.write("linphone.rc", "[sip]\nverify_server_certs=1\n");
    let app = TestApp::spawn_with(&[
        ("ACCOUNT_PROVISIONING_RC_FILE", &rc),
        ("ACCOUNT_PROVISIONING_OVERWRITE_ALL", "true"),
    ])
    .await;
    seed_account(&app, "dave", KEY, &[(HA1_MD5, "MD5")]).await;

    let sections = provisioning(&app, &format!("/provisioning/{KEY}")).await;
    assert_eq!(names(&sections), ["sip", "proxy_0", "auth_info_0"]);
    let flags: Vec<_> = sections
        .iter()
        .flat_map(|s| &s.entries)
        .map(|(_, _, overwrite)| overwrite.as_deref())
        .collect();
    assert_eq!(flags.len(), 1 + 3 + 5);
    assert!(flags.iter().all(|f| *f == Some("true")), "{flags:?}");
}

#[tokio::test]
async fn extra_file_extends_the_account_sections_with_placeholders() {
    let files = Files::new();
    let rc = files.write(
        "linphone.rc",
        "[proxy_0]\nreg_expires=3600\n[misc]\nversion_check_url_root=https://a.example.org\n",
    );
    let extra = files.write(
        "extra.rc",
        "[proxy]\nreg_identity=\"{username}\" <{sip}>\npush_notification_allowed=1\n\
         [auth_info]\nuserid={username}\n\
         [misc]\ncontacts-vcard-list=https://{domain}/contacts/{username}\n\
         [app]\nwelcome={sip} {unknown} {\n",
    );
    let app = TestApp::spawn_with(&[
        ("ACCOUNT_PROVISIONING_RC_FILE", &rc),
        ("ACCOUNT_PROVISIONING_EXTRA_FILE", &extra),
    ])
    .await;
    seed_account(&app, "erin", KEY, &[(HA1_MD5, "MD5")]).await;

    // Without an account the extra file plays no part.
    let base = provisioning(&app, "/provisioning").await;
    assert_eq!(names(&base), ["proxy_0", "misc"]);
    assert_eq!(base[0].pairs(), [("reg_expires", "3600")]);

    let sections = provisioning(&app, &format!("/provisioning/{KEY}")).await;
    assert_eq!(names(&sections), ["proxy_0", "misc", "auth_info_0", "app"]);
    assert_eq!(
        sections[0].pairs(),
        [
            ("reg_expires", "3600"),
            ("reg_identity", "\"erin\" <sip:erin@sip.example.org>"),
            ("reg_sendregister", "1"),
            ("push_notification_allowed", "1"),
            ("reg_proxy", "<sip:sip.example.org;transport=tls>"),
        ]
    );
    assert_eq!(
        sections[1].pairs(),
        [
            ("version_check_url_root", "https://a.example.org"),
            (
                "contacts-vcard-list",
                "https://sip.example.org/contacts/erin"
            ),
        ]
    );
    assert_eq!(
        sections[2].pairs(),
        [
            ("username", "erin"),
            ("domain", "sip.example.org"),
            ("ha1", HA1_MD5),
            ("realm", "sip.example.org"),
            ("algorithm", "MD5"),
            ("userid", "erin"),
        ]
    );
    assert_eq!(
        sections[3].pairs(),
        [("welcome", "sip:erin@sip.example.org {unknown} {")]
    );
}

#[tokio::test]
async fn expired_key_gets_the_base_configuration_and_no_qr_code() {
    let app = TestApp::spawn().await;
    let id = seed_account(&app, "frank", KEY, &[(HA1_MD5, "MD5")]).await;
    set_expiry(&app, id, Duration::minutes(-1)).await;

    assert!(
        provisioning(&app, &format!("/provisioning/{KEY}"))
            .await
            .is_empty()
    );
    let qr = app
        .get(&format!("/provisioning/qrcode/{KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 404);
    assert_eq!(
        qr.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"message": "Not Found"})
    );
    let account = stored(&app, id).await;
    assert!(!account.is_activated());
    assert_eq!(account.confirmation_key.as_deref(), Some(KEY));
}

#[tokio::test]
async fn unexpired_key_still_provisions() {
    let app = TestApp::spawn().await;
    let id = seed_account(&app, "grace", KEY, &[(HA1_MD5, "MD5")]).await;
    set_expiry(&app, id, Duration::hours(1)).await;
    let sections = provisioning(&app, &format!("/provisioning/{KEY}")).await;
    assert_eq!(names(&sections), ["proxy_0", "auth_info_0"]);
}

fn decode_qr(png: &[u8]) -> String {
    let image = image::load_from_memory(png).unwrap().to_luma8();
    assert!(image.width() >= 300 && image.height() >= 300);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (meta, content) = grids[0].decode().unwrap();
    assert_eq!(meta.ecc_level, 2, "error correction H");
    content
}

#[tokio::test]
async fn qr_code_encodes_the_provisioning_url_and_keeps_the_key() {
    let app = TestApp::spawn().await;
    let id = seed_account(&app, "heidi", KEY, &[(HA1_MD5, "MD5")]).await;

    let response = app
        .get(&format!("/provisioning/qrcode/{KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    let url = format!("{}/provisioning/{KEY}", app.base);
    assert_eq!(response.headers()["x-qrcode-url"], url.as_str());
    let png = response.bytes().await.unwrap();
    assert_eq!(decode_qr(&png), url);

    // Showing the QR code did not consume the key; the URL it holds works.
    assert!(!stored(&app, id).await.is_activated());
    let response = reqwest::get(&url).await.unwrap();
    let sections = parse(&response.text().await.unwrap());
    assert_eq!(names(&sections), ["proxy_0", "auth_info_0"]);
}

#[tokio::test]
async fn head_request_does_not_consume_the_key() {
    let app = TestApp::spawn().await;
    let id = seed_account(&app, "ivan", KEY, &[(HA1_MD5, "MD5")]).await;
    let response = app
        .client
        .head(app.url(&format!("/provisioning/{KEY}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        stored(&app, id).await.confirmation_key.as_deref(),
        Some(KEY)
    );
}

#[tokio::test]
async fn concurrent_visits_provision_the_account_once() {
    let app = TestApp::spawn().await;
    seed_account(&app, "judy", KEY, &[(HA1_MD5, "MD5")]).await;
    let visits = (0..6).map(|_| {
        let request = app.get(&format!("/provisioning/{KEY}"));
        async move { request.send().await.unwrap().text().await.unwrap() }
    });
    let bodies = futures_join_all(visits).await;
    let provisioned = bodies
        .iter()
        .filter(|body| names(&parse(body)).contains(&"proxy_0"))
        .count();
    assert_eq!(provisioned, 1);
}

/// Runs the futures concurrently on the test runtime.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

#[tokio::test]
async fn odd_keys_get_the_base_configuration_or_404_never_a_500() {
    let app = TestApp::spawn().await;
    // A 4-digit phone PIN never provisions, even when an account has it.
    let pin_account = seed_account(&app, "kim", "1234", &[(HA1_MD5, "MD5")]).await;
    let long = "k".repeat(10_000);
    for key in [
        "1234",
        "%C3%A9t%C3%A9-key-%E2%9C%93",
        "%FF%FE",
        "..%2F..%2Fetc%2Fpasswd",
        "with%20space%20inside",
        "'%20OR%20'1'='1",
        long.as_str(),
    ] {
        let response = app
            .get(&format!("/provisioning/{key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{key}");
        assert!(parse(&response.text().await.unwrap()).is_empty(), "{key}");

        let response = app
            .get(&format!("/provisioning/qrcode/{key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{key}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }
    // A control character is refused before any lookup (docs/api.md).
    for key in ["%00", "Key012345678%00"] {
        for route in ["/provisioning/", "/provisioning/qrcode/"] {
            let response = app.get(&format!("{route}{key}")).send().await.unwrap();
            assert_eq!(response.status(), 422, "{route}{key}");
        }
    }
    assert!(!stored(&app, pin_account).await.is_activated());
}

fn config(vars: &[(&str, &str)], dir: &TempDir) -> Config {
    let mut map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.insert(
        "DATABASE_URL".into(),
        format!("sqlite://{}", dir.path().join("db.sqlite").display()),
    );
    Config::from_map(&map).unwrap()
}

#[tokio::test]
async fn malformed_rc_file_stops_the_start() {
    let files = Files::new();
    let rc = files.write("broken.rc", "[sip]\nthis line is not an entry\n");
    let err = AppState::build(
        config(&[("ACCOUNT_PROVISIONING_RC_FILE", &rc)], &files.0),
        Clock::system(),
    )
    .await
    .err()
    .expect("a malformed rc file is refused");
    let message = format!("{err:#}");
    assert!(
        message.contains("ACCOUNT_PROVISIONING_RC_FILE"),
        "{message}"
    );
    assert!(message.contains(&rc), "{message}");

    let extra = files.write("broken-extra.rc", "[proxy\nreg_expires=1\n");
    let err = AppState::build(
        config(&[("ACCOUNT_PROVISIONING_EXTRA_FILE", &extra)], &files.0),
        Clock::system(),
    )
    .await
    .err()
    .expect("a malformed extra file is refused");
    assert!(format!("{err:#}").contains("ACCOUNT_PROVISIONING_EXTRA_FILE"));
}

#[tokio::test]
async fn missing_rc_file_gives_an_empty_base_configuration() {
    let files = Files::new();
    let missing = files.0.path().join("nowhere.rc").display().to_string();
    let app = TestApp::spawn_with(&[("ACCOUNT_PROVISIONING_RC_FILE", &missing)]).await;
    assert!(provisioning(&app, "/provisioning").await.is_empty());
}
