//! Account dictionaries: set, remove and clear entries (audited).

use crate::audit::{self, Action, By};
use crate::db::entities::account;
use crate::db::{self, dictionary};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::list_fields;
use crate::state::AppState;
use serde_json::Value;

/// Largest value stored (MariaDB's TEXT holds 65535 bytes).
pub const MAX_VALUE_BYTES: usize = 60_000;

pub fn checked_key(key: &str) -> ApiResult<&str> {
    if list_fields::is_dictionary_key(key) {
        Ok(key)
    } else {
        Err(ApiError::field(
            "key",
            "The key must be 1 to 191 characters without control characters.",
        ))
    }
}

/// Sets `key` to the body's or form's `value`;
/// returns the entry.
pub async fn set_entry(
    state: &AppState,
    by: &By,
    account: &account::Model,
    key: &str,
    body: &JsonObject,
) -> ApiResult<crate::db::entities::account_dictionary_entry::Model> {
    let key = checked_key(key)?;
    let mut v = body.validator();
    let value = v.required_string("value");
    if let Some(value) = value {
        v.check(
            "value",
            value.len() <= MAX_VALUE_BYTES,
            format!("The value must not be greater than {MAX_VALUE_BYTES} bytes."),
        );
        v.check(
            "value",
            list_fields::is_clean_text(value, true),
            "The value must not contain control characters.",
        );
    }
    v.finish()?;
    let value = value.unwrap_or_default();
    let txn = db::begin_write(&state.db).await?;
    dictionary::set(&txn, account.id, key, value, state.clock.now_naive()).await?;
    let entry = dictionary::find(&txn, account.id, key)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the entry just set is missing")))?;
    // The key only: a value may be anything the admin keeps there.
    audit::record_about(&txn, by, Action::DictionarySet, account, describe(key)).await?;
    txn.commit().await?;
    Ok(entry)
}

fn describe(key: &str) -> String {
    format!("key {key}")
}

/// Deletes the entry `key`; `404` when there is none.
pub async fn remove_entry(
    state: &AppState,
    by: &By,
    account: &account::Model,
    key: &str,
) -> ApiResult<()> {
    let key = checked_key(key)?;
    let txn = db::begin_write(&state.db).await?;
    if !dictionary::delete(&txn, account.id, key).await? {
        return Err(ApiError::not_found());
    }
    audit::record_about(&txn, by, Action::DictionaryDelete, account, describe(key)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn clear_all(state: &AppState, by: &By, account: &account::Model) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    dictionary::clear(&txn, account.id).await?;
    audit::record(&txn, by, Action::DictionaryClear, account).await?;
    txn.commit().await?;
    Ok(())
}

const DICTIONARY_MESSAGE: &str = "The dictionary must be an associative dictionary of strings.";

/// The `dictionary` field of an admin account creation or update, when
/// sent: an object of string values, each key and value under the rules of
/// `POST …/dictionary/{key}`. `[]` is an empty dictionary (PHP encodes an
/// empty associative array so); `null` counts as absent. `Err` holds the
/// field's error for the caller's 422.
pub fn optional_entries(body: &JsonObject) -> Result<Option<Vec<(&str, &str)>>, String> {
    let map = match body.0.get("dictionary") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) if list.is_empty() => return Ok(Some(Vec::new())),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(DICTIONARY_MESSAGE.to_string()),
    };
    let mut entries = Vec::with_capacity(map.len());
    for (key, value) in map {
        let Value::String(value) = value else {
            return Err(DICTIONARY_MESSAGE.to_string());
        };
        if !list_fields::is_dictionary_key(key) {
            return Err(
                "Each dictionary key must be 1 to 191 characters without control characters."
                    .to_string(),
            );
        }
        if !is_valid_value(value) {
            return Err(format!(
                "Each dictionary value must be at most {MAX_VALUE_BYTES} bytes without control characters."
            ));
        }
        entries.push((key.as_str(), value.as_str()));
    }
    Ok(Some(entries))
}

fn is_valid_value(value: &str) -> bool {
    value.len() <= MAX_VALUE_BYTES && list_fields::is_clean_text(value, true)
}
