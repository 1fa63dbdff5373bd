//! Which captured requests a recovery re-runs: Clerk's messages that failed in a way today's
//! settings can fix (a signature no secret matched, no secret at all, or a verified request at
//! another path) and were never delivered since, one request each.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, params};

use super::events::svix_sender;
use crate::capture::decode_headers;

/// The failure code of a verified request answered 404 (it came to another path).
pub(crate) const WRONG_PATH: &str = "wrong_path";

/// A message to recover: the request to re-run, and how it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FailedMessage {
    /// The request's event id: the message's first request whose body was kept whole.
    pub id: i64,
    /// Its verification code, or [`WRONG_PATH`].
    pub failure: String,
    /// It was re-run before (and failed again then).
    pub retried: bool,
    /// When the request arrived (Unix ms).
    pub received_at: i64,
}

/// The messages a recovery since a time would re-run, and those it cannot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Unrecovered {
    /// To re-run: first those never re-run before, then those re-run already (they failed again
    /// then), each group oldest first.
    pub messages: Vec<FailedMessage>,
    /// Messages that failed so too, but no request of which kept its whole body (rate limited, or
    /// cut as unsigned traffic): only Clerk can send them again.
    pub unkept: usize,
}

/// The messages to recover among requests received at or after `since_ms`.
///
/// Only what Svix sent counts (its user agent; Hooklab's own test sends say `hooklab` in theirs),
/// and not replays (a resend over HTTP is linked to what it resends). The first condition
/// repeats the WHERE of the `events_failed` partial index word for word, so SQLite reads only
/// failed requests.
pub(crate) fn unrecovered(conn: &Connection, since_ms: i64) -> rusqlite::Result<Unrecovered> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, svix_id, verification, length(body) = body_size, headers, \
                EXISTS (SELECT 1 FROM replays AS r WHERE r.replay_of = e.id), received_at \
         FROM events AS e \
         WHERE (verification <> 'verified' OR status NOT BETWEEN 200 AND 299) \
           AND (verification IN ('signature_mismatch', 'no_secret') \
                OR (verification = 'verified' AND status = 404)) \
           AND svix_id IS NOT NULL AND method = 'POST' AND source IN ('local', 'tunnel') \
           AND id > ?2 AND received_at >= ?1 \
           AND NOT EXISTS (SELECT 1 FROM replays AS r WHERE r.event_id = e.id) \
           AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.svix_id = e.svix_id) \
         ORDER BY id",
    )?;
    let after = super::arrival::after_id(conn, since_ms)?;
    let mut rows = stmt.query(params![since_ms, after])?;
    // Per svix-id: the first request kept whole; and the ids any request of which was re-run.
    let mut chosen: HashMap<String, Option<FailedMessage>> = HashMap::new();
    let mut retried_ids: HashSet<String> = HashSet::new();
    let mut order: Vec<String> = Vec::new();
    while let Some(r) = rows.next()? {
        let raw: Vec<u8> = r.get(4)?;
        let headers = decode_headers(&raw);
        let from_svix = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(svix_sender);
        if !from_svix {
            continue;
        }
        let svix_id: String = r.get(1)?;
        if r.get::<_, bool>(5)? {
            retried_ids.insert(svix_id.clone());
        }
        let slot = chosen.entry(svix_id.clone()).or_insert_with(|| {
            order.push(svix_id);
            None
        });
        let kept: bool = r.get(3)?;
        if slot.is_none() && kept {
            let verification: String = r.get(2)?;
            let failure = if verification == "verified" {
                WRONG_PATH.to_owned()
            } else {
                verification
            };
            let id = r.get(0)?;
            *slot = Some(FailedMessage {
                id,
                failure,
                retried: false,
                received_at: r.get(6)?,
            });
        }
    }
    let mut found = Unrecovered::default();
    let mut retried = Vec::new();
    for svix_id in order {
        match chosen.remove(&svix_id).flatten() {
            Some(mut message) if retried_ids.contains(&svix_id) => {
                message.retried = true;
                retried.push(message);
            }
            Some(message) => found.messages.push(message),
            None => found.unkept += 1,
        }
    }
    found.messages.extend(retried);
    Ok(found)
}
