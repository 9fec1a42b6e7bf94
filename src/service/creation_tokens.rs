//! Account creation tokens and account creation request tokens (issue 10,
//! as the PHP FlexiAPI 2.x): a single-use token proves that an account is
//! created by a real app (pushed to its device), an admin, or a person who
//! validated a request token on the panel (optionally with a captcha).
//!
//! Tokens are 13 letters and digits, as PHP's, and are stored as their
//! SHA-256: a lookup by hash needs no constant-time comparison, and the
//! table gives nothing usable if it leaks. Every claim is one conditional
//! UPDATE, so a token is used once even by concurrent requests on several
//! nodes.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ConnectionTrait, DbErr, Set};

use crate::client::Client;
use crate::config::Config;
use crate::db::creation_tokens as store;
use crate::db::entities::{
    account_creation_request_token as request_token, account_creation_token as creation_token,
    account_recovery_token as recovery_token,
};
use crate::db::push_tokens::{Device, TokenTable};
use crate::secrets;

/// Letters and digits of every token of these flows.
pub const TOKEN_LENGTH: usize = 13;

/// Whether `given` can be a token at all: checked before any query, so a
/// NUL or a huge value never reaches the database.
pub fn is_well_formed(given: &str) -> bool {
    given.len() == TOKEN_LENGTH && given.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A new token and the hash that is stored.
pub fn new_token() -> (String, String) {
    let token = secrets::random_alphanumeric(TOKEN_LENGTH);
    let hash = secrets::sha256_hex(&token);
    (token, hash)
}

/// Tokens created at or before this are expired; `None`: they never expire
/// (`APP_ACCOUNT_CREATION_TOKEN_EXPIRATION_MINUTES` unset or 0).
pub fn expired_until(config: &Config, now: NaiveDateTime) -> Option<NaiveDateTime> {
    config
        .account_creation_token_expiration_minutes
        .map(|minutes| now - Duration::minutes(minutes))
}

/// When a creation token made at `created_at` stops working, as the PHP
/// service shows it (ISO 8601), or `None` when tokens do not expire.
pub fn expire_at(config: &Config, created_at: NaiveDateTime) -> Option<String> {
    config
        .account_creation_token_expiration_minutes
        .map(|minutes| iso8601(created_at + Duration::minutes(minutes)))
}

/// Laravel's `toJSON()` of a date: `2026-12-01T13:45:00.000000Z`.
pub fn iso8601(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Stores a new creation token not tied to a device (an admin's, or one
/// exchanged for a request token); returns the token.
pub async fn insert_unpushed(
    conn: &impl ConnectionTrait,
    client: Option<&Client>,
    now: NaiveDateTime,
) -> Result<(String, creation_token::Model), DbErr> {
    let (token, hash) = new_token();
    let row = store::insert_unpushed(
        conn,
        hash,
        client.map(|c| c.ip.to_string()),
        client.and_then(|c| c.user_agent.clone()),
        now,
    )
    .await?;
    Ok((token, row))
}

/// Claims the live, unused creation token `given` for `account_id`: true
/// when this call used it. Run in the transaction that inserts the account,
/// so a refused account leaves the token unused.
pub async fn claim(
    conn: &impl ConnectionTrait,
    config: &Config,
    given: &str,
    account_id: i32,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    if !is_well_formed(given) {
        return Ok(false);
    }
    let hash = secrets::sha256_hex(given);
    store::claim(conn, &hash, account_id, expired_until(config, now), now).await
}

/// Whether `account_id` consumed a creation token (it was created with
/// one, or consumed one later).
pub async fn consumed_by(conn: &impl ConnectionTrait, account_id: i32) -> Result<bool, DbErr> {
    store::consumed_by(conn, account_id).await
}

/// Upstream's rule for phone and e-mail change requests, when configured
/// (`APP_PHONE_EMAIL_CHANGE_NEEDS_CREATION_TOKEN`): only an account that
/// consumed a creation token (a real app's) may ask, as each request costs
/// an SMS or a mail.
pub async fn check_may_request_changes(
    state: &crate::state::AppState,
    account_id: i32,
) -> Result<(), crate::error::ApiError> {
    if state.config.changes_need_creation_token && !consumed_by(&state.db, account_id).await? {
        return Err(crate::error::ApiError::Forbidden(
            "Account unvalidated".to_string(),
        ));
    }
    Ok(())
}

/// When the creation token `given` was made (for its `expire_at`).
pub async fn created_at(
    conn: &impl ConnectionTrait,
    given: &str,
) -> Result<Option<NaiveDateTime>, DbErr> {
    let found = store::find(conn, &secrets::sha256_hex(given)).await?;
    Ok(found.map(|row| row.created_at))
}

/// True when `given` is a live, unused creation token (for the 422 of a
/// request whose other fields are also wrong; [`claim`] decides).
pub async fn is_live(
    conn: &impl ConnectionTrait,
    config: &Config,
    given: &str,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    if !is_well_formed(given) {
        return Ok(false);
    }
    let found = store::find_unused(conn, &secrets::sha256_hex(given)).await?;
    let until = expired_until(config, now);
    Ok(found.is_some_and(|row| until.is_none_or(|until| row.created_at > until)))
}

/// A new request token; returns it.
pub async fn insert_request(
    conn: &impl ConnectionTrait,
    now: NaiveDateTime,
) -> Result<String, DbErr> {
    let (token, hash) = new_token();
    store::insert_request(conn, hash, now).await?;
    Ok(token)
}

/// The URL of the panel page where a person validates `token`.
pub fn validation_url(config: &Config, token: &str) -> String {
    format!("{}/creation_request/{token}", config.app_url)
}

/// The unused, unexpired request token `given` (validated or not).
pub async fn find_request(
    conn: &impl ConnectionTrait,
    config: &Config,
    given: &str,
    now: NaiveDateTime,
) -> Result<Option<request_token::Model>, DbErr> {
    if !is_well_formed(given) {
        return Ok(None);
    }
    let found = store::find_unused_request(conn, &secrets::sha256_hex(given)).await?;
    let until = expired_until(config, now);
    Ok(found.filter(|row| until.is_none_or(|until| row.created_at > until)))
}

/// Marks a request token validated by a person; false when it was already
/// validated, used or gone.
pub async fn validate_request(
    conn: &impl ConnectionTrait,
    id: i32,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    store::validate_request(conn, id, now).await
}

/// Exchanges a validated request token for a new creation token, once:
/// `None` when `given` is unknown, used, expired or not validated.
pub async fn exchange_request(
    db: &crate::db::Db,
    config: &Config,
    given: &str,
    client: &Client,
    now: NaiveDateTime,
) -> Result<Option<(String, creation_token::Model)>, DbErr> {
    let Some(request) = find_request(db, config, given, now).await? else {
        return Ok(None);
    };
    if request.validated_at.is_none() {
        return Ok(None);
    }
    let txn = crate::db::begin_write(db).await?;
    let (token, row) = insert_unpushed(&txn, Some(client), now).await?;
    if !store::claim_request(&txn, request.id, row.id, now).await? {
        // Another request exchanged it first: nothing of ours is kept.
        txn.rollback().await?;
        return Ok(None);
    }
    txn.commit().await?;
    Ok(Some((token, row)))
}

/// The two tables of tokens pushed to devices (creation and recovery) have
/// the same columns and keep the token's hash.
macro_rules! hashed_token_table {
    ($entity:ident) => {
        impl TokenTable for $entity::Entity {
            fn id() -> $entity::Column {
                $entity::Column::Id
            }
            fn pn_provider() -> $entity::Column {
                $entity::Column::PnProvider
            }
            fn pn_param() -> $entity::Column {
                $entity::Column::PnParam
            }
            fn pn_prid() -> $entity::Column {
                $entity::Column::PnPrid
            }
            fn used() -> $entity::Column {
                $entity::Column::Used
            }
            fn created_at() -> $entity::Column {
                $entity::Column::CreatedAt
            }
            fn new_row(
                device: &Device,
                token: &str,
                (ip, user_agent): (&str, Option<&str>),
                now: NaiveDateTime,
            ) -> $entity::ActiveModel {
                $entity::ActiveModel {
                    token_hash: Set(secrets::sha256_hex(token)),
                    pn_provider: Set(Some(device.provider.clone())),
                    pn_param: Set(Some(device.param.clone())),
                    pn_prid: Set(Some(device.prid.clone())),
                    used: Set(false),
                    account_id: Set(None),
                    ip: Set(Some(ip.to_string())),
                    user_agent: Set(user_agent.map(str::to_string)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            }
        }
    };
}

hashed_token_table!(creation_token);
hashed_token_table!(recovery_token);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_php_shape_and_others_are_refused() {
        let (token, hash) = new_token();
        assert!(is_well_formed(&token));
        assert_eq!(hash, secrets::sha256_hex(&token));
        for bad in [
            "",
            "short",
            "aaaaaaaaaaaa\0",
            "aaaaaaaaaaaaé",
            "aaaaaaaaaaaaaa",
        ] {
            assert!(!is_well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn expiry_is_iso8601_like_laravel() {
        let at = crate::clock::parse_datetime("2026-12-01 13:45:00").unwrap();
        assert_eq!(iso8601(at), "2026-12-01T13:45:00.000000Z");
    }
}
