//! A small SMTP server for tests: enough of RFC 5321 for lettre (EHLO,
//! AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), without TLS.
//!
//! ```ignore
//! let (port, mut smtp) = SmtpServer::start().await;
//! // … MAIL_HOST=127.0.0.1 MAIL_PORT=port MAIL_ENCRYPTION=none …
//! let mail = smtp.next_mail(Duration::from_secs(5)).await.unwrap();
//! assert!(mail.text().unwrap().contains("code"));
//! ```

#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Where the server refuses a mail with a permanent error (5xx).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    MailFrom,
    Data,
}

#[derive(Clone, Copy, Debug)]
pub struct SmtpOptions {
    /// Offer `AUTH PLAIN LOGIN` in the EHLO answer.
    pub advertise_auth: bool,
    pub reject: Option<Reject>,
}

impl Default for SmtpOptions {
    fn default() -> Self {
        SmtpOptions {
            advertise_auth: true,
            reject: None,
        }
    }
}

/// One accepted mail.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, CRLF line ends.
    pub data: String,
    /// `(username, password)` when the client authenticated.
    pub auth: Option<(String, String)>,
}

pub struct SmtpServer;

pub struct SmtpHandle {
    mails: mpsc::UnboundedReceiver<ReceivedMail>,
    task: JoinHandle<()>,
}

impl Drop for SmtpHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    /// Starts a server on a free port of 127.0.0.1 that accepts everything.
    pub async fn start() -> (u16, SmtpHandle) {
        Self::start_with(SmtpOptions::default()).await
    }

    pub async fn start_with(options: SmtpOptions) -> (u16, SmtpHandle) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sender, mails) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    let _ = session(stream, options, sender).await;
                });
            }
        });
        (port, SmtpHandle { mails, task })
    }
}

impl SmtpHandle {
    /// The next accepted mail, or `None` after `timeout`.
    pub async fn next_mail(&mut self, timeout: Duration) -> Option<ReceivedMail> {
        tokio::time::timeout(timeout, self.mails.recv())
            .await
            .ok()
            .flatten()
    }
}

async fn session(
    stream: TcpStream,
    options: SmtpOptions,
    mails: mpsc::UnboundedSender<ReceivedMail>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut from: Option<String> = None;
    let mut to = Vec::new();
    let mut auth = None;
    write.write_all(b"220 fake-smtp ESMTP ready\r\n").await?;
    loop {
        let Some(line) = read_line(&mut lines).await? else {
            return Ok(());
        };
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let auth_line = if options.advertise_auth {
                "250-AUTH PLAIN LOGIN\r\n"
            } else {
                ""
            };
            format!("250-fake-smtp\r\n{auth_line}250 8BITMIME\r\n")
        } else if upper.starts_with("HELO") {
            "250 fake-smtp\r\n".into()
        } else if upper.starts_with("AUTH PLAIN") {
            let initial = line.get(10..).unwrap_or_default().trim().to_string();
            let encoded = if initial.is_empty() {
                write.write_all(b"334 \r\n").await?;
                read_line(&mut lines).await?.unwrap_or_default()
            } else {
                initial
            };
            let decoded = decode(&encoded);
            let mut fields = decoded.split('\0').skip(1);
            auth = Some((
                fields.next().unwrap_or_default().to_string(),
                fields.next().unwrap_or_default().to_string(),
            ));
            "235 2.7.0 Authentication successful\r\n".into()
        } else if upper.starts_with("AUTH LOGIN") {
            write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
            let user = decode(&read_line(&mut lines).await?.unwrap_or_default());
            write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
            let password = decode(&read_line(&mut lines).await?.unwrap_or_default());
            auth = Some((user, password));
            "235 2.7.0 Authentication successful\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            if options.reject == Some(Reject::MailFrom) {
                "550 5.7.1 Sender refused\r\n".into()
            } else {
                from = Some(address(&line[10..]));
                to.clear();
                "250 2.1.0 Ok\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&line[8..]));
            "250 2.1.5 Ok\r\n".into()
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                let Some(line) = read_line(&mut lines).await? else {
                    return Ok(());
                };
                if line == "." {
                    break;
                }
                // Dot-stuffing (RFC 5321 §4.5.2).
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push_str("\r\n");
            }
            if options.reject == Some(Reject::Data) {
                "554 5.6.0 Message refused\r\n".into()
            } else {
                let _ = mails.send(ReceivedMail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                    auth: auth.clone(),
                });
                "250 2.0.0 Ok: queued\r\n".into()
            }
        } else if upper == "RSET" {
            from = None;
            to.clear();
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "NOOP" {
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 Command not implemented\r\n".into()
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// One line without its CRLF; `None` at end of stream.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
}

fn decode(base64: &str) -> String {
    String::from_utf8_lossy(&BASE64.decode(base64.trim()).unwrap_or_default()).into_owned()
}

/// `<a@b> BODY=8BITMIME` -> `a@b`.
fn address(argument: &str) -> String {
    let argument = argument.trim();
    let end = argument.find('>').map_or(argument.len(), |i| i + 1);
    argument[..end]
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// A MIME part: its headers (names lower-cased, folded lines joined) and
/// its decoded body.
#[derive(Clone, Debug)]
pub struct MimePart {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl MimePart {
    fn parse(raw: &str) -> MimePart {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let mut part = MimePart {
            headers,
            body: String::new(),
        };
        let encoding = part
            .header("content-transfer-encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        part.body = match encoding.as_str() {
            "base64" => decode(&body.replace("\r\n", "")),
            "quoted-printable" => decode_quoted_printable(body),
            _ => body.to_string(),
        };
        part
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or("text/plain")
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }
}

impl ReceivedMail {
    /// The top-level message (headers and raw body).
    pub fn message(&self) -> MimePart {
        MimePart::parse(&self.data)
    }

    /// A top-level header, e.g. `subject`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.message().header(name).map(str::to_string)
    }

    /// The leaf parts of a multipart message (one part otherwise), decoded.
    pub fn parts(&self) -> Vec<MimePart> {
        let message = self.message();
        let content_type = message
            .header("content-type")
            .unwrap_or_default()
            .to_string();
        let Some(boundary) = boundary(&content_type) else {
            return vec![message];
        };
        let (_, raw_body) = self.data.split_once("\r\n\r\n").unwrap_or_default();
        let delimiter = format!("--{boundary}");
        raw_body
            .split(&delimiter)
            .skip(1)
            .take_while(|chunk| !chunk.starts_with("--"))
            .map(|chunk| MimePart::parse(chunk.trim_start_matches("\r\n").trim_end_matches("\r\n")))
            .collect()
    }

    /// The decoded `text/plain` part.
    pub fn text(&self) -> Option<String> {
        self.part("text/plain")
    }

    /// The decoded `text/html` part.
    pub fn html(&self) -> Option<String> {
        self.part("text/html")
    }

    fn part(&self, content_type: &str) -> Option<String> {
        self.parts()
            .into_iter()
            .find(|p| p.content_type() == content_type)
            .map(|p| p.body)
    }
}

fn boundary(content_type: &str) -> Option<String> {
    let start = content_type.find("boundary=")? + "boundary=".len();
    let value = content_type[start..].split(';').next()?.trim();
    Some(value.trim_matches('"').to_string())
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
