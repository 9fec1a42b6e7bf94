//! Account fields read the same way by every endpoint that takes them
//! (admin creation, creation with a token, phone change), so a rule and its
//! message live in one place (SPEC §5.3 "Field rules").

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
