//! Per-account key/value settings (the account "dictionary").

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::account_dictionary_entry as entry;

/// Every entry of one account, by key.
pub async fn of_account(
    conn: &impl ConnectionTrait,
    account_id: i32,
) -> Result<BTreeMap<String, String>, DbErr> {
    Ok(of_accounts(conn, &[account_id])
        .await?
        .remove(&account_id)
        .unwrap_or_default())
}

/// The entries of each of `account_ids`, in one query.
pub async fn of_accounts(
    conn: &impl ConnectionTrait,
    account_ids: &[i32],
) -> Result<HashMap<i32, BTreeMap<String, String>>, DbErr> {
    let mut by_account: HashMap<i32, BTreeMap<String, String>> = HashMap::new();
    if account_ids.is_empty() {
        return Ok(by_account);
    }
    for row in entry::Entity::find()
        .filter(entry::Column::AccountId.is_in(account_ids.iter().copied()))
        .order_by_asc(entry::Column::Id)
        .all(conn)
        .await?
    {
        by_account
            .entry(row.account_id)
            .or_default()
            .insert(row.key, row.value);
    }
    Ok(by_account)
}

/// One entry, as a row.
pub async fn find(
    conn: &impl ConnectionTrait,
    account_id: i32,
    key: &str,
) -> Result<Option<entry::Model>, DbErr> {
    entry::Entity::find()
        .filter(entry::Column::AccountId.eq(account_id))
        .filter(entry::Column::Key.eq(key))
        .one(conn)
        .await
}

pub async fn get(
    conn: &impl ConnectionTrait,
    account_id: i32,
    key: &str,
) -> Result<Option<String>, DbErr> {
    Ok(entry::Entity::find()
        .filter(entry::Column::AccountId.eq(account_id))
        .filter(entry::Column::Key.eq(key))
        .one(conn)
        .await?
        .map(|row| row.value))
}

/// Adds the entry or replaces its value, in one statement (an upsert on the
/// unique account/key pair, so concurrent writers never duplicate it).
pub async fn set(
    conn: &impl ConnectionTrait,
    account_id: i32,
    key: &str,
    value: &str,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    let row = entry::ActiveModel {
        account_id: Set(account_id),
        key: Set(key.to_string()),
        value: Set(value.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    entry::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([entry::Column::AccountId, entry::Column::Key])
                .update_columns([entry::Column::Value, entry::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Replaces every entry of an account with `entries` (none: empties it),
/// in two statements whatever their number.
pub async fn replace_all(
    conn: &impl ConnectionTrait,
    account_id: i32,
    entries: &[(&str, &str)],
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    clear(conn, account_id).await?;
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries.iter().map(|(key, value)| entry::ActiveModel {
        account_id: Set(account_id),
        key: Set(key.to_string()),
        value: Set(value.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    });
    entry::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Deletes one entry; false when there was none.
pub async fn delete(
    conn: &impl ConnectionTrait,
    account_id: i32,
    key: &str,
) -> Result<bool, DbErr> {
    let deleted = entry::Entity::delete_many()
        .filter(entry::Column::AccountId.eq(account_id))
        .filter(entry::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

pub async fn clear(conn: &impl ConnectionTrait, account_id: i32) -> Result<(), DbErr> {
    entry::Entity::delete_many()
        .filter(entry::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}
