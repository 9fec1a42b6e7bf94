//! Digest nonces: bound to one account, stored with the last nonce count
//! the client used, expired after a lifetime since their last use, and
//! capped per account so unauthenticated requests cannot grow the table.

use chrono::{Duration, NaiveDateTime};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entities::nonce;
use crate::db::retry_lock_conflicts;
use crate::db::sqlite_direct::SqliteDirect;
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
    // `Entity::insert` takes the new id from the insert itself: the
    // re-read of `ActiveModel::insert` would fail when a concurrent
    // challenge of the same account pruned the row in between.
    let inserted_id = nonce::Entity::insert(nonce::ActiveModel {
        account_id: Set(account_id),
        nonce: Set(value.clone()),
        nc: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
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
    nonce::Entity::delete_many()
        .filter(nonce::Column::AccountId.eq(account_id))
        .filter(nonce::Column::UpdatedAt.lt(expired_before))
        .exec(db)
        .await?;
    // The oldest id still within the cap; everything older goes.
    let keep_from: Option<i32> = nonce::Entity::find()
        .select_only()
        .column(nonce::Column::Id)
        .filter(nonce::Column::AccountId.eq(account_id))
        .order_by_desc(nonce::Column::Id)
        .offset(MAX_LIVE_PER_ACCOUNT - 1)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(keep_from) = keep_from.filter(|id| *id < newest_id) {
        nonce::Entity::delete_many()
            .filter(nonce::Column::AccountId.eq(account_id))
            .filter(nonce::Column::Id.lt(keep_from))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Accepts `nc` for `value` only if it is larger than the stored one, in
/// one conditional UPDATE: of concurrent requests with the same `nc`, on any
/// number of nodes, exactly one succeeds.
/// On SQLite the UPDATE runs in place ([`SqliteDirect`]) when it can.
pub async fn consume(
    db: &DatabaseConnection,
    direct: Option<&SqliteDirect>,
    account_id: i32,
    value: &str,
    nc: i64,
    now: NaiveDateTime,
    lifetime: Duration,
) -> Result<NonceCheck, DbErr> {
    let updated = match direct {
        Some(direct) => {
            direct
                .consume_nonce(account_id, value, nc, now, now - lifetime)
                .await?
        }
        None => None,
    };
    let updated = match updated {
        Some(updated) => updated,
        // A deadlock victim wrote nothing, so running the UPDATE again
        // keeps the exactly-once guarantee.
        None => {
            retry_lock_conflicts(db, |db| {
                nonce::Entity::update_many()
                    .col_expr(nonce::Column::Nc, Expr::value(nc))
                    .col_expr(nonce::Column::UpdatedAt, Expr::value(now))
                    .filter(nonce::Column::Nonce.eq(value))
                    .filter(nonce::Column::AccountId.eq(account_id))
                    .filter(nonce::Column::Nc.lt(nc))
                    .filter(nonce::Column::UpdatedAt.gte(now - lifetime))
                    .exec(db)
            })
            .await?
            .rows_affected
                == 1
        }
    };
    if updated {
        return Ok(NonceCheck::Accepted);
    }
    let existing = nonce::Entity::find()
        .filter(nonce::Column::Nonce.eq(value))
        .filter(nonce::Column::AccountId.eq(account_id))
        .one(db)
        .await?;
    let Some(existing) = existing else {
        return Ok(NonceCheck::Invalid);
    };
    retry_lock_conflicts(db, |db| nonce::Entity::delete_by_id(existing.id).exec(db)).await?;
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
    Ok(nonce::Entity::delete_many()
        .filter(nonce::Column::UpdatedAt.lt(before))
        .exec(conn)
        .await?
        .rows_affected)
}
