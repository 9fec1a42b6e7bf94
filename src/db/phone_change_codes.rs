//! `phone_change_codes`: the pending PIN of a phone change, one per
//! account and one check, in the shared pending-code store
//! (`pending_codes.rs`).

use chrono::NaiveDateTime;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use super::entities::phone_change_code::{self, Entity};
use super::pending_codes::{self, code_table};

code_table!(phone_change_code);

/// Replaces the pending change of `account_id`.
pub async fn replace(
    db: &super::Db,
    account_id: i32,
    phone: String,
    code: String,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    let txn = super::begin_write(db).await?;
    pending_codes::clear::<Entity>(&txn, account_id, None).await?;
    phone_change_code::ActiveModel {
        account_id: Set(account_id),
        phone: Set(phone),
        code: Set(code),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The pending change of `account_id`.
pub async fn pending(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<phone_change_code::Model>, DbErr> {
    pending_codes::pending::<Entity>(db, account_id).await
}

/// Removes the pending change `id`: true for the one call that removed it.
pub async fn consume(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    pending_codes::consume::<Entity>(db, id).await
}
