//! Devices: the contacts a user has registered with Flexisip's registrar
//! (docs/flexisip.md, "Registrar in Redis" and "Proxy CLI socket").
//!
//! Flexisip keeps registrations either in Redis (multi-node deployments) or
//! in the proxy's memory, reachable through its CLI socket. [`Registrar`]
//! hides which one; both backends turn what they read into [`Contact`]s and
//! this module turns those into the API's [`Device`]s.

pub mod contact;
pub mod proxy_record;
pub mod proxy_socket;
pub mod redis;

use serde::Serialize;

use crate::clock::format_datetime;
use crate::config::Config;
use crate::error::ApiError;

pub use self::proxy_socket::ProxySocketRegistrar;
pub use self::redis::RedisRegistrar;

/// A registered device, as the API shows it (docs/api.md, "The account object").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    pub uuid: String,
    /// `Y-m-d H:i:s`, UTC.
    pub update_time: String,
    /// `Y-m-d H:i:s`, UTC.
    pub expires_at: String,
    pub user_agent: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrarError {
    #[error(
        "Devices are unavailable: no registrar is configured; set REDIS_URL (Flexisip's registrar \
         Redis) or APP_FLEXISIP_PROXY_PID (the Flexisip proxy's pid file)"
    )]
    NotConfigured,
    /// The registrar could not be read; the text says which part failed and
    /// is safe to show (details are logged, not carried here).
    #[error("The registrar is unavailable: {0}")]
    Unavailable(String),
    #[error("Device not found")]
    NotFound,
    /// The uuid is not a device instance id (see [`is_device_uuid`]);
    /// refused before anything is sent to the registrar.
    #[error("The uuid must be a device instance id such as urn:uuid:…")]
    InvalidUuid,
    /// The SIP address has characters that cannot be part of one.
    #[error("The SIP address is not valid")]
    InvalidAddress,
}

impl From<RegistrarError> for ApiError {
    fn from(err: RegistrarError) -> Self {
        let message = err.to_string();
        match err {
            RegistrarError::NotConfigured | RegistrarError::Unavailable(_) => {
                ApiError::Unavailable(message)
            }
            RegistrarError::NotFound => ApiError::NotFound(message),
            RegistrarError::InvalidUuid => ApiError::field("uuid", message),
            RegistrarError::InvalidAddress => ApiError::field("from", message),
        }
    }
}

/// One contact of a record, as either backend reads it, before expiry is
/// checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// Flexisip's unique id of the contact, raw: usually the `+sip.instance`
    /// value with its quotes and angle brackets.
    pub unique_id: String,
    /// Unix seconds of the last REGISTER.
    pub update_time: i64,
    /// Unix seconds when the registration ends.
    pub expires_at: i64,
    pub user_agent: String,
}

impl Contact {
    /// The device uuid: the unique id without its `"<` and `>"`.
    pub fn uuid(&self) -> &str {
        uuid_of_unique_id(&self.unique_id)
    }
}

/// Strips the quotes, then the angle brackets, around a unique id:
/// `"<urn:uuid:…>"` becomes `urn:uuid:…`. Other forms are kept as they are.
pub fn uuid_of_unique_id(raw: &str) -> &str {
    let raw = raw.trim();
    let unquoted = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    unquoted
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(unquoted)
}

/// Longest uuid accepted; a UUID URN is 45 characters.
const MAX_UUID_LEN: usize = 128;

/// Whether `uuid` may name a device in a delete.
///
/// The rule: a URN (RFC 8141), `urn:` + namespace id + `:` + specific
/// string, at most 128 characters, where the namespace id is letters,
/// digits and `-`, and the specific string is letters, digits and
/// `- . _ :`. That accepts every instance id RFC 5626 clients send
/// (`urn:uuid:…` for Linphone, `urn:gsma:imei:…`) and refuses anything that
/// could change the meaning of a command: spaces, quotes, angle brackets,
/// `;`, `*`, `%`, control characters. Contacts registered without such an id
/// are still listed, but only expire by themselves.
pub fn is_device_uuid(uuid: &str) -> bool {
    if uuid.len() > MAX_UUID_LEN {
        return false;
    }
    let Some(rest) = uuid
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("urn:"))
        .map(|_| &uuid[4..])
    else {
        return false;
    };
    let Some((nid, nss)) = rest.split_once(':') else {
        return false;
    };
    !nid.is_empty()
        && nid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !nss.is_empty()
        && nss
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
}

