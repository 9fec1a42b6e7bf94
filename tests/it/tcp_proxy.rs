//! A TCP proxy between flexiapi and a database server, switched off and on
//! by the test: off, every connection it accepts is closed at once and the
//! connections it carried are cut, as when the server stops or the network
//! fails. Stalled, it keeps every connection open and forwards nothing,
//! as a database host that stops answering with the network up. Its port
//! stays bound all along, so that no other socket of the test run takes
//! it while the proxy is off.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct TcpProxy {
    pub addr: SocketAddr,
    on: watch::Sender<bool>,
    stalled: watch::Sender<bool>,
    accepting: JoinHandle<()>,
}

impl TcpProxy {
    /// A proxy to `target` on a free port of 127.0.0.1, off.
    pub async fn new(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target: SocketAddr = target.parse().unwrap();
        let (on, watching) = watch::channel(false);
        let (stalled, stalling) = watch::channel(false);
        let accepting = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                if !*watching.borrow() {
                    continue; // dropped: closed at once
                }
                let mut switched = watching.clone();
                let mut switched_later = watching.clone();
                let mut stall = stalling.clone();
                tokio::spawn(async move {
                    let mut client = client;
                    let stalled_now = *stall.borrow();
                    let server = if stalled_now {
                        None
                    } else {
                        TcpStream::connect(target).await.ok()
                    };
                    let Some(mut server) = server else {
                        // Stalled: held open, unanswered.
                        let _ = switched.wait_for(|on| !*on).await;
                        return;
                    };
                    let stalled = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => false,
                        _ = switched.wait_for(|on| !*on) => false,
                        _ = stall.wait_for(|stalled| *stalled) => true,
                    };
                    if stalled {
                        // Both sockets stay open; nothing moves.
                        let _ = switched_later.wait_for(|on| !*on).await;
                    }
                });
            }
        });
        TcpProxy {
            addr,
            on,
            stalled,
            accepting,
        }
    }

    /// Forwards new connections.
    pub async fn on(&mut self) {
        self.stalled.send_replace(false);
        self.on.send_replace(true);
    }

    /// Keeps every connection, old and new, open and forwards nothing.
    pub async fn stall(&mut self) {
        self.stalled.send_replace(true);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// Refuses new connections and cuts every connection it carried.
    pub async fn off(&mut self) {
        self.on.send_replace(false);
        // Let the forwarding tasks see the switch and drop their sockets.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.on.send_replace(false);
        self.accepting.abort();
    }
}
