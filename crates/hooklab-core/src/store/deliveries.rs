//! Every delivery of a message: the first is its event row, each redelivery Svix sent later is
//! a row in `redeliveries` (older databases kept only the count).

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::events::EventSummary;
use crate::capture::Source;

/// One delivery attempt of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeliveryAttempt {
    /// Unix ms it arrived.
    pub at: i64,
    /// How it arrived.
    pub source: Source,
    /// Client address, when known.
    pub remote_addr: Option<String>,
    /// `svix-timestamp` it was signed with (Unix s).
    pub svix_timestamp: Option<i64>,
}

/// The deliveries of the message `event` holds, oldest first.
pub(crate) fn deliveries_of(
    conn: &Connection,
    event: &EventSummary,
) -> rusqlite::Result<Vec<DeliveryAttempt>> {
    let first = DeliveryAttempt {
        at: event.received_at,
        source: event.source,
        remote_addr: event.remote_addr.clone(),
        svix_timestamp: event.svix_timestamp,
    };
    if event.delivery_count <= 1 {
        return Ok(vec![first]);
    }
    let mut all = vec![first];
    let mut stmt = conn.prepare_cached(
        "SELECT at, source, remote_addr, svix_timestamp FROM redeliveries \
         WHERE event_id = ?1 ORDER BY rowid LIMIT ?2",
    )?;
    let rest = stmt.query_map(params![event.id, MAX_LISTED], |r| {
        let source: String = r.get(1)?;
        Ok(DeliveryAttempt {
            at: r.get(0)?,
            source: Source::from_code(&source),
            remote_addr: r.get(2)?,
            svix_timestamp: r.get(3)?,
        })
    })?;
    for delivery in rest {
        all.push(delivery?);
    }
    Ok(all)
}

/// Deliveries listed per message at most (the count stays exact).
const MAX_LISTED: i64 = 500;
