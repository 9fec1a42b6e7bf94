//! SMS through OVH's API: signed requests, the service name read from
//! `GET /sms/`, one job per message.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use tokio::sync::OnceCell;

use prometheus::IntCounter;

use crate::config::{Config, OvhConfig};

/// Characters escaped in a path segment (RFC 3986 unreserved ones are kept).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whole-request timeout of every call to OVH.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("no SMS service is configured (OVH_APP_*)")]
    Disabled,
    #[error("OVH unreachable: {0}")]
    Http(#[from] reqwest::Error),
    #[error("OVH answered {status} to {method} {path}")]
    Status {
        method: Method,
        path: String,
        status: reqwest::StatusCode,
    },
    #[error("invalid OVH URL {0:?}")]
    Url(String),
    #[error("OVH answered an unexpected body to {0}")]
    Body(String),
    #[error("the OVH account has no SMS service")]
    NoService,
    #[error("OVH refused the receiver")]
    InvalidReceiver,
}

/// The text of a validation code SMS (docs/integrations.md, "SMS (OVH)").
pub fn validation_message(app_name: &str, code: &str) -> String {
    format!("Your {app_name} validation code is {code}")
}

pub struct Sms {
    backend: SmsBackend,
    /// Counts messages that could not be sent (`/metrics`).
    failures: IntCounter,
}

enum SmsBackend {
    Ovh(OvhClient),
    /// No OVH credentials: every send fails (the API answers `503`).
    Disabled,
}

impl Sms {
    pub fn from_config(config: &Config) -> Result<Self, SmsError> {
        let backend = match &config.ovh {
            Some(ovh) => SmsBackend::Ovh(OvhClient::new(ovh.clone())?),
            None => SmsBackend::Disabled,
        };
        Ok(Sms {
            backend,
            failures: crate::metrics::detached_counter(),
        })
    }

    /// Counts the failed sends in `counter` from now on.
    pub fn counting_failures(mut self, counter: IntCounter) -> Self {
        self.failures = counter;
        self
    }

    /// Sends `message` to `phone` (`+` and digits).
    pub async fn send(&self, phone: &str, message: &str) -> Result<(), SmsError> {
        let result = match &self.backend {
            SmsBackend::Ovh(client) => client.send(phone, message).await,
            SmsBackend::Disabled => Err(SmsError::Disabled),
        };
        if result.is_err() {
            self.failures.inc();
        }
        result
    }
}

pub struct OvhClient {
    http: reqwest::Client,
    config: OvhConfig,
    /// OVH time minus local time, read once from `/auth/time`: signatures
    /// carry the server's time, and a local clock may drift.
    time_delta: OnceCell<i64>,
}

impl OvhClient {
    pub fn new(config: OvhConfig) -> Result<Self, SmsError> {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(HTTP_TIMEOUT)
            .build()?;
        Ok(OvhClient {
            http,
            config,
            time_delta: OnceCell::new(),
        })
    }

    pub async fn send(&self, phone: &str, message: &str) -> Result<(), SmsError> {
        let services = self.call(Method::GET, "/sms/", None).await?;
        let service = services
            .as_array()
            .and_then(|names| names.first())
            .and_then(Value::as_str)
            .ok_or(SmsError::NoService)?
            .to_string();

        let mut job = json!({
            "charset": "UTF-8",
            "message": message,
            "noStopClause": true,
            "priority": "high",
            "receivers": [phone],
        });
        if let Some(sender) = &self.config.sender {
            job["sender"] = json!(sender);
        }
        let path = format!("/sms/{}/jobs", utf8_percent_encode(&service, SEGMENT));
        let answer = self.call(Method::POST, &path, Some(job)).await?;

        // OVH answers 200 even when it drops a receiver it finds invalid.
        let refused = answer["invalidReceivers"]
            .as_array()
            .is_some_and(|invalid| !invalid.is_empty());
        if refused {
            return Err(SmsError::InvalidReceiver);
        }
        Ok(())
    }

    /// One signed call; answers the JSON body of a 2xx response.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, SmsError> {
        // Sign the URL and body exactly as they are sent.
        let raw_url = format!("{}{path}", self.config.endpoint);
        let url = reqwest::Url::parse(&raw_url).map_err(|_| SmsError::Url(raw_url))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let timestamp = (local_unix_time() + self.time_delta().await?).to_string();
        let signature = signature(
            self.config.app_secret.expose(),
            self.config.consumer_key.expose(),
            method.as_str(),
            url.as_str(),
            &body,
            &timestamp,
        );
        let mut request = self
            .http
            .request(method.clone(), url)
            .header("X-Ovh-Application", &self.config.app_key)
            .header("X-Ovh-Consumer", self.config.consumer_key.expose())
            .header("X-Ovh-Timestamp", timestamp)
            .header("X-Ovh-Signature", signature);
        if !body.is_empty() {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            return Err(SmsError::Status {
                method,
                path: path.to_string(),
                status,
            });
        }
        response
            .json()
            .await
            .map_err(|_| SmsError::Body(path.to_string()))
    }

    async fn time_delta(&self) -> Result<i64, SmsError> {
        self.time_delta
            .get_or_try_init(|| async {
                let url = format!("{}/auth/time", self.config.endpoint);
                let response = self.http.get(&url).send().await?;
                let status = response.status();
                if !status.is_success() {
                    return Err(SmsError::Status {
                        method: Method::GET,
                        path: "/auth/time".into(),
                        status,
                    });
                }
                let text = response.text().await?;
                let server: i64 = text
                    .trim()
                    .parse()
                    .map_err(|_| SmsError::Body("/auth/time".into()))?;
                Ok(server - local_unix_time())
            })
            .await
            .copied()
    }
}

/// OVH's request signature: `$1$` + hex SHA-1 of
/// `secret+consumer+METHOD+URL+BODY+timestamp`.
pub fn signature(
    secret: &str,
    consumer_key: &str,
    method: &str,
    url: &str,
    body: &str,
    timestamp: &str,
) -> String {
    let payload = [secret, consumer_key, method, url, body, timestamp].join("+");
    format!("$1${}", hex::encode(Sha1::digest(payload.as_bytes())))
}

/// Real Unix time, not the injected `Clock`: OVH compares it with its own
/// clock, so a test that moves our clock must not break signatures.
#[allow(clippy::disallowed_methods)]
fn local_unix_time() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_follows_ovh_recipe() {
        // sha1sum of "s+c+GET+https://eu.api.ovh.com/1.0/sms/++1700000000"
        assert_eq!(
            signature(
                "s",
                "c",
                "GET",
                "https://eu.api.ovh.com/1.0/sms/",
                "",
                "1700000000"
            ),
            "$1$5f8d6fdd8673343189df7212e0bca49774070e61"
        );
    }

    #[test]
    fn validation_message_names_the_app() {
        assert_eq!(
            validation_message("Linphone", "0421"),
            "Your Linphone validation code is 0421"
        );
    }
}
