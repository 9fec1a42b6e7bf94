//! Two `flexiapi serve` processes on one MariaDB and on one PostgreSQL
//! database, as behind a load balancer: they serve the same accounts, a
//! Digest nonce of one works on the other exactly once per `nc`, and the
//! rate limit is one budget across both.

use reqwest::Method;
use serde_json::{Value, json};

use crate::digest_client::{authorization, challenges};
use crate::helpers::TestApp;
use crate::node::Node;
use crate::test_db::{Backend, TestDb};

const RATE_LIMIT: usize = 6;

async fn two_nodes(backend: Backend, app_key: Option<&str>) {
    if !crate::node::runs_here(backend) {
        return;
    }
    // Declared first, dropped last: after the nodes.
    let database = TestDb::on(backend);
    let url = database.url();
    // Creates the schema and the accounts, as a third node would.
    let app = TestApp::spawn_with(&[("DATABASE_URL", url)]).await;
    let admin = app.admin().await;
    let user = app.account("node_user", "SHA-256", false).await;

    let limit = RATE_LIMIT.to_string();
    let mut vars = vec![
        ("DATABASE_URL", url),
        ("APP_RATE_LIMIT_PER_MINUTE", limit.as_str()),
    ];
    if let Some(key) = app_key {
        vars.push(("APP_KEY", key));
    }
    let (a, b) = tokio::join!(Node::spawn(&vars), Node::spawn(&vars));
    let nodes = [&a, &b];

    // The same accounts on both; one created on A is seen on B.
    for node in nodes {
        let me = node.as_key(&user, Method::GET, "/api/accounts/me");
        let me: Value = me.send().await.unwrap().json().await.unwrap();
        assert_eq!(me["id"], user.id);
    }
    let response = a
        .as_key(&admin, Method::POST, "/api/accounts")
        .json(&json!({"username": "made_on_a", "password": "secret1", "algorithm": "MD5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let id = response.json::<Value>().await.unwrap()["id"].clone();
    let path = format!("/api/accounts/{id}");
    let response = b.as_key(&admin, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["username"],
        "made_on_a"
    );

    // A nonce issued by A answers on B.
    let me = "/api/accounts/me";
    let from = user.from();
    let response = a
        .client
        .get(a.url(me))
        .header("From", &from)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = challenges(&response).remove(0);
    let answer = |nc| authorization(&challenge, &user.username, &user.password, "GET", me, nc);
    let response = b
        .client
        .get(b.url(me))
        .header("From", &from)
        .header("Authorization", answer(1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // One nc, 50 concurrent requests split between the nodes: one passes.
    let header = answer(2);
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let node = nodes[i % 2];
            tokio::spawn(
                node.client
                    .get(node.url(me))
                    .header("From", &from)
                    .header("Authorization", header.clone())
                    .send(),
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap().unwrap().status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}\n{}\n{}",
        a.log(),
        b.log()
    );
    assert!(
        statuses.iter().all(|s| [200, 401].contains(s)),
        "{statuses:?}\n{}\n{}",
        a.log(),
        b.log()
    );

    // One rate-limit budget for both nodes.
    let tokens = |node: &Node| node.client.post(node.url("/api/tokens")).json(&json!({}));
    for i in 0..RATE_LIMIT {
        let status = tokens(nodes[i % 2]).send().await.unwrap().status();
        assert_eq!(status, 422, "request {i} is within the limit");
    }
    for node in nodes {
        assert_eq!(tokens(node).send().await.unwrap().status(), 429);
    }
}

#[tokio::test]
async fn mariadb_two_nodes() {
    // No APP_KEY: both nodes share the key generated in the database.
    two_nodes(Backend::MariaDb, None).await;
}

#[tokio::test]
async fn postgres_two_nodes() {
    // The same APP_KEY on every node, as docs/operations.md asks when it is set.
    two_nodes(
        Backend::Postgres,
        Some("base64:c2hhcmVkLWtleS1vZi1ib3RoLW5vZGVzLTAxMjM0NTY="),
    )
    .await;
}
