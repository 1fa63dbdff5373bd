//! The load generator: `concurrency` keep-alive HTTP/1.1 connections, each sending the next
//! request of the plan as soon as its previous one is answered, timing every request. A
//! connection the server closes is opened again; a request that gets no answer (refused, reset,
//! or nothing within [`ANSWER_TIMEOUT`]) is counted with status 0, not fatal, so a load test of
//! an app that falls over says how it fell. Stop abandons the requests in flight.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::sync::Notify;

use super::endpoint::Endpoint;
use super::mix::Plan;
use crate::send::Delivery;

/// How long a request may wait for its whole answer: twice what Svix waits, so an answer
/// Svix would have given up on is still measured.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// One request and its answer.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When the answer arrived, µs since the load started.
    pub done_us: u64,
    /// Request latency, µs (from sending it on an open connection).
    pub latency_us: u32,
    /// HTTP status; 0: no answer (refused, reset, closed, timed out).
    pub status: u16,
}

/// Shared with whoever watches a run: how many requests are answered, a way to stop early,
/// and the first reason a request got no answer.
#[derive(Debug, Default)]
pub struct Progress {
    /// Requests answered (or failed) so far.
    pub done: AtomicUsize,
    /// Set to stop: no more requests are sent, and those in flight are abandoned.
    stop: AtomicBool,
    /// Wakes the requests in flight when the run is stopped.
    stopping: Notify,
    /// Why the first unanswered request got no answer.
    error: Mutex<Option<String>>,
}

impl Progress {
    fn failed(&self, why: String) {
        if let Ok(mut error) = self.error.lock() {
            error.get_or_insert(why);
        }
    }

    /// Stops the run: no more requests are sent, and those in flight are abandoned.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.stopping.notify_waiters();
    }

    /// Whether the run was stopped (or has ended).
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Resolves once the run is stopped.
    async fn until_stopped(&self) {
        loop {
            let woken = self.stopping.notified();
            if self.stopped() {
                return;
            }
            woken.await;
        }
    }

    /// The first reason a request got no answer, if one did not.
    pub fn error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }
}

/// Sends requests `range` of the plan; returns one sample per request answered or failed, by
/// completion.
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
    while !progress.stopped() {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        let delivery = plan.delivery(i);
        let answer = tokio::select! {
            answer = tokio::time::timeout(ANSWER_TIMEOUT, send(&mut sender, endpoint, &url, &delivery)) => answer,
            () = progress.until_stopped() => break,
        };
        let (status, sent) = match answer {
            Ok(Ok((status, sent))) => (status, sent),
            Ok(Err((why, sent))) => {
                progress.failed(why);
                sender = None;
                (0, sent)
            }
            Err(_) => {
                progress.failed(format!(
                    "{}: no answer in {} s",
                    endpoint.url(),
                    ANSWER_TIMEOUT.as_secs()
                ));
                sender = None;
                (0, Instant::now() - ANSWER_TIMEOUT)
            }
        };
        let done = Instant::now();
        samples.push(Sample {
            done_us: u64::try_from(done.duration_since(started).as_micros()).unwrap_or(u64::MAX),
            latency_us: u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX),
            status,
        });
        progress.done.fetch_add(1, Ordering::Relaxed);
        // Nothing listens any more: this connection stops instead of failing every request.
        if status == 0 {
            tokio::select! {
                open = endpoint.connect() => if open.is_err() { break },
                () = progress.until_stopped() => break,
            }
        }
    }
    samples
}

/// Posts one delivery on the connection, opening it (again) when it is closed; the status and
/// when the request went out, or why it got no answer.
async fn send(
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    endpoint: &Endpoint,
    url: &hyper::Uri,
    delivery: &Delivery,
) -> Result<(u16, Instant), (String, Instant)> {
    let failed = |why: String| (why, Instant::now());
    let usable = match sender.as_mut() {
        Some(open) => open.ready().await.is_ok(),
        None => false,
    };
    if !usable {
        // Never opened, or closed by the server after its previous answer (`Connection:
        // close`): open again.
        *sender = Some(open(endpoint).await.map_err(failed)?);
    }
    let Some(ready) = sender.as_mut() else {
        return Err(failed("no connection".to_owned()));
    };
    let mut request = Request::post(url.clone())
        .header("host", endpoint.authority.as_str())
        .body(Full::new(delivery.body.clone()))
        .map_err(|e| failed(e.to_string()))?;
    request.headers_mut().extend(delivery.headers());
    let sent = Instant::now();
    let response = ready
        .send_request(request)
        .await
        .map_err(|e| (format!("{}: {e}", endpoint.url()), sent))?;
    let status = response.status().as_u16();
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| (format!("reading the answer: {e}"), sent))?;
    Ok((status, sent))
}

async fn open(endpoint: &Endpoint) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = endpoint.connect().await?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("{}: {e}", endpoint.url()))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("{}: {e}", endpoint.url()))?;
    tokio::spawn(conn);
    Ok(sender)
}
