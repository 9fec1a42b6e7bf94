//! The OpenAPI document: every route of `/api`, `/provisioning` and
//! `/contacts` is in it, and `docs/openapi.json` is the current copy.

use std::collections::BTreeSet;

use crate::helpers::{TestApp, json};

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// The `(METHOD, path)` pairs registered with `.route(…)` in the API's
/// sources.
fn routes_in_sources() -> BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(root.join("src/api"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.push(root.join("src/provisioning/mod.rs"));
    files.push(root.join("src/api/openapi.rs"));
    let mut routes = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for (path, methods) in route_calls(&source) {
            for method in methods {
                routes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes
}

/// Each `.route("path", get(a).post(b))` as `("path", ["get", "post"])`.
fn route_calls(source: &str) -> Vec<(String, Vec<String>)> {
    let mut calls = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find(".route(") {
        rest = &rest[start + ".route(".len()..];
        let body = rest.trim_start();
        let Some(body) = body.strip_prefix('"') else {
            continue;
        };
        let end = body.find('"').unwrap();
        let path = body[..end].to_string();
        let after = body[end + 1..].trim_start().trim_start_matches(',');
        // The method chain runs to the `)` closing `.route(`.
        let mut depth = 0;
        let mut chain = String::new();
        for c in after.chars() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => break,
                ')' => depth -= 1,
                _ => {}
            }
            chain.push(c);
        }
        let mut methods = Vec::new();
        let mut depth = 0;
        let mut token = String::new();
        for c in chain.chars() {
            match c {
                '(' => {
                    if depth == 0 {
                        let name = token.trim().trim_start_matches('.').to_string();
                        if METHODS.contains(&name.as_str()) {
                            methods.push(name);
                        }
                        token.clear();
                    }
                    depth += 1;
                }
                ')' => depth -= 1,
                _ if depth == 0 => token.push(c),
                _ => {}
            }
        }
        assert!(!methods.is_empty(), "no method found for route {path}");
        calls.push((path, methods));
    }
    calls
}

fn routes_in_document(document: &serde_json::Value) -> BTreeSet<String> {
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if METHODS.contains(&method.as_str()) {
                routes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes
}

#[test]
fn the_route_scanner_reads_chains_and_multi_line_calls() {
    let source = r#"
        Router::new()
            .route("/a", get(index).post(store))
            .route(
                "/b/{id}",
                put(update).delete(destroy),
            )
            .route("/c", get(|| async { "x" }))
    "#;
    assert_eq!(
        route_calls(source),
        vec![
            (
                "/a".to_string(),
                vec!["get".to_string(), "post".to_string()]
            ),
            (
                "/b/{id}".to_string(),
                vec!["put".to_string(), "delete".to_string()]
            ),
            ("/c".to_string(), vec!["get".to_string()]),
        ]
    );
}

#[tokio::test]
async fn every_route_is_in_the_document() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/openapi.json").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document = json(response).await;
    assert_eq!(document["openapi"], "3.1.0");

    let documented = routes_in_document(&document);
    let sources = routes_in_sources();
    let missing: Vec<_> = sources
        .iter()
        .filter(|route| !documented.contains(*route))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:#?}"
    );
    let unknown: Vec<_> = documented.difference(&sources).collect();
    assert!(
        unknown.is_empty(),
        "documented but not routed: {unknown:#?}"
    );
}

