//! Codes sent to people to prove they own an address: their two shapes,
//! their generation, and the check of an account's pending confirmation
//! key with wrong tries counted (docs/integrations.md, "Rate limits").
//!
//! Every check compares in constant time, and every outcome is decided by
//! a conditional UPDATE, so concurrent guesses (even on several nodes)
//! never get more tries than `APP_CODE_MAX_ATTEMPTS`.

use chrono::NaiveDateTime;
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::entities::account;
use crate::db::{accounts, confirmation_keys};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::secrets;

/// Length of the confirmation key sent by e-mail (and of admin keys).
pub const KEY_LENGTH: usize = 13;
/// Digits of a PIN sent by SMS.
pub const PIN_LENGTH: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeKind {
    /// 13 letters and digits, sent by e-mail.
    Key,
    /// 4 digits, sent by SMS.
    Pin,
}

impl CodeKind {
    /// A new code from the OS RNG.
    pub fn generate(self) -> String {
        match self {
            CodeKind::Key => secrets::random_alphanumeric(KEY_LENGTH),
            CodeKind::Pin => secrets::random_digits(PIN_LENGTH),
        }
    }

    /// Whether `code` has this kind's shape. Only the length is asked of a
    /// key (docs/api.md): any other 13 characters are simply a wrong key.
    pub fn is_well_formed(self, code: &str) -> bool {
        match self {
            CodeKind::Key => code.chars().count() == KEY_LENGTH,
            CodeKind::Pin => code.len() == PIN_LENGTH && code.bytes().all(|b| b.is_ascii_digit()),
        }
    }

    fn shape_message(self) -> &'static str {
        match self {
            CodeKind::Key => "The code must be 13 characters.",
            CodeKind::Pin => "The code must be 4 digits.",
        }
    }

    /// The `code` field of a request body, of this kind; `422` otherwise.
    /// So an e-mail key never passes where a PIN is expected, nor the
    /// reverse.
    pub fn read(self, body: &JsonObject) -> ApiResult<&str> {
        let mut v = body.validator();
        let code = v.required_string("code");
        if let Some(code) = code {
            v.check("code", self.is_well_formed(code), self.shape_message());
        }
        v.finish()?;
        code.ok_or_else(|| ApiError::field("code", "The code field is required."))
    }
}

/// The outcome of presenting a confirmation key.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// The key was right: the account is activated and the key consumed.
    Accepted,
    /// A wrong key (a try taken).
    Wrong,
    /// No pending key, or no tries left (nothing compared).
    Rejected,
    /// The right key, past the account's activation expiry.
    Expired,
}

/// Presents `given` as the confirmation key of `account_id`. A right key
/// activates the account (the key proves possession of the address it was
/// sent to) and is consumed; the `max_attempts`-th wrong key drops the
/// pending one.
pub async fn consume_confirmation_key(
    db: &impl ConnectionTrait,
    account_id: i32,
    given: &str,
    max_attempts: u32,
    key_lifetime_minutes: Option<i64>,
    now: NaiveDateTime,
) -> Result<KeyCheck, DbErr> {
    let max = i32::try_from(max_attempts).unwrap_or(i32::MAX);
    // Take a try before comparing: counting after the comparison would let
    // a burst of concurrent guesses all be compared before any is counted.
    if !confirmation_keys::take_try(db, account_id, max).await? {
        return Ok(KeyCheck::Rejected);
    }
    let Some(account) = accounts::find_by_id(db, account_id).await? else {
        return Ok(KeyCheck::Rejected);
    };
    let right = account
        .confirmation_key
        .as_deref()
        .is_some_and(|stored| secrets::constant_time_eq(stored, given));

    if !right {
        // Whichever request used the last try drops the key.
        confirmation_keys::drop_if_spent(db, account_id, max).await?;
        return Ok(KeyCheck::Wrong);
    }

    if activation_key_expired(db, &account, key_lifetime_minutes, now).await? {
        // The right key is not a wrong try: give it back.
        confirmation_keys::give_back_try(db, account_id).await?;
        return Ok(KeyCheck::Expired);
    }

    // Still this key (not dropped or consumed meanwhile): the claim.
    Ok(if confirmation_keys::claim(db, account_id, given).await? {
        KeyCheck::Accepted
    } else {
        KeyCheck::Rejected
    })
}

/// Whether the account's activation key has expired: at the expiry an
/// admin set (`activation_expirations`), else `lifetime_minutes`
/// (`APP_ACTIVATION_KEY_EXPIRATION_MINUTES`) after the account's creation,
/// when the key was made. Expired at the deadline itself.
pub async fn activation_key_expired(
    db: &impl ConnectionTrait,
    account: &account::Model,
    lifetime_minutes: Option<i64>,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let deadline = match confirmation_keys::admin_expiry(db, account.id).await? {
        Some(expires) => Some(expires),
        None => lifetime_minutes.map(|m| account.creation_time + chrono::Duration::minutes(m)),
    };
    Ok(deadline.is_some_and(|deadline| deadline <= now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_have_their_shape() {
        for kind in [CodeKind::Key, CodeKind::Pin] {
            for _ in 0..50 {
                assert!(kind.is_well_formed(&kind.generate()), "{kind:?}");
            }
        }
        assert!(
            CodeKind::Key
                .generate()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
    }

    #[test]
    fn a_key_is_never_a_pin_and_the_reverse() {
        assert!(!CodeKind::Key.is_well_formed("0421"));
        assert!(!CodeKind::Pin.is_well_formed("aB3dE6gH9jK1m"));
        for bad in ["042", "04211", "04a1", "+421", "٠١٢٣"] {
            assert!(!CodeKind::Pin.is_well_formed(bad), "{bad}");
        }
        assert!(!CodeKind::Key.is_well_formed("aB3dE6gH9jK1"));
        assert!(CodeKind::Key.is_well_formed("aB3dE6gH9jK1!"));
    }
}
