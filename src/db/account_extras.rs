//! The two account columns of FlexiAPI 2.x that contacts and vCards show:
//! `dtmf_protocol` and `display_name`. They are read here by name, so this
//! module works whichever migration added them (see m20261201_000020).

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DbErr};

use super::entities::account;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountExtras {
    pub dtmf_protocol: Option<String>,
    pub display_name: Option<String>,
}

/// The extras of each of `account_ids`, in one query.
pub async fn of_accounts(
    conn: &impl ConnectionTrait,
    account_ids: &[i32],
) -> Result<HashMap<i32, AccountExtras>, DbErr> {
    let mut extras = HashMap::new();
    if account_ids.is_empty() {
        return Ok(extras);
    }
    let query = Query::select()
        .column(account::Column::Id)
        .column(Alias::new("dtmf_protocol"))
        .column(Alias::new("display_name"))
        .from(account::Entity)
        .and_where(Expr::col(account::Column::Id).is_in(account_ids.iter().copied()))
        .to_owned();
    for row in conn
        .query_all(conn.get_database_backend().build(&query))
        .await?
    {
        let id: i32 = row.try_get("", "id")?;
        extras.insert(
            id,
            AccountExtras {
                dtmf_protocol: row.try_get("", "dtmf_protocol")?,
                display_name: row.try_get("", "display_name")?,
            },
        );
    }
    Ok(extras)
}

pub async fn of_account(
    conn: &impl ConnectionTrait,
    account_id: i32,
) -> Result<AccountExtras, DbErr> {
    Ok(of_accounts(conn, &[account_id])
        .await?
        .remove(&account_id)
        .unwrap_or_default())
}
