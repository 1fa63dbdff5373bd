//! The loopback listener: the receiver's router served on 127.0.0.1, rebound to another port
//! without a gap (the new port is bound before the old one lets go; a port in use leaves the
//! old listener running).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::RuntimeError;
use crate::engine::Engine;
use crate::receiver;

/// How long a replaced or stopped listener may take to finish requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// One serving listener.
pub(crate) struct Listener {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Listener {
    /// Binds `127.0.0.1:port` (0 picks a free port) and serves the receiver there.
    pub async fn bind(engine: &Engine, port: u16) -> Result<Self, RuntimeError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|e| RuntimeError::listen(port, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| RuntimeError::listen(port, e))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(receiver::serve(listener, engine.clone(), async {
            let _ = stopped.await;
        }));
        Ok(Self { addr, stop, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (up to a deadline).
    pub async fn close(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        match tokio::time::timeout(DRAIN_TIMEOUT, &mut task).await {
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the listener stopped with an error"),
            Ok(_) => {}
            Err(_) => task.abort(),
        }
    }
}
