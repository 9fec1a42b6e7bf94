//! Waiting for the database at start: in a deployment the service often
//! starts before (or while) its database server does, and should then wait
//! for it rather than exit.

use std::future::Future;
use std::time::Duration;

use sea_orm::DbErr;

use super::{is_unreachable, redacted_url};

/// Delay before the second attempt; it doubles after each failure.
const FIRST_DELAY: Duration = Duration::from_millis(500);
/// Longest delay between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(10);

/// Runs `attempt` until it succeeds, again after a growing delay each
/// time it fails because the database at `url` cannot be reached; every
/// such failure is logged (with the URL's password masked). Any other
/// error (a failed migration, a missing SQLite directory) is returned at
/// once.
pub async fn retry_until_reachable<T, F, Fut>(url: &str, mut attempt: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut delay = FIRST_DELAY;
    let mut failures = 0u32;
    loop {
        match attempt().await {
            Ok(value) => {
                if failures > 0 {
                    tracing::info!(database = %redacted_url(url), failures, "database reached");
                }
                return Ok(value);
            }
            Err(err) if unreachable(&err) => {
                failures += 1;
                tracing::warn!(
                    database = %redacted_url(url),
                    attempt = failures,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %format!("{err:#}"),
                    "database unreachable, trying again"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DELAY);
            }
            Err(err) => return Err(err),
        }
    }
}

fn unreachable(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| cause.downcast_ref::<DbErr>().is_some_and(is_unreachable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;
    use sea_orm::ConnAcquireErr;

    #[tokio::test]
    async fn retries_while_unreachable_then_returns() {
        let mut calls = 0;
        let value = retry_until_reachable("postgres://u:pw@h/db", || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)).context("connecting")
                } else {
                    Ok(n)
                }
            }
        })
        .await
        .unwrap();
        // Two failures: 0.5 s, then 1 s of waiting.
        assert_eq!(value, 3);
    }

    #[tokio::test]
    async fn other_errors_stop_at_once() {
        let mut calls = 0;
        let result: anyhow::Result<()> = retry_until_reachable("sqlite://x", || {
            calls += 1;
            async { Err(DbErr::Migration("bad".into()).into()) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }
}
