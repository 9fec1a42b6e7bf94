//! The `api_keys` table. The rules (expiry, how often a use is recorded)
//! are in `src/auth/api_key.rs`.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set,
};

use crate::db::entities::api_key;

/// Replaces the key of `account_id` by the one hashing to `hash`.
pub async fn replace(
    conn: &impl ConnectionTrait,
    account_id: i32,
    hash: String,
    now: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    expires_after: Option<i32>,
) -> Result<(), DbErr> {
    api_key::Entity::delete_many()
        .filter(api_key::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    api_key::ActiveModel {
        account_id: Set(account_id),
        key: Set(hash),
        last_used_at: Set(last_used_at),
        expires_after_last_used_minutes: Set(expires_after),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Records a use at `now` unless one was recorded after `floor`; the
/// condition lets concurrent requests on several nodes write once.
pub async fn touch(
    conn: &impl ConnectionTrait,
    id: i32,
    now: NaiveDateTime,
    floor: NaiveDateTime,
) -> Result<(), DbErr> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lte(floor)),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes the device keys whose last activity (use, or creation when
/// never used) is before `before`; returns how many went.
pub async fn delete_device_keys_unused_since(
    conn: &impl ConnectionTrait,
    before: NaiveDateTime,
) -> Result<u64, DbErr> {
    Ok(api_key::Entity::delete_many()
        .filter(api_key::Column::ExpiresAfterLastUsedMinutes.is_not_null())
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.lt(before))
                .add(
                    Condition::all()
                        .add(api_key::Column::LastUsedAt.is_null())
                        .add(api_key::Column::CreatedAt.lt(before)),
                ),
        )
        .exec(conn)
        .await?
        .rows_affected)
}

/// A key with an expiry: id, creation, last use, minutes.
pub type Expiring = (i32, NaiveDateTime, Option<NaiveDateTime>, Option<i32>);

/// The keys with an expiry (few: device keys only).
pub async fn expiring(conn: &impl ConnectionTrait) -> Result<Vec<Expiring>, DbErr> {
    api_key::Entity::find()
        .select_only()
        .column(api_key::Column::Id)
        .column(api_key::Column::CreatedAt)
        .column(api_key::Column::LastUsedAt)
        .column(api_key::Column::ExpiresAfterLastUsedMinutes)
        .filter(api_key::Column::ExpiresAfterLastUsedMinutes.gt(0))
        .into_tuple()
        .all(conn)
        .await
}

/// Deletes the keys `ids` (500 at a time); returns how many went.
pub async fn delete_ids(conn: &impl ConnectionTrait, ids: &[i32]) -> Result<u64, DbErr> {
    let mut removed = 0;
    for ids in ids.chunks(500) {
        removed += api_key::Entity::delete_many()
            .filter(api_key::Column::Id.is_in(ids.iter().copied()))
            .exec(conn)
            .await?
            .rows_affected;
    }
    Ok(removed)
}
