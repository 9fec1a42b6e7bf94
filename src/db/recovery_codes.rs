//! `recovery_codes`: the pending code of a "recover my account" page, one
//! per account, in the shared pending-code store (`pending_codes.rs`).

use chrono::NaiveDateTime;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::entities::recovery_code::{self, Column, Entity};
use super::pending_codes::{self, Tried, code_table};

code_table!(recovery_code, counted);

/// Replaces the pending code of `account_id` with `code_hash`, for the
/// `method` page; returns the new row's id.
pub async fn replace(
    db: &super::Db,
    account_id: i32,
    code_hash: String,
    method: &str,
    now: NaiveDateTime,
) -> Result<i32, DbErr> {
    let txn = super::begin_write(db).await?;
    pending_codes::clear::<Entity>(&txn, account_id, None).await?;
    let row = recovery_code::ActiveModel {
        account_id: Set(account_id),
        code_hash: Set(code_hash),
        method: Set(method.to_string()),
        attempts: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// The pending code of `account_id` for the `method` page.
pub async fn pending(
    db: &impl ConnectionTrait,
    account_id: i32,
    method: &str,
) -> Result<Option<recovery_code::Model>, DbErr> {
    Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::Method.eq(method))
        .one(db)
        .await
}

/// One try on the pending code `id` (see [`pending_codes::try_code`]).
pub async fn try_code(
    db: &impl ConnectionTrait,
    id: i32,
    max: i32,
    is_right: impl FnOnce() -> bool,
) -> Result<Tried, DbErr> {
    pending_codes::try_code::<Entity>(db, id, max, is_right).await
}

/// Removes the code `id` (its delivery failed).
pub async fn remove(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    pending_codes::consume::<Entity>(db, id).await?;
    Ok(())
}
