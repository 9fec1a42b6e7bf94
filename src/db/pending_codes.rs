//! One store for the codes of the same shape: issued to an account (one
//! pending per account, a new one replaces it), tried with counted
//! attempts, consumed once. Each table names its columns through
//! [`CodeTable`]; `recovery_codes.rs`, `phone_login_codes.rs` and
//! `phone_change_codes.rs` add only what is their own.
//!
//! Every outcome is decided by a conditional statement, so concurrent
//! guesses (even on several nodes) never get more tries than the bound
//! (docs/integrations.md, "Rate limits").

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// A table of pending codes, one row per code.
pub trait CodeTable: EntityTrait {
    fn id() -> Self::Column;
    fn account_id() -> Self::Column;
    fn created_at() -> Self::Column;
}

/// A table whose codes get several tries, counted on the row.
pub trait CountedCodeTable: CodeTable {
    fn attempts() -> Self::Column;
}

/// The pending code of `account_id`, if any.
pub async fn pending<T: CodeTable>(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<T::Model>, DbErr> {
    T::find()
        .filter(T::account_id().eq(account_id))
        .one(db)
        .await
}

/// Removes the pending code of `account_id` before a new one is inserted
/// (in the same transaction), and with `expired_before` everyone's codes
/// created at or before it.
pub async fn clear<T: CodeTable>(
    conn: &impl ConnectionTrait,
    account_id: i32,
    expired_before: Option<NaiveDateTime>,
) -> Result<(), DbErr> {
    let delete = T::delete_many();
    let delete = match expired_before {
        Some(floor) => delete.filter(
            Condition::any()
                .add(T::account_id().eq(account_id))
                .add(T::created_at().lte(floor)),
        ),
        None => delete.filter(T::account_id().eq(account_id)),
    };
    delete.exec(conn).await?;
    Ok(())
}

/// Removes the code `id`: true for the one call that removed it (of
/// concurrent right answers, one goes on).
pub async fn consume<T: CodeTable>(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let removed = T::delete_many().filter(T::id().eq(id)).exec(db).await?;
    Ok(removed.rows_affected == 1)
}

/// The outcome of one try on a counted code.
#[derive(Debug, PartialEq, Eq)]
pub enum Tried {
    /// No try left, or the code went meanwhile: nothing compared.
    Refused,
    /// A wrong code: a try taken (the last one dropped the code).
    Wrong,
    /// The right code, consumed by this call.
    Right,
}

/// Presents a code to the pending code `id`: a try is taken (while fewer
/// than `max` were) before `is_right` compares, since counting after the
/// comparison would let a burst of concurrent guesses all be compared
/// before any is counted. Whichever wrong try used the last one drops the
/// code; a right one consumes it.
pub async fn try_code<T: CountedCodeTable>(
    db: &impl ConnectionTrait,
    id: i32,
    max: i32,
    is_right: impl FnOnce() -> bool,
) -> Result<Tried, DbErr> {
    let reserved = T::update_many()
        .col_expr(T::attempts(), Expr::col(T::attempts()).add(1))
        .filter(T::id().eq(id))
        .filter(T::attempts().lt(max))
        .exec(db)
        .await?;
    if reserved.rows_affected != 1 {
        return Ok(Tried::Refused);
    }
    if !is_right() {
        T::delete_many()
            .filter(T::id().eq(id))
            .filter(T::attempts().gte(max))
            .exec(db)
            .await?;
        return Ok(Tried::Wrong);
    }
    Ok(if consume::<T>(db, id).await? {
        Tried::Right
    } else {
        Tried::Refused
    })
}

/// Implements [`CodeTable`] (and [`CountedCodeTable`] when the table has
/// `attempts`) for the entity module `$m` with the usual column names.
macro_rules! code_table {
    ($m:ident) => {
        impl $crate::db::pending_codes::CodeTable for $m::Entity {
            fn id() -> $m::Column {
                $m::Column::Id
            }
            fn account_id() -> $m::Column {
                $m::Column::AccountId
            }
            fn created_at() -> $m::Column {
                $m::Column::CreatedAt
            }
        }
    };
    ($m:ident, counted) => {
        $crate::db::pending_codes::code_table!($m);
        impl $crate::db::pending_codes::CountedCodeTable for $m::Entity {
            fn attempts() -> $m::Column {
                $m::Column::Attempts
            }
        }
    };
}
pub(crate) use code_table;
