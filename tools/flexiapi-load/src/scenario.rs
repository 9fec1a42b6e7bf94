//! The scenarios: what each worker sends, in a closed loop (the next
//! request leaves when the previous answer is read).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request};

use crate::cpu;
use crate::http::{Answer, Connection, Target};
use crate::seed::{BenchAccount, Credentials, load_username};
use crate::stats::{CpuSpent, Report, Samples};
use flexiapi::auth::digest::Algorithm;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `GET /api/ping`
    Ping,
    /// `GET /api/accounts/{sip}/info` of a random seeded account
    Info,
    /// `GET /api/accounts/me` with an API key
    MeKey,
    /// `GET /api/accounts/me` with Digest MD5, one challenge per worker
    MeDigestMd5,
    /// `GET /api/accounts/me` with Digest SHA-256, one challenge per worker
    MeDigestSha256,
    /// admin `POST /api/accounts`, a new username each time
    AdminCreate,
    /// admin `GET /api/accounts?page=N`, N random
    ListAccounts,
    /// `GET /provisioning` (the base configuration)
    Provisioning,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::Ping,
        Scenario::Info,
        Scenario::MeKey,
        Scenario::MeDigestMd5,
        Scenario::MeDigestSha256,
        Scenario::AdminCreate,
        Scenario::ListAccounts,
        Scenario::Provisioning,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Ping => "ping",
            Scenario::Info => "info",
            Scenario::MeKey => "me-key",
            Scenario::MeDigestMd5 => "me-digest-md5",
            Scenario::MeDigestSha256 => "me-digest-sha256",
            Scenario::AdminCreate => "admin-create",
            Scenario::ListAccounts => "list-accounts",
            Scenario::Provisioning => "provisioning",
        }
    }
}

/// A bound on requests per worker, whatever the duration says.
const MAX_REQUESTS_PER_WORKER: u64 = 5_000_000;

pub async fn run(
    scenario: Scenario,
    target: &Target,
    credentials: &Credentials,
    workers: usize,
    warmup: Duration,
    measured: Duration,
    server_pid: Option<u32>,
) -> anyhow::Result<Report> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + measured;
    let cpu = tokio::spawn(async move {
        let read = || (server_pid.and_then(cpu::time_of), cpu::own_time());
        tokio::time::sleep_until(measure_from.into()).await;
        let before = read();
        tokio::time::sleep_until(end.into()).await;
        let after = read();
        let spent = |a: Option<Duration>, b: Option<Duration>| Some(a?.saturating_sub(b?));
        CpuSpent {
            server: spent(after.0, before.0),
            load_tool: spent(after.1, before.1),
        }
    });
    let run_tag = format!("{:x}", std::process::id() ^ start.elapsed().subsec_nanos());
    let handles: Vec<_> = (0..workers)
        .map(|index| {
            let mut worker = Worker {
                scenario,
                connection: Connection::new(target),
                credentials: credentials.clone(),
                rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0x2545_F491),
                digest: None,
                created: 0,
                tag: format!("b{run_tag}w{index}"),
            };
            tokio::spawn(async move {
                let mut samples = Samples::default();
                for _ in 0..MAX_REQUESTS_PER_WORKER {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    match worker.step().await {
                        Ok(status) if sent >= measure_from => {
                            samples.record(status, sent.elapsed())
                        }
                        Ok(_) => {}
                        Err(_) if sent >= measure_from => samples.record_error(),
                        Err(_) => {}
                    }
                }
                samples
            })
        })
        .collect();
    let mut all = Samples::default();
    for handle in handles {
        all.merge(handle.await?);
    }
    Ok(Report::new(
        scenario.name(),
        workers,
        measured,
        all,
        cpu.await?,
    ))
}

/// The Digest state a worker keeps between requests.
struct DigestSession {
    realm: String,
    nonce: String,
    opaque: String,
    nc: u32,
}

struct Worker {
    scenario: Scenario,
    connection: Connection,
    credentials: Credentials,
    rng: u64,
    digest: Option<DigestSession>,
    created: u64,
    tag: String,
}

