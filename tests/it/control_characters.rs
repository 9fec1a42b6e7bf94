//! Control characters, 4-byte UTF-8 and huge numbers in every field of
//! every route the OpenAPI document lists (path and query parameters,
//! JSON body properties, the `From` header), and in panel forms: refused
//! with a `422` naming the field before any query, or handled, never a
//! `500` (docs/api.md, "Text input").

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp};

/// One field of one operation.
struct Field {
    method: Method,
    template: String,
    location: &'static str,
    name: String,
}

/// Every operation's fields, read from the OpenAPI document.
fn fields() -> Vec<Field> {
    let document: Value = serde_json::from_str(flexiapi::api::openapi::json()).unwrap();
    let schemas = &document["components"]["schemas"];
    let resolve = |schema: &Value| match schema["$ref"].as_str() {
        Some(reference) => schemas[reference.rsplit('/').next().unwrap()].clone(),
        None => schema.clone(),
    };
    let mut fields = Vec::new();
    for (template, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let mut add = |location, name: &str| {
                fields.push(Field {
                    method: method.clone(),
                    template: template.clone(),
                    location,
                    name: name.to_string(),
                })
            };
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                match parameter["in"].as_str().unwrap() {
                    "path" => add("path", parameter["name"].as_str().unwrap()),
                    "query" => add("query", parameter["name"].as_str().unwrap()),
                    _ => {}
                }
            }
            let body = resolve(&operation["requestBody"]["content"]["application/json"]["schema"]);
            for name in body["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(n, _)| n)
            {
                add("body", name);
            }
        }
    }
    fields
}

/// `template` with `field` set to `value` (percent-encoded) and every other
/// parameter to a plausible value.
fn path_with(template: &str, field: Option<(&str, &str)>) -> String {
    template
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match field {
                    Some((target, value)) if target == name => encode(value),
                    _ => "1".to_string(),
                },
                None => segment.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn request(
    app: &TestApp,
    admin: &TestAccount,
    field: &Field,
    value: &Value,
) -> reqwest::RequestBuilder {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match field.location {
        "path" => {
            let path = path_with(&field.template, Some((&field.name, &text)));
            app.as_key(admin, field.method.clone(), &path)
        }
        "query" => {
            let path = format!(
                "{}?{}={}",
                path_with(&field.template, None),
                field.name,
                encode(&text)
            );
            app.as_key(admin, field.method.clone(), &path)
        }
        _ => app
            .as_key(
                admin,
                field.method.clone(),
                &path_with(&field.template, None),
            )
            .json(&json!({ field.name.clone(): value })),
    }
}

/// 422 with `field` among the errors.
async fn assert_refused(response: reqwest::Response, field: &str, what: &str) {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(status, 422, "{what}: {body}");
    assert_eq!(body["message"], "The given data was invalid.", "{what}");
    assert!(body["errors"][field].is_array(), "{what}: {body}");
}

#[tokio::test]
async fn control_characters_in_every_field_are_refused_naming_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let fields = fields();
    assert!(fields.len() > 100, "{} fields only", fields.len());
    let accounts = app.count("accounts").await;
    for field in &fields {
        for bad in ["a\u{0}b", "a\u{1}b", "a\u{7f}b", "a\u{85}b"] {
            let what = format!(
                "{} {} {} {:?}",
                field.method, field.template, field.name, bad
            );
            let response = request(&app, &admin, field, &json!(bad))
                .send()
                .await
                .unwrap();
            assert_refused(response, &field.name, &what).await;
        }
        // Line breaks are no control characters in a body, only elsewhere.
        if field.location != "body" {
            let what = format!("{} {} {} newline", field.method, field.template, field.name);
            let response = request(&app, &admin, field, &json!("a\nb"))
                .send()
                .await
                .unwrap();
            assert_refused(response, &field.name, &what).await;
        }
    }
    assert_eq!(app.count("accounts").await, accounts, "nothing written");
}

#[tokio::test]
async fn emoji_and_huge_numbers_in_every_field_never_give_a_500() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let huge: Value = serde_json::from_str("123456789012345678901234567890").unwrap();
    for field in &fields() {
        for value in [
            json!("😀 emoji 𝄞"),
            huge.clone(),
            json!("99999999999999999999999"),
        ] {
            let what = format!("{} {} {} {value}", field.method, field.template, field.name);
            let response = request(&app, &admin, field, &value).send().await.unwrap();
            let status = response.status();
            // 503: a registrar or mailer the test does not run.
            assert!(status.as_u16() < 500 || status == 503, "{what}: {status}");
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if status.as_u16() >= 400 {
                assert!(body["message"].is_string(), "{what}: {status} {body}");
            }
        }
    }
}

#[tokio::test]
async fn control_characters_in_the_from_header_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for from in [
        "sip:a%00b@sip.example.org".to_string(),
        "sip:a\tb@sip.example.org".to_string(),
        format!("{}%0A", admin.from()),
    ] {
        let response = app
            .client
            .get(app.url("/api/accounts/me"))
            .header("From", &from)
            .header("x-api-key", &admin.api_key)
            .send()
            .await
            .unwrap();
        assert_refused(response, "From", &from).await;
    }
}

#[tokio::test]
async fn the_reported_nul_in_with_token_is_a_422() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/api/accounts/with-token")
        .json(&json!({
            "username": "nul_user",
            "password": "secret1",
            "algorithm": "SHA-256",
            "account_creation_token": "abc\u{0}def",
        }))
        .send()
        .await
        .unwrap();
    assert_refused(response, "account_creation_token", "with-token").await;
}

#[tokio::test]
async fn panel_forms_with_control_characters_get_the_invalid_data_page() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/login")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("username=bob%00&password=secret1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("Invalid data"), "{page}");
    assert!(page.contains("control characters"), "{page}");
    // A text area's line breaks pass the guard (the form's own rules apply).
    let response = app
        .post("/login")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("username=bob%0D%0A&password=secret1")
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), 500);
    assert!(
        !response
            .text()
            .await
            .unwrap()
            .contains("control characters")
    );
}
