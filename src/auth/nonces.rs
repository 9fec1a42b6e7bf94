//! Digest nonces: bound to one account, stored with the last nonce count
//! the client used, expired after a lifetime since their last use, and
//! capped per account so unauthenticated requests cannot grow the table.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use crate::db::{Db, nonces};
use crate::secrets;

/// Live nonces kept per account; older ones are dropped first.
pub const MAX_LIVE_PER_ACCOUNT: u64 = 32;

#[derive(Debug, PartialEq, Eq)]
pub enum NonceCheck {
    Accepted,
    /// Unknown, expired or bound to another account.
    Invalid,
    /// Known, but the nonce count did not grow: the nonce is now dropped.
    Replayed,
}

/// Creates a nonce for `account_id`, pruning expired and surplus ones.
/// Statements run outside any transaction (see `retry_lock_conflicts`).
pub async fn issue(
    db: &DatabaseConnection,
    account_id: i32,
    now: NaiveDateTime,
    lifetime: Duration,
) -> Result<String, DbErr> {
    let value = secrets::random_alphanumeric(32);
    let inserted_id = nonces::insert(db, account_id, value.clone(), now).await?;
    match prune(db, account_id, inserted_id, now - lifetime).await {
        // Concurrent challenges of one account prune the same rows and
        // can deadlock on InnoDB; the other request does the work, and
        // the next challenge prunes again.
        Err(err) if crate::db::is_lock_conflict(&err) => {
            tracing::debug!(error = %err, "nonce pruning left to a concurrent request");
        }
        other => other?,
    }
    Ok(value)
}

/// Drops the account's nonces unused since `expired_before`, and the
/// oldest beyond the cap.
async fn prune(
    db: &DatabaseConnection,
    account_id: i32,
    newest_id: i32,
    expired_before: NaiveDateTime,
) -> Result<(), DbErr> {
    nonces::delete_of_account_unused_since(db, account_id, expired_before).await?;
    // The oldest id still within the cap; everything older goes.
    let keep_from = nonces::id_after_newest(db, account_id, MAX_LIVE_PER_ACCOUNT - 1).await?;
    if let Some(keep_from) = keep_from.filter(|id| *id < newest_id) {
        nonces::delete_of_account_before_id(db, account_id, keep_from).await?;
    }
    Ok(())
}

/// Accepts `nc` for `value` only if it is larger than the stored one, in
/// one conditional UPDATE: of concurrent requests with the same `nc`, on any
/// number of nodes, exactly one succeeds.
pub async fn consume(
    db: &Db,
    account_id: i32,
    value: &str,
    nc: i64,
    now: NaiveDateTime,
    lifetime: Duration,
) -> Result<NonceCheck, DbErr> {
    let updated = nonces::advance_nc(db, account_id, value, nc, now, now - lifetime).await?;
    if updated {
        return Ok(NonceCheck::Accepted);
    }
    let existing = nonces::find(db, account_id, value).await?;
    let Some(existing) = existing else {
        return Ok(NonceCheck::Invalid);
    };
    nonces::delete(db, existing.id).await?;
    if existing.updated_at < now - lifetime {
        Ok(NonceCheck::Invalid)
    } else {
        Ok(NonceCheck::Replayed)
    }
}

/// Removes nonces whose last use is older than `before`; returns how many.
pub async fn clear_older_than(
    conn: &impl ConnectionTrait,
    before: NaiveDateTime,
) -> Result<u64, DbErr> {
    nonces::delete_unused_since(conn, before).await
}
