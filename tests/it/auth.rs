//! Authentication (docs/api.md, "Authentication"): Digest MD5/SHA-256, API keys, failures.

use reqwest::Method;

use crate::digest_client::{self, Challenge, authorization, challenges};
use crate::helpers::{TestAccount, TestApp, json};

const ME: &str = "/api/accounts/me";

/// Sends an unauthenticated request and returns its challenges.
async fn challenge_for(app: &TestApp, account: &TestAccount, path: &str) -> Vec<Challenge> {
    let response = app
        .get(path)
        .header("From", account.from())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let found = challenges(&response);
    assert_eq!(json(response).await["message"], "Unauthenticated request");
    found
}

async fn digest_get(
    app: &TestApp,
    account: &TestAccount,
    challenge: &Challenge,
    password: &str,
    nc: u32,
) -> reqwest::Response {
    app.get(ME)
        .header("From", account.from())
        .header(
            "Authorization",
            authorization(challenge, &account.username, password, "GET", ME, nc),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn digest_md5_and_sha256_succeed_and_return_a_challenge_with_the_same_nonce() {
    let app = TestApp::spawn().await;
    for (name, algorithm) in [("md5_user", "MD5"), ("sha_user", "SHA-256")] {
        let account = app.account(name, algorithm, false).await;
        let offered = challenge_for(&app, &account, ME).await;
        assert_eq!(offered.len(), 1);
        assert_eq!(offered[0].algorithm, algorithm);
        assert_eq!(offered[0].realm, "sip.example.org");
        assert_eq!(offered[0].qop, "auth");

        let response = digest_get(&app, &account, &offered[0], &account.password, 1).await;
        assert_eq!(response.status(), 200, "{algorithm}");
        let again = challenges(&response);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].nonce, offered[0].nonce);
        assert_eq!(json(response).await["username"], name);

        // The same nonce goes on with nc + 1.
        let response = digest_get(&app, &account, &offered[0], &account.password, 2).await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn replayed_nc_is_refused_and_drops_the_nonce() {
    let app = TestApp::spawn().await;
    let account = app.account("replay_user", "SHA-256", false).await;
    let challenge = challenge_for(&app, &account, ME).await.remove(0);
    assert_eq!(
        digest_get(&app, &account, &challenge, &account.password, 5)
            .await
            .status(),
        200
    );
    for nc in [5, 4] {
        let response = digest_get(&app, &account, &challenge, &account.password, nc).await;
        assert_eq!(response.status(), 401);
        let fresh = challenges(&response);
        assert_eq!(fresh.len(), 1, "a fresh challenge comes with the refusal");
        assert_ne!(fresh[0].nonce, challenge.nonce);
        let message = json(response).await["message"].clone();
        // The first replay drops the nonce; afterwards it is unknown.
        assert_eq!(
            message,
            if nc == 5 {
                "Nonce replayed"
            } else {
                "Nonce invalid"
            }
        );
    }
    assert_eq!(
        digest_get(&app, &account, &challenge, &account.password, 6)
            .await
            .status(),
        401,
        "a replayed nonce is gone for good"
    );
}

#[tokio::test]
async fn unknown_and_expired_nonces_are_invalid() {
    let app = TestApp::spawn().await;
    let account = app.account("nonce_user", "MD5", false).await;
    let mut challenge = challenge_for(&app, &account, ME).await.remove(0);
    let real_nonce = challenge.nonce.clone();
    challenge.nonce = "made-up-nonce".into();
    let response = digest_get(&app, &account, &challenge, &account.password, 1).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response).await["message"], "Nonce invalid");

    // Unused for longer than APP_NONCE_LIFETIME_MINUTES (60).
    challenge.nonce = real_nonce;
    app.state.clock.advance(chrono::Duration::minutes(61));
    let response = digest_get(&app, &account, &challenge, &account.password, 1).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response).await["message"], "Nonce invalid");
}

#[tokio::test]
async fn nonce_of_another_account_is_invalid() {
    let app = TestApp::spawn().await;
    let alice = app.account("alice_user", "MD5", false).await;
    let bob = app.account("bob_user_", "MD5", false).await;
    let alice_challenge = challenge_for(&app, &alice, ME).await.remove(0);
    let response = digest_get(&app, &bob, &alice_challenge, &bob.password, 1).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response).await["message"], "Nonce invalid");
}

