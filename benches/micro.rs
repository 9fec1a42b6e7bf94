//! Micro-benchmarks of the per-request work that needs no database:
//! `cargo bench --bench micro`.

use std::collections::HashMap;
use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};

use flexiapi::auth::digest::{Algorithm, Credentials};
use flexiapi::config::Config;
use flexiapi::db::accounts::AccountView;
use flexiapi::db::entities::account;
use flexiapi::provisioning::assemble::{AccountCredentials, for_account};
use flexiapi::provisioning::rc::{RcFiles, parse};
use flexiapi::provisioning::xml::render;
use flexiapi::service::objects::Account;

const AUTHORIZATION: &str = "Digest username=\"bench_user\", realm=\"sip.example.org\", \
    nonce=\"3f1c0e9a8b7d6c5e4f3a2b1c0d9e8f7a\", uri=\"/api/accounts/me\", \
    algorithm=\"SHA-256\", response=\"0d6a3c5e1f0b9d8c7a6e5f4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b\", \
    opaque=\"a1b2c3d4e5f60718293a4b5c6d7e8f90\", qop=auth, nc=0000002a, cnonce=\"f00dbabe\"";

fn config() -> Config {
    let map: HashMap<String, String> =
        [("APP_SIP_DOMAIN".to_string(), "sip.example.org".to_string())].into();
    Config::from_map(&map).unwrap()
}

fn digest(c: &mut Criterion) {
    c.bench_function("digest: parse Authorization", |b| {
        b.iter(|| Credentials::parse(black_box(AUTHORIZATION)))
    });
    let credentials = Credentials::parse(AUTHORIZATION).unwrap();
    for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
        let ha1 = algorithm.ha1("bench_user", "sip.example.org", "secret");
        c.bench_function(
            &format!("digest: expected response {}", algorithm.name()),
            |b| b.iter(|| black_box(&credentials).expected_response(black_box(&ha1), "GET")),
        );
    }
}

fn account_json(c: &mut Criterion) {
    let config = config();
    let view = AccountView {
        account: account::Model {
            id: 4242,
            username: "bench_user".into(),
            domain: "sip.example.org".into(),
            email: Some("bench@example.org".into()),
            flexisip_activated: true,
            confirmation_key: None,
            ip_address: "203.0.113.7".into(),
            user_agent: "LinphoneAndroid/5.2.5 (Pixel 7) LinphoneSDK/5.3.47".into(),
            creation_time: NaiveDate::from_ymd_opt(2026, 12, 1)
                .unwrap()
                .and_hms_opt(9, 35, 47)
                .unwrap(),
            expire_time: None,
            phone: Some("+33612345678".into()),
            failed_code_attempts: 0,
            blocked: false,
            display_name: Some("Bench User".into()),
            dtmf_protocol: None,
            activated_on_unblock: false,
        },
        algorithms: vec!["SHA-256".into(), "MD5".into()],
        admin: false,
        confirmation_key_expires: None,
        email_changed: None,
    };
    c.bench_function("account JSON: build + serialize", |b| {
        b.iter(|| serde_json::to_vec(&Account::new(black_box(&view), &config)).unwrap())
    });
}

fn provisioning_xml(c: &mut Criterion) {
    let config = config();
    let files = RcFiles {
        rc: parse(
            "[sip]\nverify_server_certs=1\nsip_port=-1\n\
             [nat_policy_default]\nstun_server=stun.example.org\nprotocols=stun,ice\n\
             [proxy_0]\nreg_expires=3600\nreg_route=<sip:proxy.example.org;transport=tls>\n",
        )
        .unwrap(),
        extra: Vec::new(),
    };
    let account = AccountCredentials {
        username: "bench_user".into(),
        domain: "sip.example.org".into(),
        passwords: vec![(
            Algorithm::Sha256.ha1("bench_user", "sip.example.org", "secret"),
            "SHA-256".into(),
        )],
    };
    c.bench_function("provisioning XML: account sections + render", |b| {
        b.iter(|| render(&for_account(&files, &config, black_box(&account)), false))
    });
}

criterion_group!(benches, digest, account_json, provisioning_xml);
criterion_main!(benches);
