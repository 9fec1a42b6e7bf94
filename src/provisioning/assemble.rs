//! Assembles the provisioning sections: the rc file, plus for an account
//! `proxy_0`, one `auth_info_N` per password and the extra file.
//!
//! Merge rules (documented in docs/integrations.md, "Provisioning"):
//! - `proxy_0`: the rc file's `proxy_0` (kept in place, or a new section at
//!   the end), then `reg_identity` and `reg_sendregister=1`, then the extra
//!   file's `[proxy]`; if it still has no `reg_proxy`,
//!   `<sip:ACCOUNT_PROXY_REGISTRAR_ADDRESS;transport=tls>`.
//! - `auth_info_N`: an rc `auth_info_N` without `username` is a template: the
//!   account's passwords fill the templates first, in ascending N. An rc
//!   `auth_info_N` with a `username` holds other credentials and is never
//!   touched. Further passwords get new sections numbered after the highest
//!   N the rc file uses. Each then gets the extra file's `[auth_info]`.
//! - Other extra sections are merged into the same-named section, or
//!   appended. The extra file's values win over the rc file and ours.

use md5::{Digest, Md5};

use super::rc::{RcFiles, Section};
use crate::config::Config;

/// What provisioning needs to know of an account.
#[derive(Clone, Debug)]
pub struct AccountCredentials {
    pub username: String,
    pub domain: String,
    /// `(password, algorithm)` as stored: an HA1 for `MD5`/`SHA-256`, the
    /// clear password for `CLRTXT`.
    pub passwords: Vec<(String, String)>,
}

/// The configuration of a visit without a (valid) key: the rc file alone.
/// The extra file is only for accounts: its placeholders would have nothing
/// to stand for.
pub fn base(files: &RcFiles) -> Vec<Section> {
    files.rc.clone()
}

pub fn for_account(files: &RcFiles, config: &Config, account: &AccountCredentials) -> Vec<Section> {
    let mut sections = files.rc.clone();
    let sip = format!("sip:{}@{}", account.username, account.domain);
    let fill = |section: &Section| Section {
        name: section.name.clone(),
        entries: section
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), fill_placeholders(v, account, &sip)))
            .collect(),
    };
    let extra = |name: &str| files.extra.iter().find(|s| s.name == name).map(fill);

    let proxy = section_mut(&mut sections, "proxy_0");
    proxy.set("reg_identity", sip.as_str());
    proxy.set("reg_sendregister", "1");
    if let Some(extra_proxy) = extra("proxy") {
        proxy.merge(&extra_proxy);
    }
    if proxy.get("reg_proxy").is_none_or(str::is_empty) {
        let address = config
            .proxy_registrar_address
            .as_deref()
            .unwrap_or(&account.domain);
        proxy.set("reg_proxy", format!("<sip:{address};transport=tls>"));
    }

    let realm = config.realm_for(&account.domain);
    let extra_auth = extra("auth_info");
    let mut slots = AuthSlots::of(&sections);
    for (password, algorithm) in &account.passwords {
        let Some((ha1, algorithm)) = ha1(&account.username, realm, password, algorithm) else {
            tracing::warn!(
                algorithm = %algorithm,
                "password with an unknown algorithm left out of provisioning"
            );
            continue;
        };
        let auth = section_mut(&mut sections, &slots.next());
        auth.set("username", account.username.as_str());
        auth.set("domain", account.domain.as_str());
        auth.set("ha1", ha1);
        auth.set("realm", realm);
        auth.set("algorithm", algorithm);
        if let Some(extra_auth) = &extra_auth {
            auth.merge(extra_auth);
        }
    }

    for section in files.extra.iter().filter(|s| !is_account_template(&s.name)) {
        section_mut(&mut sections, &section.name).merge(&fill(section));
    }
    sections
}

fn is_account_template(name: &str) -> bool {
    name == "proxy" || name == "auth_info"
}

/// The section of that name, appended when missing.
fn section_mut<'a>(sections: &'a mut Vec<Section>, name: &str) -> &'a mut Section {
    let index = match sections.iter().position(|s| s.name == name) {
        Some(index) => index,
        None => {
            sections.push(Section::new(name));
            sections.len() - 1
        }
    };
    &mut sections[index]
}

/// Hands out `auth_info_N` names: the rc file's templates first, then
/// numbers after the highest one in use.
struct AuthSlots {
    templates: std::vec::IntoIter<u32>,
    next_free: u32,
}

impl AuthSlots {
    fn of(sections: &[Section]) -> Self {
        let numbered: Vec<(u32, &Section)> = sections
            .iter()
            .filter_map(|s| auth_info_number(&s.name).map(|n| (n, s)))
            .collect();
        let mut templates: Vec<u32> = numbered
            .iter()
            .filter(|(_, s)| s.get("username").is_none_or(str::is_empty))
            .map(|(n, _)| *n)
            .collect();
        templates.sort_unstable();
        let next_free = numbered
            .iter()
            .map(|(n, _)| n.saturating_add(1))
            .max()
            .unwrap_or(0);
        AuthSlots {
            templates: templates.into_iter(),
            next_free,
        }
    }

