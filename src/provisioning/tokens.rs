//! Provisioning tokens: the token of an account's provisioning link,
//! distinct from its activation key (`confirmation_key`). An account has
//! at most one; issuing a new one replaces it, so the previous link only
//! gives the base configuration. Single use, optionally expiring
//! (`APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES`), stored as SHA-256.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ConnectionTrait, DbErr};

use super::assemble::AccountCredentials;
use crate::db::entities::{account, provisioning_token};
use crate::db::{Db, accounts, provisioning_tokens};
use crate::secrets;

/// Random letters and digits of a token.
pub const TOKEN_LENGTH: usize = 20;
/// Longer path segments are not our tokens: not even hashed.
const MAX_PRESENTED_LEN: usize = 128;

fn hash(presented: &str) -> Option<String> {
    (!presented.is_empty() && presented.len() <= MAX_PRESENTED_LEN)
        .then(|| secrets::sha256_hex(presented))
}

/// Issues a new token for `account_id`, replacing its previous one, and
/// returns it in clear (the only time it is seen).
pub async fn issue(
    conn: &impl ConnectionTrait,
    account_id: i32,
    now: NaiveDateTime,
    expiration_minutes: Option<i64>,
) -> Result<String, DbErr> {
    let token = secrets::random_alphanumeric(TOKEN_LENGTH);
    let expires_at = expiration_minutes.map(|m| now + Duration::minutes(m));
    provisioning_tokens::replace(
        conn,
        account_id,
        secrets::sha256_hex(&token),
        expires_at,
        now,
    )
    .await?;
    Ok(token)
}

/// The account id of a live token (for the QR code: nothing consumed).
pub async fn find_live(
    conn: &impl ConnectionTrait,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Option<provisioning_token::Model>, DbErr> {
    let Some(hash) = hash(presented) else {
        return Ok(None);
    };
    provisioning_tokens::find_live(conn, hash, now).await
}

/// A live token of an account its link may still provision: not blocked,
/// and activated or awaiting its activation. An account awaiting it holds
/// its activation key; one an admin deactivated does not (deactivation
/// revokes the key), so no link turns an admin's deactivation around.
pub async fn find_usable(
    conn: &impl ConnectionTrait,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Option<(provisioning_token::Model, account::Model)>, DbErr> {
    let Some(row) = find_live(conn, presented, now).await? else {
        return Ok(None);
    };
    let Some(account) = accounts::find_by_id(conn, row.account_id).await? else {
        return Ok(None);
    };
    let usable =
        !account.blocked && (account.flexisip_activated || account.confirmation_key.is_some());
    Ok(usable.then_some((row, account)))
}

/// Consumes a usable token: the row's deletion is the claim (one visit
/// wins), an account awaiting its activation is activated (the link
/// proves possession, as the activation key does), and the credentials
/// are returned.
pub async fn consume(
    db: &Db,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Option<AccountCredentials>, DbErr> {
    // Most visits carry an activation key or nothing: a read answers them
    // without taking the write lock.
    if find_live(db, presented, now).await?.is_none() {
        return Ok(None);
    }
    let txn = crate::db::begin_write(db).await?;
    let Some((row, account)) = find_usable(&txn, presented, now).await? else {
        return Ok(None);
    };
    if !provisioning_tokens::claim(&txn, row.id).await? {
        return Ok(None);
    }
    if !account.flexisip_activated {
        accounts::set_activated(&txn, account.id, true).await?;
    }
    let credentials = credentials(&txn, row.account_id).await?;
    txn.commit().await?;
    tracing::info!(account_id = row.account_id, "account provisioned by token");
    Ok(credentials)
}

/// What the provisioning XML needs of an account; `None` for an account
/// that may not sign in (deactivated or blocked): no path hands out its HA1.
pub async fn credentials(
    conn: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<AccountCredentials>, DbErr> {
    let Some(account) = accounts::find_by_id(conn, account_id).await? else {
        return Ok(None);
    };
    if !account.may_authenticate() {
        return Ok(None);
    }
    let passwords = accounts::passwords(conn, account_id).await?;
    Ok(Some(AccountCredentials {
        username: account.username,
        domain: account.domain,
        passwords: passwords
            .into_iter()
            .map(|p| (p.password, p.algorithm))
            .collect(),
    }))
}
