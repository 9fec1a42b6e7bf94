//! The answers shared by the routes that give one row to another once (a
//! type to an account, an account to a contacts list, a list to an
//! account): a repeated addition, or the removal of what is not there, is
//! a `403` as FlexiAPI answers.

use std::future::Future;

use sea_orm::DbErr;

use crate::db;
use crate::error::{ApiError, ApiResult};

/// `answer` when the write broke a unique index (a concurrent writer got
/// there between our check and our write), the database error otherwise.
pub fn on_unique_violation(err: DbErr, answer: impl FnOnce() -> ApiError) -> ApiError {
    if db::is_unique_violation(&err) {
        answer()
    } else {
        err.into()
    }
}

/// Runs `add` unless the link is `present`; both the check and the unique
/// index refuse a repeat with `refused`. `add` is only polled here, so it
/// writes nothing when the link is present.
pub async fn add_once(
    present: bool,
    add: impl Future<Output = Result<(), DbErr>>,
    refused: &str,
) -> ApiResult<()> {
    let forbidden = || ApiError::Forbidden(refused.into());
    if present {
        return Err(forbidden());
    }
    add.await.map_err(|err| on_unique_violation(err, forbidden))
}

/// `refused` when the removal found no link to remove.
pub fn removed_or(removed: bool, refused: &str) -> ApiResult<()> {
    if removed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(refused.into()))
    }
}
