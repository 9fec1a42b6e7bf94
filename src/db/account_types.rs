//! Account types (tags such as `phone` or `door`) and the accounts they are
//! given to.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::{account_account_type, account_type};

pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<account_type::Model>, DbErr> {
    account_type::Entity::find()
        .order_by_asc(account_type::Column::Id)
        .all(conn)
        .await
}

pub async fn find(
    conn: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<account_type::Model>, DbErr> {
    account_type::Entity::find_by_id(id).one(conn).await
}

/// The type with this key other than `except`, if any.
pub async fn key_taken(
    conn: &impl ConnectionTrait,
    key: &str,
    except: Option<i32>,
) -> Result<bool, DbErr> {
    let mut query = account_type::Entity::find().filter(account_type::Column::Key.eq(key));
    if let Some(id) = except {
        query = query.filter(account_type::Column::Id.ne(id));
    }
    Ok(query.one(conn).await?.is_some())
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    key: &str,
    now: NaiveDateTime,
) -> Result<account_type::Model, DbErr> {
    account_type::ActiveModel {
        key: Set(key.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

pub async fn update_key(
    conn: &impl ConnectionTrait,
    id: i32,
    key: &str,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    account_type::Entity::update_many()
        .col_expr(account_type::Column::Key, Expr::value(key))
        .col_expr(account_type::Column::UpdatedAt, Expr::value(now))
        .filter(account_type::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes a type; its attachments go with it (cascade, and explicitly for
/// databases without foreign keys).
pub async fn delete(conn: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    account_account_type::Entity::delete_many()
        .filter(account_account_type::Column::AccountTypeId.eq(id))
        .exec(conn)
        .await?;
    let deleted = account_type::Entity::delete_by_id(id).exec(conn).await?;
    Ok(deleted.rows_affected == 1)
}

pub async fn is_attached(
    conn: &impl ConnectionTrait,
    account_id: i32,
    type_id: i32,
) -> Result<bool, DbErr> {
    Ok(account_account_type::Entity::find()
        .filter(account_account_type::Column::AccountId.eq(account_id))
        .filter(account_account_type::Column::AccountTypeId.eq(type_id))
        .one(conn)
        .await?
        .is_some())
}

pub async fn attach(
    conn: &impl ConnectionTrait,
    account_id: i32,
    type_id: i32,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    account_account_type::ActiveModel {
        account_id: Set(account_id),
        account_type_id: Set(type_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Takes the type from the account; false when it did not have it.
pub async fn detach(
    conn: &impl ConnectionTrait,
    account_id: i32,
    type_id: i32,
) -> Result<bool, DbErr> {
    let deleted = account_account_type::Entity::delete_many()
        .filter(account_account_type::Column::AccountId.eq(account_id))
        .filter(account_account_type::Column::AccountTypeId.eq(type_id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The types of each of `account_ids`, in one query, ordered by type id.
pub async fn of_accounts(
    conn: &impl ConnectionTrait,
    account_ids: &[i32],
) -> Result<HashMap<i32, Vec<account_type::Model>>, DbErr> {
    let mut by_account: HashMap<i32, Vec<account_type::Model>> = HashMap::new();
    if account_ids.is_empty() {
        return Ok(by_account);
    }
    let rows: Vec<(account_account_type::Model, Option<account_type::Model>)> =
        account_account_type::Entity::find()
            .find_also_related(account_type::Entity)
            .filter(account_account_type::Column::AccountId.is_in(account_ids.iter().copied()))
            .order_by_asc(account_account_type::Column::AccountTypeId)
            .all(conn)
            .await?;
    for (link, kind) in rows {
        if let Some(kind) = kind {
            by_account.entry(link.account_id).or_default().push(kind);
        }
    }
    Ok(by_account)
}
