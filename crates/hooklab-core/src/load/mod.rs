//! A realistic signed load (Clerk's event mix over a pool of users, redeliveries, out of order)
//! driven over HTTP. `hooklab bench` measures Hooklab's receiver with it; the app's load test and
//! `hooklab bench --target` point it at the user's own app, to see whether its handler keeps up
//! and stays correct when Clerk delivers a burst.

mod drive;
mod endpoint;
mod mix;
mod runs;
mod stats;
mod template;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use drive::{Progress, Sample, drive};
pub use endpoint::Endpoint;
pub use mix::{Check, Plan};
pub use runs::{LoadError, Runs};
pub use stats::{Window, window};

use drive::ANSWER_TIMEOUT;

use crate::engine::Engine;
use crate::secret::Secret;
use crate::settings::{FieldError, normalize_forward_url};
use crate::store::app_advice;

/// What the requests are.
pub const MIX: &str = "mix: 25% user.created, 35% user.updated, 5% user.deleted, 35% \
                       session.created, 5% redeliveries";

/// Svix gives up on an attempt after about 15 s (and retries it later).
pub const SVIX_TIMEOUT_MS: f64 = 15_000.0;

/// The most requests one load test in the app sends.
pub const MAX_EVENTS: u32 = 100_000;

/// The most connections one load test in the app opens.
pub const MAX_CONCURRENCY: u32 = 64;

/// A load test the user asked for.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoadRequest {
    /// The app's webhook URL (plain http).
    pub url: String,
    /// How many signed requests.
    pub events: u32,
    /// How many at once (connections).
    pub concurrency: u32,
}

/// How far a load test is.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoadProgress {
    /// Requests answered (or failed).
    pub done: u32,
    /// Requests planned.
    pub total: u32,
    /// Answers per second so far.
    pub events_per_sec: f64,
}

/// How many requests were answered with one status.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusCount {
    /// HTTP status; 0: no answer.
    pub status: u16,
    /// Requests.
    pub count: u32,
}

/// What a load test measured.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoadReport {
    /// Where the load went.
    pub url: String,
    /// Requests planned.
    pub planned: u32,
    /// Requests sent (and answered or failed; those abandoned by Stop are not counted).
    pub sent: u32,
    /// Requests answered with any status.
    pub answered: u32,
    /// Requests the app accepted but never answered within 30 s (a hung handler).
    pub timed_out: u32,
    /// How long the run took, ms.
    pub elapsed_ms: f64,
    /// Stopped before all were sent (by the user, or because nothing listened any more).
    pub stopped: bool,
    /// Users the mix is about (fake ones, now in the app's database).
    pub users: u32,
    /// Throughput and latency of the answers over the whole run.
    pub overall: Window,
    /// Requests per status, most frequent first (0: no answer).
    pub statuses: Vec<StatusCount>,
    /// Requests answered 2xx.
    pub ok: u32,
    /// Answers that came, but later than Svix waits (about 15 s): Clerk would count them failed.
    pub over_svix_timeout: u32,
    /// Why the first unanswered request got no answer.
    pub error: Option<String>,
    /// What to do about the worst of what went wrong.
    pub hint: Option<String>,
}

/// A load test ready to run: the URL checked, the plan made.
pub struct LoadTest {
    endpoint: Endpoint,
    plan: Arc<Plan>,
    concurrency: usize,
}

