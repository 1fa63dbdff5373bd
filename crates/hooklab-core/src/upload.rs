//! Reading a request's body without letting slow or bulky clients crowd out Clerk: an idle
//! deadline and a total one, a memory budget shared by the connections of one listener, and
//! giving up at once when the connection is cut to make room for a new one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::capture::{Incomplete, Short, now_ms};

/// How long a client may take to send a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// The longest pause between two pieces of the body.
    pub idle: Duration,
    /// The longest the whole body may take (Svix gives up on an attempt after about 15 s).
    pub total: Duration,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(5),
            total: Duration::from_secs(10),
        }
    }
}

/// Bytes of each body read without asking the budget: Clerk events are a few KB, so a real
/// delivery never waits on it.
pub const FREE_BYTES: usize = 64 * 1024;

/// Bytes past [`FREE_BYTES`] that the bodies being read on one listener may hold at once.
pub const BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// A new budget for one listener's connections.
pub(crate) fn budget() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(BUDGET_BYTES))
}

/// One connection's upload state, shared by the connection table (which may cut it) and the
/// request being read (as a request extension).
#[derive(Debug)]
pub(crate) struct Upload {
    /// `now_ms()` when the body in flight started arriving; 0 when none is being read.
    reading_since: AtomicU64,
    /// Set by [`Upload::cut`]; cleared when the next body starts, so a cut that arrives just
    /// after a body ended cannot end the connection's next request.
    cutting: AtomicBool,
    cut: Notify,
    limits: BodyLimits,
    budget: Arc<Semaphore>,
}

impl Upload {
    pub(crate) fn new(limits: BodyLimits, budget: Arc<Semaphore>) -> Self {
        Self {
            reading_since: AtomicU64::new(0),
            cutting: AtomicBool::new(false),
            cut: Notify::new(),
            limits,
            budget,
        }
    }

    /// When the body in flight started arriving (ms), if one is being read.
    pub(crate) fn reading_since(&self) -> Option<u64> {
        Some(self.reading_since.load(Ordering::Relaxed)).filter(|ms| *ms > 0)
    }

    /// Makes the body in flight end now, captured as cut to make room.
    pub(crate) fn cut(&self) {
        self.cutting.store(true, Ordering::Release);
        self.cut.notify_waiters();
    }

    /// Resolves once this upload is cut (at once if it already was).
    async fn was_cut(&self) {
        let notified = self.cut.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !self.cutting.load(Ordering::Acquire) {
            notified.await;
        }
    }
}

/// A body as read: its bytes (what arrived, when it stopped short), its size, why it is not
/// whole, and the budget it holds until the request is answered.
pub(crate) struct ReadBody {
    pub bytes: Bytes,
    pub size: u64,
    pub incomplete: Option<Incomplete>,
    pub _held: Option<OwnedSemaphorePermit>,
}

/// Reads the body up to `limit` bytes under the deadlines of `upload` (defaults without one).
/// An over-limit body is dropped and reported by size.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    upload: Option<Arc<Upload>>,
) -> ReadBody {
    let expected = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if expected.is_some_and(|n| n > limit as u64) {
        discard(body).await;
        return too_large(expected.unwrap_or_default());
    }
    let upload = upload.unwrap_or_else(|| Arc::new(Upload::new(BodyLimits::default(), budget())));
    upload.cutting.store(false, Ordering::Release);
    let now = u64::try_from(now_ms()).unwrap_or_default().max(1);
    upload.reading_since.store(now, Ordering::Relaxed);
    let read = read_within(body, limit, expected, &upload).await;
    upload.reading_since.store(0, Ordering::Relaxed);
    read
}

async fn read_within(
    mut body: Body,
    limit: usize,
    expected: Option<u64>,
    upload: &Upload,
) -> ReadBody {
    let BodyLimits { idle, total } = upload.limits;
    let end = Instant::now() + total;
    let mut buf = Collected::default();
    let mut held: Option<OwnedSemaphorePermit> = None;
    let short = |buf: Collected, held, why| {
        let size = buf.len() as u64;
        ReadBody {
            bytes: buf.into_bytes(),
            size,
            incomplete: Some(Incomplete::Short { why, expected }),
            _held: held,
        }
    };
    loop {
        let wait = idle.min(end.saturating_duration_since(Instant::now()));
        let next = tokio::select! {
            biased;
            () = upload.was_cut() => return short(buf, held, Short::MadeRoom),
            next = tokio::time::timeout(wait, body.frame()) => next,
        };
        let frame = match next {
            Err(_) if Instant::now() >= end => return short(buf, held, Short::TooSlow(total)),
            Err(_) => return short(buf, held, Short::Stalled(idle)),
            Ok(None) => break,
            Ok(Some(Err(_))) => return short(buf, held, Short::Closed),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let len = buf.len() + data.len();
        if len > limit {
            discard(body).await;
            return too_large(limit as u64 + 1);
        }
        // Bytes past the free allowance wait for the listener's budget (as long as the
        // deadlines allow).
        let owed = len.saturating_sub(FREE_BYTES) - held.as_ref().map_or(0, |h| h.num_permits());
        if owed > 0 {
            let wait = idle.min(end.saturating_duration_since(Instant::now()));
            let permits = u32::try_from(owed).unwrap_or(u32::MAX);
            let got = tokio::select! {
                biased;
                () = upload.was_cut() => return short(buf, held, Short::MadeRoom),
                got = tokio::time::timeout(wait, upload.budget.clone().acquire_many_owned(permits)) => got,
            };
            match got {
                Ok(Ok(permit)) => match held.as_mut() {
                    Some(h) => h.merge(permit),
                    None => held = Some(permit),
                },
                // The budget stayed spent past a deadline: Hooklab, not the client, was full.
                _ => return short(buf, held, Short::Busy),
            }
        }
        buf.push(data);
    }
    let size = buf.len() as u64;
    ReadBody {
        bytes: buf.into_bytes(),
        size,
        incomplete: None,
        _held: held,
    }
}

/// A body's pieces: the first kept as it came (most bodies are one piece: no copy), later ones
/// appended to a buffer.
#[derive(Default)]
struct Collected {
    first: Bytes,
    rest: BytesMut,
}

impl Collected {
    fn len(&self) -> usize {
        self.first.len() + self.rest.len()
    }

    fn push(&mut self, data: Bytes) {
        if self.len() == 0 {
            self.first = data;
            return;
        }
        if !self.first.is_empty() {
            self.rest
                .extend_from_slice(&std::mem::take(&mut self.first));
        }
        self.rest.extend_from_slice(&data);
    }

    fn into_bytes(self) -> Bytes {
        if self.rest.is_empty() {
            self.first
        } else {
            self.rest.freeze()
        }
    }
}

fn too_large(size: u64) -> ReadBody {
    ReadBody {
        bytes: Bytes::new(),
        size,
        incomplete: Some(Incomplete::TooLarge),
        _held: None,
    }
}

/// Reads and drops what an over-limit upload sends, up to a bound, before it is answered: a
/// connection closed with unread bytes is reset, and the client would see a reset instead of
/// the 413. Past the bound (or a stall) the connection is closed anyway.
async fn discard(body: Body) {
    const DISCARD_MAX: usize = 8 * 1024 * 1024;
    const DISCARD_TIME: Duration = Duration::from_secs(2);
    let mut body = body;
    let mut seen = 0usize;
    let drain = async {
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > DISCARD_MAX {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_TIME, drain).await;
}
