//! Prometheus metrics: requests by route template and status, latency,
//! authentication failures, delivery failures and the database pool.
//!
//! Each `AppState` owns its registry (no process-global recorder), so two
//! servers in one process, as in the tests, count apart. Label values are
//! route templates and fixed words only: never a raw path, an address or a
//! secret, and their number is bounded by the routes.

pub mod http;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// Why an API authentication was refused (the `reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// `From` names no account.
    UnknownAccount,
    /// A Digest answer that does not match (or a malformed one).
    WrongResponse,
    /// A Digest `nc` not larger than the last one.
    ReplayedNonce,
    /// An unknown or expired Digest nonce.
    InvalidNonce,
    /// An `x-api-key` that is not the account's.
    BadKey,
    Deactivated,
    Blocked,
}

impl AuthFailure {
    pub const ALL: [AuthFailure; 7] = [
        AuthFailure::UnknownAccount,
        AuthFailure::WrongResponse,
        AuthFailure::ReplayedNonce,
        AuthFailure::InvalidNonce,
        AuthFailure::BadKey,
        AuthFailure::Deactivated,
        AuthFailure::Blocked,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AuthFailure::UnknownAccount => "unknown_account",
            AuthFailure::WrongResponse => "wrong_response",
            AuthFailure::ReplayedNonce => "replayed_nonce",
            AuthFailure::InvalidNonce => "invalid_nonce",
            AuthFailure::BadKey => "bad_key",
            AuthFailure::Deactivated => "deactivated",
            AuthFailure::Blocked => "blocked",
        }
    }
}

/// A delivery channel whose failures are counted (the `channel` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Mail,
    Sms,
    Push,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Mail => "mail",
            Channel::Sms => "sms",
            Channel::Push => "push",
        }
    }
}

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The label of requests that matched no route (404s of the fallback).
const UNMATCHED_ROUTE: &str = "unmatched";

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    auth_failures: IntCounterVec,
    delivery_failures: IntCounterVec,
    db_pool_in_use: IntGauge,
    db_pool_size: IntGauge,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "flexiapi_http_requests_total",
                "HTTP requests answered, by method, route template and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "flexiapi_http_request_duration_seconds",
                "Time to answer an HTTP request (until the response head), by route template",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route"],
        )
        .expect("valid metric");
        let auth_failures = IntCounterVec::new(
            Opts::new(
                "flexiapi_auth_failures_total",
                "Refused API authentications, by reason",
            ),
            &["reason"],
        )
        .expect("valid metric");
        let delivery_failures = IntCounterVec::new(
            Opts::new(
                "flexiapi_delivery_failures_total",
                "Mails, SMS and push notifications that could not be delivered, by channel",
            ),
            &["channel"],
        )
        .expect("valid metric");
        let db_pool_in_use = IntGauge::new(
            "flexiapi_db_pool_connections_in_use",
            "Database connections currently lent to a query",
        )
        .expect("valid metric");
        let db_pool_size = IntGauge::new(
            "flexiapi_db_pool_connections",
            "Database connections open in the pool (in use or idle)",
        )
        .expect("valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(auth_failures.clone()),
            Box::new(delivery_failures.clone()),
            Box::new(db_pool_in_use.clone()),
            Box::new(db_pool_size.clone()),
        ] {
            registry.register(collector).expect("unique metric names");
        }
        // Every reason and channel is shown from the start at 0, so a rate()
        // has a baseline and operators see what can be counted.
        for reason in AuthFailure::ALL {
            auth_failures.with_label_values(&[reason.label()]);
        }
        for channel in [Channel::Mail, Channel::Sms, Channel::Push] {
            delivery_failures.with_label_values(&[channel.label()]);
        }
        Metrics {
            registry,
            requests,
            latency,
            auth_failures,
            delivery_failures,
            db_pool_in_use,
            db_pool_size,
        }
    }

    pub fn auth_failure(&self, reason: AuthFailure) {
        self.auth_failures
            .with_label_values(&[reason.label()])
            .inc();
    }

    /// The failure counter of one channel, handed to the channel itself.
    pub fn delivery_failures(&self, channel: Channel) -> IntCounter {
        self.delivery_failures.with_label_values(&[channel.label()])
    }

    fn observe(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let method = method_label(method);
        self.requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition of every metric, the pool read now.
    pub fn render(&self, db: &crate::db::Db) -> String {
        let (size, idle) = crate::db::pool_stats(db);
        self.db_pool_size.set(size as i64);
        self.db_pool_in_use.set(size.saturating_sub(idle) as i64);
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .expect("text encoding never fails into a Vec");
        String::from_utf8(text).expect("the text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// A counter in no registry, for a channel built outside an `AppState`.
pub fn detached_counter() -> IntCounter {
    IntCounter::new("detached", "counted nowhere").expect("valid metric")
}

/// Standard methods by name; any other method is one `other` label, so a
/// client cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