impl LoadTest {
    /// Checks the request (`own_port`: Hooklab's receiver, never a target) and prepares the
    /// mix, signed with `engine`'s current secret (the one the app must verify with).
    pub async fn prepare(
        request: &LoadRequest,
        engine: &Engine,
        own_port: u16,
    ) -> Result<Self, FieldError> {
        let url = normalize_forward_url(&request.url, own_port).map_err(|e| FieldError {
            field: "load_url",
            ..e
        })?;
        let bad_url = |message: String| {
            FieldError::new(
                "load_url",
                "invalid_load_url",
                message,
                "Give your app's webhook URL on this machine or network as \
                 http://HOST:PORT/PATH (e.g. http://localhost:3000/api/webhooks/clerk); a load \
                 test goes straight to the app, not through a tunnel or proxy.",
            )
        };
        let endpoint = Endpoint::resolve(&url)
            .await
            .map_err(|problem| bad_url(format!("{url}: {problem}")))?;
        if !(1..=MAX_EVENTS).contains(&request.events) {
            return Err(FieldError::new(
                "load_events",
                "invalid_load_events",
                format!("{} requests: from 1 to 100,000", request.events),
                "A few thousand show how the handler behaves under a burst.",
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&request.concurrency) {
            return Err(FieldError::new(
                "load_concurrency",
                "invalid_load_concurrency",
                format!(
                    "{} at once: from 1 to {MAX_CONCURRENCY}",
                    request.concurrency
                ),
                "Clerk's sender delivers several messages to an endpoint at once; 8 to 32 is a \
                 realistic burst.",
            ));
        }
        let Some(secret) = engine.secrets().first().and_then(Secret::duplicate) else {
            return Err(FieldError::new(
                "load_url",
                "no_secret",
                "no signing secret to sign the requests with".to_owned(),
                "Paste your endpoint's signing secret in Settings: your app must verify with \
                 the same one.",
            ));
        };
        let plan = Plan::new(request.events as usize, secret)
            .map_err(|e| FieldError::new("load_url", "load_plan", e, "Reinstall Hooklab."))?;
        Ok(Self {
            endpoint,
            plan: Arc::new(plan),
            concurrency: request.concurrency as usize,
        })
    }

    /// Sends the whole plan (or until `progress` says stop) and measures the answers.
    pub async fn run(self, progress: &Arc<Progress>) -> Result<LoadReport, String> {
        let started = Instant::now();
        let total = self.plan.total();
        let samples = drive(
            &self.endpoint,
            &self.plan,
            self.concurrency,
            0..total,
            progress,
        )
        .await?;
        let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let url = self.endpoint.url();
        let error = progress.error();
        Ok(report(
            url,
            total,
            self.plan.user_count(),
            &samples,
            elapsed_us,
            error,
        ))
    }
}

/// The report of a run over `samples`.
fn report(
    url: String,
    planned: usize,
    users: usize,
    samples: &[Sample],
    elapsed_us: u64,
    error: Option<String>,
) -> LoadReport {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut by_status = BTreeMap::<u16, usize>::new();
    for s in samples {
        *by_status.entry(s.status).or_default() += 1;
    }
    let mut statuses: Vec<StatusCount> = by_status
        .iter()
        .map(|(status, n)| StatusCount {
            status: *status,
            count: count(*n),
        })
        .collect();
    statuses.sort_by(|a, b| b.count.cmp(&a.count).then(a.status.cmp(&b.status)));
    let ok = samples
        .iter()
        .filter(|s| (200..300).contains(&s.status))
        .count();
    // Latency and throughput of answers: a refused request fails in microseconds, one that
    // timed out took exactly the timeout.
    let answered: Vec<Sample> = samples.iter().filter(|s| s.status != 0).copied().collect();
    let slow = answered
        .iter()
        .filter(|s| f64::from(s.latency_us) / 1000.0 > SVIX_TIMEOUT_MS)
        .count();
    let timed_out = samples
        .iter()
        .filter(|s| s.status == 0 && u128::from(s.latency_us) >= ANSWER_TIMEOUT.as_micros())
        .count();
    let hint = hint(&by_status, slow, timed_out, &url);
    LoadReport {
        planned: count(planned),
        sent: count(samples.len()),
        answered: count(answered.len()),
        timed_out: count(timed_out),
        elapsed_ms: elapsed_us as f64 / 1000.0,
        stopped: samples.len() < planned,
        users: count(users),
        overall: window(1, &answered, elapsed_us),
        statuses,
        ok: count(ok),
        over_svix_timeout: count(slow),
        error,
        hint,
        url,
    }
}

/// What to do about the worst of what went wrong: no answers first (a hung handler, then a
/// crashed or closed one), then refusals of the signature or the path, then failures under
/// load, then answers too slow for Svix.
fn hint(
    by_status: &BTreeMap<u16, usize>,
    slow: usize,
    timed_out: usize,
    url: &str,
) -> Option<String> {
    let has = |f: fn(u16) -> bool| by_status.keys().any(|s| f(*s));
    if timed_out > 0 {
        return Some(format!(
            "{timed_out} requests were taken but never answered within {} s: the handler hangs \
             under concurrent requests (a deadlock, an exhausted database pool, a lock held by \
             another request). Svix gives up after about 15 s and delivers again later, into \
             the same jam.",
            ANSWER_TIMEOUT.as_secs()
        ));
    }
    if by_status.keys().all(|s| *s == 0) {
        return Some(format!(
            "Nothing answered at {url}: is your app running, and listening on that port? \
             Start it, then run the load test again."
        ));
    }
    if has(|s| s == 0) {
        return Some(format!(
            "Some requests got no answer: is your app running at {url}, and did it crash or \
             close connections under the load? Its own log says."
        ));
    }
    if let Some(status) = by_status
        .keys()
        .find(|s| matches!(s, 300..=399 | 401 | 403 | 404 | 405))
    {
        return app_advice(Some(*status), url);
    }
    if has(|s| s == 429) {
        return Some(
            "Your app rate-limited the deliveries (429): Clerk would retry them later, but a \
             burst (a bulk import, a migration) arrives like this. Exempt the webhook route from \
             rate limits."
                .to_owned(),
        );
    }
    if has(|s| s >= 400) {
        return Some(
            "Your app's handler failed under load: its log says why. Common causes: inserting \
             a user that already exists (a redelivery, or user.updated before user.created: \
             upsert by id), a stale update overwriting a newer one (compare updated_at), and \
             database locks or pool limits under concurrent requests."
                .to_owned(),
        );
    }
    (slow > 0).then(|| {
        "Some answers took longer than Svix waits (about 15 s), so Clerk would count them \
         failed and deliver them again: answer 2xx as soon as the event is stored, and do slow \
         work afterwards."
            .to_owned()
    })
}

/// Answers per second so far, for progress.
fn progress_of(progress: &Progress, total: usize, started: Instant) -> LoadProgress {
    let done = progress.done.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    LoadProgress {
        done: u32::try_from(done).unwrap_or(u32::MAX),
        total: u32::try_from(total).unwrap_or(u32::MAX),
        events_per_sec: if secs > 0.0 { done as f64 / secs } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(status: u16, latency_ms: u32) -> Sample {
        Sample {
            done_us: 0,
            latency_us: latency_ms * 1000,
            status,
        }
    }

    #[test]
    fn the_report_counts_statuses_and_names_the_worst_problem() {
        let samples = [
            sample(200, 3),
            sample(200, 4),
            sample(500, 9),
            sample(401, 2),
        ];
        let r = report("http://h:1/x".into(), 5, 10, &samples, 1_000_000, None);
        assert_eq!((r.planned, r.sent, r.ok), (5, 4, 2));
        assert!(r.stopped);
        assert_eq!(r.statuses[0].status, 200);
        assert_eq!(r.statuses[0].count, 2);
        assert!(r.hint.unwrap().contains("signature"));

        let slow = [sample(200, 16_000), sample(500, 3)];
        let r = report("http://h:1/x".into(), 2, 10, &slow, 1_000_000, None);
        assert_eq!(r.over_svix_timeout, 1);
        assert!(r.hint.unwrap().contains("failed under load"));
        let r = report("http://h:1/x".into(), 1, 10, &slow[..1], 1_000_000, None);
        assert!(r.hint.unwrap().contains("15 s"));
        let moved = report("http://h:1/x".into(), 1, 10, &[sample(308, 1)], 1, None);
        assert!(moved.hint.unwrap().contains("redirect"));
        let down = report("http://h:1/x".into(), 9, 10, &[sample(0, 0)], 1, None);
        assert!(down.hint.unwrap().starts_with("Nothing answered"));
        let refused = [sample(200, 5), sample(0, 0)];
        let r = report("http://h:1/x".into(), 2, 10, &refused, 1_000_000, None);
        assert_eq!(
            (r.overall.to, r.overall.p50_ms),
            (1, 5.0),
            "latency of answers only"
        );
        assert!(r.hint.unwrap().contains("no answer"));
        let fine = report("http://h:1/x".into(), 1, 10, &[sample(204, 1)], 1, None);
        assert!(fine.hint.is_none() && !fine.stopped);
    }
}
