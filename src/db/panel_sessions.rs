//! The `panel_sessions` table. The lifetimes and the cookie are the
//! panel's (`src/panel/session.rs`).

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::db::Db;
use crate::db::entities::panel_session::{self, Column};

/// Adds a session, first dropping those last seen before `idle_before`
/// or created before `created_before`, in one write transaction.
pub async fn create(
    db: &Db,
    token_hash: String,
    account_id: i32,
    csrf_token: String,
    now: NaiveDateTime,
    (idle_before, created_before): (NaiveDateTime, NaiveDateTime),
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    panel_session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(Column::LastSeenAt.lt(idle_before))
                .add(Column::CreatedAt.lt(created_before)),
        )
        .exec(&txn)
        .await?;
    panel_session::ActiveModel {
        token_hash: Set(token_hash),
        account_id: Set(account_id),
        csrf_token: Set(csrf_token),
        flash: Set(None),
        created_at: Set(now),
        last_seen_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await
}

/// The session whose token hashes to `token_hash`.
pub async fn find_by_token_hash(
    db: &Db,
    token_hash: String,
) -> Result<Option<panel_session::Model>, DbErr> {
    panel_session::Entity::find()
        .filter(Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Records that session `id` was seen at `now`.
pub async fn touch(db: &Db, id: i32, now: NaiveDateTime) -> Result<(), DbErr> {
    panel_session::Entity::update_many()
        .col_expr(Column::LastSeenAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes session `id`.
pub async fn delete(conn: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    panel_session::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// Deletes every session of `account_id`.
pub async fn delete_of_account(conn: &impl ConnectionTrait, account_id: i32) -> Result<(), DbErr> {
    panel_session::Entity::delete_many()
        .filter(Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Sets (or, with `None`, clears) the flash message of session `id`.
pub async fn set_flash(
    conn: &impl ConnectionTrait,
    id: i32,
    message: Option<&str>,
) -> Result<(), DbErr> {
    panel_session::Entity::update_many()
        .col_expr(Column::Flash, Expr::value(message))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
