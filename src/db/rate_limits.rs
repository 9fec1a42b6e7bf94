//! The `rate_limits` table: one counter per bucket and window. The rules
//! (limits, windows, what a refusal answers) are in `src/rate_limit.rs`
//! and `src/guess_throttle.rs`; each statement here is atomic on every
//! backend.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::db::entities::rate_limit::{self, Column};
use crate::db::{Db, retry_lock_conflicts};

/// Counts a hit in the window of `bucket` that started after
/// `window_floor`, when below `limit`; true when it did.
pub async fn count_hit(
    db: &Db,
    bucket: &str,
    window_floor: NaiveDateTime,
    limit: i32,
) -> Result<bool, DbErr> {
    // InnoDB can pick this statement as a deadlock's victim; a victim
    // wrote nothing, so it simply runs again.
    let counted = retry_lock_conflicts(db, |db| {
        rate_limit::Entity::update_many()
            .col_expr(Column::Hits, Expr::col(Column::Hits).add(1))
            .filter(Column::Bucket.eq(bucket))
            .filter(Column::WindowStart.gt(window_floor))
            .filter(Column::Hits.lt(limit))
            .exec(db)
    })
    .await?;
    Ok(counted.rows_affected == 1)
}

/// Opens a new window at `now` with one hit, when the window of `bucket`
/// started at or before `window_floor`; true when it did.
pub async fn restart_window(
    db: &Db,
    bucket: &str,
    window_floor: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let restarted = retry_lock_conflicts(db, |db| {
        rate_limit::Entity::update_many()
            .col_expr(Column::WindowStart, Expr::value(now))
            .col_expr(Column::Hits, Expr::value(1))
            .filter(Column::Bucket.eq(bucket))
            .filter(Column::WindowStart.lte(window_floor))
            .exec(db)
    })
    .await?;
    Ok(restarted.rows_affected == 1)
}

/// The counter of `bucket`.
pub async fn find(db: &Db, bucket: &str) -> Result<Option<rate_limit::Model>, DbErr> {
    rate_limit::Entity::find_by_id(bucket).one(db).await
}

/// Deletes the counters whose window started before `stale`.
pub async fn purge_started_before(db: &Db, stale: NaiveDateTime) -> Result<(), DbErr> {
    rate_limit::Entity::delete_many()
        .filter(Column::WindowStart.lt(stale))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds the counter of `bucket`: a window opening at `now` with `hits`.
pub async fn insert(db: &Db, bucket: &str, now: NaiveDateTime, hits: i32) -> Result<(), DbErr> {
    rate_limit::ActiveModel {
        bucket: Set(bucket.to_string()),
        window_start: Set(now),
        hits: Set(hits),
    }
    .insert(db)
    .await?;
    Ok(())
}
