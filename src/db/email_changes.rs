//! `email_changed`: the pending e-mail change of an account (one per
//! account), its link's hash and its code's hash.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::entities::account;
use super::entities::email_changed::{self, Column, Entity};

/// Replaces the pending change of `account_id`.
pub async fn replace(
    db: &super::Db,
    account_id: i32,
    new_email: &str,
    hash: String,
    code_hash: String,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    let txn = super::begin_write(db).await?;
    Entity::delete_many()
        .filter(Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;
    email_changed::ActiveModel {
        account_id: Set(account_id),
        new_email: Set(new_email.to_string()),
        hash: Set(hash),
        code_hash: Set(Some(code_hash)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The change whose link has the hash `hash`.
pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<email_changed::Model>, DbErr> {
    Entity::find().filter(Column::Hash.eq(hash)).one(db).await
}

/// The pending change of `account_id` that still has a code.
pub async fn pending_with_code(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<email_changed::Model>, DbErr> {
    Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::CodeHash.is_not_null())
        .one(db)
        .await
}

/// Drops the code of change `id` while it is still `stored`: true for the
/// one call that dropped it (of concurrent guesses, one is compared).
pub async fn take_code(db: &impl ConnectionTrait, id: i32, stored: &str) -> Result<bool, DbErr> {
    let claimed = Entity::update_many()
        .col_expr(Column::CodeHash, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::CodeHash.eq(stored))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Applies change `id` to `account_id` in one transaction: false, and
/// nothing written, when another call applied it first (deleting by id
/// first makes it single use even under concurrency).
pub async fn apply(
    db: &super::Db,
    id: i32,
    account_id: i32,
    new_email: &str,
) -> Result<bool, DbErr> {
    let txn = super::begin_write(db).await?;
    let deleted = Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected != 1 {
        return Ok(false);
    }
    account::Entity::update_many()
        .col_expr(account::Column::Email, Expr::value(new_email.to_string()))
        .filter(account::Column::Id.eq(account_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}
