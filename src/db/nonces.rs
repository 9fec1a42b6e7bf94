//! The `nonces` table (Digest). The rules (lifetime, the cap per account,
//! a growing `nc`) are in `src/auth/nonces.rs`.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::Db;
use crate::db::entities::nonce;
use crate::db::retry_lock_conflicts;

/// Inserts a nonce of `account_id` with `nc` 0; returns its id.
pub async fn insert(
    db: &DatabaseConnection,
    account_id: i32,
    value: String,
    now: NaiveDateTime,
) -> Result<i32, DbErr> {
    // `Entity::insert` takes the new id from the insert itself: the
    // re-read of `ActiveModel::insert` would fail when a concurrent
    // challenge of the same account pruned the row in between.
    Ok(nonce::Entity::insert(nonce::ActiveModel {
        account_id: Set(account_id),
        nonce: Set(value),
        nc: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id)
}

/// Deletes the nonces of `account_id` last used before `before`.
pub async fn delete_of_account_unused_since(
    db: &DatabaseConnection,
    account_id: i32,
    before: NaiveDateTime,
) -> Result<(), DbErr> {
    nonce::Entity::delete_many()
        .filter(nonce::Column::AccountId.eq(account_id))
        .filter(nonce::Column::UpdatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(())
}

/// The id of the account's nonce with `newer` newer ones, if any.
pub async fn id_after_newest(
    db: &DatabaseConnection,
    account_id: i32,
    newer: u64,
) -> Result<Option<i32>, DbErr> {
    nonce::Entity::find()
        .select_only()
        .column(nonce::Column::Id)
        .filter(nonce::Column::AccountId.eq(account_id))
        .order_by_desc(nonce::Column::Id)
        .offset(newer)
        .limit(1)
        .into_tuple()
        .one(db)
        .await
}

/// Deletes the nonces of `account_id` older (by id) than `id`.
pub async fn delete_of_account_before_id(
    db: &DatabaseConnection,
    account_id: i32,
    id: i32,
) -> Result<(), DbErr> {
    nonce::Entity::delete_many()
        .filter(nonce::Column::AccountId.eq(account_id))
        .filter(nonce::Column::Id.lt(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes `nc` and the last use when `nc` grows and the nonce was used
/// since `live_since`, in one conditional UPDATE; true when it did. On
/// a SQLite file the UPDATE runs in place when it can.
pub async fn advance_nc(
    db: &Db,
    account_id: i32,
    value: &str,
    nc: i64,
    now: NaiveDateTime,
    live_since: NaiveDateTime,
) -> Result<bool, DbErr> {
    if let Some(direct) = db.direct()
        && let Some(updated) = direct
            .consume_nonce(account_id, value, nc, now, live_since)
            .await?
    {
        return Ok(updated);
    }
    // A deadlock victim wrote nothing, so running the UPDATE again keeps
    // the exactly-once guarantee.
    Ok(retry_lock_conflicts(db, |db| {
        nonce::Entity::update_many()
            .col_expr(nonce::Column::Nc, Expr::value(nc))
            .col_expr(nonce::Column::UpdatedAt, Expr::value(now))
            .filter(nonce::Column::Nonce.eq(value))
            .filter(nonce::Column::AccountId.eq(account_id))
            .filter(nonce::Column::Nc.lt(nc))
            .filter(nonce::Column::UpdatedAt.gte(live_since))
            .exec(db)
    })
    .await?
    .rows_affected
        == 1)
}

/// The nonce `value` of `account_id`.
pub async fn find(
    db: &DatabaseConnection,
    account_id: i32,
    value: &str,
) -> Result<Option<nonce::Model>, DbErr> {
    nonce::Entity::find()
        .filter(nonce::Column::Nonce.eq(value))
        .filter(nonce::Column::AccountId.eq(account_id))
        .one(db)
        .await
}

/// Deletes the nonce `id`.
pub async fn delete(db: &DatabaseConnection, id: i32) -> Result<(), DbErr> {
    retry_lock_conflicts(db, |db| nonce::Entity::delete_by_id(id).exec(db)).await?;
    Ok(())
}

/// Removes nonces whose last use is older than `before`; returns how many.
pub async fn delete_unused_since(
    conn: &impl ConnectionTrait,
    before: NaiveDateTime,
) -> Result<u64, DbErr> {
    Ok(nonce::Entity::delete_many()
        .filter(nonce::Column::UpdatedAt.lt(before))
        .exec(conn)
        .await?
        .rows_affected)
}
