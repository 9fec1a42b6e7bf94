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

/// True when `presented` is the key whose hash is `stored` (constant-time
/// compare of the hashes).
pub fn matches(stored: Option<&str>, presented: &str) -> bool {
    if presented.is_empty() || presented.len() > 256 {
        return false;
    }
    stored.is_some_and(|hash| secrets::constant_time_eq(hash, &secrets::sha256_hex(presented)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_only_their_hash() {
        let hash = secrets::sha256_hex("the-key");
        assert!(matches(Some(&hash), "the-key"));
        assert!(!matches(Some(&hash), "the-kez"));
        assert!(!matches(None, "the-key"));
        assert!(!matches(Some(&hash), ""));
        assert!(!matches(Some(&hash), &"k".repeat(300)));
    }
}
