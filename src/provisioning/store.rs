//! Provisioning keys (`accounts.confirmation_key`): finding the account a
//! key names, and consuming the key exactly once.

use chrono::NaiveDateTime;
use sea_orm::{ConnectionTrait, DbErr};
use subtle::ConstantTimeEq;

use super::assemble::AccountCredentials;
use crate::db::entities::account;
use crate::db::{Db, accounts, provisioning_tokens};

/// Keys shorter than this never provision: the 4-digit PINs of accounts
/// created with a phone would otherwise let anyone guess their way to an
/// account's HA1 in 10 000 requests. Admin and console keys have 13
/// characters.
pub const MIN_KEY_LEN: usize = 13;
/// Longer keys are not ours; not worth a query.
pub const MAX_KEY_LEN: usize = 64;

/// Whether `key` can be a stored key at all. Printable ASCII only: a NUL
/// byte or a character outside the column's charset would make some
/// databases fail the query instead of finding nothing.
fn plausible(key: &str) -> bool {
    (MIN_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The account named by a valid key whose activation has not expired (see
/// [`crate::service::codes::activation_key_expired`]). A blocked account's key
/// provisions nothing, as if it were unknown.
pub async fn find_valid<C: ConnectionTrait>(
    db: &C,
    key: &str,
    lifetime_minutes: Option<i64>,
    now: NaiveDateTime,
) -> Result<Option<account::Model>, DbErr> {
    if !plausible(key) {
        return Ok(None);
    }
    let mut found = provisioning_tokens::accounts_with_key(db, key).await?;
    // Two accounts sharing a key is not a key that proves anything.
    if found.len() != 1 {
        return Ok(None);
    }
    let account = found.remove(0);
    if account.blocked {
        return Ok(None);
    }
    // MySQL compares case-insensitively: insist on the exact bytes.
    let stored = account.confirmation_key.as_deref().unwrap_or_default();
    if !bool::from(stored.as_bytes().ct_eq(key.as_bytes())) {
        return Ok(None);
    }
    if crate::service::codes::activation_key_expired(db, &account, lifetime_minutes, now).await? {
        return Ok(None);
    }
    Ok(Some(account))
}

/// Consumes a valid key: activates the account and clears its key, and
/// returns what the provisioning XML needs. The conditional update is the
/// claim: of two concurrent visits (even on two nodes) only the one whose
/// update changed the row gets the credentials.
pub async fn consume(
    db: &Db,
    key: &str,
    lifetime_minutes: Option<i64>,
    now: NaiveDateTime,
) -> Result<Option<AccountCredentials>, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let Some(account) = find_valid(&txn, key, lifetime_minutes, now).await? else {
        return Ok(None);
    };
    if !provisioning_tokens::claim_key(&txn, account.id, key).await? {
        return Ok(None);
    }
    let passwords = accounts::passwords(&txn, account.id).await?;
    txn.commit().await?;
    tracing::info!(account_id = account.id, "account provisioned");
    Ok(Some(AccountCredentials {
        username: account.username,
        domain: account.domain,
        passwords: passwords
            .into_iter()
            .map(|p| (p.password, p.algorithm))
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_keys_reach_the_database() {
        assert!(plausible("abcdefghij123"));
        for key in [
            "",
            "1234",
            "abcdefghij12\0",
            "abcdefghij12é",
            "abcdefghij 12",
            &"a".repeat(65),
        ] {
            assert!(!plausible(key), "{key:?}");
        }
    }
}
