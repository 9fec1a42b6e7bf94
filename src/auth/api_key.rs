//! API keys: one per account, shown once, stored as a SHA-256 hash.
//!
//! Keys made in the panel or the console are stable. Keys issued to a
//! device through the API (`GET /api/accounts/me/api_key`, the QR login)
//! expire after `APP_API_KEY_EXPIRATION_MINUTES` without use. The last use
//! is recorded at most once a minute ([`TOUCH_EVERY_SECONDS`]), so a busy
//! key costs one write a minute, not one per request.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::api_keys;
use crate::db::auth_record::ApiKeyRecord;
use crate::secrets;

/// Length of a generated key (letters and digits).
pub const KEY_LENGTH: usize = 40;

/// `last_used_at` is rewritten only when older than this.
pub const TOUCH_EVERY_SECONDS: i64 = 60;

/// Creates a new stable key for `account_id`, replacing the previous one,
/// and returns it in clear (the only time it is seen).
pub async fn regenerate(
    conn: &impl ConnectionTrait,
    account_id: i32,
    now: NaiveDateTime,
) -> Result<String, DbErr> {
    insert(conn, account_id, now, None, None).await
}

/// Creates a new key for a device of `account_id` (replacing the previous
/// key), expiring `expiration_minutes` after its last use (None: never).
pub async fn issue_for_device(
    conn: &impl ConnectionTrait,
    account_id: i32,
    now: NaiveDateTime,
    expiration_minutes: Option<i64>,
) -> Result<String, DbErr> {
    let minutes = i32::try_from(expiration_minutes.unwrap_or(0)).unwrap_or(i32::MAX);
    insert(conn, account_id, now, Some(now), Some(minutes)).await
}

async fn insert(
    conn: &impl ConnectionTrait,
    account_id: i32,
    now: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    expires_after: Option<i32>,
) -> Result<String, DbErr> {
    let key = secrets::random_alphanumeric(KEY_LENGTH);
    let hash = secrets::sha256_hex(&key);
    api_keys::replace(conn, account_id, hash, now, last_used_at, expires_after).await?;
    Ok(key)
}

/// The last use of a key, or its creation when never used.
fn last_activity(record: &ApiKeyRecord) -> NaiveDateTime {
    record.last_used_at.unwrap_or(record.created_at)
}

/// Whether a device key has gone unused for longer than its expiry.
pub fn is_expired(record: &ApiKeyRecord, now: NaiveDateTime) -> bool {
    match record.expires_after_last_used_minutes {
        Some(minutes) if minutes > 0 => {
            last_activity(record) + Duration::minutes(minutes.into()) < now
        }
        _ => false,
    }
}

/// Records a use of the key, unless one was recorded less than a minute
/// ago (no query at all then). The condition repeats the check so that
/// concurrent requests on several nodes write once.
pub async fn touch(
    conn: &impl ConnectionTrait,
    record: &ApiKeyRecord,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    let floor = now - Duration::seconds(TOUCH_EVERY_SECONDS);
    if record.last_used_at.is_some_and(|used| used > floor) {
        return Ok(());
    }
    api_keys::touch(conn, record.id, now, floor).await
}

/// `accounts clear-api-keys`: deletes the device keys unused for
/// `unused_minutes` (when given) and every device key past its own
/// expiry; stable keys are kept. Returns how many went.
pub async fn clear(
    conn: &impl ConnectionTrait,
    unused_minutes: Option<i64>,
    now: NaiveDateTime,
) -> Result<u64, DbErr> {
    let mut removed = 0;
    if let Some(minutes) = unused_minutes {
        let before = now - Duration::minutes(minutes);
        removed += api_keys::delete_device_keys_unused_since(conn, before).await?;
    }
    // Each key's own expiry: "last use + n minutes" is not portable SQL,
    // so the (few) expiring keys are read and checked here.
    let expiring = api_keys::expiring(conn).await?;
    let expired: Vec<i32> = expiring
        .into_iter()
        .filter(|(id, created_at, last_used_at, minutes)| {
            is_expired(
                &ApiKeyRecord {
                    id: *id,
                    hash: String::new(),
                    created_at: *created_at,
                    last_used_at: *last_used_at,
                    expires_after_last_used_minutes: *minutes,
                },
                now,
            )
        })
        .map(|(id, ..)| id)
        .collect();
    removed += api_keys::delete_ids(conn, &expired).await?;
    Ok(removed)
}

/// Stands for the hash of an account without a key, so that its check
/// does the same work (hash and compare) as one with a key: the time of a
/// refusal must not tell whether the account has a key. No key hashes to
/// it (it is not hex).
const NO_KEY_HASH: &str = "----------------------------------------------------------------";

/// True when `presented` is the key whose hash is `stored` (constant-time
/// compare of the hashes, the same work with or without a stored key).
pub fn matches(stored: Option<&str>, presented: &str) -> bool {
    // Hashed whatever its length, so that no input is refused faster.
    let presented_hash = secrets::sha256_hex(presented);
    let same = secrets::constant_time_eq(stored.unwrap_or(NO_KEY_HASH), &presented_hash);
    same && stored.is_some() && !presented.is_empty() && presented.len() <= 256
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_device_keys_expire_and_from_their_last_use() {
        let created = crate::clock::parse_datetime("2026-01-01 10:00:00").unwrap();
        let record = |last_used_at, minutes| ApiKeyRecord {
            id: 1,
            hash: String::new(),
            created_at: created,
            last_used_at,
            expires_after_last_used_minutes: minutes,
        };
        let later = created + Duration::minutes(61);
        assert!(!is_expired(&record(None, None), later), "stable key");
        assert!(!is_expired(&record(None, Some(0)), later), "no expiry set");
        assert!(is_expired(&record(None, Some(60)), later));
        let used = Some(created + Duration::minutes(30));
        assert!(!is_expired(&record(used, Some(60)), later));
    }

    #[test]
    fn keys_match_only_their_hash() {
        let hash = secrets::sha256_hex("the-key");
        assert!(matches(Some(&hash), "the-key"));
        assert!(!matches(Some(&hash), "the-kez"));
        assert!(!matches(None, "the-key"));
        assert!(!matches(Some(&hash), ""));
        assert!(!matches(Some(&hash), &"k".repeat(300)));
    }

    #[test]
    fn the_stand_in_of_a_missing_key_has_a_hash_shape_no_key_hashes_to() {
        // Same length: the constant-time compare does its full work.
        assert_eq!(NO_KEY_HASH.len(), secrets::sha256_hex("any").len());
        assert!(!NO_KEY_HASH.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!matches(None, NO_KEY_HASH));
    }
}
