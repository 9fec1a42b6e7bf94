//! The one place that reads the time, so that expiry of codes, nonces and
//! tokens can be tested by moving the clock instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDateTime, Utc};

/// Wall clock in UTC with an adjustable offset (always zero in production).
#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    // The one reading of the system time (clippy.toml forbids it elsewhere).
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }

    /// Now as the naive UTC datetime stored in the database, to the second.
    pub fn now_naive(&self) -> NaiveDateTime {
        let now = self.now().naive_utc();
        now - chrono::Duration::nanoseconds(now.and_utc().timestamp_subsec_nanos() as i64)
    }

    /// Moves this clock (and every clone of it) forward; for tests.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

/// Formats a datetime as the API does: `Y-m-d H:i:s`.
pub fn format_datetime(value: &NaiveDateTime) -> String {
    value.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Parses the API's `Y-m-d H:i:s` format.
pub fn parse_datetime(value: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let clock = Clock::system();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(chrono::Duration::hours(2));
        assert!(copy.now() - before >= chrono::Duration::hours(2));
    }

    #[test]
    fn datetime_format_round_trips_and_rejects_others() {
        let parsed = parse_datetime("2021-07-27 09:35:47").unwrap();
        assert_eq!(format_datetime(&parsed), "2021-07-27 09:35:47");
        for bad in [
            "2021-07-27",
            "27/07/2021 09:35:47",
            "2021-13-01 00:00:00",
            "x",
        ] {
            assert!(parse_datetime(bad).is_none(), "{bad}");
        }
    }
}
