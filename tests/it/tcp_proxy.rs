//! A TCP proxy between flexiapi and a database server, switched off and on
//! by the test: off, every connection it accepts is closed at once and the
//! connections it carried are cut, as when the server stops or the network
//! fails. Its port stays bound all along, so that no other socket of the
//! test run takes it while the proxy is off.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct TcpProxy {
    pub addr: SocketAddr,
    on: watch::Sender<bool>,
    accepting: JoinHandle<()>,
}

impl TcpProxy {
    /// A proxy to `target` on a free port of 127.0.0.1, off.
    pub async fn new(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target: SocketAddr = target.parse().unwrap();
        let (on, watching) = watch::channel(false);
        let accepting = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                if !*watching.borrow() {
                    continue; // dropped: closed at once
                }
                let mut switched = watching.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = forward(client, target) => {}
                        _ = switched.wait_for(|on| !*on) => {}
                    }
                });
            }
        });
        TcpProxy {
            addr,
            on,
            accepting,
        }
    }

    /// Forwards new connections.
    pub async fn on(&mut self) {
        self.on.send_replace(true);
    }

    /// Refuses new connections and cuts every connection it carried.
    pub async fn off(&mut self) {
        self.on.send_replace(false);
        // Let the forwarding tasks see the switch and drop their sockets.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn forward(mut client: TcpStream, target: SocketAddr) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.on.send_replace(false);
        self.accepting.abort();
    }
}
