//! The OpenAPI document: every route of `/api`, `/provisioning` and
//! `/contacts` is in it, and `docs/openapi.json` is the current copy.

use std::collections::BTreeSet;

use crate::helpers::{TestApp, json};

/// Routes not documented yet, as `METHOD /path`: each part of the work
/// removes its lines. A route must be in the document or here, never both.
const NOT_YET_PUBLIC: &[&str] = &[
    "DELETE /api/accounts/me/devices/{uuid}",
    "GET /api/accounts/me/devices",
    "DELETE /api/accounts/me",
    "GET /api",
    "GET /api/",
    "GET /api/accounts/auth_token/{token}/attach",
    "GET /api/accounts/me",
    "GET /api/accounts/me/api_key",
    "GET /api/accounts/me/api_key/{token}",
    "GET /api/accounts/me/contacts",
    "GET /api/accounts/me/contacts/{sip}",
    "GET /api/accounts/me/provision",
    "GET /api/accounts/me/services/turn",
    "GET /api/accounts/{account}/provision",
    "GET /contacts/vcard",
    "GET /contacts/vcard/{sip}",
    "GET /provisioning",
    "GET /provisioning/auth_token/{token}",
    "GET /provisioning/me",
    "GET /provisioning/qrcode/{key}",
    "GET /provisioning/{key}",
    "POST /api/account_creation_request_tokens",
    "POST /api/account_creation_tokens",
    "POST /api/account_creation_tokens/send-by-push",
    "POST /api/account_creation_tokens/using-account-creation-request-token",
    "POST /api/account_recovery_tokens/send-by-push",
    "POST /api/accounts/auth_token",
    "POST /api/accounts/me/email/request",
    "POST /api/accounts/me/password",
    "POST /api/accounts/me/phone",
    "POST /api/accounts/me/phone/request",
    "POST /api/accounts/with-account-creation-token",
    "POST /api/accounts/with-token",
    "POST /api/accounts/{account}/activate/email",
    "POST /api/accounts/{account}/activate/phone",
    "POST /api/tokens",
];

const NOT_YET_ADMIN: &[&str] = &[];

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
    files.push(root.join("src/openapi.rs"));
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
    let pending: BTreeSet<String> = NOT_YET_PUBLIC
        .iter()
        .chain(NOT_YET_ADMIN)
        .map(|s| s.to_string())
        .collect();
    let sources = routes_in_sources();
    let missing: Vec<_> = sources
        .iter()
        .filter(|route| !documented.contains(*route) && !pending.contains(*route))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:#?}"
    );
    let both: Vec<_> = pending.intersection(&documented).collect();
    assert!(
        both.is_empty(),
        "documented now, remove from NOT_YET: {both:#?}"
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
