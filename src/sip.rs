//! SIP addresses as they reach us: the `From` header, `{sip}` path segments
//! and console arguments.

use percent_encoding::percent_decode_str;

/// `user@domain`, both parts validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipAddress {
    pub username: String,
    pub domain: String,
}

impl std::fmt::Display for SipAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.username, self.domain)
    }
}

impl SipAddress {
    /// Parses `user@domain` (percent-encoded user parts accepted).
    pub fn parse_bare(value: &str) -> Option<Self> {
        let (user, domain) = value.rsplit_once('@')?;
        let username = percent_decode_str(user).decode_utf8().ok()?.into_owned();
        let domain = domain.to_ascii_lowercase();
        let valid_user = !username.is_empty()
            && username.len() <= 64
            && !username.chars().any(|c| {
                c.is_control() || c.is_whitespace() || matches!(c, '@' | ':' | ';' | '<' | '>')
            });
        let valid_domain = !domain.is_empty()
            && domain.len() <= 64
            && domain.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        (valid_user && valid_domain).then_some(SipAddress { username, domain })
    }

    /// Parses a `From` header: `sip:user@domain`, optionally in angle
    /// brackets, with a display name before and header parameters after.
    pub fn parse_from_header(value: &str) -> Option<Self> {
        let value = value.trim();
        let uri = match angle_start(value) {
            Some(start) => {
                let inner = &value[start + 1..];
                &inner[..inner.find('>')?]
            }
            None => value.split(';').next().unwrap_or_default(),
        };
        let uri = uri.trim();
        let rest = uri
            .strip_prefix("sip:")
            .or_else(|| uri.strip_prefix("sips:"))
            .or_else(|| uri.strip_prefix("SIP:"))?;
        // URI parameters (`;transport=…`) are not part of the address.
        let rest = rest.split([';', '?']).next().unwrap_or_default();
        Self::parse_bare(rest)
    }

    /// Parses a console argument: `user@domain` or `sip:user@domain`.
    pub fn parse_argument(value: &str) -> Option<Self> {
        if value.starts_with("sip:") || value.starts_with('<') {
            Self::parse_from_header(value)
        } else {
            Self::parse_bare(value)
        }
    }
}

/// Where the `<` of `["Display name"] <uri>` is: a `<` inside the quoted
/// display name does not count.
fn angle_start(value: &str) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(user: &str, domain: &str) -> Option<SipAddress> {
        Some(SipAddress {
            username: user.into(),
            domain: domain.into(),
        })
    }

    #[test]
    fn from_header_forms() {
        let expected = addr("foobar", "sip.example.org");
        for header in [
            "sip:foobar@sip.example.org",
            "<sip:foobar@sip.example.org>",
            "\"Foo\" <sip:foobar@sip.example.org>;tag=abc",
            "sip:foobar@sip.example.org;tag=abc",
            "<sip:foobar@sip.example.org;transport=tls>",
            "sip:foo%62ar@sip.example.org",
            "  sip:foobar@SIP.example.org ",
            // Found by the property tests: a `<` in the display name.
            "\"<\" <sip:foobar@sip.example.org;transport=tls>",
            "\"Foo \\\" <x>\" <sip:foobar@sip.example.org>",
        ] {
            assert_eq!(SipAddress::parse_from_header(header), expected, "{header}");
        }
    }

    #[test]
    fn bad_from_headers() {
        for header in [
            "",
            "foobar@sip.example.org",
            "sip:foobar",
            "sip:@sip.example.org",
            "sip:foo@",
            "<sip:foobar@sip.example.org",
            "sip:foo bar@x.org",
            "sip:foo%00bar@x.org",
            "sip:foo@x y.org",
            "http://x.org",
        ] {
            assert_eq!(SipAddress::parse_from_header(header), None, "{header:?}");
        }
    }

    #[test]
    fn bare_and_console_forms() {
        // An `@` hidden by percent-encoding is still not a username character.
        assert_eq!(SipAddress::parse_bare("foobar%40x@sip.example.org"), None);
        assert_eq!(SipAddress::parse_bare("user@d.org"), addr("user", "d.org"));
        assert_eq!(
            SipAddress::parse_argument("sip:user@d.org"),
            addr("user", "d.org")
        );
        assert_eq!(SipAddress::parse_argument("user"), None);
    }
}
