//! Devices from Flexisip's registrar in Redis (docs/flexisip.md, "Registrar in Redis"): one hash
//! `fs:user@domain`, a field per contact (its unique id), the Contact header
//! as value.
//!
//! One reconnecting `ConnectionManager`, created at first use so the
//! service starts while Redis is down; every call runs under a timeout so a
//! dead Redis answers 503 quickly, and the next call after Redis is back
//! reconnects by itself.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, RedisResult};
use tokio::sync::OnceCell;

use super::{Contact, RegistrarError, contact, uuid_of_unique_id};

#[derive(Clone)]
pub struct RedisRegistrar {
    client: Client,
    connection: Arc<OnceCell<ConnectionManager>>,
    timeout: Duration,
}

impl fmt::Debug for RedisRegistrar {
    // The client holds the URL and its password: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRegistrar")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The hash of an address of record and the channel proxies listen on.
fn key_and_channel(username: &str, domain: &str) -> (String, String) {
    let aor = format!("{username}@{domain}");
    (format!("fs:{aor}"), aor)
}

impl RedisRegistrar {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

    /// Checks the URL without connecting. `timeout` bounds each call,
    /// connecting included.
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        // The redis error names what is wrong, never the URL itself.
        let client = Client::open(url)
            .map_err(|e| anyhow::anyhow!("invalid configuration: REDIS_URL: {e}"))?;
        Ok(RedisRegistrar {
            client,
            connection: Arc::new(OnceCell::new()),
            timeout,
        })
    }

    /// The contacts of `username@domain`; values that cannot be parsed are
    /// logged (by field, never by value: it holds push tokens) and skipped.
    pub async fn contacts(
        &self,
        username: &str,
        domain: &str,
    ) -> Result<Vec<Contact>, RegistrarError> {
        let (key, _) = key_and_channel(username, domain);
        let fields = self.hgetall(&key).await?;
        Ok(fields
            .iter()
            .filter_map(|(field, value)| to_contact(&key, field, value))
            .collect())
    }

    /// Removes the field whose uuid is exactly `uuid` and tells the proxies,
    /// in one transaction.
    pub async fn delete(
        &self,
        username: &str,
        domain: &str,
        uuid: &str,
    ) -> Result<(), RegistrarError> {
        let (key, channel) = key_and_channel(username, domain);
        let fields = self.hgetall(&key).await?;
        let field = fields
            .iter()
            .find(|(field, value)| {
                contact_of(field, value).is_ok_and(|c| c.uuid() == uuid)
                    || std::str::from_utf8(field).is_ok_and(|f| uuid_of_unique_id(f) == uuid)
            })
            .map(|(field, _)| field.clone())
            .ok_or(RegistrarError::NotFound)?;

        let (removed, _receivers): (i64, i64) = self
            .run(|mut conn| {
                let key = key.clone();
                let field = field.clone();
                let channel = channel.clone();
                async move {
                    ::redis::pipe()
                        .atomic()
                        .cmd("HDEL")
                        .arg(key)
                        .arg(field)
                        .cmd("PUBLISH")
                        .arg(channel)
                        .arg("")
                        .query_async(&mut conn)
                        .await
                }
            })
            .await?;
        if removed == 0 {
            // Removed meanwhile by someone else.
            return Err(RegistrarError::NotFound);
        }
        Ok(())
    }

    /// Checks that Redis answers `PING` within `timeout` (for `/ready`).
    pub async fn ping(&self, timeout: Duration) -> Result<(), RegistrarError> {
        let ping = self
            .run(|mut conn| async move { ::redis::cmd("PING").query_async::<()>(&mut conn).await });
        tokio::time::timeout(timeout, ping)
            .await
            .unwrap_or_else(|_| {
                Err(RegistrarError::Unavailable(
                    "Redis did not answer in time".into(),
                ))
            })
    }

    async fn hgetall(&self, key: &str) -> Result<Vec<(Vec<u8>, Vec<u8>)>, RegistrarError> {
        self.run(|mut conn| {
            let key = key.to_string();
            async move {
                ::redis::cmd("HGETALL")
                    .arg(key)
                    .query_async(&mut conn)
                    .await
            }
        })
        .await
    }

    /// Runs `op` on the shared connection under the timeout.
    async fn run<T, F, Fut>(&self, op: F) -> Result<T, RegistrarError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let attempt = async {
            let conn = self.connection().await?;
            match op(conn.clone()).await {
                // A refused connection means the manager's last reconnect
                // failed and nothing was sent; it has started a fresh one,
                // so one more try finds Redis if it is back.
                Err(e) if e.is_connection_refusal() => op(conn).await,
                other => other,
            }
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "registrar Redis command failed");
                let what = if e.is_io_error() {
                    "Redis cannot be reached"
                } else {
                    "Redis refused the command"
                };
                Err(RegistrarError::Unavailable(what.to_string()))
            }
            Err(_) => {
                tracing::warn!(timeout = ?self.timeout, "registrar Redis timed out");
                Err(RegistrarError::Unavailable(
                    "Redis did not answer in time".to_string(),
                ))
            }
        }
    }

    /// The connection manager, created on first success. Its reconnects
    /// are single attempts (no backoff): the next call retries, so a
    /// restarted Redis is found at once rather than after a long sleep.
    async fn connection(&self) -> RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout);
        self.connection
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned()
    }
}

/// One hash entry as a contact: the uuid from `+sip.instance`, else from
/// the field (Flexisip's unique id, which is that same value).
fn contact_of(field: &[u8], value: &[u8]) -> Result<Contact, String> {
    let value = std::str::from_utf8(value).map_err(|_| "not UTF-8".to_string())?;
    let stored = contact::parse(value).map_err(|e| e.to_string())?;
    Ok(Contact {
        unique_id: stored
            .instance
            .unwrap_or_else(|| String::from_utf8_lossy(field).into_owned()),
        update_time: stored.updated_at,
        expires_at: stored.expires_at,
        user_agent: stored.user_agent,
    })
}

/// [`contact_of`], logging what is skipped: by key and field only, never
/// the value (it holds push tokens and addresses).
fn to_contact(key: &str, field: &[u8], value: &[u8]) -> Option<Contact> {
    contact_of(field, value)
        .inspect_err(|reason| {
            let field = String::from_utf8_lossy(field);
            tracing::warn!(%key, %field, %reason, "skipping a registrar contact that cannot be parsed");
        })
        .ok()
}
