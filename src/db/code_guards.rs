//! `code_guards`: the wrong codes of one account across its code flows,
//! and the lock they lead to (`service/code_guard.rs` holds the rule).

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::entities::code_guard::{self, Column, Entity};
use super::{is_lock_conflict, is_unique_violation};

/// The guard row of `account_id`, if it ever failed.
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<code_guard::Model>, DbErr> {
    Entity::find_by_id(account_id).one(db).await
}

/// One more failure in the live window (started after `window_floor`), or
/// the first of a new window.
pub async fn count(
    db: &impl ConnectionTrait,
    account_id: i32,
    window_floor: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    // A few rounds only when another request changed the row meanwhile.
    for _ in 0..3 {
        let counted = Entity::update_many()
            .col_expr(Column::Failures, Expr::col(Column::Failures).add(1))
            .filter(Column::AccountId.eq(account_id))
            .filter(Column::WindowStart.gt(window_floor))
            .exec(db)
            .await?;
        if counted.rows_affected == 1 {
            return Ok(());
        }
        let restarted = Entity::update_many()
            .col_expr(Column::Failures, Expr::value(1))
            .col_expr(Column::WindowStart, Expr::value(now))
            .filter(Column::AccountId.eq(account_id))
            .filter(Column::WindowStart.lte(window_floor))
            .exec(db)
            .await?;
        if restarted.rows_affected == 1 {
            return Ok(());
        }
        let inserted = code_guard::ActiveModel {
            account_id: Set(account_id),
            failures: Set(1),
            window_start: Set(now),
            locked_until: Set(None),
        }
        .insert(db)
        .await;
        match inserted {
            Ok(_) => return Ok(()),
            // Another request inserted it first: count on its row.
            Err(err) if is_unique_violation(&err) || is_lock_conflict(&err) => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Locks `account_id` until `until` when it has `max` failures or more,
/// resetting the counter: true for the one call that locked it.
pub async fn lock(
    conn: &impl ConnectionTrait,
    account_id: i32,
    max: i32,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let locked = Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::value(Some(until)))
        .col_expr(Column::Failures, Expr::value(0))
        .col_expr(Column::WindowStart, Expr::value(now))
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::Failures.gte(max))
        .exec(conn)
        .await?;
    Ok(locked.rows_affected == 1)
}
