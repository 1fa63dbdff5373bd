//! Connections to the receiver, for the loopback listener and the tunnel alike: each served by
//! hyper with a header-read timeout, at most `max_connections` open at once, and a deadline for
//! requests in flight when serving stops. At the cap, the oldest connection with no request in
//! flight (a client stalled mid-headers, an idle keep-alive) is closed to make room, so clients
//! that never finish their headers cannot lock a real delivery out. With none idle, the upload
//! that has been arriving the longest is ended (and captured as such): slow bodies cannot lock
//! a delivery out either. Only when every connection is past its body is the new one refused.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Semaphore, watch};
use tokio::task::{AbortHandle, JoinSet};
use tower::ServiceExt;

use crate::capture::Origin;
use crate::upload::{self, BodyLimits, Upload};

/// Limits on the receiver's connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// How long a client may take to send a request's headers (Svix gives up after ~15 s).
    pub header_read_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// How long requests in flight may take to finish when serving stops.
    pub drain_grace: Duration,
    /// How long a client may take to send a body.
    pub body: BodyLimits,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            // Well under the usual 1,024 open files, which the database also needs.
            max_connections: 512,
            drain_grace: Duration::from_secs(5),
            body: BodyLimits::default(),
        }
    }
}

/// An open connection: how many of its requests are in flight, its upload, and how to close it.
struct Open {
    busy: Arc<AtomicUsize>,
    upload: Arc<Upload>,
    abort: AbortHandle,
}

/// How long a connection whose upload was ended to make room has to send its answer.
const CUT_GRACE: Duration = Duration::from_secs(2);

type Table = Arc<Mutex<BTreeMap<u64, Open>>>;

/// The connections one listener (or tunnel session) serves.
pub(crate) struct Connections {
    router: Router,
    limits: ConnLimits,
    open: Table,
    next_id: u64,
    tasks: JoinSet<()>,
    drain: watch::Sender<bool>,
    budget: Arc<Semaphore>,
}

impl Connections {
    pub(crate) fn new(router: Router, limits: ConnLimits) -> Self {
        Self {
            router,
            limits,
            open: Arc::default(),
            next_id: 0,
            tasks: JoinSet::new(),
            drain: watch::channel(false).0,
            budget: upload::budget(),
        }
    }

    /// Serves an accepted connection, its requests marked with `origin`.
    pub(crate) fn serve<I>(&mut self, io: I, origin: Origin)
    where
        I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        // Held until the connection is in the table, so a connection that ends at once
        // cannot remove itself before it was added.
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if !make_room(&mut open, self.limits.max_connections) {
            tracing::warn!(
                open = open.len(),
                remote = ?origin.remote,
                "refused a connection: every connection has a request in flight"
            );
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let (started, finished) = (busy.clone(), busy.clone());
        let upload = Arc::new(Upload::new(self.limits.body, self.budget.clone()));
        let for_requests = upload.clone();
        let service = self
            .router
            .clone()
            .map_request(move |mut request: http::Request<Incoming>| {
                request.extensions_mut().insert(origin);
                request.extensions_mut().insert(for_requests.clone());
                started.fetch_add(1, Ordering::Relaxed);
                request
            })
            .map_response(move |response| {
                finished.fetch_sub(1, Ordering::Relaxed);
                response
            });
        let leave = Leave {
            open: self.open.clone(),
            id,
        };
        let mut draining = self.drain.subscribe();
        let header_read_timeout = self.limits.header_read_timeout;
        let abort = self.tasks.spawn(async move {
            let _leave = leave;
            let mut http = http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let connection =
                http.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = async { let _ = draining.wait_for(|d| *d).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
        open.insert(
            id,
            Open {
                busy,
                upload,
                abort,
            },
        );
    }

    /// Waits for some connection to end (never returns while none is open).
    pub(crate) async fn reap(&mut self) {
        if self.tasks.join_next().await.is_none() {
            std::future::pending::<()>().await;
        }
    }

    /// Stops every connection after its request in flight, waiting at most the drain grace.
    pub(crate) async fn drain(mut self) {
        let _ = self.drain.send(true);
        let finished = async { while self.tasks.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(self.limits.drain_grace, finished).await;
        self.tasks.abort_all();
    }
}

/// Makes room for one more connection when at `max`: closes the oldest idle one, or else ends
/// the upload that has been arriving the longest (its request is still captured and answered).
/// False when every open connection is past its body.
fn make_room(open: &mut BTreeMap<u64, Open>, max: usize) -> bool {
    if open.len() < max.max(1) {
        return true;
    }
    let idle = open
        .iter()
        .find(|(_, o)| o.busy.load(Ordering::Relaxed) == 0)
        .map(|(id, _)| *id);
    if let Some(closed) = idle.and_then(|id| open.remove(&id)) {
        closed.abort.abort();
        tracing::debug!("closed the oldest idle connection to make room for a new one");
        return true;
    }
    let slowest = open
        .iter()
        .filter_map(|(id, o)| o.upload.reading_since().map(|since| (since, *id)))
        .min()
        .map(|(_, id)| id);
    let Some(cut) = slowest.and_then(|id| open.remove(&id)) else {
        return false;
    };
    let since = cut.upload.reading_since();
    cut.upload.cut();
    tracing::info!("ended the longest-running upload to make room for a new connection");
    // It answers and closes. Should the same upload still be reading after the grace (its
    // task stuck), the connection is closed; a later request on it is left alone.
    tokio::spawn(async move {
        tokio::time::sleep(CUT_GRACE).await;
        if since.is_some() && cut.upload.reading_since() == since {
            cut.abort.abort();
        }
    });
    true
}

/// Takes a connection out of the table when its task ends (or is aborted).
struct Leave {
    open: Table,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}
