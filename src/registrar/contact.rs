//! Parser of one contact as Flexisip stores it in Redis (docs/flexisip.md, "Registrar in Redis"):
//! the Contact header with Flexisip's parameters on the URI, a URI query
//! `?path=…&accept=…&user-agent=…`, then the header parameters, e.g.
//!
//! ```text
//! <sip:alice@host;transport=tls;…;expires=3600;cseq=21;updatedAt=1718000000;alias=no?path=…&accept=&user-agent=Linphone%20…>;+sip.instance="<urn:uuid:…>";…
//! ```
//!
//! Pure string work, no I/O: the Redis backend calls it for each field.

use percent_encoding::percent_decode_str;

/// What we need of a stored contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredContact {
    /// The raw `+sip.instance` header parameter (quotes and brackets kept).
    pub instance: Option<String>,
    /// `updatedAt`: unix seconds of the last REGISTER.
    pub updated_at: i64,
    /// `updatedAt + expires`.
    pub expires_at: i64,
    /// The `user-agent` query value, unescaped; empty when absent.
    pub user_agent: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("no <URI> in the contact")]
    NoUri,
    #[error("URI parameter {0} is missing")]
    Missing(&'static str),
    #[error("URI parameter {0} is not a non-negative number")]
    NotANumber(&'static str),
    #[error("updatedAt + expires overflows")]
    Overflow,
}

pub fn parse(value: &str) -> Result<StoredContact, ContactError> {
    let (uri, header_params) = split_angle_uri(value).ok_or(ContactError::NoUri)?;
    let (uri_part, query) = uri.split_once('?').unwrap_or((uri, ""));

    // The first segment is `sip:user@host:port`; the rest are parameters.
    let uri_params: Vec<(&str, &str)> = uri_part.split(';').skip(1).map(name_value).collect();
    let expires = number_param(&uri_params, "expires")?;
    let updated_at = number_param(&uri_params, "updatedAt")?;
    let expires_at = updated_at
        .checked_add(expires)
        .ok_or(ContactError::Overflow)?;

    let user_agent = query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
        .map(|(_, v)| percent_decode_str(v).decode_utf8_lossy().into_owned())
        .unwrap_or_default();

    let instance = split_outside_quotes(header_params, ';')
        .into_iter()
        .map(|p| name_value(p.trim()))
        .find(|(name, _)| name.eq_ignore_ascii_case("+sip.instance"))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty());

    Ok(StoredContact {
        instance,
        updated_at,
        expires_at,
        user_agent,
    })
}

/// Splits `["Name"] <uri>params` into the URI (without brackets) and what
/// follows `>`. A `<` inside a quoted display name does not count; the URI
/// itself never holds a raw `>` (Flexisip escapes its query values).
fn split_angle_uri(value: &str) -> Option<(&str, &str)> {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = None;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => {
                start = Some(i);
                break;
            }
            _ => {}
        }
    }
    let start = start? + 1;
    let len = value[start..].find('>')?;
    Some((&value[start..start + len], &value[start + len + 1..]))
}

/// Splits on `sep`, except inside double-quoted strings (a quoted
/// parameter value may hold the separator).
fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut escaped = false;
    let mut from = 0;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            c if c == sep && !in_quotes => {
                parts.push(&text[from..i]);
                from = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[from..]);
    parts
}

fn name_value(param: &str) -> (&str, &str) {
    param.split_once('=').unwrap_or((param, ""))
}

