//! Path segments that name rows: anything that is not an existing id is a
//! 404, as for `GET /api/accounts/{id}`.

use crate::db::accounts;
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A numeric id, or 404.
pub fn id(raw: &str) -> ApiResult<i32> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// The account of an `{id}` segment, or 404.
pub async fn account(state: &AppState, raw: &str) -> ApiResult<account::Model> {
    accounts::find_by_id(&state.db, id(raw)?)
        .await?
        .ok_or_else(ApiError::not_found)
}
