//! DTMF actions of an account (a key the app shows, the code it sends).

use chrono::NaiveDateTime;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::account_action as action;

pub async fn of_account(
    conn: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Vec<action::Model>, DbErr> {
    action::Entity::find()
        .filter(action::Column::AccountId.eq(account_id))
        .order_by_asc(action::Column::Id)
        .all(conn)
        .await
}

/// The actions of each of `account_ids`, in one query.
pub async fn of_accounts(
    conn: &impl ConnectionTrait,
    account_ids: &[i32],
) -> Result<std::collections::HashMap<i32, Vec<action::Model>>, DbErr> {
    let mut by_account: std::collections::HashMap<i32, Vec<action::Model>> = Default::default();
    if account_ids.is_empty() {
        return Ok(by_account);
    }
    for row in action::Entity::find()
        .filter(action::Column::AccountId.is_in(account_ids.iter().copied()))
        .order_by_asc(action::Column::Id)
        .all(conn)
        .await?
    {
        by_account.entry(row.account_id).or_default().push(row);
    }
    Ok(by_account)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    account_id: i32,
    id: i32,
) -> Result<Option<action::Model>, DbErr> {
    action::Entity::find_by_id(id)
        .filter(action::Column::AccountId.eq(account_id))
        .one(conn)
        .await
}

/// True when another action of the account (than `except`) has this key.
pub async fn key_taken(
    conn: &impl ConnectionTrait,
    account_id: i32,
    key: &str,
    except: Option<i32>,
) -> Result<bool, DbErr> {
    let mut query = action::Entity::find()
        .filter(action::Column::AccountId.eq(account_id))
        .filter(action::Column::Key.eq(key));
    if let Some(id) = except {
        query = query.filter(action::Column::Id.ne(id));
    }
    Ok(query.one(conn).await?.is_some())
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    account_id: i32,
    key: &str,
    code: &str,
    now: NaiveDateTime,
) -> Result<action::Model, DbErr> {
    action::ActiveModel {
        account_id: Set(account_id),
        key: Set(key.to_string()),
        code: Set(code.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

pub async fn update(
    conn: &impl ConnectionTrait,
    existing: action::Model,
    key: &str,
    code: &str,
    now: NaiveDateTime,
) -> Result<action::Model, DbErr> {
    let mut row: action::ActiveModel = existing.into();
    row.key = Set(key.to_string());
    row.code = Set(code.to_string());
    row.updated_at = Set(now);
    row.update(conn).await
}

pub async fn delete(conn: &impl ConnectionTrait, account_id: i32, id: i32) -> Result<bool, DbErr> {
    let deleted = action::Entity::delete_many()
        .filter(action::Column::AccountId.eq(account_id))
        .filter(action::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}
