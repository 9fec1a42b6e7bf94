//! A TCP proxy between flexiapi and a database server, switched off and on
//! by the test: off, its port refuses connections and the connections it
//! carried are cut, as when the server stops or the network fails.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub struct TcpProxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    running: Option<JoinHandle<()>>,
}

impl TcpProxy {
    /// A proxy to `target` on a free port of 127.0.0.1, off.
    pub async fn new(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        TcpProxy {
            addr: listener.local_addr().unwrap(),
            target: target.parse().unwrap(),
            running: None,
        }
    }

    /// Accepts connections again (on the same port) and forwards them.
    pub async fn on(&mut self) {
        assert!(self.running.is_none(), "already on");
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.addr).unwrap();
        let listener = socket.listen(128).unwrap();
        let target = self.target;
        self.running = Some(tokio::spawn(async move {
            // Dropped with this task when the proxy goes off: every live
            // connection is cut then.
            let mut connections = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                connections.spawn(forward(client, target));
            }
        }));
    }

    /// Closes the port and cuts every connection it carried.
    pub async fn off(&mut self) {
        if let Some(task) = self.running.take() {
            task.abort();
            let _ = task.await;
        }
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
        if let Some(task) = self.running.take() {
            task.abort();
        }
    }
}
