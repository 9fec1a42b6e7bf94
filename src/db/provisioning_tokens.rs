//! What provisioning reads and claims: the `provisioning_tokens` table,
//! and the activation key (`accounts.confirmation_key`) a provisioning
//! link may carry instead. The rules (which keys and tokens provision,
//! their lifetime) are in `src/provisioning/store.rs` and
//! `src/provisioning/tokens.rs`.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set,
};

use crate::db::entities::account;
use crate::db::entities::provisioning_token::{self, Column};

/// Replaces the token of `account_id` by the one hashing to `hash`.
pub async fn replace(
    conn: &impl ConnectionTrait,
    account_id: i32,
    hash: String,
    expires_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    provisioning_token::Entity::delete_many()
        .filter(Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    provisioning_token::ActiveModel {
        account_id: Set(account_id),
        token: Set(hash),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The token hashing to `hash`, unless it expired before `now`.
pub async fn find_live(
    conn: &impl ConnectionTrait,
    hash: String,
    now: NaiveDateTime,
) -> Result<Option<provisioning_token::Model>, DbErr> {
    provisioning_token::Entity::find()
        .filter(Column::Token.eq(hash))
        .filter(
            Condition::any()
                .add(Column::ExpiresAt.is_null())
                .add(Column::ExpiresAt.gt(now)),
        )
        .one(conn)
        .await
}

/// Deletes token `id`; true when it did (the deletion is the claim).
pub async fn claim(conn: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let claimed = provisioning_token::Entity::delete_many()
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// At most two accounts holding the activation key `key` (two are enough
/// to tell that it names no single account).
pub async fn accounts_with_key(
    conn: &impl ConnectionTrait,
    key: &str,
) -> Result<Vec<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::ConfirmationKey.eq(key))
        .limit(2)
        .all(conn)
        .await
}

/// Activates account `id` and clears its key if it still holds `key` and
/// is not blocked; true when it did (the update is the claim).
pub async fn claim_key(conn: &impl ConnectionTrait, id: i32, key: &str) -> Result<bool, DbErr> {
    let claimed = account::Entity::update_many()
        .col_expr(account::Column::FlexisipActivated, Expr::value(true))
        .col_expr(
            account::Column::ConfirmationKey,
            Expr::value(Option::<String>::None),
        )
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::ConfirmationKey.eq(key))
        .filter(account::Column::Blocked.eq(false))
        .exec(conn)
        .await?;
    Ok(claimed.rows_affected != 0)
}