    fn next(&mut self) -> String {
        let n = self.templates.next().unwrap_or_else(|| {
            let n = self.next_free;
            self.next_free = self.next_free.saturating_add(1);
            n
        });
        format!("auth_info_{n}")
    }
}

/// `auth_info_N` with N written the way liblinphone writes it.
fn auth_info_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("auth_info_")?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

/// The HA1 and its algorithm for a stored password. A clear-text password
/// becomes an MD5 HA1: the XML never carries a password.
fn ha1(
    username: &str,
    realm: &str,
    password: &str,
    algorithm: &str,
) -> Option<(String, &'static str)> {
    match algorithm {
        "MD5" => Some((password.to_string(), "MD5")),
        "SHA-256" => Some((password.to_string(), "SHA-256")),
        "CLRTXT" => {
            let digest = Md5::digest(format!("{username}:{realm}:{password}"));
            Some((hex::encode(digest), "MD5"))
        }
        _ => None,
    }
}

/// Replaces `{username}`, `{domain}` and `{sip}` in one pass (a username
/// containing a brace is never expanded again); other braces stay.
fn fill_placeholders(value: &str, account: &AccountCredentials, sip: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let replaced = [
            ("{username}", account.username.as_str()),
            ("{domain}", account.domain.as_str()),
            ("{sip}", sip),
        ]
        .into_iter()
        .find(|(placeholder, _)| rest.starts_with(placeholder));
        match replaced {
            Some((placeholder, value)) => {
                out.push_str(value);
                rest = &rest[placeholder.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::provisioning::rc::parse;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_map(&map).unwrap()
    }

    fn alice(passwords: &[(&str, &str)]) -> AccountCredentials {
        AccountCredentials {
            username: "alice".into(),
            domain: "sip.example.org".into(),
            passwords: passwords
                .iter()
                .map(|(p, a)| (p.to_string(), a.to_string()))
                .collect(),
        }
    }

    fn files(rc: &str, extra: &str) -> RcFiles {
        RcFiles {
            rc: parse(rc).unwrap(),
            extra: parse(extra).unwrap(),
        }
    }

    fn names(sections: &[Section]) -> Vec<&str> {
        sections.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn clear_text_password_becomes_an_md5_ha1() {
        let sections = for_account(
            &RcFiles::default(),
            &config(&[("ACCOUNT_REALM", "realm.example")]),
            &alice(&[("secret", "CLRTXT")]),
        );
        let auth = &sections[1];
        let expected = hex::encode(Md5::digest("alice:realm.example:secret"));
        assert_eq!(auth.get("ha1"), Some(expected.as_str()));
        assert_eq!(auth.get("algorithm"), Some("MD5"));
        assert_eq!(auth.get("realm"), Some("realm.example"));
        assert!(!auth.entries.iter().any(|(_, v)| v == "secret"));
    }

    #[test]
    fn templates_fill_first_then_numbers_follow_the_highest() {
        let rc = "[auth_info_2]\nalgorithm=SHA-256\n\
                  [auth_info_0]\nusername=service\nha1=x\n\
                  [auth_info_05]\nusername=\n";
        let sections = for_account(
            &files(rc, ""),
            &config(&[]),
            &alice(&[("a", "MD5"), ("b", "SHA-256"), ("c", "MD5")]),
        );
        assert_eq!(
            names(&sections),
            [
                "auth_info_2",
                "auth_info_0",
                "auth_info_05",
                "proxy_0",
                "auth_info_3",
                "auth_info_4"
            ]
        );
        assert_eq!(sections[0].get("ha1"), Some("a"));
        assert_eq!(sections[1].get("username"), Some("service"));
        assert_eq!(sections[4].get("ha1"), Some("b"));
        assert_eq!(sections[5].get("ha1"), Some("c"));
    }

    #[test]
    fn unknown_algorithms_are_left_out() {
        let sections = for_account(
            &RcFiles::default(),
            &config(&[]),
            &alice(&[("x", "SHA-512"), ("h", "SHA-256")]),
        );
        assert_eq!(names(&sections), ["proxy_0", "auth_info_0"]);
        assert_eq!(sections[1].get("ha1"), Some("h"));
    }

    #[test]
    fn placeholders_fill_once_and_leave_other_braces() {
        let account = alice(&[]);
        assert_eq!(
            fill_placeholders(
                "{sip} {user} {username}{domain} {",
                &account,
                "sip:alice@sip.example.org"
            ),
            "sip:alice@sip.example.org {user} alicesip.example.org {"
        );
    }
}
