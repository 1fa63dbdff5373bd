//! Recovering the deliveries that failed once their cause is fixed (a wrong or missing secret,
//! the wrong path), like Svix's "Recover failed messages": every Clerk message that failed so
//! since a time and was never delivered since is re-run in Hooklab with today's secrets, at
//! today's webhook path, oldest first, one request each. Each re-run is a replay linked to the
//! request it re-runs, so the log keeps both.

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
    /// How they failed, most first.
    pub failures: Vec<FailureCount>,
    /// How many of them were re-run before and failed again (they come after the others).
    pub retried: usize,
    /// Messages that failed so too but whose body Hooklab did not keep whole (rate limited, or
    /// cut as unsigned traffic): only Clerk's Recover can send them again.
    pub unkept: usize,
    /// When the oldest of them arrived (Unix ms).
    pub oldest_at: Option<i64>,
    /// Messages one recovery re-runs at most ([`MAX_RECOVERED`]).
    pub max: usize,
}

/// How many messages failed one way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FailureCount {
    /// `signature_mismatch` or `no_secret` (the verification code), or `wrong_path` (verified,
    /// but sent to another path than the webhook's).
    pub failure: String,
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
    /// How many of them this run delivered (verified and accepted, not already delivered).
    pub delivered: usize,
    /// How many were applied to a user or session (the rest were stale, ignored or failed).
    pub applied: usize,
    /// Messages left for the next recovery (over [`MAX_RECOVERED`]).
    pub left: usize,
    /// Messages that failed too but cannot be re-run: their body was not kept whole.
    pub unkept: usize,
    /// Requests that could not be re-run (pruned meanwhile), with why.
    pub skipped: Vec<String>,
}

/// What [`recover`] would re-run for requests received at or after `since_ms`.
pub async fn recovery_plan(engine: &Engine, since_ms: i64) -> Result<RecoveryPlan, StoreError> {
    let found = engine.store().unrecovered(since_ms).await?;
    let mut failures: Vec<FailureCount> = Vec::new();
    for message in &found.messages {
        match failures.iter_mut().find(|f| f.failure == message.failure) {
            Some(failure) => failure.count += 1,
            None => failures.push(FailureCount {
                failure: message.failure.clone(),
                count: 1,
            }),
        }
    }
    failures.sort_by_key(|f| std::cmp::Reverse(f.count));
    let oldest_at = found.messages.iter().map(|m| m.received_at).min();
    Ok(RecoveryPlan {
        since: since_ms,
        messages: found.messages.len(),
        failures,
        retried: found.messages.iter().filter(|m| m.retried).count(),
        unkept: found.unkept,
        oldest_at,
        max: MAX_RECOVERED,
    })
}

/// Re-runs up to [`MAX_RECOVERED`] messages that failed since `since_ms` and were never
/// delivered (oldest first, those re-run before last): each request as captured, at today's
/// webhook path (its query kept), judged as of its arrival with today's secrets. A store
/// failure stops it (what was re-run stays in the log).
pub async fn recover(
    engine: &Engine,
    client: &HttpClient,
    since_ms: i64,
) -> Result<RecoveryReport, StoreError> {
    let found = engine.store().unrecovered(since_ms).await?;
    let mut report = RecoveryReport {
        recovered: Vec::new(),
        delivered: 0,
        applied: 0,
        left: found.messages.len().saturating_sub(MAX_RECOVERED),
        unkept: found.unkept,
        skipped: Vec::new(),
    };
    // The webhook's path alone (a hand-edited setting could carry a query).
    let webhook = engine.webhook_path();
    let path = webhook.split('?').next().unwrap_or("/");
    for message in found.messages.into_iter().take(MAX_RECOVERED) {
        let Some(mut detail) = engine.store().event_request(message.id).await? else {
            report
                .skipped
                .push(format!("event {} was pruned meanwhile", message.id));
            continue;
        };
        // The message was for the webhook, wherever it was sent.
        let query = detail
            .summary
            .path
            .find('?')
            .map(|at| &detail.summary.path[at..]);
        detail.summary.path = format!("{path}{}", query.unwrap_or(""));
        let request = ReplayRequest {
            key: message.id.to_string(),
            signing: Signing::AsCaptured,
            target: Target::Rerun,
            body: None,
        };
        match replay_detail(engine, client, &request, detail).await {
            Ok(outcome) => {
                let Some(event) = outcome.event else { continue };
                // A message delivered meanwhile (by Svix, or another recovery) comes back as
                // a duplicate: not delivered by this run.
                let accepted = (200..300).contains(&event.status);
                if event.verification == "verified" && accepted && event.sync != SyncKind::Duplicate
                {
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
