//! Account creation tokens end to end: pushed with the fake
//! `flexisip_pusher`, made by an admin, or exchanged for a request token
//! validated on the panel (with the in-test hCaptcha fake), then used once
//! by `POST /api/accounts/with-account-creation-token`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};

use chrono::Duration;
use flexiapi::db::entities::{account_creation_request_token, account_creation_token};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, account_keys, json, keys};
use crate::panel::Browser;
use crate::tokens::{FakePusher, device};

const SEND: &str = "/api/account_creation_tokens/send-by-push";
const CREATE: &str = "/api/accounts/with-account-creation-token";
const REQUEST: &str = "/api/account_creation_request_tokens";
const USING: &str = "/api/account_creation_tokens/using-account-creation-request-token";
const ADMIN: &str = "/api/account_creation_tokens";

async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.post(path).json(body).send().await.unwrap()
}

/// The token of the pusher's last `--customPayload`.
fn pushed_token(pusher: &FakePusher) -> String {
    let argv = pusher.argv();
    let payload = argv.last().unwrap();
    let value: Value = serde_json::from_str(payload).unwrap();
    value["token"].as_str().unwrap().to_string()
}

fn account_body(username: &str, token: &str) -> Value {
    json!({
        "username": username,
        "password": "secret-password",
        "algorithm": "SHA-256",
        "account_creation_token": token,
    })
}

async fn rows(app: &TestApp) -> Vec<account_creation_token::Model> {
    account_creation_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn admin_token(app: &TestApp) -> Value {
    let admin = app.admin().await;
    let response = app
        .as_key(&admin, Method::POST, ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    json(response).await
}

#[tokio::test]
async fn a_pushed_token_creates_one_account_and_only_one() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[]).await;
    let response = post(&app, SEND, &device("creation-1")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({}));
    let token = pushed_token(&pusher);
    assert_eq!(token.len(), 13);
    // Only its hash is stored.
    let stored = rows(&app).await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, token);
    assert_eq!(stored[0].pn_prid.as_deref(), Some("creation-1"));

    let response = post(&app, CREATE, &account_body("new_user", &token)).await;
    assert_eq!(response.status(), 200);
    let account = json(response).await;
    assert_eq!(keys(&account), account_keys());
    assert_eq!(account["username"], "new_user");
    assert_eq!(account["domain"], "sip.example.org");
    assert_eq!(account["activated"], false);
    assert_eq!(account["user_agent"], "FlexiAPI");
    assert_eq!(account["passwords"], json!([{"algorithm": "SHA-256"}]));

    let stored = rows(&app).await;
    assert!(stored[0].used);
    assert_eq!(
        stored[0].account_id,
        account["id"].as_i64().map(|id| id as i32)
    );

    // Single use.
    let response = post(&app, CREATE, &account_body("other_user", &token)).await;
    assert_eq!(response.status(), 422);
    let body = json(response).await;
    assert!(
        body["errors"]["account_creation_token"].is_array(),
        "{body}"
    );
    assert_eq!(app.count("accounts").await, 1);

    // The token goes with its account.
    let admin = app.admin().await;
    let path = format!("/api/accounts/{}", account["id"]);
    let response = app
        .as_key(&admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(rows(&app).await.is_empty());
}

