//! Recovering the deliveries that failed once their cause is fixed (a wrong or missing secret,
//! the wrong path), like Svix's "Recover failed messages": every Clerk message that failed
//! since a time and was never delivered since is re-run in Hooklab with today's secrets and
//! settings, oldest first, one request each. Each re-run is a replay linked to the request it
//! re-runs, so the log keeps both.

use serde::Serialize;

use crate::client::HttpClient;
use crate::engine::Engine;
use crate::replay::{ReplayError, ReplayRequest, Signing, Target, replay_detail};
use crate::store::{EventSummary, StoreError};
use crate::sync::SyncKind;

/// Messages one recovery re-runs at most; the rest wait for the next one. At one commit each
/// this takes a second or two.
pub const MAX_RECOVERED: usize = 500;

/// What a recovery since a time would re-run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecoveryPlan {
    /// Requests received at or after this (Unix ms) count.
    pub since: i64,
    /// Messages that failed and were never delivered since.
    pub messages: usize,
    /// How their first requests failed: each verification code with its count, most first.
    pub failures: Vec<FailureCount>,
    /// When the oldest of them arrived (Unix ms).
    pub oldest_at: Option<i64>,
    /// Messages one recovery re-runs at most ([`MAX_RECOVERED`]).
    pub max: usize,
}

/// How many messages failed one way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FailureCount {
    /// The verification code (`signature_mismatch`, `no_secret`, …).
    pub verification: String,
    /// How many messages failed so.
    pub count: usize,
}

/// One message re-run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Recovered {
    /// The failed request that was re-run.
    pub original: i64,
    /// The replay: how it was judged and synced this time.
    pub event: EventSummary,
}

/// What a recovery did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecoveryReport {
    /// Every message re-run, oldest first.
    pub recovered: Vec<Recovered>,
    /// How many of them were verified and accepted this time.
    pub delivered: usize,
    /// How many were applied to a user or session (the rest were stale, ignored or failed).
    pub applied: usize,
    /// Messages left for the next recovery (over [`MAX_RECOVERED`]).
    pub left: usize,
    /// Requests that could not be re-run (pruned meanwhile), with why.
    pub skipped: Vec<String>,
}

/// What [`recover`] would re-run for requests received at or after `since_ms`.
pub async fn recovery_plan(engine: &Engine, since_ms: i64) -> Result<RecoveryPlan, StoreError> {
    let found = engine.store().unrecovered(since_ms).await?;
    let mut failures: Vec<FailureCount> = Vec::new();
    for message in &found {
        match failures
            .iter_mut()
            .find(|f| f.verification == message.verification)
        {
            Some(failure) => failure.count += 1,
            None => failures.push(FailureCount {
                verification: message.verification.clone(),
                count: 1,
            }),
        }
    }
    failures.sort_by_key(|f| std::cmp::Reverse(f.count));
    let oldest_at = match found.first() {
        Some(first) => engine
            .store()
            .event_request(first.id)
            .await?
            .map(|d| d.summary.received_at),
        None => None,
    };
    Ok(RecoveryPlan {
        since: since_ms,
        messages: found.len(),
        failures,
        oldest_at,
        max: MAX_RECOVERED,
    })
}

/// Re-runs, oldest first, up to [`MAX_RECOVERED`] messages that failed since `since_ms` and
/// were never delivered: each request as captured, judged as of its arrival with today's
/// secrets and settings. A store failure stops it (what was re-run stays in the log).
pub async fn recover(
    engine: &Engine,
    client: &HttpClient,
    since_ms: i64,
) -> Result<RecoveryReport, StoreError> {
    let found = engine.store().unrecovered(since_ms).await?;
    let left = found.len().saturating_sub(MAX_RECOVERED);
    let mut report = RecoveryReport {
        recovered: Vec::new(),
        delivered: 0,
        applied: 0,
        left,
        skipped: Vec::new(),
    };
    for message in found.into_iter().take(MAX_RECOVERED) {
        let Some(detail) = engine.store().event_request(message.id).await? else {
            report
                .skipped
                .push(format!("event {} was pruned meanwhile", message.id));
            continue;
        };
        let request = ReplayRequest {
            key: message.id.to_string(),
            signing: Signing::AsCaptured,
            target: Target::Rerun,
            body: None,
        };
        match replay_detail(engine, client, &request, detail).await {
            Ok(outcome) => {
                let Some(event) = outcome.event else { continue };
                if event.verification == "verified" && (200..300).contains(&event.status) {
                    report.delivered += 1;
                }
                if event.sync == SyncKind::Applied {
                    report.applied += 1;
                }
                report.recovered.push(Recovered {
                    original: message.id,
                    event,
                });
            }
            Err(ReplayError::Store(e)) => return Err(e),
            Err(e) => report.skipped.push(format!("event {}: {e}", message.id)),
        }
    }
    Ok(report)
}
