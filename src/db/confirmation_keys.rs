//! An account's pending confirmation key (`accounts.confirmation_key`,
//! tries counted in `failed_code_attempts`) and its admin-set expiry
//! (`activation_expirations`). Every outcome is a conditional UPDATE.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::account::{Column, Entity};
use super::entities::activation_expiration;

/// Takes one try on the pending key of `account_id` while fewer than `max`
/// were taken: false when no key is pending or no try is left.
pub async fn take_try(db: &impl ConnectionTrait, account_id: i32, max: i32) -> Result<bool, DbErr> {
    let reserved = Entity::update_many()
        .col_expr(
            Column::FailedCodeAttempts,
            Expr::col(Column::FailedCodeAttempts).add(1),
        )
        .filter(Column::Id.eq(account_id))
        .filter(Column::ConfirmationKey.is_not_null())
        .filter(Column::FailedCodeAttempts.lt(max))
        .exec(db)
        .await?;
    Ok(reserved.rows_affected == 1)
}

/// Drops the pending key of `account_id` once its tries are used up.
pub async fn drop_if_spent(
    db: &impl ConnectionTrait,
    account_id: i32,
    max: i32,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::ConfirmationKey, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(account_id))
        .filter(Column::FailedCodeAttempts.gte(max))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives back a try taken on the pending key of `account_id`.
pub async fn give_back_try(db: &impl ConnectionTrait, account_id: i32) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(
            Column::FailedCodeAttempts,
            Expr::col(Column::FailedCodeAttempts).sub(1),
        )
        .filter(Column::Id.eq(account_id))
        .filter(Column::FailedCodeAttempts.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Activates `account_id` and consumes its key while it is still `given`
/// and the account is not blocked: true for the one call that did.
pub async fn claim(db: &impl ConnectionTrait, account_id: i32, given: &str) -> Result<bool, DbErr> {
    let claimed = Entity::update_many()
        .col_expr(Column::FlexisipActivated, Expr::value(true))
        .col_expr(Column::ConfirmationKey, Expr::value(Option::<String>::None))
        .col_expr(Column::FailedCodeAttempts, Expr::value(0))
        .filter(Column::Id.eq(account_id))
        // Blocking revokes the key; a blocked account's `activated` stays
        // false whatever races it.
        .filter(Column::Blocked.eq(false))
        .filter(Column::ConfirmationKey.eq(given))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// The expiry an admin set on the activation of `account_id`, if any.
pub async fn admin_expiry(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<NaiveDateTime>, DbErr> {
    let expiration = activation_expiration::Entity::find()
        .filter(activation_expiration::Column::AccountId.eq(account_id))
        .one(db)
        .await?;
    Ok(expiration.map(|set| set.expires))
}
