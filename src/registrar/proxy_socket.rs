//! Devices through the Flexisip proxy's CLI socket (docs/flexisip.md, "Proxy CLI socket"), for
//! deployments whose registrar lives in the proxy's memory.
//!
//! The socket is `/tmp/flexisip-proxy-PID`, PID read from the proxy's pid
//! file at each call (a restarted proxy has a new PID). One command per
//! connection, sent in one write without newline; the proxy answers once
//! and closes, so the answer is read to end of file, under a timeout and a
//! size cap.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use super::proxy_record::{ProxyAnswer, parse_answer};
use super::{Contact, RegistrarError, is_device_uuid};

#[derive(Clone, Debug)]
pub struct ProxySocketRegistrar {
    pid_file: PathBuf,
    socket_dir: PathBuf,
    timeout: Duration,
    max_answer_bytes: usize,
}

impl ProxySocketRegistrar {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
    pub const DEFAULT_MAX_ANSWER_BYTES: usize = 1024 * 1024;
    /// The proxy reads a command with one `recv` into a 512-byte buffer.
    pub const MAX_COMMAND_BYTES: usize = 511;

    pub fn new(pid_file: impl Into<PathBuf>) -> Self {
        ProxySocketRegistrar {
            pid_file: pid_file.into(),
            socket_dir: PathBuf::from("/tmp"),
            timeout: Self::DEFAULT_TIMEOUT,
            max_answer_bytes: Self::DEFAULT_MAX_ANSWER_BYTES,
        }
    }

    /// Where `flexisip-proxy-PID` sockets are (`/tmp`, as Flexisip has it;
    /// tests use their own directory).
    pub fn with_socket_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.socket_dir = dir.into();
        self
    }

    /// Bounds a whole exchange: connect, write and read.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_max_answer_bytes(mut self, max: usize) -> Self {
        self.max_answer_bytes = max;
        self
    }

    pub async fn contacts(
        &self,
        username: &str,
        domain: &str,
    ) -> Result<Vec<Contact>, RegistrarError> {
        let aor = format!("sip:{username}@{domain}");
        match self.send(&["REGISTRAR_GET", &aor]).await? {
            ProxyAnswer::Record(contacts) => Ok(contacts),
            ProxyAnswer::Error => Ok(Vec::new()),
        }
    }

    /// Looks the device up first, then deletes it by the unique id the
    /// proxy itself gave: the proxy matches unique ids byte for byte.
    pub async fn delete(
        &self,
        username: &str,
        domain: &str,
        uuid: &str,
    ) -> Result<(), RegistrarError> {
        let unique_id = self
            .contacts(username, domain)
            .await?
            .into_iter()
            .find(|c| c.uuid() == uuid)
            .map(|c| c.unique_id)
            .ok_or(RegistrarError::NotFound)?;
        // Same characters as the checked uuid, plus the quotes and brackets
        // around it: nothing that could split the command line.
        let safe = unique_id
            .trim_matches(|c| c == '"' || c == '<' || c == '>')
            .eq(uuid)
            && is_device_uuid(uuid);
        if !safe {
            return Err(RegistrarError::NotFound);
        }
        let aor = format!("sip:{username}@{domain}");
        match self.send(&["REGISTRAR_DELETE", &aor, &unique_id]).await? {
            ProxyAnswer::Record(_) => Ok(()),
            ProxyAnswer::Error => Err(RegistrarError::NotFound),
        }
    }

    /// Sends one command (words joined by single spaces, no newline) and
    /// reads the answer.
    async fn send(&self, words: &[&str]) -> Result<ProxyAnswer, RegistrarError> {
        let command = command_line(words)?;
        let pid = self.read_pid().await?;
        let socket = self.socket_dir.join(format!("flexisip-proxy-{pid}"));
        let bytes = tokio::time::timeout(self.timeout, self.exchange(&socket, &command))
            .await
            .map_err(|_| {
                tracing::warn!(socket = %socket.display(), "Flexisip proxy CLI timed out");
                unavailable("the Flexisip proxy did not answer in time")
            })??;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| unavailable("the Flexisip proxy answered something unreadable"))?;
        parse_answer(text).map_err(|reason| {
            tracing::warn!(%reason, "unexpected answer from the Flexisip proxy CLI");
            unavailable("the Flexisip proxy answered something unreadable")
        })
    }

    async fn exchange(&self, socket: &Path, command: &str) -> Result<Vec<u8>, RegistrarError> {
        let failed = |what: &str, e: std::io::Error| {
            tracing::warn!(socket = %socket.display(), error = %e, "Flexisip proxy CLI: {what}");
            unavailable("the Flexisip proxy's CLI socket could not be reached")
        };
        let mut stream = UnixStream::connect(socket)
            .await
            .map_err(|e| failed("connect", e))?;
        stream
            .write_all(command.as_bytes())
            .await
            .map_err(|e| failed("write", e))?;
        // One byte over the cap tells "too big" from "exactly the cap".
        let mut answer = Vec::new();
        (&mut stream)
            .take(self.max_answer_bytes as u64 + 1)
            .read_to_end(&mut answer)
            .await
            .map_err(|e| failed("read", e))?;
        if answer.len() > self.max_answer_bytes {
            tracing::warn!(
                cap = self.max_answer_bytes,
                "Flexisip proxy CLI answer too large"
            );
            return Err(unavailable("the Flexisip proxy's answer is too large"));
        }
        Ok(answer)
    }

    async fn read_pid(&self) -> Result<u32, RegistrarError> {
        let text = tokio::fs::read_to_string(&self.pid_file)
            .await
            .map_err(|e| {
                tracing::warn!(pid_file = %self.pid_file.display(), error = %e, "cannot read the Flexisip proxy pid file");
                unavailable("the Flexisip proxy's pid file cannot be read")
            })?;
        text.trim()
            .parse::<u32>()
            .ok()
            .filter(|pid| *pid > 0)
            .ok_or_else(|| {
                tracing::warn!(pid_file = %self.pid_file.display(), "the Flexisip proxy pid file holds no pid");
                unavailable("the Flexisip proxy's pid file holds no pid")
            })
    }
}

fn unavailable(what: &str) -> RegistrarError {
    RegistrarError::Unavailable(what.to_string())
}

/// Joins words with single spaces. A word that is empty or holds
/// whitespace or a control character would change the command's meaning,
/// and the proxy reads at most 511 bytes: both are refused.
fn command_line(words: &[&str]) -> Result<String, RegistrarError> {
    let word_ok =
        |w: &&str| !w.is_empty() && !w.chars().any(|c| c.is_whitespace() || c.is_control());
    if !words.iter().all(word_ok) {
        return Err(RegistrarError::InvalidAddress);
    }
    let line = words.join(" ");
    if line.len() > ProxySocketRegistrar::MAX_COMMAND_BYTES {
        return Err(RegistrarError::InvalidAddress);
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_single_spaced_and_bounded() {
        assert_eq!(
            command_line(&["REGISTRAR_GET", "sip:a@b"]).unwrap(),
            "REGISTRAR_GET sip:a@b"
        );
        for bad in [
            vec!["REGISTRAR_GET", "sip:a b@c"],
            vec!["REGISTRAR_GET", "sip:a@b\n"],
            vec!["REGISTRAR_GET", ""],
        ] {
            assert!(command_line(&bad).is_err(), "{bad:?}");
        }
        let long = format!("sip:{}@b", "a".repeat(500));
        assert!(command_line(&["REGISTRAR_GET", &long]).is_err());
    }
}
