//! Serving HTTP/1.1 connections with bounds a client cannot stretch: a
//! deadline on each request head (which is also the keep-alive wait), a
//! cut of connections where no byte moves, a cap on open connections, and
//! a graceful shutdown that ends within its grace period whatever clients
//! do. `axum::serve` has none of these.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;
use tower::util::Oneshot;

/// The bounds of [`serve`] (the `APP_*` variables of the README's
/// configuration table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a connection has to deliver a complete request head, counted
    /// from its opening or the end of the previous response: it bounds a
    /// slow head and the keep-alive wait alike.
    pub header_read_timeout: Duration,
    /// A connection on which no byte moves either way for this long is
    /// closed (a stalled upload, a client that does not read its answer).
    pub idle_timeout: Duration,
    /// Connections open at once; the next ones wait in the listen backlog.
    pub max_connections: usize,
    /// After SIGTERM, the time in-flight requests get to finish before
    /// every connection left is closed.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1000,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting, lets in-flight requests finish for at most the grace period
/// and closes what is left.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        // A permit first: at the cap, new clients wait in the backlog
        // rather than being accepted and left unanswered.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Reap the finished connections so that the set stays small.
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let service = PeerService {
            router: router.clone(),
            peer,
        };
        let io = TokioIo::new(IdleCut::new(stream, limits.idle_timeout));
        let connection = graceful.watch(http.serve_connection(io, service));
        connections.spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection closed");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                connections = connections.len(),
                "shutdown grace period over: closing the connections left"
            );
        }
    }
    connections.shutdown().await;
}

/// Too many open files, or a connection reset before it was accepted: the
/// listener itself is fine. A pause keeps a full descriptor table from
/// spinning the loop.
async fn accept_failed(err: io::Error) {
    tracing::warn!(error = %err, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// The application, with the peer's address in each request as
/// `into_make_service_with_connect_info` puts it.
#[derive(Clone)]
struct PeerService {
    router: Router,
    peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for PeerService {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = Oneshot<Router, Request<Body>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        self.router.clone().oneshot(request.map(Body::new))
    }
}

/// A socket that fails with `TimedOut` once no byte was read or written
/// for `idle`. The timer is re-armed lazily (only when it fires early), so
/// progress costs a clock read, not a timer update.
struct IdleCut {
    stream: TcpStream,
    idle: Duration,
    last_progress: Instant,
    timer: Pin<Box<Sleep>>,
}

impl IdleCut {
    fn new(stream: TcpStream, idle: Duration) -> Self {
        let now = Instant::now();
        IdleCut {
            stream,
            idle,
            last_progress: now,
            timer: Box::pin(tokio::time::sleep_until(now + idle)),
        }
    }

    /// Called when the socket is not ready: `Ready` once idle for too long.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            ready!(self.timer.as_mut().poll(cx));
            let deadline = self.last_progress + self.idle;
            if Instant::now() >= deadline {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no byte moved on the connection for the idle timeout",
                ));
            }
            self.timer.as_mut().reset(deadline);
        }
    }

    fn progressed<T>(
        &mut self,
        result: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        match result {
            Poll::Ready(result) => {
                self.last_progress = Instant::now();
                Poll::Ready(result)
            }
            Poll::Pending => self.poll_idle(cx).map(Err),
        }
    }
}

impl AsyncRead for IdleCut {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        this.progressed(result, cx)
    }
}

impl AsyncWrite for IdleCut {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.progressed(result, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.progressed(result, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_connection_where_nothing_moves_fails_after_the_idle_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut cut = IdleCut::new(server, Duration::from_millis(300));
        let started = std::time::Instant::now();
        // A byte within the time is progress and moves the deadline on.
        let mut writer = client;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = writer.write_all(b"x").await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let mut byte = [0u8; 1];
        assert_eq!(cut.read(&mut byte).await.unwrap(), 1);
        let err = cut.read(&mut byte).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(480), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }
}
