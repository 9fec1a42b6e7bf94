//! Random secrets, hashing of stored secrets and constant-time comparison.

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// `len` random ASCII letters and digits from the OS RNG.
pub fn random_alphanumeric(len: usize) -> String {
    (0..len)
        .map(|_| ALPHANUMERIC[OsRng.gen_range(0..ALPHANUMERIC.len())] as char)
        .collect()
}

/// A random numeric PIN of `len` digits (leading zeros kept).
pub fn random_digits(len: usize) -> String {
    (0..len)
        .map(|_| char::from(b'0' + OsRng.gen_range(0..10u8)))
        .collect()
}

/// SHA-256 hex of a secret that only this service reads back.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// HMAC-SHA-256 of `label` then `value` under `key` (the server secret):
/// values derived from `APP_KEY` that never reveal it.
pub fn hmac_sha256(key: &[u8], label: &[u8], value: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label);
    mac.update(value);
    mac.finalize().into_bytes().into()
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_have_the_asked_shape() {
        let key = random_alphanumeric(13);
        assert_eq!(key.len(), 13);
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(random_alphanumeric(40), random_alphanumeric(40));
        let pin = random_digits(4);
        assert_eq!(pin.len(), 4);
        assert!(pin.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
