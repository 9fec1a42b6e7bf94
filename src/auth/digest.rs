//! HTTP Digest (RFC 7616) with MD5 and SHA-256: hashing, challenges and
//! parsing of the client's `Authorization` header. No I/O here.

use std::collections::HashMap;

use md5::Md5;
use sha2::{Digest, Sha256};

/// A digest algorithm a password can be hashed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    /// Parses `MD5` or `SHA-256` (the names stored and sent on the wire).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "MD5" => Some(Algorithm::Md5),
            "SHA-256" => Some(Algorithm::Sha256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Lowercase hex digest of `input`.
    pub fn hash(self, input: &str) -> String {
        match self {
            Algorithm::Md5 => hex::encode(Md5::digest(input.as_bytes())),
            Algorithm::Sha256 => hex::encode(Sha256::digest(input.as_bytes())),
        }
    }

    /// HA1 = H(username:realm:password), what `passwords.password` holds.
    pub fn ha1(self, username: &str, realm: &str, password: &str) -> String {
        self.hash(&format!("{username}:{realm}:{password}"))
    }
}

/// The `WWW-Authenticate` value offering `algorithm`.
pub fn challenge(realm: &str, algorithm: Algorithm, nonce: &str, opaque: &str) -> String {
    format!(
        "Digest realm=\"{}\",qop=\"auth\",algorithm={},nonce=\"{nonce}\",opaque=\"{opaque}\"",
        realm.replace(['"', '\\'], ""),
        algorithm.name()
    )
}

/// The parameters of a client's `Authorization: Digest …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub qop: String,
    pub nc: String,
    pub cnonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
}

impl Credentials {
    /// Parses the header value; `None` when it is not a well-formed Digest
    /// answer with every parameter `qop=auth` needs.
    pub fn parse(header: &str) -> Option<Self> {
        let rest = header.trim();
        let (scheme, rest) = rest.split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let params = parse_params(rest)?;
        let get = |key: &str| params.get(key).cloned();
        let algorithm = match get("algorithm") {
            None => Algorithm::Md5,
            Some(name) => Algorithm::parse(&name.to_ascii_uppercase())?,
        };
        let nc = get("nc")?;
        if nc.is_empty() || nc.len() > 8 || !nc.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Credentials {
            username: get("username")?,
            realm: get("realm")?,
            nonce: get("nonce")?,
            uri: get("uri")?,
            response: get("response")?.to_ascii_lowercase(),
            qop: get("qop")?,
            nc,
            cnonce: get("cnonce")?,
            opaque: get("opaque"),
            algorithm,
        })
    }

    /// The nonce count as a number.
    pub fn nc_value(&self) -> i64 {
        i64::from_str_radix(&self.nc, 16).unwrap_or(0)
    }

    /// The response the client should have sent for `ha1` and `method`.
    pub fn expected_response(&self, ha1: &str, method: &str) -> String {
        let ha2 = self.algorithm.hash(&format!("{method}:{}", self.uri));
        self.algorithm.hash(&format!(
            "{ha1}:{}:{}:{}:{}:{ha2}",
            self.nonce, self.nc, self.cnonce, self.qop
        ))
    }
}

/// Splits `key=value, key="quoted, value"` pairs (any order, spaces or not).
fn parse_params(input: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        chars.next()?; // '='
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => value.push(chars.next()?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        if params.insert(key, value).is_some() {
            // A parameter given twice is ambiguous: refuse.
            return None;
        }
    }
    Some(params)
}

/// The Digest `opaque`: an HMAC of a fixed label under the server secret,
/// so it is stable across nodes and never reveals `APP_KEY`.
pub fn opaque(app_key: &[u8]) -> String {
    let mac = crate::secrets::hmac_sha256(app_key, b"flexiapi digest opaque v1", b"");
    hex::encode(&mac[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1.
    const RFC_HEADER_TAIL: &str = r#"username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

    fn rfc_credentials(algorithm: &str) -> Credentials {
        Credentials::parse(&format!(
            "Digest {RFC_HEADER_TAIL}, algorithm={algorithm}, response=\"x\""
        ))
        .unwrap()
    }

    #[test]
    fn rfc_7616_md5_vector() {
        let c = rfc_credentials("MD5");
        let ha1 = Algorithm::Md5.ha1("Mufasa", "http-auth@example.org", "Circle of Life");
        assert_eq!(
            c.expected_response(&ha1, "GET"),
            "8ca523f5e9506fed4657c9700eebdbec"
        );
    }

    #[test]
    fn rfc_7616_sha256_vector() {
        let c = rfc_credentials("SHA-256");
        let ha1 = Algorithm::Sha256.ha1("Mufasa", "http-auth@example.org", "Circle of Life");
        assert_eq!(
            c.expected_response(&ha1, "GET"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn parses_unquoted_values_without_spaces_and_defaults_to_md5() {
        let c = Credentials::parse(
            "Digest username=bob,realm=r,nonce=n,uri=/api/x?y=1,nc=0000000a,cnonce=c,qop=auth,response=ABC",
        )
        .unwrap();
        assert_eq!(c.algorithm, Algorithm::Md5);
        assert_eq!(c.uri, "/api/x?y=1");
        assert_eq!(c.nc_value(), 10);
        assert_eq!(c.response, "abc");
        assert_eq!(c.opaque, None);
    }

    #[test]
    fn quoted_algorithm_and_commas_inside_quotes() {
        let c = Credentials::parse(
            r#"Digest username="a,b", realm="r", nonce="n", uri="/", nc=00000001, cnonce="c", qop=auth, response="r", algorithm="SHA-256""#,
        )
        .unwrap();
        assert_eq!(c.username, "a,b");
        assert_eq!(c.algorithm, Algorithm::Sha256);
    }

    #[test]
    fn refuses_incomplete_or_odd_headers() {
        for header in [
            "Basic dXNlcjpwYXNz",
            "Digest",
            "Digest username=a",
            "Digest username=a, realm=r, nonce=n, uri=/, nc=zz, cnonce=c, qop=auth, response=r",
            "Digest username=a, realm=r, nonce=n, uri=/, nc=000000001, cnonce=c, qop=auth, response=r",
            "Digest username=a, realm=r, nonce=n, uri=/, nc=1, cnonce=c, qop=auth, response=r, algorithm=SHA-1",
            "Digest username=a, username=b, realm=r, nonce=n, uri=/, nc=1, cnonce=c, qop=auth, response=r",
            "Digest username=\"unterminated, realm=r",
        ] {
            assert_eq!(Credentials::parse(header), None, "{header}");
        }
    }

    #[test]
    fn challenge_format() {
        assert_eq!(
            challenge("sip.example.org", Algorithm::Sha256, "N", "O"),
            "Digest realm=\"sip.example.org\",qop=\"auth\",algorithm=SHA-256,nonce=\"N\",opaque=\"O\""
        );
    }
}
