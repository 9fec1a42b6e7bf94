//! Load run: `cargo bench --bench load`.
//!
//! Boots the real server (release build, SQLite file in a temporary
//! directory) on 127.0.0.1 and drives it with concurrent HTTP clients for a
//! few seconds per scenario, printing requests per second. Client and server
//! share the machine's cores, so the numbers are a floor. Bounded in time and
//! count; it only talks to loopback.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use flexiapi::clock::Clock;
use flexiapi::config::Config;
use flexiapi::state::AppState;
use md5::{Digest, Md5};

const WORKERS: usize = 32;
const DURATION: Duration = Duration::from_secs(3);
const MAX_REQUESTS_PER_SCENARIO: u64 = 2_000_000;

struct Target {
    base: String,
    client: reqwest::Client,
    api_key: String,
    from: String,
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let vars: HashMap<String, String> = [
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("bench.sqlite").display()),
        ),
        ("APP_URL", base.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let state = AppState::build(Config::from_map(&vars).unwrap(), Clock::system())
        .await
        .unwrap();
    let app = flexiapi::app(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let api_key = create_admin(&state).await;
    let target = Arc::new(Target {
        base,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(WORKERS)
            .build()
            .unwrap(),
        api_key,
        from: "sip:bench_admin@sip.example.org".into(),
    });

    println!(
        "scenario                         requests/s   (workers {WORKERS}, {DURATION:?} each)"
    );
    run("GET /api/ping", &target, |t, _, _| {
        t.client.get(format!("{}/api/ping", t.base))
    })
    .await;
    run("GET /api/accounts/{sip}/info", &target, |t, _, _| {
        t.client.get(format!(
            "{}/api/accounts/bench_admin@sip.example.org/info",
            t.base
        ))
    })
    .await;
    run("GET /api/accounts/me (API key)", &target, |t, _, _| {
        t.client
            .get(format!("{}/api/accounts/me", t.base))
            .header("From", &t.from)
            .header("x-api-key", &t.api_key)
    })
    .await;
    run_digest(&target).await;
    run("POST /api/accounts (admin)", &target, |t, worker, n| {
        t.client
            .post(format!("{}/api/accounts", t.base))
            .header("From", &t.from)
            .header("x-api-key", &t.api_key)
            .json(&serde_json::json!({
                "username": format!("bench_{worker}_{n}"),
                "password": "secret1",
                "algorithm": "MD5",
            }))
    })
    .await;
}

async fn create_admin(state: &AppState) -> String {
    use flexiapi::auth::digest::Algorithm;
    use flexiapi::db::accounts::{NewAccount, insert};
    let now = state.clock.now_naive();
    let account = insert(
        &state.db,
        &state.config,
        NewAccount {
            username: "bench_admin",
            domain: "sip.example.org",
            password: Some(("bench-pass", Algorithm::Md5)),
            activated: true,
            admin: true,
            ip_address: "127.0.0.1",
            user_agent: "bench",
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap();
    flexiapi::auth::api_key::regenerate(&state.db, account.id, now)
        .await
        .unwrap()
}

/// Runs `request` from every worker until the time is up; prints the rate.
async fn run<F>(name: &str, target: &Arc<Target>, request: F)
where
    F: Fn(&Target, usize, u64) -> reqwest::RequestBuilder + Send + Sync + Copy + 'static,
{
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let target = target.clone();
            let (done, failed) = (done.clone(), failed.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while start.elapsed() < DURATION
                    && done.load(Ordering::Relaxed) < MAX_REQUESTS_PER_SCENARIO
                {
                    n += 1;
                    match request(&target, worker, n).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    report(name, &done, &failed, start);
}

fn report(name: &str, done: &AtomicU64, failed: &AtomicU64, start: Instant) {
    let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    let failed = failed.load(Ordering::Relaxed);
    println!(
        "{name:<32} {rate:>10.0}{}",
        if failed > 0 {
            format!("   ({failed} failed)")
        } else {
            String::new()
        }
    );
}

/// Digest: each worker takes a challenge once, then answers with nc + 1
/// on every request (one atomic nonce UPDATE per request).
async fn run_digest(target: &Arc<Target>) {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..WORKERS)
        .map(|_| {
            let target = target.clone();
            let (done, failed) = (done.clone(), failed.clone());
            tokio::spawn(async move {
                let url = format!("{}/api/accounts/me", target.base);
                let first = target
                    .client
                    .get(&url)
                    .header("From", &target.from)
                    .send()
                    .await
                    .unwrap();
                let header = first.headers()["www-authenticate"].to_str().unwrap();
                let param = |key: &str| {
                    let start = header.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
                    header[start..].split('"').next().unwrap().to_string()
                };
                let (nonce, opaque) = (param("nonce"), param("opaque"));
                let hex = |s: String| format!("{:x}", Md5::digest(s.as_bytes()));
                let ha1 = hex("bench_admin:sip.example.org:bench-pass".into());
                let ha2 = hex("GET:/api/accounts/me".into());
                let mut nc = 0u32;
                while start.elapsed() < DURATION {
                    nc += 1;
                    let nc_hex = format!("{nc:08x}");
                    let response = hex(format!("{ha1}:{nonce}:{nc_hex}:abc:auth:{ha2}"));
                    let authorization = format!(
                        "Digest username=\"bench_admin\",realm=\"sip.example.org\",nonce=\"{nonce}\",uri=\"/api/accounts/me\",nc={nc_hex},cnonce=\"abc\",qop=auth,response=\"{response}\",opaque=\"{opaque}\",algorithm=MD5"
                    );
                    match target
                        .client
                        .get(&url)
                        .header("From", &target.from)
                        .header("Authorization", authorization)
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    report("GET /api/accounts/me (Digest)", &done, &failed, start);
}
