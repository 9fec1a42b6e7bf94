//! Field rules of account types, actions, dictionary entries, external
//! accounts and contacts lists (FlexiAPI 2.x's, made precise).

use crate::input::Validator;

/// 1–64 lowercase ASCII letters, digits, `_` or `-` (Laravel's
/// `alpha_dash` plus FlexiAPI's "no uppercase").
pub fn is_key(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'))
}

/// 1–64 lowercase ASCII letters or digits (`alpha_num`, no uppercase).
pub fn is_code(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

pub const KEY_MESSAGE: &str =
    "The key must be 1 to 64 lowercase letters, digits, dashes or underscores.";

pub fn key<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    let key = v.required_string("key")?;
    v.check("key", is_key(key), KEY_MESSAGE);
    Some(key)
}

pub fn code<'a>(v: &mut Validator<'a>) -> Option<&'a str> {
    let code = v.required_string("code")?;
    v.check(
        "code",
        is_code(code),
        "The code must be 1 to 64 lowercase letters or digits.",
    );
    Some(code)
}

/// No control characters (NUL included, which PostgreSQL refuses), except
/// tabs and line breaks when `multiline`.
pub fn is_clean_text(value: &str, multiline: bool) -> bool {
    !value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// A required text of at most `max` characters.
pub fn text<'a>(
    v: &mut Validator<'a>,
    field: &str,
    max: usize,
    multiline: bool,
) -> Option<&'a str> {
    let value = v.required_string(field)?;
    v.check(
        field,
        value.chars().count() <= max,
        format!("The {field} must not be greater than {max} characters."),
    );
    v.check(
        field,
        is_clean_text(value, multiline),
        format!("The {field} must not contain control characters."),
    );
    Some(value)
}

/// A host name or address: ASCII letters, digits, `.`, `-`, `:`, `[`, `]`,
/// at most 64 characters.
pub fn is_host(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && !value.starts_with(['.', '-'])
}

/// A SIP user part: 1–64 ASCII letters, digits, `.`, `_`, `-`, `+`.
pub fn is_sip_username(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
}

/// A dictionary key from the path: 1–191 characters, no control
/// characters.
pub fn is_dictionary_key(value: &str) -> bool {
    (1..=191).contains(&value.chars().count()) && is_clean_text(value, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_codes() {
        assert!(is_key("door-1_a"));
        assert!(!is_key("Door"));
        assert!(!is_key(""));
        assert!(!is_key("a b"));
        assert!(!is_key(&"a".repeat(65)));
        assert!(is_code("12ab"));
        assert!(!is_code("1-2"));
        assert!(!is_code("AB"));
    }

    #[test]
    fn hosts_and_text() {
        assert!(is_host("sip.example.org"));
        assert!(is_host("192.168.0.1:5060"));
        assert!(!is_host("a b"));
        assert!(!is_host("-x.org"));
        assert!(is_clean_text("a\nb", true));
        assert!(!is_clean_text("a\nb", false));
        assert!(!is_clean_text("a\0b", true));
    }
}
