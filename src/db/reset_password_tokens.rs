//! `reset_password_tokens`: single-use password reset links, stored as the
//! SHA-256 of their token.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::entities::reset_password_token::{self, Column, Entity};

/// Stores a new token of `account_id`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    account_id: i32,
    token_hash: String,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    reset_password_token::ActiveModel {
        account_id: Set(account_id),
        token_hash: Set(token_hash),
        used: Set(false),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The unused token of hash `token_hash` that expires after `now`.
pub async fn find_live(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<reset_password_token::Model>, DbErr> {
    Entity::find()
        .filter(Column::TokenHash.eq(token_hash))
        .filter(Column::Used.eq(false))
        .filter(Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// Uses token `id` while it is live: true for the one call that used it.
pub async fn claim(
    conn: &impl ConnectionTrait,
    id: i32,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let claimed = Entity::update_many()
        .col_expr(Column::Used, Expr::value(true))
        .filter(Column::Id.eq(id))
        .filter(Column::Used.eq(false))
        .filter(Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(claimed.rows_affected == 1)
}
