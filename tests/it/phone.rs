//! Phone change by SMS PIN, against the OVH fake.

use flexiapi::db::entities::{alias, phone_change_code};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, account_keys, json, keys};
use crate::ovh_fake::OvhFake;
use crate::with_token::{Delivery, flexisip_finds, stored_account};

const OLD: &str = "+33611111111";
const NEW: &str = "+33622222222";

async fn request(app: &TestApp, account: &TestAccount, body: Value) -> reqwest::Response {
    app.as_key(account, Method::POST, "/api/accounts/me/phone/request")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn confirm(app: &TestApp, account: &TestAccount, body: Value) -> reqwest::Response {
    app.as_key(account, Method::POST, "/api/accounts/me/phone")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn aliases(app: &TestApp) -> Vec<String> {
    alias::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.alias)
        .collect()
}

async fn pending(app: &TestApp) -> Vec<phone_change_code::Model> {
    phone_change_code::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
}

fn flexisip_query(phone: &str) -> String {
    format!(
        "select username from accounts where activated = true and (username = '{phone}' or phone = '{phone}')"
    )
}

fn flexisip_alias_query(phone: &str) -> String {
    format!(
        "select a.username from accounts a join aliases al on al.account_id = a.id where a.activated = true and al.alias = '{phone}'"
    )
}

#[tokio::test]
async fn the_sms_pin_makes_the_new_number_the_phone_and_only_alias() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    let response = request(&d.app, &account, json!({"phone": NEW})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({}));
    let jobs = d.ovh.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].body["receivers"], json!([NEW]));
    let pin = d.sms_pin(0);
    // Nothing changes before the confirmation.
    assert_eq!(
        stored_account(&d.app, "phone_user")
            .await
            .unwrap()
            .phone
            .as_deref(),
        Some(OLD)
    );

    let response = confirm(&d.app, &account, json!({"code": pin})).await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(keys(&body), account_keys());
    assert_eq!(body["phone"], NEW);
    assert_eq!(aliases(&d.app).await, [NEW]);
    assert!(pending(&d.app).await.is_empty());
    for query in [flexisip_query(NEW), flexisip_alias_query(NEW)] {
        assert_eq!(
            flexisip_finds(&d.app, &query).await.as_deref(),
            Some("phone_user")
        );
    }
    for query in [flexisip_query(OLD), flexisip_alias_query(OLD)] {
        assert_eq!(flexisip_finds(&d.app, &query).await, None);
    }
    // The old number is free again.
    let other = d.app.account("other_user", "MD5", false).await;
    assert_eq!(
        request(&d.app, &other, json!({"phone": OLD}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_account_without_a_phone_gets_one() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account("bare_user", "SHA-256", false).await;
    assert_eq!(
        request(&d.app, &account, json!({"phone": NEW}))
            .await
            .status(),
        200
    );
    let response = confirm(&d.app, &account, json!({"code": d.sms_pin(0)})).await;
    assert_eq!(json(response).await["phone"], NEW);
    assert_eq!(aliases(&d.app).await, [NEW]);
}

#[tokio::test]
async fn a_wrong_code_is_422_on_code_and_drops_the_pending_change() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    assert_eq!(
        request(&d.app, &account, json!({"phone": NEW}))
            .await
            .status(),
        200
    );
    let pin = d.sms_pin(0);
    let wrong = if pin == "0000" { "0001" } else { "0000" };
    let response = confirm(&d.app, &account, json!({"code": wrong})).await;
    // As the PHP FlexiAPI 2.x: a wrong code is a validation error on `code`.
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["code"].is_array());
    assert!(pending(&d.app).await.is_empty());
    // The right code comes too late.
    assert_eq!(
        confirm(&d.app, &account, json!({"code": pin}))
            .await
            .status(),
        404
    );
    assert_eq!(aliases(&d.app).await, [OLD]);
    assert_eq!(
        stored_account(&d.app, "phone_user")
            .await
            .unwrap()
            .phone
            .as_deref(),
        Some(OLD)
    );
}

#[tokio::test]
async fn an_expired_code_is_410_even_when_right() {
    let d = Delivery::spawn(&[("APP_PHONE_CHANGE_CODE_EXPIRATION_MINUTES", "5")]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    let requested = request(&d.app, &account, json!({"phone": NEW})).await;
    assert_eq!(requested.status(), 200);
    d.app.state.clock.advance(chrono::Duration::minutes(5));
    let response = confirm(&d.app, &account, json!({"code": d.sms_pin(0)})).await;
    assert_eq!(response.status(), 410);
    assert!(json(response).await["message"].is_string());
    assert!(pending(&d.app).await.is_empty());
    assert_eq!(aliases(&d.app).await, [OLD]);

    // Within its lifetime the code works.
    let requested = request(&d.app, &account, json!({"phone": NEW})).await;
    assert_eq!(requested.status(), 200);
    d.app.state.clock.advance(chrono::Duration::minutes(4));
    let response = confirm(&d.app, &account, json!({"code": d.sms_pin(1)})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(aliases(&d.app).await, [NEW]);
}

#[tokio::test]
async fn nothing_pending_is_404() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    let response = confirm(&d.app, &account, json!({"code": "1234"})).await;
    assert_eq!(response.status(), 404);
    assert!(json(response).await["message"].is_string());
}

#[tokio::test]
async fn a_new_request_replaces_the_pending_one() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    for phone in ["+33633333333", NEW] {
        assert_eq!(
            request(&d.app, &account, json!({"phone": phone}))
                .await
                .status(),
            200
        );
    }
    let rows = pending(&d.app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].phone, NEW);
    let response = confirm(&d.app, &account, json!({"code": d.sms_pin(1)})).await;
    assert_eq!(json(response).await["phone"], NEW);
}