/// Refuses a user or domain that could not be part of `sip:user@domain`,
/// so that no backend ever puts separators of its protocol in a command.
fn check_address(username: &str, domain: &str) -> Result<(), RegistrarError> {
    let part_ok = |part: &str| {
        !part.is_empty()
            && part.len() <= 255
            && !part
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "\"'<>@;?\\".contains(c))
    };
    if part_ok(username) && part_ok(domain) {
        Ok(())
    } else {
        Err(RegistrarError::InvalidAddress)
    }
}

/// Keeps the contacts that have not expired at `now_unix` and orders them by
/// expiry, then uuid (a stable order for the JSON object).
pub fn into_devices(contacts: Vec<Contact>, now_unix: i64) -> Vec<Device> {
    let mut live: Vec<Contact> = contacts
        .into_iter()
        .filter(|c| c.expires_at > now_unix && !c.uuid().is_empty())
        .collect();
    live.sort_by(|a, b| (a.expires_at, a.uuid()).cmp(&(b.expires_at, b.uuid())));
    live.into_iter()
        .filter_map(|c| {
            Some(Device {
                uuid: c.uuid().to_string(),
                update_time: format_unix(c.update_time)?,
                expires_at: format_unix(c.expires_at)?,
                user_agent: c.user_agent,
            })
        })
        .collect()
}

fn format_unix(seconds: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| format_datetime(&t.naive_utc()))
}

