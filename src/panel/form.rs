//! Panel form bodies (`application/x-www-form-urlencoded`), read into the
//! same string-valued object the API's validators take, so that a panel
//! form and an API call are checked by the same code.

use percent_encoding::percent_decode;
use serde_json::{Map, Value};

use crate::input::JsonObject;

/// The body is not a form of UTF-8 text.
#[derive(Debug, PartialEq, Eq)]
pub struct NotAForm;

/// Parses `a=1&b=x+y`: `+` is a space, `%XX` a byte, and every name and
/// value must decode to UTF-8 (no lossy replacement, which could make two
/// different inputs equal). A name given twice keeps its first value.
pub fn parse(body: &[u8]) -> Result<JsonObject, NotAForm> {
    let mut fields = Map::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode(name)?;
        let value = decode(value)?;
        fields.entry(name).or_insert(Value::String(value));
    }
    Ok(JsonObject(fields))
}

fn decode(raw: &[u8]) -> Result<String, NotAForm> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|_| NotAForm)
}

/// A string field of a parsed form (`None` when missing or empty).
pub fn field<'a>(form: &'a JsonObject, name: &str) -> Option<&'a str> {
    form.0
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_names_and_values() {
        let form = parse(b"a=1&b=x+y%21&c&=v&a=2&d=%C3%A9").unwrap();
        assert_eq!(field(&form, "a"), Some("1"));
        assert_eq!(field(&form, "b"), Some("x y!"));
        assert_eq!(field(&form, "c"), None);
        assert_eq!(field(&form, "d"), Some("é"));
        assert!(parse(b"").unwrap().0.is_empty());
    }

    #[test]
    fn refuses_what_is_not_utf8() {
        assert_eq!(parse(b"a=%FF").err(), Some(NotAForm));
        assert_eq!(parse(b"a=\xff").err(), Some(NotAForm));
        assert_eq!(parse(b"%C3=1").err(), Some(NotAForm));
    }
}
