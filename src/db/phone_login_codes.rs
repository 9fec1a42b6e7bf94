//! `phone_login_codes`: the pending PIN of a panel login by phone, one per
//! account, in the shared pending-code store (`pending_codes.rs`).

use chrono::NaiveDateTime;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use super::entities::phone_login_code::{self, Entity};
use super::pending_codes::{self, Tried, code_table};

code_table!(phone_login_code, counted);

/// Replaces the pending code of `account_id`; everyone's codes created at
/// or before `expired_before` go too.
pub async fn replace(
    db: &super::Db,
    account_id: i32,
    phone: String,
    code: String,
    expired_before: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    let txn = super::begin_write(db).await?;
    pending_codes::clear::<Entity>(&txn, account_id, Some(expired_before)).await?;
    phone_login_code::ActiveModel {
        account_id: Set(account_id),
        phone: Set(phone),
        code: Set(code),
        attempts: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The pending code of `account_id`.
pub async fn pending(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<phone_login_code::Model>, DbErr> {
    pending_codes::pending::<Entity>(db, account_id).await
}

/// One try on the pending code `id` (see [`pending_codes::try_code`]).
pub async fn try_code(
    db: &impl ConnectionTrait,
    id: i32,
    max: i32,
    is_right: impl FnOnce() -> bool,
) -> Result<Tried, DbErr> {
    pending_codes::try_code::<Entity>(db, id, max, is_right).await
}
