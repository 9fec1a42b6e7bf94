//! `account_creation_tokens` and `account_creation_request_tokens`: both
//! stored as the SHA-256 of the token; every claim is one conditional
//! UPDATE, so a token is used once even by concurrent requests on several
//! nodes.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::entities::{
    account_creation_request_token as request_token, account_creation_token as creation_token,
};

/// Stores a new creation token not tied to a device.
pub async fn insert_unpushed(
    conn: &impl ConnectionTrait,
    token_hash: String,
    ip: Option<String>,
    user_agent: Option<String>,
    now: NaiveDateTime,
) -> Result<creation_token::Model, DbErr> {
    creation_token::ActiveModel {
        token_hash: Set(token_hash),
        used: Set(false),
        ip: Set(ip),
        user_agent: Set(user_agent),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// Claims the unused creation token of hash `token_hash` (created after
/// `expired_until` when given) for `account_id`: true when this call used
/// it.
pub async fn claim(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    account_id: i32,
    expired_until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let mut update = creation_token::Entity::update_many()
        .col_expr(creation_token::Column::Used, Expr::value(true))
        .col_expr(creation_token::Column::AccountId, Expr::value(account_id))
        .col_expr(creation_token::Column::UpdatedAt, Expr::value(now))
        .filter(creation_token::Column::TokenHash.eq(token_hash))
        .filter(creation_token::Column::Used.eq(false));
    if let Some(until) = expired_until {
        update = update.filter(creation_token::Column::CreatedAt.gt(until));
    }
    Ok(update.exec(conn).await?.rows_affected == 1)
}

/// Whether `account_id` consumed a creation token.
pub async fn consumed_by(conn: &impl ConnectionTrait, account_id: i32) -> Result<bool, DbErr> {
    let found = creation_token::Entity::find()
        .filter(creation_token::Column::AccountId.eq(account_id))
        .filter(creation_token::Column::Used.eq(true))
        .one(conn)
        .await?;
    Ok(found.is_some())
}

/// The creation token of hash `token_hash`, used or not.
pub async fn find(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<creation_token::Model>, DbErr> {
    creation_token::Entity::find()
        .filter(creation_token::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await
}

/// The unused creation token of hash `token_hash`.
pub async fn find_unused(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<creation_token::Model>, DbErr> {
    creation_token::Entity::find()
        .filter(creation_token::Column::TokenHash.eq(token_hash))
        .filter(creation_token::Column::Used.eq(false))
        .one(conn)
        .await
}

/// Stores a new request token.
pub async fn insert_request(
    conn: &impl ConnectionTrait,
    token_hash: String,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    request_token::ActiveModel {
        token_hash: Set(token_hash),
        used: Set(false),
        validated_at: Set(None),
        acc_creation_token_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The unused request token of hash `token_hash`.
pub async fn find_unused_request(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<request_token::Model>, DbErr> {
    request_token::Entity::find()
        .filter(request_token::Column::TokenHash.eq(token_hash))
        .filter(request_token::Column::Used.eq(false))
        .one(conn)
        .await
}

/// Marks request token `id` validated; false when it was already
/// validated, used or gone.
pub async fn validate_request(
    conn: &impl ConnectionTrait,
    id: i32,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let changed = request_token::Entity::update_many()
        .col_expr(request_token::Column::ValidatedAt, Expr::value(now))
        .col_expr(request_token::Column::UpdatedAt, Expr::value(now))
        .filter(request_token::Column::Id.eq(id))
        .filter(request_token::Column::Used.eq(false))
        .filter(request_token::Column::ValidatedAt.is_null())
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Uses request token `id`, linking it to the creation token it was
/// exchanged for: true when this call used it.
pub async fn claim_request(
    conn: &impl ConnectionTrait,
    id: i32,
    creation_token_id: i32,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let claimed = request_token::Entity::update_many()
        .col_expr(request_token::Column::Used, Expr::value(true))
        .col_expr(
            request_token::Column::AccCreationTokenId,
            Expr::value(creation_token_id),
        )
        .col_expr(request_token::Column::UpdatedAt, Expr::value(now))
        .filter(request_token::Column::Id.eq(id))
        .filter(request_token::Column::Used.eq(false))
        .exec(conn)
        .await?;
    Ok(claimed.rows_affected == 1)
}
