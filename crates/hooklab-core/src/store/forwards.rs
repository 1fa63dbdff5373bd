//! What the user's own app answered when Hooklab forwarded an event to it: the latest forward
//! of each event, written in batches beside the event writer, each one a change the viewers see.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::changes::record_change;
use super::connection::immediate;

/// The most of the app's answer that is kept.
pub const FORWARD_BODY_KEPT: usize = 16 * 1024;

/// One forward of an event to the user's app, and how the app answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Forward {
    /// The event forwarded.
    pub event_id: i64,
    /// Where it was posted.
    pub url: String,
    /// Unix ms it was sent.
    pub at: i64,
    /// The app's HTTP status; `None`: it did not answer.
    pub status: Option<u16>,
    /// Time to the full answer, or to the failure.
    pub elapsed_ms: f64,
    /// Why the app did not answer (refused, timed out), when it did not.
    pub error: Option<String>,
    /// The app's answer (its first 16 KiB, as text).
    pub body: String,
    /// What to do when the app did not take the event (not stored: derived when read).
    pub hint: Option<String>,
}

impl Forward {
    /// How the app answered, in a few words: `200 in 12 ms`, or `no answer: …`.
    pub fn answer(&self) -> String {
        match (self.status, &self.error) {
            (Some(status), _) => format!("{status} in {:.0} ms", self.elapsed_ms),
            (None, Some(error)) => format!("no answer: {error}"),
            (None, None) => "no answer".to_owned(),
        }
    }

    /// Fills in [`Forward::hint`] from the status.
    pub(crate) fn with_hint(mut self) -> Self {
        self.hint = app_advice(self.status, &self.url);
        self
    }
}

/// What to do when the user's app at `url` answered `status` (`None`: it did not answer), for
/// a forward and for a load test alike; `None` when the answer was fine.
pub fn app_advice(status: Option<u16>, url: &str) -> Option<String> {
    match status {
        None => Some(format!(
            "Is your app running and listening at {}? Start it, then resend the event \
             to your app.",
            url
        )),
        Some(401 | 403) => Some(
            "Your app refused the signature: it must verify with the same signing secret \
             (whsec_…) as Hooklab, and read the raw body before parsing it as JSON."
                .to_owned(),
        ),
        Some(404 | 405) => Some(format!(
            "Nothing handles POST at {}: check the path of your webhook route.",
            url
        )),
        Some(300..=399) => Some(format!(
            "Your app redirected the request: Svix does not follow redirects, so Clerk counts \
             this delivery as failed. Use the final URL of your webhook route (a trailing \
             slash, http vs https, or a login redirect on the route are the usual causes), not \
             {url}."
        )),
        Some(status) if status >= 400 => Some(
            "Your app's handler failed: its answer and its own logs say why. Clerk would \
             retry this delivery on its schedule."
                .to_owned(),
        ),
        Some(_) => None,
    }
}

/// Stores each forward (replacing the event's previous one) in one transaction, and records
/// each event as changed so the log's rows update.
pub(crate) fn record_forwards(conn: &Connection, forwards: &[Forward]) -> rusqlite::Result<()> {
    immediate(conn, || {
        let mut insert = conn.prepare_cached(
            "INSERT OR REPLACE INTO forwards (event_id, url, at, status, elapsed_ms, error, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for f in forwards {
            insert.execute(params![
                f.event_id,
                f.url,
                f.at,
                f.status,
                f.elapsed_ms,
                f.error,
                f.body
            ])?;
            record_change(conn, "event", Some(f.event_id), None)?;
        }
        Ok(())
    })
}

/// Claims events for forwarding: a row with no answer yet for each id not forwarded before, in
/// one transaction. Returns the ids claimed: two processes on one database (the app and a
/// `hooklab serve`) never both post the same event.
pub(crate) fn claim_forwards(
    conn: &Connection,
    ids: &[i64],
    url: &str,
    at: i64,
) -> rusqlite::Result<Vec<i64>> {
    immediate(conn, || {
        let mut claim = conn.prepare_cached(
            "INSERT INTO forwards (event_id, url, at, status, elapsed_ms, error, body) \
             VALUES (?1, ?2, ?3, NULL, 0, NULL, '') ON CONFLICT (event_id) DO NOTHING",
        )?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            if claim.execute(params![id, url, at])? == 1 {
                claimed.push(*id);
            }
        }
        Ok(claimed)
    })
}

/// The latest forward of event `id`, if it was forwarded (a claim still being posted is not
/// one yet).
pub fn forward_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<Forward>> {
    conn.prepare_cached(
        "SELECT event_id, url, at, status, elapsed_ms, error, body FROM forwards \
         WHERE event_id = ?1 AND (status IS NOT NULL OR error IS NOT NULL)",
    )?
    .query_row([id], |r| {
        Ok(Forward {
            event_id: r.get(0)?,
            url: r.get(1)?,
            at: r.get(2)?,
            status: r.get(3)?,
            elapsed_ms: r.get(4)?,
            error: r.get(5)?,
            body: r.get(6)?,
            hint: None,
        }
        .with_hint())
    })
    .optional()
}
