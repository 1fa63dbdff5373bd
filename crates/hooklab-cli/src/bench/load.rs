//! The load generator: `concurrency` keep-alive HTTP/1.1 connections, each sending the next
//! request of the plan as soon as its previous one is answered, timing every request.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::endpoint::Endpoint;
use super::mix::Plan;
use crate::error::CliError;

/// One answered request.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When the answer arrived, µs since the load started.
    pub done_us: u64,
    /// Request latency, µs.
    pub latency_us: u32,
    /// HTTP status.
    pub status: u16,
}

/// Sends requests `range` of the plan; returns one sample per request.
pub async fn drive(
    endpoint: &Endpoint,
    plan: &Arc<Plan>,
    concurrency: usize,
    range: Range<usize>,
) -> Result<Vec<Sample>, CliError> {
    let total = range.end.min(plan.total());
    let next = Arc::new(AtomicUsize::new(range.start));
    let started = Instant::now();
    let url: hyper::Uri = endpoint
        .url()
        .parse()
        .map_err(|e| CliError::Io(format!("bad URL: {e}")))?;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (plan, next, url) = (Arc::clone(plan), Arc::clone(&next), url.clone());
        let endpoint = endpoint.clone();
        tasks.push(tokio::spawn(async move {
            connection(&endpoint, url, &plan, &next, total, started).await
        }));
    }
    let mut samples = Vec::with_capacity(total.saturating_sub(range.start));
    for task in tasks {
        let part = task
            .await
            .map_err(|e| CliError::Io(format!("a load task failed: {e}")))??;
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
) -> Result<Vec<Sample>, CliError> {
    let io = |e: &dyn std::fmt::Display| CliError::Io(format!("benchmark connection: {e}"));
    let stream = TcpStream::connect(endpoint.addr)
        .await
        .map_err(|e| io(&e))?;
    stream.set_nodelay(true).map_err(|e| io(&e))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| io(&e))?;
    tokio::spawn(conn);
    let mut samples = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            return Ok(samples);
        }
        let delivery = plan.delivery(i);
        let mut request = Request::post(url.clone())
            .header("host", endpoint.authority.as_str())
            .body(Full::new(delivery.body.clone()))
            .map_err(|e| io(&e))?;
        request.headers_mut().extend(delivery.headers());
        let sent = Instant::now();
        sender.ready().await.map_err(|e| io(&e))?;
        let response = sender.send_request(request).await.map_err(|e| io(&e))?;
        let status = response.status().as_u16();
        response.into_body().collect().await.map_err(|e| io(&e))?;
        let done = Instant::now();
        samples.push(Sample {
            done_us: u64::try_from(done.duration_since(started).as_micros()).unwrap_or(u64::MAX),
            latency_us: u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX),
            status,
        });
    }
}
