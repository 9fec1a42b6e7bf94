//! Throttles on secrets guessed by answering, not by code: wrong Digest
//! answers and wrong `old_password` values. A key that collected
//! `failures` wrong answers within its window is refused (`429`, right
//! answers included, so it is no oracle) until the window ends.
//!
//! The lock-out they allow is bounded by design (docs/api.md,
//! "Throttled guesses"): the refusal lasts at most one window after the
//! last wrong answer, and the Digest throttle is per account *and* client
//! address first, so a guesser from one address does not lock the owner
//! out from another; only a guesser from many addresses reaches the
//! per-account bound. Counters are the `rate_limits` rows, shared by the
//! nodes. A Digest success reads no counter: each node remembers the keys
//! it saw throttled ([`Throttled`]), learning a throttle from its own
//! first refused failure, so the hot path stays without a database round
//! trip and each node adds at most one guess to a window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{Duration, NaiveDateTime};

use crate::db::{Db, rate_limits};
use crate::error::{ApiError, ApiResult};

/// A bound on wrong answers: `failures` within `window_seconds`.
#[derive(Clone, Copy, Debug)]
pub struct Throttle {
    name: &'static str,
    pub failures: u32,
    pub window_seconds: i64,
}

/// Wrong Digest answers from one client address (its /64 in IPv6) to one
/// account.
pub const DIGEST_PER_ADDRESS: Throttle = Throttle {
    name: "digest-wrong:address",
    failures: 10,
    window_seconds: 300,
};

/// Wrong Digest answers to one account, whatever the addresses.
pub const DIGEST_PER_ACCOUNT: Throttle = Throttle {
    name: "digest-wrong:account",
    failures: 100,
    window_seconds: 300,
};

/// Wrong `old_password` values of one account (the caller is that account
/// already, by key or Digest).
pub const OLD_PASSWORD: Throttle = Throttle {
    name: "old-password-wrong:account",
    failures: 5,
    window_seconds: 900,
};

impl Throttle {
    /// The counter of `account_id` (and `client`, when given).
    pub fn bucket(self, account_id: i32, client: Option<IpAddr>) -> String {
        match client {
            Some(ip) => format!(
                "{}:{account_id}:{}",
                self.name,
                crate::rate_limit::client_key(ip)
            ),
            None => format!("{}:{account_id}", self.name),
        }
    }
}

/// Until when `bucket` is throttled (its window's end), read from the
/// database.
pub async fn throttled_until(
    db: &Db,
    throttle: Throttle,
    bucket: &str,
    now: NaiveDateTime,
) -> ApiResult<Option<NaiveDateTime>> {
    let limit = i32::try_from(throttle.failures).unwrap_or(i32::MAX);
    let row = rate_limits::find(db, bucket).await?;
    Ok(row.and_then(|row| {
        let ends = row.window_start + Duration::seconds(throttle.window_seconds);
        (ends > now && row.hits >= limit).then_some(ends)
    }))
}

/// `429` while `bucket` is throttled (read from the database).
pub async fn refuse_if_throttled(
    db: &Db,
    throttle: Throttle,
    bucket: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    match throttled_until(db, throttle, bucket, now).await? {
        Some(ends) => Err(too_many(ends, now)),
        None => Ok(()),
    }
}

/// Counts one wrong answer on `bucket`; the end of its throttle when this
/// one reached the bound.
pub async fn record_failure(
    db: &Db,
    throttle: Throttle,
    bucket: &str,
    now: NaiveDateTime,
) -> ApiResult<Option<NaiveDateTime>> {
    let counted =
        crate::rate_limit::hit_within(db, bucket, throttle.failures, throttle.window_seconds, now)
            .await;
    match counted {
        Ok(()) | Err(ApiError::TooManyRequests { .. }) => {}
        Err(err) => return Err(err),
    }
    throttled_until(db, throttle, bucket, now).await
}

/// The `429` of a throttle ending at `ends`.
pub fn too_many(ends: NaiveDateTime, now: NaiveDateTime) -> ApiError {
    ApiError::TooManyRequests {
        retry_after_seconds: (ends - now).num_seconds().max(1) as u64,
    }
}

/// Entries past which a node forgets the ended throttles it remembers.
const REMEMBERED_MAX: usize = 10_000;

/// The throttled buckets this node saw, and when each ends.
#[derive(Debug, Default)]
pub struct Throttled(Mutex<HashMap<String, NaiveDateTime>>);

impl Throttled {
    /// When `bucket`'s throttle ends, if this node saw it throttled.
    pub fn until(&self, bucket: &str, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(bucket).copied().filter(|ends| *ends > now)
    }

    /// Remembers that `bucket` is throttled until `ends`.
    pub fn remember(&self, bucket: String, ends: NaiveDateTime, now: NaiveDateTime) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= REMEMBERED_MAX {
            map.retain(|_, until| *until > now);
        }
        if map.len() < REMEMBERED_MAX {
            map.insert(bucket, ends);
        }
    }
}

/// The Digest counters of `account_id`: per client address (when known),
/// then per account.
fn digest_buckets(account_id: i32, client: Option<IpAddr>) -> [(Throttle, Option<String>); 2] {
    [
        (
            DIGEST_PER_ADDRESS,
            client.map(|ip| DIGEST_PER_ADDRESS.bucket(account_id, Some(ip))),
        ),
        (
            DIGEST_PER_ACCOUNT,
            Some(DIGEST_PER_ACCOUNT.bucket(account_id, None)),
        ),
    ]
}

/// The `429` for a Digest answer to `account_id` from `client` while this
/// node saw it throttled; checked before the answer, in memory only.
pub fn digest_refusal(
    throttled: &Throttled,
    now: NaiveDateTime,
    account_id: i32,
    client: Option<IpAddr>,
) -> Option<ApiError> {
    digest_buckets(account_id, client)
        .into_iter()
        .filter_map(|(_, bucket)| throttled.until(bucket.as_deref()?, now))
        .max()
        .map(|ends| too_many(ends, now))
}

/// Counts a wrong Digest answer to `account_id` from `client`, and
/// remembers the throttles it reached.
pub async fn digest_wrong(
    db: &Db,
    throttled: &Throttled,
    now: NaiveDateTime,
    account_id: i32,
    client: Option<IpAddr>,
) -> ApiResult<()> {
    for (throttle, bucket) in digest_buckets(account_id, client) {
        let Some(bucket) = bucket else { continue };
        if let Some(ends) = record_failure(db, throttle, &bucket, now).await? {
            tracing::warn!(account_id, bucket = %bucket, "Digest answers throttled after wrong ones");
            throttled.remember(bucket, ends, now);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_remembers_a_throttle_until_it_ends() {
        let now = crate::clock::parse_datetime("2026-01-01 10:00:00").unwrap();
        let throttled = Throttled::default();
        let bucket = DIGEST_PER_ADDRESS.bucket(7, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(throttled.until(&bucket, now), None);
        throttled.remember(bucket.clone(), now + Duration::seconds(30), now);
        assert!(throttled.until(&bucket, now).is_some());
        assert_eq!(throttled.until(&bucket, now + Duration::seconds(30)), None);
        assert_ne!(bucket, DIGEST_PER_ACCOUNT.bucket(7, None));
    }
}
