//! Checking a clear password against an account's stored passwords, for
//! the routes that ask for it (password change, panel login).

use crate::db::entities::password;
use crate::secrets;

/// True when `candidate` is the clear password behind one of `stored`:
/// `CLRTXT` is compared as is, `MD5`/`SHA-256` through their HA1 =
/// H(username:realm:password). Every comparison is constant-time.
pub fn matches_any(
    stored: &[password::Model],
    username: &str,
    realm: &str,
    candidate: &str,
) -> bool {
    stored
        .iter()
        .any(|s| is_password_of(s, username, realm, candidate))
}

fn is_password_of(stored: &password::Model, username: &str, realm: &str, candidate: &str) -> bool {
    if stored.algorithm == "CLRTXT" {
        return secrets::constant_time_eq(&stored.password, candidate);
    }
    super::digest::Algorithm::parse(&stored.algorithm).is_some_and(|algorithm| {
        secrets::constant_time_eq(
            &stored.password.to_ascii_lowercase(),
            &algorithm.ha1(username, realm, candidate),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::digest::Algorithm;

    fn row(password: &str, algorithm: &str) -> password::Model {
        password::Model {
            id: 1,
            account_id: 1,
            password: password.into(),
            algorithm: algorithm.into(),
        }
    }

    #[test]
    fn clear_and_hashed_passwords() {
        let md5 = row(&Algorithm::Md5.ha1("bob", "r", "secret"), "MD5");
        let sha = row(
            &Algorithm::Sha256
                .ha1("bob", "r", "secret")
                .to_ascii_uppercase(),
            "SHA-256",
        );
        let clear = row("secret", "CLRTXT");
        for stored in [md5, sha, clear] {
            let stored = [stored];
            assert!(matches_any(&stored, "bob", "r", "secret"));
            assert!(!matches_any(&stored, "bob", "r", "secreT"));
            assert!(
                !matches_any(&stored, "bob", "other", "secret") || stored[0].algorithm == "CLRTXT"
            );
        }
        assert!(!matches_any(&[], "bob", "r", "secret"));
        assert!(!matches_any(&[row("x", "SHA-1")], "bob", "r", "x"));
    }
}