/// A URI parameter holding unix seconds or a duration (names are
/// case-insensitive in SIP; the first occurrence wins).
fn number_param(params: &[(&str, &str)], name: &'static str) -> Result<i64, ContactError> {
    let (_, value) = params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .ok_or(ContactError::Missing(name))?;
    value
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or(ContactError::NotANumber(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example value of docs/flexisip.md, "Registrar in Redis", verbatim.
    const EXAMPLE: &str = r#"<sip:alice@192.168.1.20:45654;transport=tls;pn-provider=fcm;pn-param=929724111839;pn-prid=cXyZ0:APA91bHq;fs-conn-id=55d4a1e3c2b0;callid=3eFhd~yN5q;expires=3600;cseq=21;updatedAt=1718000000;alias=no;usedAsRoute=no?path=%3Csip%3Aproxy.example.org%3A5059%3Btransport%3Dtcp%3Blr%3E&accept=&user-agent=LinphoneAndroid/5.2.5%20(Pixel%207)%20LinphoneSDK/5.3.47%20(tags/5.3.47)>;+sip.instance="<urn:uuid:a1b2c3d4-0000-4000-8000-0123456789ab>";+org.linphone.specs="lime,groupchat/1.1,ephemeral/1.1,conference/1.0""#;

    #[test]
    fn parses_the_documented_example() {
        let contact = parse(EXAMPLE).unwrap();
        assert_eq!(
            contact,
            StoredContact {
                instance: Some("\"<urn:uuid:a1b2c3d4-0000-4000-8000-0123456789ab>\"".into()),
                updated_at: 1_718_000_000,
                expires_at: 1_718_003_600,
                user_agent: "LinphoneAndroid/5.2.5 (Pixel 7) LinphoneSDK/5.3.47 (tags/5.3.47)"
                    .into(),
            }
        );
    }

    #[test]
    fn user_agent_is_percent_decoded_and_plus_kept() {
        let value = "<sip:a@h;expires=60;updatedAt=100?path=&accept=&user-agent=Foo%2FBar+1%20%C3%A9t%C3%A9%20%3Cx%3E%26y>";
        let contact = parse(value).unwrap();
        assert_eq!(contact.user_agent, "Foo/Bar+1 été <x>&y");
        assert_eq!(contact.expires_at, 160);
        assert_eq!(contact.instance, None);
    }

    #[test]
    fn empty_or_absent_user_agent_is_empty() {
        let with_empty = "<sip:a@h;expires=60;updatedAt=100?path=&accept=&user-agent=>";
        assert_eq!(parse(with_empty).unwrap().user_agent, "");
        let without_query = "<sip:a@h;expires=60;updatedAt=100>";
        assert_eq!(parse(without_query).unwrap().user_agent, "");
    }

    #[test]
    fn missing_or_bad_fields_are_errors() {
        assert_eq!(parse(""), Err(ContactError::NoUri));
        assert_eq!(parse("garbage"), Err(ContactError::NoUri));
        assert_eq!(parse("<sip:a@h;expires=60"), Err(ContactError::NoUri));
        assert_eq!(
            parse("<sip:a@h;updatedAt=100?user-agent=x>"),
            Err(ContactError::Missing("expires"))
        );
        assert_eq!(
            parse("<sip:a@h;expires=60?user-agent=x>"),
            Err(ContactError::Missing("updatedAt"))
        );
        assert_eq!(
            parse("<sip:a@h;expires=soon;updatedAt=100>"),
            Err(ContactError::NotANumber("expires"))
        );
        assert_eq!(
            parse("<sip:a@h;expires=60;updatedAt=-5>"),
            Err(ContactError::NotANumber("updatedAt"))
        );
        assert_eq!(
            parse(&format!("<sip:a@h;expires={};updatedAt=1>", i64::MAX)),
            Err(ContactError::Overflow)
        );
    }

    #[test]
    fn expires_in_the_query_or_header_params_is_not_the_uri_one() {
        // Only URI parameters count: a header parameter `expires` is the
        // client's request, not what Flexisip granted.
        let value = "<sip:a@h;updatedAt=100?user-agent=expires%3D5>;expires=60";
        assert_eq!(parse(value), Err(ContactError::Missing("expires")));
    }

    #[test]
    fn display_names_and_quoted_separators_are_handled() {
        let value = r#""Al <ice>; x" <sip:a@h;expires=60;updatedAt=100>;foo="a;+sip.instance=b";+SIP.INSTANCE="<urn:uuid:1>""#;
        let contact = parse(value).unwrap();
        assert_eq!(contact.instance.as_deref(), Some("\"<urn:uuid:1>\""));
        assert_eq!(contact.updated_at, 100);
    }
}
