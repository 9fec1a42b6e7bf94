//! An independent Digest client (RFC 7616), written from the RFC and not
//! from the server's code, as belle-sip behaves: it takes the first
//! challenge it has credentials for and answers with `nc` counting up.

use md5::Md5;
use sha2::{Digest, Sha256};

#[derive(Clone, Debug)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: String,
    pub algorithm: String,
    pub qop: String,
}

/// Every `WWW-Authenticate` challenge of a response, in order.
pub fn challenges(response: &reqwest::Response) -> Vec<Challenge> {
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|value| parse(value.to_str().unwrap()))
        .collect()
}

fn parse(header: &str) -> Challenge {
    let rest = header.strip_prefix("Digest ").expect("a Digest challenge");
    let mut challenge = Challenge {
        realm: String::new(),
        nonce: String::new(),
        opaque: String::new(),
        algorithm: "MD5".into(),
        qop: String::new(),
    };
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=').unwrap();
        let value = value.trim_matches('"').to_string();
        match key {
            "realm" => challenge.realm = value,
            "nonce" => challenge.nonce = value,
            "opaque" => challenge.opaque = value,
            "algorithm" => challenge.algorithm = value,
            "qop" => challenge.qop = value,
            other => panic!("unexpected challenge parameter {other}"),
        }
    }
    challenge
}

pub fn h(algorithm: &str, data: &str) -> String {
    match algorithm {
        "MD5" => format!("{:x}", Md5::digest(data.as_bytes())),
        "SHA-256" => format!("{:x}", Sha256::digest(data.as_bytes())),
        other => panic!("unknown algorithm {other}"),
    }
}

/// The `Authorization` value answering `challenge`.
pub fn authorization(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    nc: u32,
) -> String {
    let ha1 = h(
        &challenge.algorithm,
        &format!("{username}:{}:{password}", challenge.realm),
    );
    authorization_with_ha1(challenge, username, &ha1, method, uri, nc)
}

pub fn authorization_with_ha1(
    challenge: &Challenge,
    username: &str,
    ha1: &str,
    method: &str,
    uri: &str,
    nc: u32,
) -> String {
    let nc = format!("{nc:08x}");
    let cnonce = "0a4f113b";
    let ha2 = h(&challenge.algorithm, &format!("{method}:{uri}"));
    let response = h(
        &challenge.algorithm,
        &format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", challenge.nonce),
    );
    format!(
        "Digest username=\"{username}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", algorithm=\"{}\", nc={nc}, cnonce=\"{cnonce}\", qop=auth, response=\"{response}\", opaque=\"{}\"",
        challenge.realm, challenge.nonce, challenge.algorithm, challenge.opaque
    )
}
