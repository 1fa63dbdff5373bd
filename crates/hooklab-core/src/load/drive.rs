//! The load generator: `concurrency` keep-alive HTTP/1.1 connections, each sending the next
//! request of the plan as soon as its previous one is answered, timing every request. A
//! connection the server closes is opened again; a request that gets no answer is counted
//! (status 0), not fatal, so a load test of an app that falls over says how it fell.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::endpoint::Endpoint;
use super::mix::Plan;

/// One request and its answer.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When the answer arrived, µs since the load started.
    pub done_us: u64,
    /// Request latency, µs.
    pub latency_us: u32,
    /// HTTP status; 0: no answer (refused, reset, closed).
    pub status: u16,
}

/// Shared with whoever watches a run: how many requests are answered, a way to stop early,
/// and the first reason a request got no answer.
#[derive(Debug, Default)]
pub struct Progress {
    /// Requests answered (or failed) so far.
    pub done: AtomicUsize,
    /// Set to stop: each connection finishes its request in flight and sends no more.
    pub stop: AtomicBool,
    /// Why the first unanswered request got no answer.
    pub error: Mutex<Option<String>>,
}

impl Progress {
    fn failed(&self, why: String) {
        if let Ok(mut error) = self.error.lock() {
            error.get_or_insert(why);
        }
    }
}

/// Sends requests `range` of the plan; returns one sample per request sent, by completion.
pub async fn drive(
    endpoint: &Endpoint,
    plan: &Arc<Plan>,
    concurrency: usize,
    range: Range<usize>,
    progress: &Arc<Progress>,
) -> Result<Vec<Sample>, String> {
    let total = range.end.min(plan.total());
    let next = Arc::new(AtomicUsize::new(range.start));
    let started = Instant::now();
    let url: hyper::Uri = endpoint
        .url()
        .parse()
        .map_err(|e| format!("bad URL: {e}"))?;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (plan, next, url) = (Arc::clone(plan), Arc::clone(&next), url.clone());
        let (endpoint, progress) = (endpoint.clone(), Arc::clone(progress));
        tasks.push(tokio::spawn(async move {
            connection(&endpoint, url, &plan, &next, total, started, &progress).await
        }));
    }
    let mut samples = Vec::with_capacity(total.saturating_sub(range.start));
    for task in tasks {
        let part = task.await.map_err(|e| format!("a load task failed: {e}"))?;
        samples.extend(part);
    }
    samples.sort_by_key(|s| s.done_us);
    Ok(samples)
}

async fn connection(
    endpoint: &Endpoint,
    url: hyper::Uri,
    plan: &Plan,
    next: &AtomicUsize,
    total: usize,
    started: Instant,
    progress: &Progress,
) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut sender = None;
    while !progress.stop.load(Ordering::Relaxed) {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        let delivery = plan.delivery(i);
        let sent = Instant::now();
        let status = match send(&mut sender, endpoint, &url, &delivery).await {
            Ok(status) => status,
            Err(why) => {
                progress.failed(why);
                sender = None;
                0
            }
        };
        let done = Instant::now();
        samples.push(Sample {
            done_us: u64::try_from(done.duration_since(started).as_micros()).unwrap_or(u64::MAX),
            latency_us: u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX),
            status,
        });
        progress.done.fetch_add(1, Ordering::Relaxed);
        // Nothing listens: this connection stops instead of failing every request at once.
        if status == 0 && sender.is_none() && !reachable(endpoint).await {
            break;
        }
    }
    samples
}

/// Posts one delivery on the connection, opening it (again) when it is closed.
async fn send(
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    endpoint: &Endpoint,
    url: &hyper::Uri,
    delivery: &crate::send::Delivery,
) -> Result<u16, String> {
    if sender.as_mut().is_none_or(|s| s.is_closed()) {
        *sender = Some(open(endpoint).await?);
    }
    let Some(ready) = sender.as_mut() else {
        return Err("no connection".to_owned());
    };
    if ready.ready().await.is_err() {
        // Closed by the server after its previous answer (`Connection: close`): open again.
        *sender = Some(open(endpoint).await?);
    }
    let Some(ready) = sender.as_mut() else {
        return Err("no connection".to_owned());
    };
    let mut request = Request::post(url.clone())
        .header("host", endpoint.authority.as_str())
        .body(Full::new(delivery.body.clone()))
        .map_err(|e| e.to_string())?;
    request.headers_mut().extend(delivery.headers());
    let response = ready
        .send_request(request)
        .await
        .map_err(|e| format!("{}: {e}", endpoint.url()))?;
    let status = response.status().as_u16();
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok(status)
}

async fn open(endpoint: &Endpoint) -> Result<SendRequest<Full<Bytes>>, String> {
    let problem = |e: &dyn std::fmt::Display| format!("{}: {e}", endpoint.url());
    let stream = TcpStream::connect(endpoint.addr)
        .await
        .map_err(|e| problem(&e))?;
    stream.set_nodelay(true).map_err(|e| problem(&e))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| problem(&e))?;
    tokio::spawn(conn);
    Ok(sender)
}

/// Whether anything accepts connections at the endpoint now.
async fn reachable(endpoint: &Endpoint) -> bool {
    TcpStream::connect(endpoint.addr).await.is_ok()
}
