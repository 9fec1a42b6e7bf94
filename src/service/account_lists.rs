//! What the admin account JSON can show of types, actions and
//! dictionaries, for a whole page of accounts in one query each (no query
//! per account).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

use super::objects::{AccountAction, AccountLists, AccountType, AdminAccount};
use crate::config::Config;
use crate::db::accounts::AccountView;
use crate::db::{account_actions, account_types, dictionary};

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
            let lists = AccountLists {
                types: types
                    .remove(id)
                    .unwrap_or_default()
                    .iter()
                    .map(AccountType::from)
                    .collect(),
                actions: actions
                    .remove(id)
                    .unwrap_or_default()
                    .iter()
                    .map(AccountAction::from)
                    .collect(),
                dictionary: dictionaries.remove(id).unwrap_or_default(),
            };
            (*id, lists)
        })
        .collect())
}

/// The admin account object of `view` with its `types`, `actions` and
/// `dictionary` (FlexiAPI 2.x shows the three on an account).
pub async fn admin_object(
    conn: &impl ConnectionTrait,
    config: &Config,
    view: &AccountView,
) -> Result<AdminAccount, DbErr> {
    let id = view.account.id;
    let lists = lists_of(conn, &[id]).await?.remove(&id).unwrap_or_default();
    Ok(AdminAccount::new(view, config, lists))
}
