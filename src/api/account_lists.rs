//! What the admin account JSON can show of types, actions and
//! dictionaries, for a whole page of accounts in one query each (no query
//! per account).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use crate::db::{account_actions, account_types, dictionary};

/// What an admin account object lists besides the account's own columns.
pub struct AccountLists {
    /// A list of `{id, key}`.
    pub types: Value,
    /// A list of DTMF actions.
    pub actions: Value,
    /// An object key -> value.
    pub dictionary: Value,
}

impl AccountLists {
    fn empty() -> Self {
        Self {
            types: json!([]),
            actions: json!([]),
            dictionary: json!({}),
        }
    }

    fn add_to(self, value: &mut Value) {
        value["types"] = self.types;
        value["actions"] = self.actions;
        value["dictionary"] = self.dictionary;
    }
}

/// The lists of each of `account_ids`; accounts without any get `[]`,
/// `[]` and `{}`.
pub async fn lists_of(
    conn: &impl ConnectionTrait,
    account_ids: &[i32],
) -> Result<HashMap<i32, AccountLists>, DbErr> {
    let mut types = account_types::of_accounts(conn, account_ids).await?;
    let mut actions = account_actions::of_accounts(conn, account_ids).await?;
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
            let acts: Vec<Value> = actions
                .remove(id)
                .unwrap_or_default()
                .iter()
                .map(account_actions::to_json)
                .collect();
            let entries = dictionaries.remove(id).unwrap_or_default();
            let lists = AccountLists {
                types: json!(kinds),
                actions: json!(acts),
                dictionary: json!(entries),
            };
            (*id, lists)
        })
        .collect())
}

/// The admin account object of `view` with its `types`, `actions` and
/// `dictionary` (FlexiAPI 2.x shows the three on an account).
pub async fn admin_object(
    conn: &impl ConnectionTrait,
    config: &crate::config::Config,
    view: &crate::db::accounts::AccountView,
) -> Result<Value, DbErr> {
    let id = view.account.id;
    let lists = lists_of(conn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_else(AccountLists::empty);
    let mut value = view.to_admin_json(config);
    lists.add_to(&mut value);
    Ok(value)
}

/// The admin object of an account that has no types, actions or
/// dictionary entries (one just created), without a query.
pub fn object_without_lists(
    config: &crate::config::Config,
    view: &crate::db::accounts::AccountView,
) -> Value {
    let mut value = view.to_admin_json(config);
    AccountLists::empty().add_to(&mut value);
    value
}
