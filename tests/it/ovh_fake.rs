//! An HTTP server playing OVH's API for tests. It checks every signed
//! request as OVH does (application key, consumer key, timestamp close to
//! its own clock, signature recomputed with the known secret) and refuses
//! the others with `403`; it records the SMS jobs it accepts.
//!
//! ```ignore
//! let ovh = OvhFake::start().await;
//! let vars = ovh.vars();
//! let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
//! let app = TestApp::spawn_with(&vars).await;
//! // … after the API sent an SMS:
//! let job = &ovh.jobs()[0];
//! let message = job.body["message"].as_str().unwrap();
//! ```

#![allow(dead_code)]

use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use tokio::task::JoinHandle;

pub const APP_KEY: &str = "fake-application-key";
pub const APP_SECRET: &str = "fake-application-secret";
pub const CONSUMER_KEY: &str = "fake-consumer-key";
pub const SERVICE: &str = "sms-ab12345-1";
pub const SENDER: &str = "FlexiTest";

/// The fake's clock runs this far behind real time, so a client that
/// signs with its local time instead of `/auth/time` is refused.
const TIME_OFFSET_SECONDS: i64 = -3600;
/// How far a request's timestamp may be from the fake's clock.
const TIME_TOLERANCE_SECONDS: i64 = 10;

/// One SMS job as received.
#[derive(Clone, Debug)]
pub struct Job {
    pub service: String,
    pub body: Value,
}

struct Shared {
    jobs: Mutex<Vec<Job>>,
    /// Signed requests refused (bad signature, keys or timestamp).
    refused: AtomicUsize,
    /// Accepted signed requests.
    accepted: AtomicUsize,
    /// When non-zero, the jobs endpoint answers this status.
    job_status: AtomicU16,
}

pub struct OvhFake {
    /// The base URL to give as `OVH_APP_ENDPOINT`.
    pub endpoint: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for OvhFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OvhFake {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared {
            jobs: Mutex::new(Vec::new()),
            refused: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
            job_status: AtomicU16::new(0),
        });
        let app = Router::new()
            .route("/1.0/auth/time", get(|| async { fake_now().to_string() }))
            .route("/1.0/sms/", get(services))
            .route("/1.0/sms/{service}/jobs", post(create_job))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}/1.0", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        OvhFake {
            endpoint,
            shared,
            task,
        }
    }

    /// `OVH_APP_*` variables pointing at this fake.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OVH_APP_KEY", APP_KEY.to_string()),
            ("OVH_APP_SECRET", APP_SECRET.to_string()),
            ("OVH_APP_CONSUMER_KEY", CONSUMER_KEY.to_string()),
            ("OVH_APP_ENDPOINT", self.endpoint.clone()),
            ("OVH_APP_SENDER", SENDER.to_string()),
        ]
    }

    /// Jobs accepted so far.
    pub fn jobs(&self) -> Vec<Job> {
        self.shared.jobs.lock().unwrap().clone()
    }

    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Makes the jobs endpoint answer `status` (e.g. 500); `None` restores
    /// normal answers.
    pub fn fail_jobs_with(&self, status: Option<u16>) {
        self.shared
            .job_status
            .store(status.unwrap_or(0), Ordering::SeqCst);
    }
}

fn fake_now() -> i64 {
    let real = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    real + TIME_OFFSET_SECONDS
}

/// Checks a signed request as OVH does; `Err` is the refusal to answer.
fn verify(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &str,
) -> Result<(), Box<Response>> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let url = format!("http://{}{}", header("host"), uri);
    let timestamp = header("x-ovh-timestamp");
    let expected = format!(
        "$1${}",
        hex::encode(Sha1::digest(
            [
                APP_SECRET,
                CONSUMER_KEY,
                method.as_str(),
                &url,
                body,
                &timestamp
            ]
            .join("+")
            .as_bytes()
        ))
    );
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (t - fake_now()).abs() <= TIME_TOLERANCE_SECONDS);
    let valid = header("x-ovh-application") == APP_KEY
        && header("x-ovh-consumer") == CONSUMER_KEY
        && fresh
        && header("x-ovh-signature") == expected;
    if valid {
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        Ok(())
    } else {
        shared.refused.fetch_add(1, Ordering::SeqCst);
        Err(Box::new(
            (
                StatusCode::FORBIDDEN,
                axum::Json(
                    json!({"errorCode": "INVALID_SIGNATURE", "message": "Invalid signature"}),
                ),
            )
                .into_response(),
        ))
    }
}

async fn services(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(refusal) = verify(&shared, &method, &uri, &headers, &body) {
        return *refusal;
    }
    axum::Json(json!([SERVICE])).into_response()
}

async fn create_job(
    State(shared): State<Arc<Shared>>,
    Path(service): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(refusal) = verify(&shared, &method, &uri, &headers, &body) {
        return *refusal;
    }
    let status = shared.job_status.load(Ordering::SeqCst);
    if status != 0 {
        let status = StatusCode::from_u16(status).unwrap();
        return (
            status,
            axum::Json(json!({"message": "Internal server error"})),
        )
            .into_response();
    }
    if service != SERVICE {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "This service does not exist"})),
        )
            .into_response();
    }
    let Ok(job) = serde_json::from_str::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": "Invalid JSON"})),
        )
            .into_response();
    };
    // Like OVH: a receiver that is not an international number is dropped.
    let (valid, invalid): (Vec<Value>, Vec<Value>) = job["receivers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .partition(|r| {
            r.as_str().is_some_and(|r| {
                r.strip_prefix('+')
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            })
        });
    shared.jobs.lock().unwrap().push(Job { service, body: job });
    axum::Json(json!({
        "ids": [4242],
        "invalidReceivers": invalid,
        "validReceivers": valid,
        "totalCreditsRemoved": 1,
    }))
    .into_response()
}
