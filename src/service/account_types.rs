//! Account types: create, rename and delete them, give and take them (audited).

use crate::audit::{self, Action, By};
use crate::db::entities::{account, account_type};
use crate::db::{self, account_types};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::links;
use crate::service::list_fields;
use crate::state::AppState;

const KEY_TAKEN: &str = "The key has already been taken.";

fn validated_key(body: &JsonObject) -> ApiResult<String> {
    let mut v = body.validator();
    let key = list_fields::key(&mut v);
    v.finish()?;
    Ok(key.unwrap_or_default().to_string())
}

/// A unique violation on insert or update means a concurrent writer took
/// the key between our check and our write.
fn key_conflict(err: sea_orm::DbErr) -> ApiError {
    links::on_unique_violation(err, || ApiError::field("key", KEY_TAKEN))
}

/// Creates a type from a body or form with `key`.
pub async fn create(
    state: &AppState,
    by: &By,
    body: &JsonObject,
) -> ApiResult<account_type::Model> {
    let key = validated_key(body)?;
    let txn = db::begin_write(&state.db).await?;
    if account_types::key_taken(&txn, &key, None).await? {
        return Err(ApiError::field("key", KEY_TAKEN));
    }
    let created = account_types::insert(&txn, &key, state.clock.now_naive())
        .await
        .map_err(key_conflict)?;
    audit::record(&txn, by, Action::TypeCreate, &created).await?;
    txn.commit().await?;
    Ok(created)
}

/// Renames `existing` to the `key` of a body or form; the renamed type.
pub async fn rename(
    state: &AppState,
    by: &By,
    existing: account_type::Model,
    body: &JsonObject,
) -> ApiResult<account_type::Model> {
    let key = validated_key(body)?;
    let txn = db::begin_write(&state.db).await?;
    if account_types::key_taken(&txn, &key, Some(existing.id)).await? {
        return Err(ApiError::field("key", KEY_TAKEN));
    }
    account_types::update_key(&txn, existing.id, &key, state.clock.now_naive())
        .await
        .map_err(key_conflict)?;
    let detail = format!("key was {}", existing.key);
    let renamed = account_type::Model { key, ..existing };
    audit::record_about(&txn, by, Action::TypeUpdate, &renamed, detail).await?;
    txn.commit().await?;
    Ok(renamed)
}

/// Deletes a type ; `404` when there is none.
pub async fn remove(state: &AppState, by: &By, id: i32) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let existing = account_types::find(&txn, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    account_types::delete(&txn, existing.id).await?;
    audit::record(&txn, by, Action::TypeDelete, &existing).await?;
    txn.commit().await?;
    Ok(())
}

fn describe(kind: &account_type::Model) -> String {
    audit::Target::from(kind).describe()
}

/// Gives a type to an account .
pub async fn give(
    state: &AppState,
    by: &By,
    account: &account::Model,
    kind: &account_type::Model,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    links::add_once(
        account_types::is_attached(&txn, account.id, kind.id).await?,
        account_types::attach(&txn, account.id, kind.id, state.clock.now_naive()),
        "The account already has this type.",
    )
    .await?;
    audit::record_about(&txn, by, Action::TypeGive, account, describe(kind)).await?;
    txn.commit().await?;
    Ok(())
}

/// Takes a type from an account .
pub async fn take(
    state: &AppState,
    by: &By,
    account: &account::Model,
    type_id: i32,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    links::removed_or(
        account_types::detach(&txn, account.id, type_id).await?,
        "The account does not have this type.",
    )?;
    let detail = match account_types::find(&txn, type_id).await? {
        Some(kind) => describe(&kind),
        None => format!("account type {type_id}"),
    };
    audit::record_about(&txn, by, Action::TypeTake, account, detail).await?;
    txn.commit().await?;
    Ok(())
}