#[tokio::test]
async fn wrong_password_uri_realm_or_opaque_are_unauthorized() {
    let app = TestApp::spawn().await;
    let account = app.account("wrong_user", "SHA-256", false).await;
    let challenge = challenge_for(&app, &account, ME).await.remove(0);

    let response = digest_get(&app, &account, &challenge, "not-the-password", 1).await;
    assert_eq!(response.status(), 401);
    assert_eq!(challenges(&response).len(), 1);
    assert_eq!(json(response).await["message"], "Unauthorized");

    // Answer computed for another URI than the request's.
    let header = authorization(
        &challenge,
        &account.username,
        &account.password,
        "GET",
        "/api/accounts",
        1,
    );
    let response = app
        .get(ME)
        .header("From", account.from())
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(json(response).await["message"], "Unauthorized");

    let mut other_realm = challenge.clone();
    other_realm.realm = "elsewhere.org".into();
    let response = digest_get(&app, &account, &other_realm, &account.password, 1).await;
    assert_eq!(response.status(), 401);

    let mut other_opaque = challenge.clone();
    other_opaque.opaque = "00".into();
    let response = digest_get(&app, &account, &other_opaque, &account.password, 1).await;
    assert_eq!(response.status(), 401);

    for garbage in [
        "Digest",
        "Basic Zm9vOmJhcg==",
        "Digest username=\"x\"",
        "Digest ,,,=,",
    ] {
        let response = app
            .get(ME)
            .header("From", account.from())
            .header("Authorization", garbage)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{garbage}");
        assert_eq!(challenges(&response).len(), 1);
    }
    // None of the failures consumed the real nonce.
    let response = digest_get(&app, &account, &challenge, &account.password, 1).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn digest_uri_includes_the_query() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let path = "/api/accounts?page=1";
    let response = app
        .get(path)
        .header("From", admin.from())
        .send()
        .await
        .unwrap();
    let challenge = challenges(&response).remove(0);
    let header = authorization(&challenge, &admin.username, &admin.password, "GET", path, 1);
    let response = app
        .get(path)
        .header("From", admin.from())
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn account_realm_overrides_the_domain() {
    let app = TestApp::spawn_with(&[("ACCOUNT_REALM", "realm.example.net")]).await;
    let account = app.account("realm_user", "MD5", false).await;
    let challenge = challenge_for(&app, &account, ME).await.remove(0);
    assert_eq!(challenge.realm, "realm.example.net");
    let response = digest_get(&app, &account, &challenge, &account.password, 1).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["realm"], "realm.example.net");
}

#[tokio::test]
async fn clear_text_passwords_offer_md5_then_sha256() {
    let app = TestApp::spawn().await;
    let account = app.account("clear_user", "MD5", false).await;
    use sea_orm::EntityTrait;
    flexiapi::db::entities::password::Entity::delete_many()
        .exec(&app.state.db)
        .await
        .unwrap();
    app.add_password_row(account.id, "clear-secret", "CLRTXT")
        .await;
    let offered = challenge_for(&app, &account, ME).await;
    let algorithms: Vec<_> = offered.iter().map(|c| c.algorithm.as_str()).collect();
    assert_eq!(algorithms, ["MD5", "SHA-256"]);
    assert_eq!(offered[0].nonce, offered[1].nonce);
    // A success offers the same choice again, with the same nonce, whichever
    // algorithm the client just used.
    for (nc, used) in [(1, 1), (2, 0)] {
        let response = digest_get(&app, &account, &offered[used], "clear-secret", nc).await;
        assert_eq!(response.status(), 200);
        let again = challenges(&response);
        let algorithms: Vec<_> = again.iter().map(|c| c.algorithm.as_str()).collect();
        assert_eq!(
            algorithms,
            ["MD5", "SHA-256"],
            "after {}",
            offered[used].algorithm
        );
        assert!(again.iter().all(|c| c.nonce == offered[0].nonce));
    }
}

