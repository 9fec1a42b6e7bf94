//! Request bodies: a JSON object read leniently, as liblinphone sends every
//! value as a string, and a validator that collects Laravel-style field
//! errors so that a request is rejected whole before anything is written.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldErrors};

/// Largest request body accepted anywhere (docs/api.md, "Errors").
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// A request body that must be a JSON object. An empty body counts as `{}`.
#[derive(Debug, Default)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("The request body could not be read.".into())
            }
        })?;
        JsonObject::parse(&bytes)
    }
}

impl JsonObject {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonObject::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(ApiError::BadRequest(
                "The request body must be a JSON object.".into(),
            )),
            Err(_) => Err(ApiError::BadRequest(
                "The request body is not valid JSON.".into(),
            )),
        }
    }

    pub fn validator(&self) -> Validator<'_> {
        Validator {
            body: &self.0,
            errors: FieldErrors::new(),
        }
    }
}

/// Reads fields of a JSON object and gathers every error before failing.
pub struct Validator<'a> {
    body: &'a Map<String, Value>,
    errors: FieldErrors,
}

impl<'a> Validator<'a> {
    /// Records an error on `field`.
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    /// Records an error on `field` unless `ok`.
    pub fn check(&mut self, field: &str, ok: bool, message: impl Into<String>) {
        if !ok {
            self.error(field, message);
        }
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    /// A present, non-null value (empty strings count as absent, as Laravel
    /// treats them).
    fn present(&self, field: &str) -> Option<&'a Value> {
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(value) => Some(value),
        }
    }

    /// An optional string field; any other JSON type is an error.
    pub fn optional_string(&mut self, field: &str) -> Option<&'a str> {
        match self.present(field)? {
            Value::String(s) => Some(s.as_str()),
            _ => {
                self.error(field, format!("The {field} must be a string."));
                None
            }
        }
    }

    /// A required string field.
    pub fn required_string(&mut self, field: &str) -> Option<&'a str> {
        if self.present(field).is_none() {
            self.error(field, format!("The {field} field is required."));
            return None;
        }
        self.optional_string(field)
    }

    /// An optional boolean, accepting `true`, `false`, `1`, `0` and their
    /// string forms.
    pub fn optional_bool(&mut self, field: &str) -> Option<bool> {
        let parsed = match self.present(field)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.as_str() {
                "1" | "true" => Some(true),
                "0" | "false" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.error(field, format!("The {field} field must be true or false."));
        }
        parsed
    }

    /// A field that must not be sent at all, whatever its value (Laravel's
    /// `missing`): a client asking for what the endpoint never grants is
    /// told so rather than silently ignored.
    pub fn missing(&mut self, field: &str) {
        if self.body.contains_key(field) {
            self.error(field, format!("The {field} field must be missing."));
        }
    }

    /// Ends validation: every error at once, as a 422.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Field rules shared by the endpoints (docs/api.md).
pub mod rules {
    /// 6–64 ASCII letters, digits, `.`, `_`, `-`, `+`.
    pub fn is_username(value: &str) -> bool {
        (6..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
    }

    /// At least 6 characters (and a sane upper bound).
    pub fn is_password(value: &str) -> bool {
        (6..=255).contains(&value.chars().count())
    }

    /// `+` followed by 6–15 digits.
    pub fn is_phone(value: &str) -> bool {
        value.strip_prefix('+').is_some_and(|digits| {
            (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        })
    }

    /// A plausible e-mail address: `local@domain.tld`, no spaces or control
    /// characters, at most 255 bytes, and one the mailer can address (its
    /// limits: a local part of 64 bytes, domain labels of 63): accepting
    /// another would only fail later, as a 503 when the mail goes out.
    pub fn is_email(value: &str) -> bool {
        plausible_email(value) && value.parse::<lettre::Address>().is_ok()
    }

    fn plausible_email(value: &str) -> bool {
        if value.len() > 255 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return false;
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return false;
        };
        !local.is_empty()
            && !local.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.contains('.')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && !local.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '\\'])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> JsonObject {
        JsonObject::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn non_objects_and_malformed_json_are_bad_requests() {
        for body in ["[1]", "\"x\"", "12", "{", "{\"a\":}", "null"] {
            let err = JsonObject::parse(body.as_bytes()).unwrap_err();
            assert!(matches!(err, ApiError::BadRequest(_)), "{body}");
        }
        assert!(JsonObject::parse(b"").unwrap().0.is_empty());
    }

    #[test]
    fn booleans_are_lenient_but_not_anything() {
        let body = object(r#"{"a":"1","b":0,"c":"false","d":true,"e":"yes","f":2,"g":[]}"#);
        let mut v = body.validator();
        assert_eq!(v.optional_bool("a"), Some(true));
        assert_eq!(v.optional_bool("b"), Some(false));
        assert_eq!(v.optional_bool("c"), Some(false));
        assert_eq!(v.optional_bool("d"), Some(true));
        assert_eq!(v.optional_bool("missing"), None);
        for bad in ["e", "f", "g"] {
            assert_eq!(v.optional_bool(bad), None);
            assert!(v.has_error(bad));
        }
    }

    #[test]
    fn strings_must_be_strings() {
        let body = object(r#"{"a":12,"b":"x","c":""}"#);
        let mut v = body.validator();
        assert_eq!(v.required_string("a"), None);
        assert_eq!(v.required_string("b"), Some("x"));
        assert_eq!(v.required_string("c"), None);
        let ApiError::Validation(errors) = v.finish().unwrap_err() else {
            panic!()
        };
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn field_rules() {
        use rules::*;
        assert!(is_username("foo.bar_+-9"));
        assert!(!is_username("short"));
        assert!(!is_username(&"a".repeat(65)));
        assert!(!is_username("héllo123"));
        assert!(!is_username("foo bar1"));
        assert!(!is_username("foo@bar.org"));
        assert!(is_phone("+33612345678"));
        assert!(!is_phone("0612345678"));
        assert!(!is_phone("+12345"));
        assert!(!is_phone("+1234567890123456"));
        assert!(!is_phone("+3361234567a"));
        assert!(is_password("secret"));
        assert!(!is_password("12345"));
        assert!(is_email("john.doe@example.org"));
        assert!(is_email(&format!("a@{}.org", "b".repeat(63))));
        assert!(is_email("jos\u{e9}@\u{e9}t\u{e9}.fr"));
        for bad in [
            "john",
            "john@",
            "@x.org",
            "john@localhost",
            "a b@x.org",
            "a@x..",
            "a@.x",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        // What lettre refuses to address (found by schemathesis: a 503).
        let long_label = format!("a@{}.org", "b".repeat(64));
        let long_local = format!("{}@x.org", "c".repeat(65));
        for bad in [long_label.as_str(), long_local.as_str(), "a@-x.org"] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
