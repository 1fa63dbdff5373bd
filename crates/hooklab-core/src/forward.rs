//! Forwarding to the user's own app, like `stripe listen --forward-to`: every verified event
//! Hooklab accepted is posted to the app's URL with its body and Svix headers as captured (so
//! the app verifies it with the same signing secret), and how the app answered is stored with
//! the event. New events are read from the store by id, so a burst loses none.

use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderName, HeaderValue};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use crate::bus::BusEvent;
use crate::capture::now_ms;
use crate::client::{HttpClient, HttpReply};
use crate::engine::Engine;
use crate::probe::PROBE_TYPE;
use crate::replay::{body_not_kept, headers_to_post};
use crate::store::{EventFilter, EventSummary, FORWARD_BODY_KEPT, Forward};

/// The header a forwarded request carries (the event's number). Hooklab never forwards a
/// request that carries it, so a URL that leads back to Hooklab cannot loop.
pub const FORWARDED_HEADER: &str = "x-hooklab-forwarded";

/// Forwards in flight at once.
const IN_FLIGHT: usize = 8;

/// Events read from the store per pass.
const PER_PASS: u32 = 200;

/// How often the store is checked for events without a nudge from this process's bus.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Starts and steers the forwarding task; `None` turns forwarding off.
pub(crate) struct Forwarder {
    url: watch::Sender<Option<String>>,
}

impl Forwarder {
    /// Starts the task, forwarding to `url` (if any) every event stored from now on; it ends
    /// when `stop` turns true.
    pub(crate) async fn start(
        engine: Engine,
        url: Option<String>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        // Where forwarding starts is fixed before the receiver takes its first request.
        let from = match url {
            Some(_) => starting_point(&engine).await,
            None => None,
        };
        let (sender, wanted) = watch::channel(url);
        tokio::spawn(run(engine, HttpClient::new(), wanted, stop, from));
        Self { url: sender }
    }

    /// Forwards to `url` from now on (`None`: stop forwarding).
    pub(crate) fn set_url(&self, url: Option<String>) {
        self.url.send_if_modified(|now| {
            let changed = *now != url;
            *now = url;
            changed
        });
    }
}

/// The bus, subscribed, and the newest event id: forwarding covers what is stored after it.
async fn starting_point(engine: &Engine) -> Option<(broadcast::Receiver<BusEvent>, i64)> {
    let bus = engine.subscribe();
    match engine.store().latest_event_id().await {
        Ok(id) => Some((bus, id)),
        Err(e) => {
            tracing::warn!(error = %e, "forwarding cannot start: the store did not answer");
            None
        }
    }
}

async fn run(
    engine: Engine,
    client: HttpClient,
    mut wanted: watch::Receiver<Option<String>>,
    mut stop: watch::Receiver<bool>,
    mut from: Option<(broadcast::Receiver<BusEvent>, i64)>,
) {
    loop {
        let Some(url) = wanted.borrow_and_update().clone() else {
            from = None;
            tokio::select! {
                changed = wanted.changed() => if changed.is_err() { return },
                _ = stop.changed() => return,
            }
            continue;
        };
        // Events from now on: what arrived before forwarding was turned on stays where it is.
        let (mut bus, mut cursor) = match from.take() {
            Some(from) => from,
            None => match starting_point(&engine).await {
                Some(from) => from,
                None => {
                    tokio::select! {
                        () = tokio::time::sleep(RECHECK) => continue,
                        _ = stop.changed() => return,
                    }
                }
            },
        };
        tracing::info!(url = %url, "forwarding verified events");
        loop {
            let due = tokio::select! {
                event = bus.recv() => match event {
                    // A redelivery that only bumps a stored event is not forwarded again: a
                    // URL leading back to Hooklab would otherwise bump and forward it forever.
                    Ok(BusEvent::Captured(e) | BusEvent::OutcomeUpdated(e)) => e.id > cursor,
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => return,
                    Ok(_) => false,
                },
                // Events another process wrote to this database (a CLI re-run) announce
                // nothing here.
                () = tokio::time::sleep(RECHECK) => true,
                changed = wanted.changed() => {
                    if changed.is_err() { return }
                    // Another URL carries on from here; off forgets the place.
                    from = Some((bus, cursor));
                    break;
                }
                _ = stop.changed() => return,
            };
            if !due {
                continue;
            }
            // Turning forwarding off or changing the URL does not wait for a backlog (an app
            // that hangs takes 15 s per request): posts in flight are dropped, and their
            // events keep the claim, with no answer.
            tokio::select! {
                next = forward_new(&engine, &client, &url, cursor) => cursor = next,
                changed = wanted.changed() => {
                    if changed.is_err() { return }
                    from = Some((bus, cursor));
                    break;
                }
                _ = stop.changed() => return,
            }
        }
    }
}