#[tokio::test]
async fn send_by_push_has_the_limits_and_failures_of_api_tokens() {
    let pusher = FakePusher::succeeding();
    let app = pusher.app(&[("APP_TOKENS_PER_DEVICE", "2")]).await;
    assert_eq!(post(&app, SEND, &device("limits")).await.status(), 200);
    // An unused token was already sent.
    let response = post(&app, SEND, &device("limits")).await;
    assert_eq!(response.status(), 403);
    assert!(json(response).await["message"].is_string());
    assert_eq!(rows(&app).await.len(), 1);

    // Missing fields, a provider the pusher does not know.
    let response = post(&app, SEND, &json!({})).await;
    assert_eq!(response.status(), 422);
    let body = json(response).await;
    for field in ["pn_provider", "pn_param", "pn_prid"] {
        assert!(body["errors"][field].is_array(), "{body}");
    }
    let mut bad = device("x");
    bad["pn_provider"] = json!("sms");
    assert_eq!(post(&app, SEND, &bad).await.status(), 422);
    let mut bad = device("x");
    bad["pn_prid"] = json!("a\u{0}b");
    assert_eq!(post(&app, SEND, &bad).await.status(), 422);

    // A failing pusher: 503 and nothing kept.
    let failing = FakePusher::new("exit 1");
    let app = failing.app(&[]).await;
    assert_eq!(post(&app, SEND, &device("fails")).await.status(), 503);
    assert!(rows(&app).await.is_empty());

    // No pusher configured.
    let app = TestApp::spawn().await;
    assert_eq!(post(&app, SEND, &device("none")).await.status(), 503);
}

#[tokio::test]
async fn a_device_that_used_a_token_waits_the_retry_delay() {
    let pusher = FakePusher::succeeding();
    let app = pusher
        .app(&[("APP_API_ACCOUNT_CREATION_TOKEN_RETRY_MINUTES", "30")])
        .await;
    assert_eq!(post(&app, SEND, &device("retry")).await.status(), 200);
    let token = pushed_token(&pusher);
    assert_eq!(
        post(&app, CREATE, &account_body("retry_user", &token))
            .await
            .status(),
        200
    );

    let response = post(&app, SEND, &device("retry")).await;
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30 * 60).contains(&wait), "{wait}");
    // Another device is not delayed.
    assert_eq!(post(&app, SEND, &device("other")).await.status(), 200);

    app.state.clock.advance(Duration::minutes(31));
    assert_eq!(post(&app, SEND, &device("retry")).await.status(), 200);
}

#[tokio::test]
async fn admin_tokens_expire_with_the_configured_minutes() {
    // `0`: no expiry, as PHP FlexiAPI's default.
    let app = TestApp::spawn_with(&[("APP_ACCOUNT_CREATION_TOKEN_EXPIRATION_MINUTES", "0")]).await;
    let token = admin_token(&app).await;
    assert_eq!(keys(&token), ["expire_at", "token"]);
    assert_eq!(token["expire_at"], Value::Null);

    let app = TestApp::spawn_with(&[("APP_ACCOUNT_CREATION_TOKEN_EXPIRATION_MINUTES", "10")]).await;
    let token = admin_token(&app).await;
    let created = rows(&app).await[0].created_at;
    let expected = (created + Duration::minutes(10))
        .format("%Y-%m-%dT%H:%M:%S.000000Z")
        .to_string();
    assert_eq!(token["expire_at"], expected.as_str());
    let token = token["token"].as_str().unwrap().to_string();

    app.state.clock.advance(Duration::minutes(11));
    let response = post(&app, CREATE, &account_body("late_user", &token)).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["account_creation_token"].is_array());
    assert_eq!(app.count("accounts").await, 1, "only the admin");
}

#[tokio::test]
async fn the_admin_endpoint_needs_an_admin() {
    let app = TestApp::spawn().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let anonymous = app.post(ADMIN).header("From", user.from()).send().await;
    assert_eq!(anonymous.unwrap().status(), 401);
    let response = app.as_key(&user, Method::POST, ADMIN).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(rows(&app).await.is_empty());
}

