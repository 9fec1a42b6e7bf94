//! Request limits per client address (docs/integrations.md, "Rate limits"): the first
//! `APP_RATE_LIMIT_PER_MINUTE` requests of a one-minute window pass, the
//! next ones get `429` with `Retry-After` until the window ends.
//!
//! Counters live in the database (`rate_limits`) because nodes are
//! stateless: an in-memory counter would multiply the limit by the number
//! of nodes behind the load balancer. Each decision is one conditional
//! UPDATE or INSERT, atomic on every backend, so concurrent requests on
//! several nodes never pass more than the limit.

pub mod http;

use std::net::{IpAddr, Ipv6Addr};

use chrono::{Duration, NaiveDateTime};

use crate::db::{Db, is_lock_conflict, is_unique_violation, rate_limits};
use crate::error::{ApiError, ApiResult};

/// Length of a window, in seconds.
pub const WINDOW_SECONDS: i64 = 60;

/// The longest window a caller of [`hit_within`] may use.
pub const LONGEST_WINDOW_SECONDS: i64 = 3600;

/// Windows that ended longer ago than this are purged.
const PURGE_AFTER_MINUTES: i64 = 10;

/// The address a limit applies to. An IPv6 client usually owns a whole
/// /64, so its limit is per /64 rather than per address.
pub(crate) fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// Counts one hit on `bucket` at `now`.
pub async fn hit(db: &Db, bucket: &str, limit: u32, now: NaiveDateTime) -> ApiResult<()> {
    hit_within(db, bucket, limit, WINDOW_SECONDS, now).await
}

/// As [`hit`], with windows of `window_seconds` (at most
/// [`LONGEST_WINDOW_SECONDS`]).
pub async fn hit_within(
    db: &Db,
    bucket: &str,
    limit: u32,
    window_seconds: i64,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    let window_seconds = window_seconds.clamp(1, LONGEST_WINDOW_SECONDS);
    let window_floor = now - Duration::seconds(window_seconds);
    // A few rounds only when another request changed the row between two
    // of our statements.
    for _ in 0..3 {
        // Within a live window and below the limit: count it.
        if rate_limits::count_hit(db, bucket, window_floor, limit).await? {
            return Ok(());
        }

        // The window is over: this request opens a new one.
        if rate_limits::restart_window(db, bucket, window_floor, now).await? {
            return Ok(());
        }

        match rate_limits::find(db, bucket).await? {
            Some(row) if row.window_start > window_floor && row.hits >= limit => {
                let ends = row.window_start + Duration::seconds(window_seconds);
                return Err(ApiError::TooManyRequests {
                    retry_after_seconds: (ends - now).num_seconds().max(1) as u64,
                });
            }
            // Changed since our updates: try again.
            Some(_) => continue,
            None => {}
        }

        // A new client: the only time rows are added, so the time to drop
        // the stale ones (of any window length).
        let stale = now
            - Duration::seconds(LONGEST_WINDOW_SECONDS)
            - Duration::minutes(PURGE_AFTER_MINUTES);
        match rate_limits::purge_started_before(db, stale).await {
            // A concurrent request purges too; the next new client will.
            Err(err) if is_lock_conflict(&err) => {}
            other => other?,
        }
        match rate_limits::insert(db, bucket, now, 1).await {
            Ok(()) => return Ok(()),
            // Another request inserted it first (or InnoDB stopped a
            // deadlock with it): count on its row.
            Err(err) if is_unique_violation(&err) || is_lock_conflict(&err) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::TooManyRequests {
        retry_after_seconds: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped).to_string(), "192.0.2.7");
    }
}
