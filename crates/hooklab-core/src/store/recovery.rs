//! Which captured requests a recovery re-runs: Clerk's messages that failed verification and
//! were never delivered since (no verified request carried their svix-id), one request each.

use rusqlite::{Connection, params};

/// A message to recover: the first request that carried it, and how that request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrecovered {
    /// The request's event id.
    pub id: i64,
    /// Its verification code.
    pub verification: String,
}

/// The messages to recover among requests received at or after `since_ms`, oldest first.
///
/// Only what Clerk sent counts (local or tunnel, POST, with a svix-id and the whole body kept):
/// not Hooklab's test sends nor its replays. The first condition repeats the WHERE of the
/// `events_failed` partial index word for word, so SQLite reads only failed requests.
pub(crate) fn unrecovered(conn: &Connection, since_ms: i64) -> rusqlite::Result<Vec<Unrecovered>> {
    conn.prepare_cached(
        "SELECT min(id), verification FROM events AS e \
         WHERE (verification <> 'verified' OR status NOT BETWEEN 200 AND 299) \
           AND verification <> 'verified' AND svix_id IS NOT NULL AND method = 'POST' \
           AND source IN ('local', 'tunnel') AND received_at >= ?1 \
           AND length(body) = body_size \
           AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.svix_id = e.svix_id) \
         GROUP BY svix_id ORDER BY 1",
    )?
    .query_map(params![since_ms], |r| {
        Ok(Unrecovered {
            id: r.get(0)?,
            verification: r.get(1)?,
        })
    })?
    .collect()
}
