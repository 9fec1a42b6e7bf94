//! The `auth_tokens` table (the QR login). The rules (lifetime, hashing)
//! are in `src/auth/auth_token.rs`; each step is one conditional
//! statement, so that concurrent requests never both win.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::db::entities::auth_token::{self, Column};

/// Deletes the tokens created at or before `expired_at`.
pub async fn purge_created_before(
    conn: &impl ConnectionTrait,
    expired_at: NaiveDateTime,
) -> Result<(), DbErr> {
    auth_token::Entity::delete_many()
        .filter(Column::CreatedAt.lte(expired_at))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes the tokens attached to `account_id`.
pub async fn delete_of_account(conn: &impl ConnectionTrait, account_id: i32) -> Result<(), DbErr> {
    auth_token::Entity::delete_many()
        .filter(Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Inserts a token hashing to `hash`; returns its row.
pub async fn insert(
    conn: &impl ConnectionTrait,
    account_id: Option<i32>,
    hash: String,
    now: NaiveDateTime,
) -> Result<auth_token::Model, DbErr> {
    auth_token::ActiveModel {
        account_id: Set(account_id),
        token: Set(hash),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// Attaches the unattached token `hash` created after `live_since` to
/// `account_id`; true when it did.
pub async fn attach(
    conn: &impl ConnectionTrait,
    hash: String,
    account_id: i32,
    live_since: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let attached = auth_token::Entity::update_many()
        .col_expr(Column::AccountId, Expr::value(account_id))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Token.eq(hash))
        .filter(Column::AccountId.is_null())
        .filter(Column::CreatedAt.gt(live_since))
        .exec(conn)
        .await?;
    Ok(attached.rows_affected == 1)
}

/// Deletes the token `id` if still attached to `account_id`; true when
/// it did (the deletion is the claim).
pub async fn claim(conn: &impl ConnectionTrait, id: i32, account_id: i32) -> Result<bool, DbErr> {
    let claimed = auth_token::Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// The token `hash` created after `live_since`.
pub async fn find_live(
    conn: &impl ConnectionTrait,
    hash: String,
    live_since: NaiveDateTime,
) -> Result<Option<auth_token::Model>, DbErr> {
    auth_token::Entity::find()
        .filter(Column::Token.eq(hash))
        .filter(Column::CreatedAt.gt(live_since))
        .one(conn)
        .await
}
