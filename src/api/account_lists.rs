//! What the admin account JSON can show of types and dictionaries, for a
//! whole page of accounts in one query each (no query per account).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use crate::db::{account_types, dictionary};

/// `types` (a list of `{id, key}`) and `dictionary` (an object key ->
/// value) for each of `account_ids`; accounts without any get `[]` and `{}`.
pub async fn types_and_dictionaries(
    conn: &impl ConnectionTrait,
    account_ids: &[i32],
) -> Result<HashMap<i32, (Value, Value)>, DbErr> {
    let mut types = account_types::of_accounts(conn, account_ids).await?;
    let mut dictionaries = dictionary::of_accounts(conn, account_ids).await?;
    Ok(account_ids
        .iter()
        .map(|id| {
            let kinds: Vec<Value> = types
                .remove(id)
                .unwrap_or_default()
                .iter()
                .map(account_types::to_json)
                .collect();
            let entries = dictionaries.remove(id).unwrap_or_default();
            (*id, (json!(kinds), json!(entries)))
        })
        .collect())
}

/// The admin account object of `view` with its `types` and `dictionary`
/// (FlexiAPI 2.x shows both on an account).
pub async fn admin_object(
    conn: &impl ConnectionTrait,
    config: &crate::config::Config,
    view: &crate::db::accounts::AccountView,
) -> Result<Value, DbErr> {
    let id = view.account.id;
    let (types, dictionary) = types_and_dictionaries(conn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_else(|| (json!([]), json!({})));
    let mut value = view.to_admin_json(config);
    value["types"] = types;
    value["dictionary"] = dictionary;
    Ok(value)
}

/// The admin object of an account that has no types and no dictionary
/// entries (one just created), without a query.
pub fn object_without_lists(
    config: &crate::config::Config,
    view: &crate::db::accounts::AccountView,
) -> Value {
    let mut value = view.to_admin_json(config);
    value["types"] = json!([]);
    value["dictionary"] = json!({});
    value
}
