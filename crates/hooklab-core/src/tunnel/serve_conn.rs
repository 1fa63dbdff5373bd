//! Serves the connections ngrok proxies through the tunnel with the receiver's own router
//! (hyper-util, not ngrok's axum 0.7 feature), marking each request as coming from the tunnel
//! and from the client address ngrok reports.

use std::time::Duration;

use axum::Router;
use futures_util::StreamExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use ngrok::prelude::*;
use ngrok::tunnel::{AcceptError, HttpTunnel};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::capture::{Origin, Source};

use super::connect::stopped;

/// How long requests in flight may take to finish when the tunnel stops.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// How long a client may take to send the request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Why serving ended.
pub(crate) enum Ended {
    /// `stop` fired; requests in flight were given [`DRAIN_GRACE`] to finish.
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
    let (drain, draining) = watch::channel(false);
    let mut conns = JoinSet::new();
    let ended = loop {
        tokio::select! {
            biased;
            () = stopped(stop) => break Ended::Stopped,
            next = tunnel.next() => match next {
                Some(Ok(conn)) => {
                    conns.spawn(serve_connection(conn, router.clone(), draining.clone()));
                }
                Some(Err(e)) => break Ended::Lost(Some(e)),
                None => break Ended::Lost(None),
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    };
    if matches!(ended, Ended::Stopped) {
        let _ = drain.send(true);
        let finished = async { while conns.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(DRAIN_GRACE, finished).await;
    }
    conns.abort_all();
    ended
}

async fn serve_connection(
    conn: ngrok::conn::EndpointConn,
    router: Router,
    mut draining: watch::Receiver<bool>,
) {
    let origin = Origin {
        source: Source::Tunnel,
        remote: Some(conn.remote_addr()),
    };
    let service = router.map_request(move |mut request: http::Request<Incoming>| {
        request.extensions_mut().insert(origin);
        request
    });
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = http.serve_connection(TokioIo::new(conn), TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopped(&mut draining) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
