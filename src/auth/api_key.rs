//! API keys: one per account, shown once, stored as a SHA-256 hash.

use chrono::NaiveDateTime;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::db::entities::api_key;
use crate::secrets;

/// Length of a generated key (letters and digits).
pub const KEY_LENGTH: usize = 40;

/// Creates a new key for `account_id`, replacing the previous one, and
/// returns it in clear (the only time it is seen).
pub async fn regenerate(
    conn: &impl ConnectionTrait,
    account_id: i32,
    now: NaiveDateTime,
) -> Result<String, DbErr> {
    let key = secrets::random_alphanumeric(KEY_LENGTH);
    api_key::Entity::delete_many()
        .filter(api_key::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    api_key::ActiveModel {
        account_id: Set(account_id),
        key: Set(secrets::sha256_hex(&key)),
        last_used_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(key)
}

/// True when `presented` is the key of `account_id` (constant-time compare).
pub async fn verify(
    conn: &impl ConnectionTrait,
    account_id: i32,
    presented: &str,
) -> Result<bool, DbErr> {
    if presented.is_empty() || presented.len() > 256 {
        return Ok(false);
    }
    let stored = api_key::Entity::find()
        .filter(api_key::Column::AccountId.eq(account_id))
        .one(conn)
        .await?;
    Ok(stored
        .is_some_and(|row| secrets::constant_time_eq(&row.key, &secrets::sha256_hex(presented))))
}
