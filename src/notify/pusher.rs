//! Push notifications through Flexisip's `flexisip_pusher` (docs/integrations.md,
//! "Push notifications"; docs/flexisip.md, "flexisip_pusher").
//!
//! The pusher is started directly with an argument vector: no shell ever
//! sees a value from a request, so quotes, `;` or `$(…)` are plain bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus::IntCounter;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::config::Config;

/// Default time a push may take before the pusher is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes of the pusher's stdout and stderr kept for the log; the rest is
/// read and dropped so a chatty pusher never blocks on a full pipe.
const OUTPUT_LIMIT: usize = 4096;

/// Linux's `ETXTBSY`: the binary is open for writing (being replaced, or just
/// written by another thread that forked meanwhile).
const TEXT_FILE_BUSY: i32 = 26;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("no push notification pusher is configured (APP_FLEXISIP_PUSHER_PATH)")]
    NotConfigured,
    #[error("no Firebase service account for project {0} in APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP")]
    NoFirebaseKey(String),
    #[error("cannot start flexisip_pusher: {0}")]
    Spawn(std::io::Error),
    #[error("flexisip_pusher did not finish in time and was killed")]
    Timeout,
    /// `output` is the start of its stderr, with the token masked.
    #[error("flexisip_pusher failed with {status}")]
    Failed {
        status: std::process::ExitStatus,
        output: String,
    },
    #[error("waiting for flexisip_pusher: {0}")]
    Wait(std::io::Error),
}

#[derive(Debug)]
pub struct Pusher {
    path: Option<PathBuf>,
    /// Firebase project id → service account file (`--key`).
    firebase_keys: HashMap<String, PathBuf>,
    /// Milliseconds; atomic so that a test can shorten it on a running
    /// server.
    timeout_ms: AtomicU64,
    /// Counts pushes that failed (`/metrics`).
    failures: IntCounter,
}

impl Pusher {
    pub fn new(path: Option<PathBuf>, firebase_keys: HashMap<String, PathBuf>) -> Self {
        Pusher {
            path,
            firebase_keys,
            timeout_ms: AtomicU64::new(DEFAULT_TIMEOUT.as_millis() as u64),
            failures: crate::metrics::detached_counter(),
        }
    }

    /// Counts the failed pushes in `counter` from now on.
    pub fn counting_failures(mut self, counter: IntCounter) -> Self {
        self.failures = counter;
        self
    }

    pub fn from_config(config: &Config) -> Self {
        Self::new(
            config.pusher_path.clone(),
            config.pusher_firebase_keys.clone(),
        )
    }

    pub fn is_configured(&self) -> bool {
        self.path.is_some()
    }

    /// Changes the timeout (tests use ~1 s instead of 10 s).
    pub fn set_timeout(&self, timeout: Duration) {
        self.timeout_ms
            .store(timeout.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.load(Ordering::Relaxed))
    }

    /// Pushes `{"token": token}` to one device; `Ok` when the pusher exited 0.
    pub async fn push_token(
        &self,
        pn_provider: &str,
        pn_param: &str,
        pn_prid: &str,
        token: &str,
    ) -> Result<(), PushError> {
        let path = self.path.as_ref().ok_or(PushError::NotConfigured)?;
        let payload = serde_json::json!({ "token": token }).to_string();
        let firebase_key = self.firebase_key(pn_provider, pn_param)?;
        let args = arguments(pn_provider, pn_param, pn_prid, &payload, firebase_key);
        let result = self.run(path, &args, token).await;
        if let Err(err) = &result {
            self.failures.inc();
            // Never log the token; the device triple is not a secret.
            let output = match err {
                PushError::Failed { output, .. } => output.as_str(),
                _ => "",
            };
            tracing::warn!(%pn_provider, %pn_param, error = %err, %output, "push notification failed");
        }
        result
    }

    /// The service account file of an FCM device's project (its
    /// `pn_param`), from `APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP`. An FCM push
    /// without one would fail in the pusher: refused here, with a message
    /// for the operator.
    fn firebase_key(&self, pn_provider: &str, pn_param: &str) -> Result<Option<&str>, PushError> {
        if pn_provider != "fcm" {
            return Ok(None);
        }
        match self.firebase_keys.get(pn_param) {
            Some(path) => Ok(path.to_str()),
            None if self.firebase_keys.is_empty() => Ok(None),
            None => Err(PushError::NoFirebaseKey(pn_param.to_string())),
        }
    }

    async fn run(&self, path: &Path, args: &[&str], token: &str) -> Result<(), PushError> {
        let mut command = Command::new(path);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Dropping the child (a cancelled request) kills it too.
            .kill_on_drop(true);
        let mut child = match command.spawn() {
            Err(err) if err.raw_os_error() == Some(TEXT_FILE_BUSY) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                command.spawn().map_err(PushError::Spawn)?
            }
            other => other.map_err(PushError::Spawn)?,
        };
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();

        let finished = tokio::time::timeout(self.timeout(), async {
            let (_, err_output, status) =
                tokio::join!(read_limited(stdout), read_limited(stderr), child.wait());
            (err_output, status)
        })
        .await;

        let (err_output, status) = match finished {
            Ok(done) => done,
            Err(_) => {
                // Kills and reaps: no zombie, no pusher left running.
                let _ = child.kill().await;
                return Err(PushError::Timeout);
            }
        };
        let status = status.map_err(PushError::Wait)?;
        if status.success() {
            return Ok(());
        }
        Err(PushError::Failed {
            status,
            output: String::from_utf8_lossy(&err_output).replace(token, "***"),
        })
    }
}

/// The pusher's arguments, each option and value a separate argument.
/// `--apple-push-type` is only given to apns providers (docs/flexisip.md, "flexisip_pusher"):
/// FCM pushes are data messages that need no Apple push type, but the
/// project's service account (`--key`).
fn arguments<'a>(
    pn_provider: &'a str,
    pn_param: &'a str,
    pn_prid: &'a str,
    payload: &'a str,
    firebase_key: Option<&'a str>,
) -> Vec<&'a str> {
    let mut args = vec![
        "--pn-provider",
        pn_provider,
        "--pn-param",
        pn_param,
        "--pn-prid",
        pn_prid,
    ];
    if pn_provider.starts_with("apns") {
        args.extend(["--apple-push-type", "Background"]);
    }
    if let Some(key) = firebase_key {
        args.extend(["--key", key]);
    }
    args.extend(["--customPayload", payload]);
    args
}

/// Reads a pipe to its end, keeping at most `OUTPUT_LIMIT` bytes.
async fn read_limited<R: AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut pipe) = pipe else {
        return kept;
    };
    let mut buffer = [0u8; 1024];
    loop {
        match pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = OUTPUT_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_push_type_only_for_apns() {
        assert_eq!(
            arguments("apns.dev", "P", "R", "{}", None),
            [
                "--pn-provider",
                "apns.dev",
                "--pn-param",
                "P",
                "--pn-prid",
                "R",
                "--apple-push-type",
                "Background",
                "--customPayload",
                "{}"
            ]
        );
        assert!(!arguments("fcm", "P", "R", "{}", None).contains(&"--apple-push-type"));
        assert_eq!(
            arguments("fcm", "P", "R", "{}", Some("/k.json"))[6..],
            ["--key", "/k.json", "--customPayload", "{}"]
        );
    }

    #[tokio::test]
    async fn unconfigured_pusher_fails() {
        let err = Pusher::new(None, HashMap::new())
            .push_token("fcm", "p", "r", "t")
            .await
            .unwrap_err();
        assert!(matches!(err, PushError::NotConfigured));
    }
}