/// Whether an event goes to the app: verified and accepted at the webhook path, and not
/// Hooklab's own probe of its public URL.
fn forwardable(e: &EventSummary) -> bool {
    e.verification == "verified"
        && (200..300).contains(&e.status)
        && e.event_type.as_deref() != Some(PROBE_TYPE)
}

/// Forwards every forwardable event after `cursor`; returns the new cursor.
async fn forward_new(engine: &Engine, client: &HttpClient, url: &str, mut cursor: i64) -> i64 {
    loop {
        let filter = EventFilter {
            after: Some(cursor),
            oldest_first: true,
            limit: Some(PER_PASS),
            ..EventFilter::default()
        };
        let page = match engine.store().events(filter).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "forwarding could not read new events");
                return cursor;
            }
        };
        // Pages toward the newest come newest first.
        let Some(newest) = page.items.first().map(|e| e.id) else {
            return cursor;
        };
        let ids = page
            .items
            .iter()
            .rev()
            .filter(|e| forwardable(e))
            .map(|e| e.id)
            .collect();
        if !forward_all(engine, client, url, ids).await {
            // Not claimed: the next nudge (or the periodic check) tries this page again.
            return cursor;
        }
        cursor = newest;
        if page.next_cursor.is_none() {
            return cursor;
        }
    }
}

/// Claims the events not forwarded yet (by this or another process), posts each (a few at a
/// time), stores how the app answered, and announces it. False when they could not be claimed.
async fn forward_all(engine: &Engine, client: &HttpClient, url: &str, ids: Vec<i64>) -> bool {
    if ids.is_empty() {
        return true;
    }
    let ids = match engine
        .store()
        .claim_forwards(ids, url.to_owned(), now_ms())
        .await
    {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "could not claim events to forward; retrying later");
            return false;
        }
    };
    let done: Vec<Forward> = futures_util::stream::iter(ids)
        .map(|id| forward_one(engine, client, url, id))
        .buffered(IN_FLIGHT)
        .filter_map(|f| async { f })
        .collect()
        .await;
    if done.is_empty() {
        return true;
    }
    if let Err(e) = engine.store().record_forwards(done.clone()).await {
        tracing::warn!(error = %e, "could not store what the app answered to forwarded events");
    }
    for forward in done {
        engine.publish(BusEvent::Forwarded(forward));
    }
    true
}

/// Posts one event to the app; `None` when it is not forwarded (gone, no body kept, or a
/// request Hooklab forwarded itself).
async fn forward_one(engine: &Engine, client: &HttpClient, url: &str, id: i64) -> Option<Forward> {
    let detail = match engine.store().event_request(id).await {
        Ok(detail) => detail?,
        Err(e) => {
            tracing::warn!(error = %e, event = id, "could not read an event to forward");
            return None;
        }
    };
    if body_not_kept(&detail).is_some()
        || detail
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(FORWARDED_HEADER))
    {
        return None;
    }
    let at = now_ms();
    let started = Instant::now();
    let mut headers = match headers_to_post(engine, &detail, at) {
        Ok(headers) => headers,
        Err(e) => return Some(failed(id, url, at, started, e.to_string())),
    };
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        headers.insert(HeaderName::from_static(FORWARDED_HEADER), value);
    }
    Some(
        match client.post(url, &headers, Bytes::from(detail.body)).await {
            Ok(reply) => answered(id, url, at, reply),
            Err(e) => failed(id, url, at, started, e.to_string()),
        },
    )
}

/// How the app answered event `id`, sent to `url` at `at`.
pub(crate) fn answered(id: i64, url: &str, at: i64, reply: HttpReply) -> Forward {
    Forward {
        event_id: id,
        url: url.to_owned(),
        at,
        status: Some(reply.status),
        elapsed_ms: reply.elapsed_ms,
        error: None,
        body: truncate(reply.body),
        hint: None,
    }
    .with_hint()
}

fn failed(id: i64, url: &str, at: i64, started: Instant, error: String) -> Forward {
    Forward {
        event_id: id,
        url: url.to_owned(),
        at,
        status: None,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        error: Some(error),
        body: String::new(),
        hint: None,
    }
    .with_hint()
}

/// The first [`FORWARD_BODY_KEPT`] bytes of `body`, cut at a character boundary.
fn truncate(mut body: String) -> String {
    if body.len() > FORWARD_BODY_KEPT {
        let cut = (0..=FORWARD_BODY_KEPT)
            .rev()
            .find(|i| body.is_char_boundary(*i))
            .unwrap_or(0);
        body.truncate(cut);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_answer_is_cut_at_a_character_boundary() {
        let body = format!("{}é", "a".repeat(FORWARD_BODY_KEPT - 1));
        let cut = truncate(body);
        assert_eq!(cut.len(), FORWARD_BODY_KEPT - 1);
        assert!(cut.chars().all(|c| c == 'a'));
        assert_eq!(truncate("short".into()), "short");
    }
}