#[tokio::test]
async fn two_stored_algorithms_give_two_challenges_in_storage_order() {
    let app = TestApp::spawn().await;
    let account = app.account("multi_user", "SHA-256", false).await;
    let md5 = digest_client::h(
        "MD5",
        &format!("multi_user:sip.example.org:{}", account.password),
    );
    app.add_password_row(account.id, &md5, "MD5").await;
    let offered = challenge_for(&app, &account, ME).await;
    let algorithms: Vec<_> = offered.iter().map(|c| c.algorithm.as_str()).collect();
    assert_eq!(algorithms, ["SHA-256", "MD5"]);
    let response = digest_get(&app, &account, &offered[1], &account.password, 1).await;
    assert_eq!(response.status(), 200);
    let again = challenges(&response);
    let algorithms: Vec<_> = again.iter().map(|c| c.algorithm.as_str()).collect();
    assert_eq!(algorithms, ["SHA-256", "MD5"]);
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_nc_let_exactly_one_through() {
    let app = TestApp::spawn().await;
    let account = app.account("race_user", "SHA-256", false).await;
    let challenge = challenge_for(&app, &account, ME).await.remove(0);
    let header = authorization(
        &challenge,
        &account.username,
        &account.password,
        "GET",
        ME,
        1,
    );
    let requests = (0..50).map(|_| {
        app.get(ME)
            .header("From", account.from())
            .header("Authorization", header.clone())
            .send()
    });
    let responses = futures_join_all(requests).await;
    let ok = responses
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == 200)
        .count();
    assert_eq!(ok, 1);
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn unauthenticated_requests_do_not_grow_the_nonce_table_without_bound() {
    let app = TestApp::spawn().await;
    let account = app.account("flood_user", "MD5", false).await;
    for _ in 0..60 {
        challenge_for(&app, &account, ME).await;
    }
    let live = app.count("nonces").await;
    assert!(live <= 32, "{live} nonces kept");
    assert!(live >= 1);
}

#[tokio::test]
async fn api_keys() {
    let app = TestApp::spawn().await;
    let account = app.account("key_user", "MD5", false).await;
    let response = app.as_key(&account, Method::GET, ME).send().await.unwrap();
    assert_eq!(response.status(), 200);

    let response = app
        .get(ME)
        .header("From", account.from())
        .header("x-api-key", "wrong-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(json(response).await["message"], "Unauthorized");

    // Another account's valid key does not open this one.
    let other = app.account("other_key", "MD5", false).await;
    let response = app
        .get(ME)
        .header("From", account.from())
        .header("x-api-key", &other.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn from_header_failures() {
    let app = TestApp::spawn().await;
    let account = app.account("from_user", "MD5", false).await;

    let response = app
        .get(ME)
        .header("x-api-key", &account.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(json(response).await["errors"]["from"].is_array());

    for bad in [
        "not an address",
        "from_user@sip.example.org",
        "sip:nodomain",
        "sip:a b@x.org",
    ] {
        let response = app
            .get(ME)
            .header("From", bad)
            .header("x-api-key", &account.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{bad}");
        assert!(json(response).await["errors"]["from"].is_array());
    }

    let response = app
        .get(ME)
        .header("From", "sip:nobody_here@sip.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // Accepted forms of the same address.
    for good in [
        "<sip:from_user@sip.example.org>",
        "\"From\" <sip:from_user@sip.example.org>;tag=1",
        "sip:from%5Fuser@sip.example.org",
    ] {
        let response = app
            .get(ME)
            .header("From", good)
            .header("x-api-key", &account.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{good}");
    }
}

#[tokio::test]
async fn deactivated_accounts_are_refused_even_with_a_valid_key() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("deact_user", "MD5", false).await;
    let response = app
        .as_key(
            &admin,
            Method::GET,
            &format!("/api/accounts/{}/deactivate", account.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app.as_key(&account, Method::GET, ME).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn admin_routes_need_an_admin() {
    let app = TestApp::spawn().await;
    let user = app.account("plain_user", "MD5", false).await;
    let response = app
        .as_key(&user, Method::GET, "/api/accounts")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(json(response).await["message"], "Unauthorized area");

    let response = app.get("/api/accounts").send().await.unwrap();
    assert_eq!(response.status(), 422, "no From on an admin route");

    let everyone = TestApp::spawn_with(&[("APP_EVERYONE_IS_ADMIN", "true")]).await;
    let user = everyone.account("plain_user", "MD5", false).await;
    let response = everyone
        .as_key(&user, Method::GET, "/api/accounts")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn opaque_never_reveals_the_app_key() {
    use base64::Engine;
    let key = "base64:c2VjcmV0LXNlcnZlci1rZXktdGhhdC1tdXN0LW5vdC1sZWFr";
    let app = TestApp::spawn_with(&[("APP_KEY", key)]).await;
    let account = app.account("opaque_user", "MD5", false).await;
    let challenge = challenge_for(&app, &account, ME).await.remove(0);
    let opaque = challenge.opaque;
    assert!(!opaque.is_empty());
    let encoded = base64::engine::general_purpose::STANDARD.encode(key);
    for secret in [
        key,
        "c2VjcmV0LXNlcnZlci1rZXktdGhhdC1tdXN0LW5vdC1sZWFr",
        encoded.as_str(),
    ] {
        assert!(
            !opaque.contains(secret) && !secret.contains(&opaque),
            "{opaque}"
        );
    }
    // Another key gives another opaque; the same key the same (stable across nodes).
    let other = TestApp::spawn_with(&[("APP_KEY", "another-key")]).await;
    let other_account = other.account("opaque_user", "MD5", false).await;
    assert_ne!(
        challenge_for(&other, &other_account, ME).await[0].opaque,
        opaque
    );
    let same = TestApp::spawn_with(&[("APP_KEY", key)]).await;
    let same_account = same.account("opaque_user", "MD5", false).await;
    assert_eq!(
        challenge_for(&same, &same_account, ME).await[0].opaque,
        opaque
    );
}
