//! Parser of the record the Flexisip proxy's CLI answers to `REGISTRAR_GET`
//! and `REGISTRAR_DELETE` (docs/flexisip.md, "Proxy CLI socket"). Three shapes have existed:
//!
//! 1. 2020–Aug 2021: `{"contacts":[{"expires_at": UNIX, "line_value_copy":
//!    "\"<urn:uuid:…>\"", "user_agent", "update_time": UNIX, …}]}`
//! 2. 2.1–2.4: the same with hyphenated keys (`expires-at`, `unique-id`,
//!    `user-agent`, `update-time`, …, `contact-id`), pretty-printed;
//! 3. current: shape 2 without `contact-id`.
//!
//! Each key is looked up under both spellings, so one reader takes all.

use serde_json::Value;

use super::Contact;

/// What the proxy answered.
#[derive(Debug, PartialEq, Eq)]
pub enum ProxyAnswer {
    Record(Vec<Contact>),
    /// A text starting with `Error` (e.g. `Error - 404 Not Found: …`): the
    /// proxy has no such record.
    Error,
}

/// `Err` carries a reason for the log, never shown to clients.
pub fn parse_answer(answer: &str) -> Result<ProxyAnswer, String> {
    let answer = answer.trim_start();
    if answer.starts_with("Error") {
        return Ok(ProxyAnswer::Error);
    }
    let json: Value =
        serde_json::from_str(answer).map_err(|e| format!("answer is not JSON: {e}"))?;
    let contacts = match &json {
        Value::Object(record) => match record.get("contacts") {
            Some(Value::Array(contacts)) => contacts,
            None | Some(Value::Null) => return Ok(ProxyAnswer::Record(Vec::new())),
            Some(_) => return Err("\"contacts\" is not a list".to_string()),
        },
        Value::Array(contacts) => contacts,
        _ => return Err("answer is neither a record nor a list".to_string()),
    };
    Ok(ProxyAnswer::Record(
        contacts
            .iter()
            .filter_map(|c| {
                contact_of(c)
                    .inspect_err(|reason| {
                        tracing::warn!(%reason, "skipping a proxy contact that cannot be read");
                    })
                    .ok()
            })
            .collect(),
    ))
}

fn contact_of(value: &Value) -> Result<Contact, String> {
    let unique_id =
        text(value, "unique-id", "line_value_copy").ok_or("no unique-id / line_value_copy")?;
    let expires_at = unix(value, "expires-at", "expires_at").ok_or("no expires-at")?;
    let update_time = unix(value, "update-time", "update_time").ok_or("no update-time")?;
    Ok(Contact {
        unique_id: unique_id.to_string(),
        update_time,
        expires_at,
        user_agent: text(value, "user-agent", "user_agent")
            .unwrap_or_default()
            .to_string(),
    })
}

fn field<'a>(value: &'a Value, current: &str, old: &str) -> Option<&'a Value> {
    value.get(current).or_else(|| value.get(old))
}

fn text<'a>(value: &'a Value, current: &str, old: &str) -> Option<&'a str> {
    field(value, current, old)?.as_str()
}

/// Unix seconds, as a JSON number or a string of digits.
fn unix(value: &Value, current: &str, old: &str) -> Option<i64> {
    match field(value, current, old)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(answer: &str) -> Vec<Contact> {
        match parse_answer(answer).unwrap() {
            ProxyAnswer::Record(contacts) => contacts,
            ProxyAnswer::Error => panic!("not a record"),
        }
    }

    fn expected(user_agent: &str) -> Contact {
        Contact {
            unique_id: "\"<urn:uuid:a1b2>\"".into(),
            update_time: 1_718_000_000,
            expires_at: 1_718_003_600,
            user_agent: user_agent.into(),
        }
    }

    #[test]
    fn first_shape_with_underscores() {
        let answer = r#"{"contacts":[{"uri":"sip:alice@1.2.3.4","expires_at":1718003600,"line_value_copy":"\"<urn:uuid:a1b2>\"","user_agent":"Linphone (x)","update_time":1718000000,"call_id":"c","cseq":3,"q":1.0,"path":[],"acceptHeaders":[],"contact_id":"id","alias":false}]}"#;
        assert_eq!(record(answer), [expected("Linphone (x)")]);
    }

    #[test]
    fn hyphenated_shapes_and_string_numbers() {
        let answer = r#"{
            "contacts": [
                {
                    "contact": "<sip:alice@1.2.3.4>",
                    "expires-at": "1718003600",
                    "unique-id": "\"<urn:uuid:a1b2>\"",
                    "user-agent": "UA",
                    "update-time": 1718000000,
                    "contact-id": "x"
                }
            ]
        }"#;
        assert_eq!(record(answer), [expected("UA")]);
    }

    #[test]
    fn unreadable_contacts_are_skipped_and_errors_recognised() {
        let answer = r#"{"contacts":[{"unique-id":"x"},{"unique-id":"\"<urn:uuid:a1b2>\"","expires-at":1718003600,"update-time":1718000000}]}"#;
        assert_eq!(record(answer), [expected("")]);
        assert_eq!(
            parse_answer("Error - 404 Not Found: no record").unwrap(),
            ProxyAnswer::Error
        );
        assert_eq!(record("{}"), []);
        assert!(parse_answer("").is_err());
        assert!(parse_answer("Unknown command").is_err());
        assert!(parse_answer(r#"{"contacts":3}"#).is_err());
    }
}
