//! Auth tokens, the QR login: a new device creates a token (no account),
//! a device already logged in attaches it to its account, then the new
//! device exchanges it for an API key, once. The panel also creates tokens
//! already attached to the logged-in account, for its QR code.
//!
//! Tokens live [`LIFETIME_MINUTES`] (the PHP service's five minutes) and
//! are stored as SHA-256: the clear token exists only on the devices.
//! Each step is one conditional statement, so two concurrent requests
//! (even on two nodes) never both attach or both exchange a token.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::entities::auth_token;
use crate::db::{Db, auth_tokens};
use crate::secrets;

/// Validity of a token from its creation.
pub const LIFETIME_MINUTES: i64 = 5;
/// Random letters and digits of a token.
pub const TOKEN_LENGTH: usize = 32;
/// Longer path segments are not our tokens: not even hashed.
const MAX_PRESENTED_LEN: usize = 128;

/// A token just created, in clear (the only time it is seen).
pub struct NewToken {
    pub id: i32,
    pub token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

fn live_since(now: NaiveDateTime) -> NaiveDateTime {
    now - Duration::minutes(LIFETIME_MINUTES)
}

fn hash(presented: &str) -> Option<String> {
    (!presented.is_empty() && presented.len() <= MAX_PRESENTED_LEN)
        .then(|| secrets::sha256_hex(presented))
}

/// Creates a token, attached to `account_id` when given (the panel's QR
/// code; the account's previous tokens go). Expired tokens are purged on
/// the way: creation is the only time rows are added.
pub async fn create(
    conn: &impl ConnectionTrait,
    account_id: Option<i32>,
    now: NaiveDateTime,
) -> Result<NewToken, DbErr> {
    auth_tokens::purge_created_before(conn, live_since(now)).await?;
    if let Some(account_id) = account_id {
        auth_tokens::delete_of_account(conn, account_id).await?;
    }
    let token = secrets::random_alphanumeric(TOKEN_LENGTH);
    let row = auth_tokens::insert(conn, account_id, secrets::sha256_hex(&token), now).await?;
    Ok(NewToken {
        id: row.id,
        token,
        created_at: now,
        expires_at: now + Duration::minutes(LIFETIME_MINUTES),
    })
}

/// Attaches a live, unattached token to `account_id`; false when the token
/// is unknown, expired or already attached (to anyone).
pub async fn attach(
    db: &Db,
    presented: &str,
    account_id: i32,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let Some(hash) = hash(presented) else {
        return Ok(false);
    };
    auth_tokens::attach(db, hash, account_id, live_since(now), now).await
}

/// The account of a live, attached token, which is used up: the deletion
/// is the claim, so only one caller ever gets the account.
pub async fn take_attached(
    conn: &impl ConnectionTrait,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Option<i32>, DbErr> {
    let Some(row) = find_live(conn, presented, now).await? else {
        return Ok(None);
    };
    let Some(account_id) = row.account_id else {
        return Ok(None);
    };
    let claimed = auth_tokens::claim(conn, row.id, account_id).await?;
    Ok(claimed.then_some(account_id))
}

/// A live token, attached or not.
pub async fn find_live(
    conn: &impl ConnectionTrait,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Option<auth_token::Model>, DbErr> {
    let Some(hash) = hash(presented) else {
        return Ok(None);
    };
    auth_tokens::find_live(conn, hash, live_since(now)).await
}
