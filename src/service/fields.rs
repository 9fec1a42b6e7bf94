//! Account fields read the same way by every endpoint that takes them
//! (admin creation, creation with a token, phone change), so a rule and its
//! message live in one place (docs/api.md, "`POST /api/accounts`").

use crate::auth::digest::Algorithm;
use crate::input::{Validator, rules};

pub const USERNAME_MESSAGE: &str =
    "The username must be 6 to 64 characters: letters, digits, '.', '_', '-' or '+'.";
pub const PHONE_MESSAGE: &str = "The phone must be a + followed by 6 to 15 digits.";

pub fn username<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    let username = v.required_string("username")?;
    v.check("username", rules::is_username(username), USERNAME_MESSAGE);
    Some(username)
}

pub fn password<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    let password = v.required_string("password")?;
    v.check(
        "password",
        rules::is_password(password),
        "The password must be at least 6 characters.",
    );
    Some(password)
}

pub fn algorithm(v: &mut Validator<'_>) -> Option<Algorithm> {
    let parsed = Algorithm::parse(v.required_string("algorithm")?);
    v.check(
        "algorithm",
        parsed.is_some(),
        "The algorithm must be MD5 or SHA-256.",
    );
    parsed
}

/// The algorithm of a new account's password: optional as in FlexiAPI
/// 2.1, `SHA-256` (upstream's default) when left out; a given value must
/// still be `MD5` or `SHA-256`.
pub fn algorithm_or_default(v: &mut Validator<'_>) -> Option<Algorithm> {
    let given = v.optional_string("algorithm");
    if v.has_error("algorithm") {
        return None;
    }
    let Some(given) = given else {
        return Some(Algorithm::Sha256);
    };
    let parsed = Algorithm::parse(given);
    v.check(
        "algorithm",
        parsed.is_some(),
        "The algorithm must be MD5 or SHA-256.",
    );
    parsed
}

/// The `phone` field when present, checked against the phone rule.
pub fn optional_phone<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    let phone = v.optional_string("phone")?;
    v.check("phone", rules::is_phone(phone), PHONE_MESSAGE);
    Some(phone)
}

pub fn required_phone<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    v.required_string("phone")?;
    optional_phone(v)
}

pub fn optional_email<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    let email = v.optional_string("email")?;
    v.check(
        "email",
        rules::is_email(email),
        "The email must be a valid email address.",
    );
    Some(email)
}

/// Values of `dtmf_protocol`, as FlexiAPI 2.x names them.
pub const DTMF_PROTOCOLS: [&str; 3] = ["sipinfo", "rfc2833", "sipmessage"];

/// Longest display name, in characters (the column's size).
pub const DISPLAY_NAME_MAX_CHARS: usize = 255;

/// The `display_name` field when present: at most 255 characters, no
/// control characters (PostgreSQL refuses NUL bytes; none belongs in a
/// name shown in a SIP `From`).
pub fn optional_display_name<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    let name = v.optional_string("display_name")?;
    v.check(
        "display_name",
        name.chars().count() <= DISPLAY_NAME_MAX_CHARS && !name.chars().any(char::is_control),
        "The display name must be at most 255 characters, without control characters.",
    );
    Some(name)
}

/// The `dtmf_protocol` field when present: `sipinfo`, `rfc2833` or
/// `sipmessage`.
pub fn optional_dtmf_protocol<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    let protocol = v.optional_string("dtmf_protocol")?;
    v.check(
        "dtmf_protocol",
        DTMF_PROTOCOLS.contains(&protocol),
        "The dtmf protocol must be sipinfo, rfc2833 or sipmessage.",
    );
    Some(protocol)
}