/// The API's device list: an object keyed by uuid, in the given order.
pub fn devices_object(devices: &[Device]) -> serde_json::Map<String, serde_json::Value> {
    devices
        .iter()
        .map(|d| {
            (
                d.uuid.clone(),
                serde_json::to_value(d).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect()
}

/// Where devices are read from, chosen by configuration.
#[derive(Clone, Debug)]
pub enum Registrar {
    Redis(RedisRegistrar),
    ProxySocket(ProxySocketRegistrar),
    /// Neither Redis nor the proxy's pid file is configured.
    Disabled,
}

impl Registrar {
    /// Redis when `REDIS_URL` (or `REDIS_HOST`…) is set, else the proxy's CLI
    /// socket when `APP_FLEXISIP_PROXY_PID` is set. Never connects: the
    /// service must start while Redis or the proxy is down.
    pub fn from_config(config: &Config) -> anyhow::Result<Registrar> {
        if let Some(url) = &config.redis_url {
            let redis = RedisRegistrar::new(url.expose(), RedisRegistrar::DEFAULT_TIMEOUT)?;
            return Ok(Registrar::Redis(redis));
        }
        if let Some(pid_file) = &config.proxy_pid_file {
            return Ok(Registrar::ProxySocket(ProxySocketRegistrar::new(pid_file)));
        }
        Ok(Registrar::Disabled)
    }

    /// The devices of `username@domain` that have not expired at `now_unix`.
    pub async fn devices(
        &self,
        username: &str,
        domain: &str,
        now_unix: i64,
    ) -> Result<Vec<Device>, RegistrarError> {
        check_address(username, domain)?;
        let contacts = match self {
            Registrar::Redis(redis) => redis.contacts(username, domain).await?,
            Registrar::ProxySocket(socket) => socket.contacts(username, domain).await?,
            Registrar::Disabled => return Err(RegistrarError::NotConfigured),
        };
        Ok(into_devices(contacts, now_unix))
    }

    /// Removes the contact whose uuid is exactly `uuid`; `NotFound` when
    /// there is none.
    pub async fn delete_device(
        &self,
        username: &str,
        domain: &str,
        uuid: &str,
    ) -> Result<(), RegistrarError> {
        if matches!(self, Registrar::Disabled) {
            return Err(RegistrarError::NotConfigured);
        }
        if !is_device_uuid(uuid) {
            return Err(RegistrarError::InvalidUuid);
        }
        check_address(username, domain)?;
        match self {
            Registrar::Redis(redis) => redis.delete(username, domain, uuid).await,
            Registrar::ProxySocket(socket) => socket.delete(username, domain, uuid).await,
            Registrar::Disabled => Err(RegistrarError::NotConfigured),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(id: &str, update: i64, expires: i64) -> Contact {
        Contact {
            unique_id: id.to_string(),
            update_time: update,
            expires_at: expires,
            user_agent: "UA".to_string(),
        }
    }

    #[test]
    fn unique_ids_lose_quotes_and_brackets_only() {
        assert_eq!(uuid_of_unique_id("\"<urn:uuid:a1b2>\""), "urn:uuid:a1b2");
        assert_eq!(uuid_of_unique_id("<urn:uuid:a1b2>"), "urn:uuid:a1b2");
        assert_eq!(uuid_of_unique_id("urn:uuid:a1b2"), "urn:uuid:a1b2");
        assert_eq!(uuid_of_unique_id("fs-gen-123"), "fs-gen-123");
        assert_eq!(uuid_of_unique_id("\"<x"), "\"<x");
    }

    #[test]
    fn device_uuid_rule() {
        for good in [
            "urn:uuid:a1b2c3d4-0000-4000-8000-0123456789ab",
            "URN:UUID:A1B2C3D4-0000-4000-8000-0123456789AB",
            "urn:gsma:imei:35209900-176148-1",
        ] {
            assert!(is_device_uuid(good), "{good}");
        }
        for bad in [
            "",
            "urn:",
            "urn:uuid:",
            "urn::x",
            "uuid:a1b2",
            "a1b2c3d4-0000-4000-8000-0123456789ab",
            "urn:uuid:a1b2 FLUSHALL",
            "urn:uuid:a1b2\"",
            "urn:uuid:a1b2\r\nDEL x",
            "urn:uuid:a1b2>\" x",
            "urn:uuid:*",
            "urn:uuid:a%20b",
            "urn:uuid:a;b",
            "urn:uuid:é",
        ] {
            assert!(!is_device_uuid(bad), "{bad:?}");
        }
        assert!(!is_device_uuid(&format!("urn:uuid:{}", "a".repeat(120))));
    }

    #[test]
    fn addresses_with_separators_are_refused() {
        assert!(check_address("alice", "sip.example.org").is_ok());
        assert!(check_address("+33612345678", "sip.example.org").is_ok());
        for (user, domain) in [
            ("", "d"),
            ("a", ""),
            ("a b", "d"),
            ("a", "d\n"),
            ("a\"", "d"),
            ("a", "d@e"),
            ("<a", "d"),
        ] {
            assert!(check_address(user, domain).is_err(), "{user:?} {domain:?}");
        }
    }

    #[test]
    fn expired_contacts_are_dropped_and_order_is_by_expiry() {
        let devices = into_devices(
            vec![
                contact("\"<urn:uuid:b>\"", 1_718_000_000, 1_718_003_600),
                contact("\"<urn:uuid:gone>\"", 1_717_000_000, 1_717_003_600),
                contact("\"<urn:uuid:a>\"", 1_718_000_000, 1_718_003_600),
                contact("\"<urn:uuid:c>\"", 1_718_000_000, 1_718_001_000),
                contact("\"<urn:uuid:now>\"", 1_718_000_000, 1_718_000_500),
            ],
            1_718_000_500,
        );
        let uuids: Vec<&str> = devices.iter().map(|d| d.uuid.as_str()).collect();
        assert_eq!(uuids, ["urn:uuid:c", "urn:uuid:a", "urn:uuid:b"]);
        assert_eq!(devices[1].update_time, "2024-06-10 06:13:20");
        assert_eq!(devices[1].expires_at, "2024-06-10 07:13:20");
    }

    #[test]
    fn device_object_is_keyed_by_uuid() {
        let devices = into_devices(vec![contact("\"<urn:uuid:a>\"", 0, 10)], 5);
        let object = serde_json::Value::Object(devices_object(&devices));
        assert_eq!(
            object,
            serde_json::json!({"urn:uuid:a": {
                "uuid": "urn:uuid:a",
                "update_time": "1970-01-01 00:00:00",
                "expires_at": "1970-01-01 00:00:10",
                "user_agent": "UA",
            }})
        );
        assert_eq!(
            serde_json::Value::Object(devices_object(&[])).to_string(),
            "{}"
        );
    }

    #[tokio::test]
    async fn errors_map_to_api_statuses() {
        use axum::response::IntoResponse;
        let cases = [
            (RegistrarError::NotConfigured, 503),
            (RegistrarError::Unavailable("x".into()), 503),
            (RegistrarError::NotFound, 404),
            (RegistrarError::InvalidUuid, 422),
        ];
        for (err, status) in cases {
            let response = ApiError::from(err).into_response();
            assert_eq!(response.status(), status);
        }
        let response = ApiError::from(RegistrarError::NotConfigured).into_response();
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("REDIS_URL") && text.contains("APP_FLEXISIP_PROXY_PID"));
    }

    #[tokio::test]
    async fn disabled_registrar_says_what_to_configure() {
        let registrar = Registrar::Disabled;
        assert!(matches!(
            registrar.devices("alice", "sip.example.org", 0).await,
            Err(RegistrarError::NotConfigured)
        ));
        assert!(matches!(
            registrar
                .delete_device("alice", "sip.example.org", "urn:uuid:a")
                .await,
            Err(RegistrarError::NotConfigured)
        ));
    }
}
