//! One HTTP/1.1 keep-alive connection per worker, on hyper's low-level
//! client: the tool shares the machine's two cores with the server, so it
//! must cost as little per request as possible.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where the server listens.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
}

impl Target {
    /// `http://HOST:PORT` with a loopback or numeric address.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("--url: only http:// URLs ({url})");
        };
        let host = rest.trim_end_matches('/').to_string();
        let addr = host
            .replace("localhost", "127.0.0.1")
            .parse()
            .with_context(|| format!("--url: {host} is not IP:PORT"))?;
        Ok(Target { addr, host })
    }
}

/// A keep-alive connection that reconnects when the server closes it.
pub struct Connection {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// What a worker keeps of a response.
pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
}

impl Connection {
    pub fn new(target: &Target) -> Self {
        Connection {
            target: target.clone(),
            sender: None,
        }
    }

    async fn sender(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(self.target.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("connected above"))
    }

    /// Sends `request` (its Host header is added) and reads the whole body.
    pub async fn send(&mut self, mut request: Request<Full<Bytes>>) -> anyhow::Result<Answer> {
        request
            .headers_mut()
            .insert(hyper::header::HOST, self.target.host.parse()?);
        let sender = self.sender().await?;
        sender.ready().await?;
        let response: Response<hyper::body::Incoming> = match sender.send_request(request).await {
            Ok(response) => response,
            Err(e) => {
                self.sender = None;
                return Err(e.into());
            }
        };
        let status = response.status().as_u16();
        let (parts, body) = response.into_parts();
        body.collect().await?;
        Ok(Answer {
            status,
            headers: parts.headers,
        })
    }
}