#[tokio::test]
async fn operation_ids_are_unique() {
    let app = TestApp::spawn().await;
    let document = json(app.get("/api/openapi.json").send().await.unwrap()).await;
    let mut seen = BTreeSet::new();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation["operationId"].as_str() {
                assert!(
                    seen.insert(id.to_string()),
                    "operationId {id} is used twice"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_committed_document_is_current() {
    let app = TestApp::spawn().await;
    let served = app
        .get("/api/openapi.json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let committed = include_str!("../../docs/openapi.json");
    assert!(
        committed.trim_end() == served.trim_end(),
        "docs/openapi.json is stale: run `cargo run -q -- openapi > docs/openapi.json`"
    );
}

/// Every operation of the document with its method and path.
fn operations(document: &serde_json::Value) -> Vec<(String, String, &serde_json::Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                operations.push((method.clone(), path.clone(), operation));
            }
        }
    }
    operations
}

fn tag_of(operation: &serde_json::Value) -> &str {
    let tags = operation["tags"]
        .as_array()
        .expect("every operation has tags");
    assert_eq!(tags.len(), 1, "one tag per operation: {operation}");
    tags[0].as_str().unwrap()
}

#[tokio::test]
async fn restricted_operations_declare_their_authentication_and_public_ones_none() {
    let app = TestApp::spawn().await;
    let document = json(app.get("/api/openapi.json").send().await.unwrap()).await;
    let expected_security = serde_json::json!([{"api_key": []}, {"digest": []}]);
    let mut users = 0;
    for (method, path, operation) in operations(&document) {
        let route = format!("{} {path}", method.to_uppercase());
        match tag_of(operation) {
            "user" | "admin" => {
                assert_eq!(operation["security"], expected_security, "{route}");
                let responses = &operation["responses"];
                for status in ["401", "422"] {
                    assert!(
                        responses.get(status).is_some(),
                        "{route} does not document {status}"
                    );
                }
                assert_eq!(
                    responses["401"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Message",
                    "{route}"
                );
                users += 1;
            }
            "public" => assert!(operation.get("security").is_none(), "{route}"),
            other => panic!("{route}: unknown tag {other}"),
        }
    }
    assert!(users > 0);
}

/// What the document says of the user operations holds: without
/// credentials, or with a wrong key, each answers its documented `401`.
#[tokio::test]
async fn user_operations_answer_their_documented_401() {
    let app = TestApp::spawn().await;
    let document = json(app.get("/api/openapi.json").send().await.unwrap()).await;
    let account = app.account("openapi_user", "SHA-256", false).await;
    let wrong_key = crate::helpers::TestAccount {
        api_key: "not-the-key".into(),
        ..account.clone()
    };
    let mut checked = 0;
    for (method, path, operation) in operations(&document) {
        if tag_of(operation) != "user" {
            continue;
        }
        assert!(
            operation["responses"].get("401").is_some(),
            "{method} {path}"
        );
        // Path parameters do not matter: the guard answers first.
        let target = path.replace(['{', '}'], "");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();

        let mut anonymous = app
            .as_key(&account, method.clone(), &target)
            .build()
            .unwrap();
        anonymous.headers_mut().remove("x-api-key");
        let response = reqwest::Client::new().execute(anonymous).await.unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{method} {path}: a 401 offers a challenge"
        );
        assert_eq!(json(response).await["message"], "Unauthenticated request");

        let response = app
            .as_key(&wrong_key, method.clone(), &target)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
        assert_eq!(json(response).await["message"], "Unauthorized");
        checked += 1;
    }
    // The 17 user routes of src/api/mod.rs and /provisioning/me.
    assert!(checked >= 17, "only {checked} user operations");
}

/// Every authenticated operation documents the `403` of a blocked account,
/// and answers it, with `Account blocked`, once the account's key is right
/// (an admin's, so that the admin routes are reached too).
#[tokio::test]
async fn authenticated_operations_answer_a_blocked_account_their_documented_403() {
    let app = TestApp::spawn().await;
    let document = json(app.get("/api/openapi.json").send().await.unwrap()).await;
    let blocked = app.account("openapi_blocked", "SHA-256", true).await;
    flexiapi::db::accounts::set_blocked(&app.state.db, blocked.id, true)
        .await
        .unwrap();
    let mut checked = 0;
    for (method, path, operation) in operations(&document) {
        if !matches!(tag_of(operation), "user" | "admin") {
            continue;
        }
        let documented = operation["responses"]["403"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(
            documented.contains("`Account blocked`"),
            "{method} {path}: {documented:?}"
        );
        let target = path.replace(['{', '}'], "");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .as_key(&blocked, method.clone(), &target)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        if method != reqwest::Method::HEAD {
            assert_eq!(
                json(response).await["message"],
                "Account blocked",
                "{method} {path}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 17, "only {checked} authenticated operations");
}