#[tokio::test]
async fn a_refused_account_leaves_the_token_unused() {
    let app = TestApp::spawn().await;
    let token = admin_token(&app).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    app.account("taken_user", "SHA-256", false).await;

    let response = post(&app, CREATE, &account_body("taken_user", &token)).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["username"].is_array());
    assert!(!rows(&app).await[0].used);

    // The same token still works.
    let response = post(&app, CREATE, &account_body("free_user", &token)).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn bad_inputs_are_422_naming_the_field() {
    let app = TestApp::spawn_with(&[("APP_RATE_LIMIT_PER_MINUTE", "100")]).await;
    let token = admin_token(&app).await["token"]
        .as_str()
        .unwrap()
        .to_string();

    let response = post(&app, CREATE, &json!({})).await;
    assert_eq!(response.status(), 422);
    let body = json(response).await;
    // `algorithm` may be left out since FlexiAPI 2.1 (it was required).
    for field in ["username", "password", "account_creation_token"] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }
    let cases: Vec<(&str, Value)> = vec![
        ("account_creation_token", json!("abc\u{0}defghijk")),
        ("account_creation_token", json!(1e300)),
        ("account_creation_token", json!("x".repeat(100_000 / 2))),
        ("account_creation_token", json!("0123456789abc")),
        ("username", json!("user😀name")),
        ("username", json!("ab\u{1}cdef")),
        ("algorithm", json!("SHA-1")),
        ("password", json!("12")),
        ("dtmf_protocol", json!("morse")),
    ];
    for (field, value) in cases {
        let mut body = account_body("good_user", &token);
        body[field] = value;
        let response = post(&app, CREATE, &body).await;
        assert_eq!(response.status(), 422, "{field}");
        let body = json(response).await;
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }
    let mut body = account_body("good_user", &token);
    body["dtmf_protocol"] = json!("rfc2833");
    let response = post(&app, CREATE, &body).await;
    assert_eq!(response.status(), 200);
    let id = json(response).await["id"].as_i64().unwrap() as i32;
    let stored = flexiapi::db::entities::account::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.dtmf_protocol.as_deref(), Some("rfc2833"));
    // Not JSON.
    let response = app
        .post(CREATE)
        .header("Content-Type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

/// A request token's validation page, submitted by a browser.
async fn validate_in_browser(app: &TestApp, url: &str, extra: &[(&str, &str)]) -> u16 {
    let path = url.strip_prefix(&app.base).unwrap();
    let mut browser = Browser::new(app);
    let page = browser.get(path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.token();
    let mut fields = vec![("_token", token.as_str())];
    fields.extend_from_slice(extra);
    browser.post(path, &fields).await.status
}

async fn request_token(app: &TestApp) -> (String, String) {
    let response = app.post(REQUEST).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let body = json(response).await;
    assert_eq!(keys(&body), ["token", "validation_url"]);
    let token = body["token"].as_str().unwrap().to_string();
    let url = body["validation_url"].as_str().unwrap().to_string();
    assert_eq!(url, app.url(&format!("/creation_request/{token}")));
    (token, url)
}

#[tokio::test]
async fn a_validated_request_token_gives_one_creation_token() {
    let app = TestApp::spawn().await;
    let (request, url) = request_token(&app).await;
    let using = json!({ "account_creation_request_token": request });

    // Not validated yet.
    assert_eq!(post(&app, USING, &using).await.status(), 404);

    assert_eq!(validate_in_browser(&app, &url, &[]).await, 200);
    // Validated once: the page is gone.
    let mut browser = Browser::new(&app);
    let path = url.strip_prefix(&app.base).unwrap();
    assert_eq!(browser.get(path).await.status, 404);

    let response = post(&app, USING, &using).await;
    assert_eq!(response.status(), 201);
    let token = json(response).await;
    assert_eq!(keys(&token), ["expire_at", "token"]);
    let token = token["token"].as_str().unwrap().to_string();
    // Exchanged once.
    assert_eq!(post(&app, USING, &using).await.status(), 404);

    let stored = account_creation_request_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(stored[0].used);
    assert_eq!(
        stored[0].acc_creation_token_id,
        Some(rows(&app).await[0].id)
    );

    let response = post(&app, CREATE, &account_body("browser_user", &token)).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn request_tokens_refuse_bad_input_and_forged_forms() {
    let app = TestApp::spawn().await;
    let response = post(&app, USING, &json!({})).await;
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["account_creation_request_token"].is_array());
    for bad in [json!("a\u{0}"), json!(12), json!("ééééééééééééé")] {
        let response = post(
            &app,
            USING,
            &json!({ "account_creation_request_token": bad }),
        )
        .await;
        assert_eq!(response.status(), 422, "{bad}");
    }
    let unknown = json!({ "account_creation_request_token": "0123456789abc" });
    assert_eq!(post(&app, USING, &unknown).await.status(), 404);

    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.get("/creation_request/0123456789abc").await.status,
        404
    );
    assert_eq!(browser.get("/creation_request/%00").await.status, 404);

    // A form without the CSRF token validates nothing.
    let (request, url) = request_token(&app).await;
    let path = url.strip_prefix(&app.base).unwrap();
    assert_eq!(browser.get(path).await.status, 200);
    assert_eq!(
        browser.post(path, &[("_token", "forged")]).await.status,
        403
    );
    let using = json!({ "account_creation_request_token": request });
    assert_eq!(post(&app, USING, &using).await.status(), 404);
}

/// The forms the captcha fake received.
type Calls = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// hCaptcha's siteverify, in the test: `success` for the response
/// `solved` with our secret; every request recorded.
struct CaptchaFake {
    url: String,
    calls: Calls,
}

impl CaptchaFake {
    async fn start() -> Self {
        let calls: Calls = Arc::default();
        let app = axum::Router::new()
            .route("/siteverify", axum::routing::post(verify))
            .with_state(calls.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/siteverify", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        CaptchaFake { url, calls }
    }
}

async fn verify(
    State(calls): State<Calls>,
    Form(form): Form<HashMap<String, String>>,
) -> axum::Json<Value> {
    let solved = form.get("secret").map(String::as_str) == Some("captcha-secret")
        && form.get("response").map(String::as_str) == Some("solved");
    calls.lock().unwrap().push(form);
    axum::Json(json!({ "success": solved }))
}

#[tokio::test]
async fn with_hcaptcha_the_request_needs_a_solved_captcha() {
    let fake = CaptchaFake::start().await;
    let app = TestApp::spawn_with(&[
        ("HCAPTCHA_SITEKEY", "captcha-site"),
        ("HCAPTCHA_SECRET", "captcha-secret"),
        ("HCAPTCHA_VERIFY_URL", &fake.url),
    ])
    .await;
    let (request, url) = request_token(&app).await;
    let using = json!({ "account_creation_request_token": request });
    let path = url.strip_prefix(&app.base).unwrap().to_string();
    let mut browser = Browser::new(&app);
    let page = browser.get(&path).await;
    assert!(
        page.body.contains("data-sitekey=\"captcha-site\""),
        "{}",
        page.body
    );

    // No answer, a wrong answer: refused, and nothing validated.
    assert_eq!(validate_in_browser(&app, &url, &[]).await, 422);
    assert_eq!(
        validate_in_browser(&app, &url, &[("h-captcha-response", "guessed")]).await,
        422
    );
    assert_eq!(post(&app, USING, &using).await.status(), 404);

    assert_eq!(
        validate_in_browser(&app, &url, &[("h-captcha-response", "solved")]).await,
        200
    );
    assert_eq!(post(&app, USING, &using).await.status(), 201);
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "an empty answer is not sent");
    assert_eq!(calls[1]["sitekey"], "captcha-site");
}

#[tokio::test]
async fn an_unreachable_captcha_service_is_503_and_validates_nothing() {
    let app = TestApp::spawn_with(&[
        ("HCAPTCHA_SITEKEY", "captcha-site"),
        ("HCAPTCHA_SECRET", "captcha-secret"),
        ("HCAPTCHA_VERIFY_URL", "http://127.0.0.1:9/siteverify"),
    ])
    .await;
    let (request, url) = request_token(&app).await;
    assert_eq!(
        validate_in_browser(&app, &url, &[("h-captcha-response", "solved")]).await,
        503
    );
    let using = json!({ "account_creation_request_token": request });
    assert_eq!(post(&app, USING, &using).await.status(), 404);
}
