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

use std::future::Future;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::db::Db;
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
pub enum Cut {
    DatabaseSilent,
    TooLong,
}

/// The middleware: a request cut answers JSON (the panel's page when a
/// browser asked for HTML).
pub async fn bound(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let wants_page = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
        && !request.uri().path().starts_with("/api");
    let cut = match run_bounded(next.run(request), &state.db, Deadlines::of(&state)).await {
        Ok(response) => return response,
        Err(cut) => cut,
    };
    let err = match cut {
        Cut::DatabaseSilent => {
            tracing::warn!("database silent: a request was cut");
            ApiError::Unavailable(DATABASE_UNAVAILABLE.to_string())
        }
        Cut::TooLong => {
            tracing::warn!("a request was cut at the request timeout");
            let mut response =
                crate::error::message_response(StatusCode::REQUEST_TIMEOUT, REQUEST_CUT);
            if wants_page {
                response = crate::panel::refused_input(
                    &state.config.app_name,
                    ApiError::BadRequest(REQUEST_CUT.to_string()),
                );
                *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
            }
            return response;
        }
    };
    if wants_page {
        crate::panel::refused_input(&state.config.app_name, err)
    } else {
        err.into_response()
    }
}

/// Runs `work` within `deadlines`, probing `db` once it runs long.
pub async fn run_bounded<T>(
    work: impl Future<Output = T>,
    db: &Db,
    deadlines: Deadlines,
) -> Result<T, Cut> {
    tokio::pin!(work);
    let started = tokio::time::Instant::now();
    if let Ok(done) = tokio::time::timeout(deadlines.probe_after, &mut work).await {
        return Ok(done);
    }
    tokio::select! {
        done = &mut work => return Ok(done),
        up = crate::db::reachable(db, deadlines.probe_timeout) => {
            if !up {
                return Err(Cut::DatabaseSilent);
            }
        }
    }
    tokio::time::timeout_at(started + deadlines.request, work)
        .await
        .map_err(|_| Cut::TooLong)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadlines() -> Deadlines {
        Deadlines {
            probe_after: Duration::from_millis(100),
            probe_timeout: Duration::from_millis(100),
            request: Duration::from_millis(400),
        }
    }

    #[tokio::test]
    async fn a_slow_request_with_a_live_database_runs_to_the_request_cut() {
        let db = crate::db::connect("sqlite::memory:").await.unwrap();
        let quick = run_bounded(async { 7 }, &db, deadlines()).await;
        assert_eq!(quick, Ok(7));
        let slow = tokio::time::sleep(Duration::from_millis(250));
        assert_eq!(run_bounded(slow, &db, deadlines()).await, Ok(()));
        let started = std::time::Instant::now();
        let stuck = std::future::pending::<()>();
        assert_eq!(
            run_bounded(stuck, &db, deadlines()).await,
            Err(Cut::TooLong)
        );
        assert!(started.elapsed() >= Duration::from_millis(390));
    }

    #[tokio::test]
    async fn a_silent_database_cuts_the_request_after_the_probe() {
        // A database that accepts connections and never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = silent.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        });
        let url = format!("postgres://flexiapi:pw@{address}/flexisip");
        let mut options = sea_orm::ConnectOptions::new(url);
        options
            .connect_lazy(true)
            .acquire_timeout(Duration::from_millis(100));
        let db = sea_orm::Database::connect(options).await.unwrap();
        let started = std::time::Instant::now();
        let stuck = std::future::pending::<()>();
        let cut = run_bounded(stuck, &db, deadlines()).await;
        assert_eq!(cut, Err(Cut::DatabaseSilent));
        assert!(
            started.elapsed() < Duration::from_millis(380),
            "{:?}",
            started.elapsed()
        );
    }
}