#[tokio::test]
async fn a_number_already_used_is_422_and_sends_nothing() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    d.app.account_with_phone("holder_user", NEW).await;
    // Another account whose username is a number (Flexisip finds it too).
    d.app.account("+33644444444", "MD5", false).await;
    for phone in [NEW, OLD, "+33644444444"] {
        let response = request(&d.app, &account, json!({"phone": phone})).await;
        assert_eq!(response.status(), 422, "{phone}");
        assert!(json(response).await["errors"]["phone"].is_array());
    }
    assert!(d.ovh.jobs().is_empty());
    assert!(pending(&d.app).await.is_empty());
}

#[tokio::test]
async fn a_number_taken_before_the_confirmation_is_422() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    assert_eq!(
        request(&d.app, &account, json!({"phone": NEW}))
            .await
            .status(),
        200
    );
    d.app.account_with_phone("quick_user", NEW).await;
    let response = confirm(&d.app, &account, json!({"code": d.sms_pin(0)})).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["phone"].is_array());
    assert_eq!(
        stored_account(&d.app, "phone_user")
            .await
            .unwrap()
            .phone
            .as_deref(),
        Some(OLD)
    );
    let mut all = aliases(&d.app).await;
    all.sort();
    assert_eq!(all, [OLD, NEW]);
}

#[tokio::test]
async fn ovh_answering_500_is_503_and_leaves_no_pending_change() {
    let d = Delivery::spawn(&[]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    d.ovh.fail_jobs_with(Some(500));
    let response = request(&d.app, &account, json!({"phone": NEW})).await;
    assert_eq!(response.status(), 503);
    assert!(json(response).await["message"].is_string());
    assert!(pending(&d.app).await.is_empty());
    assert_eq!(
        confirm(&d.app, &account, json!({"code": "1234"}))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn ovh_down_or_unconfigured_is_503() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ovh = OvhFake::start().await;
    let mut vars = ovh.vars();
    vars.retain(|(k, _)| *k != "OVH_APP_ENDPOINT");
    vars.push(("OVH_APP_ENDPOINT", format!("http://127.0.0.1:{closed}/1.0")));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for app in [TestApp::spawn_with(&vars).await, TestApp::spawn().await] {
        let account = app.account_with_phone("phone_user", OLD).await;
        let response = request(&app, &account, json!({"phone": NEW})).await;
        assert_eq!(response.status(), 503);
        assert!(pending(&app).await.is_empty());
    }
}

#[tokio::test]
async fn bad_formats_are_422_and_send_nothing() {
    let d = Delivery::spawn(&[("APP_RATE_LIMIT_PER_MINUTE", "100")]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    for phone in [
        json!(null),
        json!("0612345678"),
        json!("+12345"),
        json!("+1234567890123456"),
        json!("+33 6 12 34 56 78"),
        json!(33612345678u64),
    ] {
        let response = request(&d.app, &account, json!({ "phone": phone })).await;
        assert_eq!(response.status(), 422, "{phone}");
        assert!(json(response).await["errors"]["phone"].is_array());
    }
    assert!(d.ovh.jobs().is_empty());

    assert_eq!(
        request(&d.app, &account, json!({"phone": NEW}))
            .await
            .status(),
        200
    );
    for code in [
        json!(null),
        json!("123"),
        json!("12345"),
        json!("12a4"),
        json!(1234),
    ] {
        let response = confirm(&d.app, &account, json!({ "code": code })).await;
        assert_eq!(response.status(), 422, "{code}");
        assert!(json(response).await["errors"]["code"].is_array());
    }
    // Malformed codes are no tries: the change is still pending.
    assert_eq!(pending(&d.app).await.len(), 1);
}

#[tokio::test]
async fn sms_requests_are_limited_per_account() {
    let d = Delivery::spawn(&[("APP_RATE_LIMIT_PER_MINUTE", "2")]).await;
    let account = d.app.account_with_phone("phone_user", OLD).await;
    for _ in 0..2 {
        assert_eq!(
            request(&d.app, &account, json!({"phone": NEW}))
                .await
                .status(),
            200
        );
    }
    let response = request(&d.app, &account, json!({"phone": NEW})).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(d.ovh.jobs().len(), 2);
    // Another account is not concerned.
    let other = d.app.account("other_user", "MD5", false).await;
    assert_eq!(
        request(&d.app, &other, json!({"phone": "+33655555555"}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_phone_routes_need_authentication() {
    let d = Delivery::spawn(&[]).await;
    for path in ["/api/accounts/me/phone/request", "/api/accounts/me/phone"] {
        let response = d
            .app
            .post(path)
            .header("From", "sip:nobody_x@sip.example.org")
            .json(&json!({"phone": NEW, "code": "1234"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    assert!(d.ovh.jobs().is_empty());
}
