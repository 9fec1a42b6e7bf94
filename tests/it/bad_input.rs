//! Bad input never gives a 500 nor writes anything (docs/api.md, "Errors").

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, json};

#[tokio::test]
async fn malformed_and_non_object_bodies_are_400_json() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for body in [
        "{",
        "{\"username\":}",
        "[]",
        "\"string\"",
        "42",
        "null",
        "\u{0}",
    ] {
        for path in ["/api/accounts", "/api/accounts/me/password"] {
            let response = app
                .as_key(&admin, Method::POST, path)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{path} {body:?}");
            assert!(json(response).await["message"].is_string());
        }
    }
    assert_eq!(app.count("accounts").await, 1);
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let huge =
        json!({"username": "huge_user", "password": "x".repeat(70 * 1024), "algorithm": "MD5"});
    let response = app
        .as_key(&admin, Method::POST, "/api/accounts")
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert!(json(response).await["message"].is_string());

    // Also without a Content-Length (chunked upload).
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
    let response = app
        .as_key(&admin, Method::POST, "/api/accounts")
        .body(reqwest::Body::wrap_stream(futures_stream(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(app.count("accounts").await, 1);
}

fn futures_stream(
    chunks: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + Sync + 'static {
    tokio_stream::iter(chunks)
}

#[tokio::test]
async fn long_and_non_ascii_strings_in_every_field_are_refused_cleanly() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let long = "é".repeat(5000);
    let weird = [
        "",
        "\u{0}",
        "'; DROP TABLE accounts; --",
        "😀😀😀😀😀😀",
        "\u{202e}abcdef",
        long.as_str(),
    ];
    for field in [
        "username",
        "password",
        "algorithm",
        "phone",
        "email",
        "confirmation_key_expires",
        "activated",
        "admin",
    ] {
        for value in weird {
            let mut body =
                json!({"username": "valid_user", "password": "secret1", "algorithm": "MD5"});
            body[field] = json!(value);
            let response = app
                .as_key(&admin, Method::POST, "/api/accounts")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!(
                status == 422 || status == 200,
                "{field}={value:?}: {status}"
            );
            if status == 200 {
                // Only a password may be any string of 6+ characters, and an
                // empty optional field counts as absent (`algorithm` too,
                // optional since FlexiAPI 2.1).
                let optional = !["username", "password"].contains(&field);
                assert!(
                    field == "password" || (optional && value.is_empty()),
                    "{field}={value:?}"
                );
                let id = json(response).await["id"].as_i64().unwrap();
                app.as_key(&admin, Method::DELETE, &format!("/api/accounts/{id}"))
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
    assert_eq!(app.count("accounts").await, 1);
}

#[tokio::test]
async fn bad_headers_never_500() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for from in [
        "sip:",
        "<>",
        "sip:@",
        &format!("sip:{}@x.org", "a".repeat(10_000)),
        "sip:é@x.org",
    ] {
        let response = app
            .get("/api/accounts/me")
            .header("From", from)
            .header("x-api-key", &admin.api_key)
            .send()
            .await
            .unwrap();
        assert!(
            [404, 422].contains(&response.status().as_u16()),
            "{from}: {}",
            response.status()
        );
    }
    let long_key = "k".repeat(5000);
    let response = app
        .get("/api/accounts/me")
        .header("From", admin.from())
        .header("x-api-key", long_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn api_routes_answer_json_whatever_the_accept_header() {
    let app = TestApp::spawn().await;
    let response = app
        .get("/api/accounts/nobody_x@sip.example.org/info")
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let response = app.client.put(app.url("/api/ping")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert!(json(response).await["message"].is_string());
}

#[tokio::test]
async fn api_documentation_is_served_as_html() {
    let app = TestApp::spawn().await;
    for path in ["/api", "/api/"] {
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = response.text().await.unwrap();
        for endpoint in [
            "/accounts/with-token",
            "/accounts/me/devices",
            "x-api-key",
            "Digest",
            "curl",
        ] {
            assert!(html.contains(endpoint), "{path} lacks {endpoint}");
        }
    }
}
