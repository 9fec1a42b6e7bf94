//! The time bounds of a request. sqlx bounds the wait for a connection
//! (`DB_ACQUIRE_TIMEOUT_SECONDS`) but not a round trip: a query sent to a
//! database that then goes silent (network up, no answer) waits for ever.
//! So a request still running after `DB_QUERY_TIMEOUT_SECONDS` probes the
//! database with a ping bounded by the acquire timeout: no answer, and the
//! request is cut with the database's `503`; an answer (the request is
//! slow for another reason: a lock, a mail server), and it runs on to the
//! request cut, a `408` with a JSON message.
//!
//! The bound promised (README, "Database settings"): a request whose
//! database goes silent answers `503` within `DB_QUERY_TIMEOUT_SECONDS +
//! DB_ACQUIRE_TIMEOUT_SECONDS`, below the 30-second request cut.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

use crate::error::{ApiError, DATABASE_UNAVAILABLE};
use crate::state::AppState;

/// The `408` message of the request cut.
pub const REQUEST_CUT: &str = "The request took too long.";

/// The bounds, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    /// When a request still running probes the database.
    pub probe_after: Duration,
    /// The probe's own bound.
    pub probe_timeout: Duration,
    /// The request cut.
    pub request: Duration,
}

impl Deadlines {
    pub fn of(state: &AppState) -> Self {
        Deadlines {
            probe_after: state.config.db_pool.query_timeout,
            probe_timeout: state.config.db_pool.acquire_timeout,
            request: Duration::from_secs(crate::config::REQUEST_TIMEOUT_SECONDS),
        }
    }
}

/// How a request ended when it did not end by itself.
#[derive(Debug, PartialEq, Eq)]
enum Cut {
    DatabaseSilent,
    TooLong,
}

/// The bounds as a layer.
#[derive(Clone)]
pub struct DeadlineLayer {
    state: AppState,
}

impl DeadlineLayer {
    pub fn new(state: AppState) -> Self {
        DeadlineLayer { state }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadlined<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadlined {
            state: self.state.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub struct Deadlined<S> {
    state: AppState,
    inner: S,
}

impl<S> Service<Request> for Deadlined<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let wants_page = !request.uri().path().starts_with("/api")
            && request
                .headers()
                .get(header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"));
        let deadlines = Deadlines::of(&self.state);
        let started = Instant::now();
        DeadlineFuture {
            inner: self.inner.call(request),
            timer: tokio::time::sleep_until(started + deadlines.probe_after),
            phase: Phase::Running,
            started,
            deadlines,
            state: self.state.clone(),
            wants_page,
        }
    }
}

type Probe = Pin<Box<dyn Future<Output = bool> + Send>>;

enum Phase {
    /// Within the probe delay: the only cost is the timer, as a timeout's.
    Running,
    /// Running long: the database is being pinged (boxed; slow path only).
    Probing(Probe),
    /// The database answered: on to the request cut.
    Slow,
}

pin_project! {
    /// The inner future under the bounds; a cut answers in its place.
    pub struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        timer: Sleep,
        phase: Phase,
        started: Instant,
        deadlines: Deadlines,
        state: AppState,
        wants_page: bool,
    }
}

impl<F> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(done) = this.inner.poll(cx) {
            return Poll::Ready(done);
        }
        loop {
            match this.phase {
                Phase::Running => {
                    ready!(this.timer.as_mut().poll(cx));
                    let state = this.state.clone();
                    let timeout = this.deadlines.probe_timeout;
                    *this.phase = Phase::Probing(Box::pin(async move {
                        crate::db::reachable(&state.db, timeout).await
                    }));
                }
                Phase::Probing(probe) => {
                    if ready!(probe.as_mut().poll(cx)) {
                        let cut = *this.started + this.deadlines.request;
                        this.timer.as_mut().reset(cut);
                        *this.phase = Phase::Slow;
                    } else {
                        let response =
                            cut_response(this.state, Cut::DatabaseSilent, *this.wants_page);
                        return Poll::Ready(Ok(response));
                    }
                }
                Phase::Slow => {
                    ready!(this.timer.as_mut().poll(cx));
                    let response = cut_response(this.state, Cut::TooLong, *this.wants_page);
                    return Poll::Ready(Ok(response));
                }
            }
        }
    }
}

/// The answer of a cut request: JSON, or the panel's page when a browser
/// asked for HTML.
fn cut_response(state: &AppState, cut: Cut, wants_page: bool) -> Response {
    let (err, status) = match cut {
        Cut::DatabaseSilent => {
            tracing::warn!("database silent: a request was cut");
            (
                ApiError::Unavailable(DATABASE_UNAVAILABLE.to_string()),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
        Cut::TooLong => {
            tracing::warn!("a request was cut at the request timeout");
            if !wants_page {
                return crate::error::message_response(StatusCode::REQUEST_TIMEOUT, REQUEST_CUT);
            }
            (
                ApiError::BadRequest(REQUEST_CUT.to_string()),
                StatusCode::REQUEST_TIMEOUT,
            )
        }
    };
    if wants_page {
        let mut response = crate::panel::refused_input(&state.config.app_name, err);
        *response.status_mut() = status;
        response
    } else {
        err.into_response()
    }
}
