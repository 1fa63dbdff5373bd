//! Serves the connections ngrok proxies through the tunnel with the receiver's own router
//! (hyper-util, not ngrok's axum 0.7 feature) and the receiver's connection limits, marking
//! each request as coming from the tunnel and from the client address ngrok reports.

use axum::Router;
use futures_util::StreamExt;
use ngrok::prelude::*;
use ngrok::tunnel::{AcceptError, HttpTunnel};
use tokio::sync::watch;

use crate::capture::{Origin, Source};
use crate::connections::{ConnLimits, Connections};

use super::connect::stopped;

/// Why serving ended.
pub(crate) enum Ended {
    /// `stop` fired; requests in flight were given the drain grace to finish.
    Stopped,
    /// The tunnel's stream failed (`Some`) or ended (`None`).
    Lost(Option<AcceptError>),
}

/// Accepts and serves the tunnel's connections until `stop` fires or the tunnel ends.
pub(crate) async fn serve_tunnel(
    tunnel: &mut HttpTunnel,
    router: Router,
    stop: &mut watch::Receiver<bool>,
) -> Ended {
    let mut conns = Connections::new(router, ConnLimits::default());
    let ended = loop {
        tokio::select! {
            biased;
            () = stopped(stop) => break Ended::Stopped,
            next = tunnel.next() => match next {
                Some(Ok(conn)) => {
                    let origin = Origin {
                        source: Source::Tunnel,
                        remote: Some(conn.remote_addr()),
                    };
                    conns.serve(conn, origin);
                }
                Some(Err(e)) => break Ended::Lost(Some(e)),
                None => break Ended::Lost(None),
            },
            () = conns.reap() => {}
        }
    };
    // A lost tunnel's connections went with it: dropping them closes them at once.
    if matches!(ended, Ended::Stopped) {
        conns.drain().await;
    }
    ended
}
