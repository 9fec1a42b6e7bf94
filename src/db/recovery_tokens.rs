//! `account_recovery_tokens`: tokens pushed to a device for the app's
//! recovery flow, stored as their SHA-256.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::account_recovery_token::{self, Column, Entity};

/// The unused token of hash `token_hash`, created after `live_since` when
/// given.
pub async fn find_unused(
    db: &impl ConnectionTrait,
    token_hash: &str,
    live_since: Option<NaiveDateTime>,
) -> Result<Option<account_recovery_token::Model>, DbErr> {
    let mut query = Entity::find()
        .filter(Column::TokenHash.eq(token_hash))
        .filter(Column::Used.eq(false));
    if let Some(live_since) = live_since {
        query = query.filter(Column::CreatedAt.gt(live_since));
    }
    query.one(db).await
}

/// Uses token `id`, linking it to `account_id`: false when another call
/// used it first.
pub async fn use_token(
    db: &impl ConnectionTrait,
    id: i32,
    account_id: Option<i32>,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let changed = Entity::update_many()
        .col_expr(Column::Used, Expr::value(true))
        .col_expr(Column::AccountId, Expr::value(account_id))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Used.eq(false))
        .exec(db)
        .await?;
    Ok(changed.rows_affected == 1)
}