impl Worker {
    /// Sends one request of the scenario and returns its status.
    async fn step(&mut self) -> anyhow::Result<u16> {
        let request = match self.scenario {
            Scenario::Ping => get("/api/ping"),
            Scenario::Info => {
                let n = 1 + (self.random() % self.credentials.accounts.max(1) as u64) as u32;
                let path = format!(
                    "/api/accounts/{}@{}/info",
                    load_username(n),
                    self.credentials.domain
                );
                get(&path)
            }
            Scenario::MeKey => with_key(get("/api/accounts/me"), &self.credentials.key_user),
            Scenario::MeDigestMd5 | Scenario::MeDigestSha256 => return self.digest_step().await,
            Scenario::AdminCreate => {
                self.created += 1;
                let body = serde_json::json!({
                    "username": format!("{}n{}", self.tag, self.created),
                    "password": "load-password",
                    "algorithm": "SHA-256",
                });
                let mut request = Request::builder()
                    .method(Method::POST)
                    .uri("/api/accounts")
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(Full::new(Bytes::from(body.to_string())))?;
                request = with_key(request, &self.credentials.admin);
                request
            }
            Scenario::ListAccounts => {
                let pages = (self.credentials.accounts as u64 / 20).max(1);
                let page = 1 + self.random() % pages;
                with_key(
                    get(&format!("/api/accounts?page={page}")),
                    &self.credentials.admin,
                )
            }
            Scenario::Provisioning => get("/provisioning"),
        };
        Ok(self.connection.send(request).await?.status)
    }

    /// `GET /api/accounts/me` with Digest: a challenge first, then the
    /// same nonce with `nc` + 1 until the server refuses it.
    async fn digest_step(&mut self) -> anyhow::Result<u16> {
        let (account, algorithm) = if self.scenario == Scenario::MeDigestMd5 {
            (self.credentials.md5_user.clone(), Algorithm::Md5)
        } else {
            (self.credentials.sha256_user.clone(), Algorithm::Sha256)
        };
        let path = "/api/accounts/me";
        let mut request = get(path);
        request
            .headers_mut()
            .insert("from", account.from().parse()?);
        if let Some(session) = &mut self.digest {
            session.nc += 1;
            let header = authorization(session, &account, algorithm, path);
            request
                .headers_mut()
                .insert("authorization", header.parse()?);
        }
        let answer = self.connection.send(request).await?;
        if answer.status == 401 || self.digest.is_none() {
            self.digest = challenge(&answer, algorithm);
        }
        Ok(answer.status)
    }

    /// xorshift64: cheap, and each worker has its own sequence.
    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .uri(path)
        .header("accept", "application/json")
        .body(Full::new(Bytes::new()))
        .expect("a valid request")
}

fn with_key(mut request: Request<Full<Bytes>>, account: &BenchAccount) -> Request<Full<Bytes>> {
    let headers = request.headers_mut();
    headers.insert("from", account.from().parse().expect("a valid From"));
    if let Some(key) = &account.api_key {
        headers.insert("x-api-key", key.parse().expect("a valid key"));
    }
    request
}

/// The challenge of `algorithm` among the response's `WWW-Authenticate`.
fn challenge(answer: &Answer, algorithm: Algorithm) -> Option<DigestSession> {
    answer
        .headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(parameters)
        .find(|params| {
            params
                .iter()
                .any(|(k, v)| k == "algorithm" && v == algorithm.name())
        })
        .map(|params| {
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            DigestSession {
                realm: get("realm"),
                nonce: get("nonce"),
                opaque: get("opaque"),
                nc: 0,
            }
        })
}

/// `Digest k=v,k="v"` as pairs (our own server's challenges: no commas in
/// quoted values).
fn parameters(header: &str) -> Vec<(String, String)> {
    header
        .trim_start_matches("Digest")
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

fn authorization(
    session: &DigestSession,
    account: &BenchAccount,
    algorithm: Algorithm,
    uri: &str,
) -> String {
    let ha1 = algorithm.ha1(&account.username, &session.realm, &account.password);
    let ha2 = algorithm.hash(&format!("GET:{uri}"));
    let nc = format!("{:08x}", session.nc);
    let cnonce = "0a4f113b";
    let response = algorithm.hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", session.nonce));
    format!(
        "Digest username=\"{}\",realm=\"{}\",nonce=\"{}\",uri=\"{uri}\",algorithm={},response=\"{response}\",opaque=\"{}\",qop=auth,nc={nc},cnonce=\"{cnonce}\"",
        account.username,
        session.realm,
        session.nonce,
        algorithm.name(),
        session.opaque
    )
}
