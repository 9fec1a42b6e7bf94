//! The typed guards (`flexiapi::auth::AuthUser`, `AdminUser`): each
//! documented restricted route is mounted behind the guard its handler
//! reads, so no handler finds its account missing (a 500).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, json};

/// `(METHOD, path template)` of every operation tagged `tag`.
fn operations(document: &Value, tag: &str) -> Vec<(Method, String)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let tags = operation["tags"].as_array().cloned().unwrap_or_default();
            if tags.contains(&json!(tag)) {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                operations.push((method, path.clone()));
            }
        }
    }
    assert!(!operations.is_empty(), "no {tag} operation documented");
    operations
}

/// `path` with each `{segment}` replaced by a value about `account`.
fn concrete(path: &str, account: &TestAccount) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{sip}" => format!("{}@{}", account.username, account.domain),
            "{email}" => "someone@example.org".to_string(),
            "{key}" => "color".to_string(),
            "{uuid}" => "urn:uuid:0".to_string(),
            s if s.starts_with('{') => account.id.to_string(),
            s => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_user_route_is_behind_the_user_guard() {
    let app = TestApp::spawn().await;
    let document = json(app.get("/api/openapi.json").send().await.unwrap()).await;
    let user = app.account("guarded_user", "SHA-256", false).await;
    for (method, path) in operations(&document, "user") {
        let target = concrete(&path, &user);
        let response = app
            .client
            .request(method.clone(), app.url(&target))
            .header("From", user.from())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            401,
            "{method} {target} without credentials"
        );
        assert_eq!(json(response).await["message"], "Unauthenticated request");
    }
}

/// Authenticated as the guard of its group asks, every handler finds its
/// account: whatever it answers (the empty body is often refused), never
/// the 500 of a handler mounted outside its guard.
#[tokio::test]
async fn every_restricted_handler_finds_its_account() {
    let app = TestApp::spawn().await;
    let document = json(app.get("/api/openapi.json").send().await.unwrap()).await;
    for (tag, admin) in [("user", false), ("admin", true)] {
        for (index, (method, path)) in operations(&document, tag).into_iter().enumerate() {
            // A fresh account each time: some routes delete or change it.
            let caller = app
                .account(&format!("{tag}_{index}"), "SHA-256", admin)
                .await;
            let target = concrete(&path, &caller);
            let response = app
                .as_key(&caller, method.clone(), &target)
                .send()
                .await
                .unwrap();
            assert_ne!(
                response.status(),
                500,
                "{method} {target} as {tag}: {}",
                response.text().await.unwrap()
            );
        }
    }
}
