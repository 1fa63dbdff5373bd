//! Queries on `tunnel_states`: the timeline of the tunnel's state changes. The supervisor writes
//! these rare rows on its own connection, not through the event writer.

use rusqlite::{Connection, params};
use serde::Serialize;

/// Rows kept; older ones are pruned as new ones arrive (a day offline retries ~3,000 times).
pub const TUNNEL_STATES_KEPT: i64 = 1000;

/// One recorded state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TunnelStateRow {
    /// Write order.
    pub id: i64,
    /// Unix ms.
    pub at: i64,
    /// `off`, `connecting`, `online`, `reconnecting` or `failed`.
    pub state: String,
    /// The public URL, while online.
    pub url: Option<String>,
    /// Retry delay and error, error and hint, or the URL-change warning.
    pub detail: Option<String>,
}

/// Records one state change (and its change-feed row) and prunes rows beyond
/// [`TUNNEL_STATES_KEPT`]; returns its id.
pub fn record_tunnel_state(
    conn: &Connection,
    at: i64,
    state: &str,
    url: Option<&str>,
    detail: Option<&str>,
) -> rusqlite::Result<i64> {
    let tx = conn.unchecked_transaction()?;
    tx.prepare_cached(
        "INSERT INTO tunnel_states (at, state, url, detail) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![at, state, url, detail])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached("DELETE FROM tunnel_states WHERE id <= ?1")?
        .execute([id - TUNNEL_STATES_KEPT])?;
    super::changes::record_change(&tx, "tunnel", Some(id), None)?;
    tx.commit()?;
    Ok(id)
}

/// The latest state change, if any.
pub fn latest_tunnel_state(conn: &Connection) -> rusqlite::Result<Option<TunnelStateRow>> {
    Ok(list_tunnel_states(conn, 1)?.into_iter().next())
}

/// The latest `limit` state changes, newest first.
pub fn list_tunnel_states(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<TunnelStateRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, state, url, detail FROM tunnel_states ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(TunnelStateRow {
            id: r.get(0)?,
            at: r.get(1)?,
            state: r.get(2)?,
            url: r.get(3)?,
            detail: r.get(4)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../migrations/0002_tunnel.sql"))
            .unwrap();
        conn.execute_batch("CREATE TABLE changes (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref_id INTEGER, ref_key TEXT)")
            .unwrap();
        conn
    }

    #[test]
    fn latest_states_come_newest_first() {
        let conn = db();
        record_tunnel_state(&conn, 1, "connecting", None, None).unwrap();
        record_tunnel_state(&conn, 2, "online", Some("https://a.ngrok-free.app"), None).unwrap();
        record_tunnel_state(&conn, 3, "reconnecting", None, Some("attempt 1")).unwrap();
        let rows = list_tunnel_states(&conn, 2).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].state, "reconnecting");
        assert_eq!(rows[0].detail.as_deref(), Some("attempt 1"));
        assert_eq!(rows[1].url.as_deref(), Some("https://a.ngrok-free.app"));
        assert_eq!(rows[1].at, 2);
    }

    #[test]
    fn old_rows_are_pruned() {
        let conn = db();
        for at in 0..TUNNEL_STATES_KEPT + 5 {
            record_tunnel_state(&conn, at, "reconnecting", None, None).unwrap();
        }
        let count: i64 = conn
            .query_row("SELECT COUNT(*) FROM tunnel_states", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, TUNNEL_STATES_KEPT);
        assert_eq!(
            list_tunnel_states(&conn, 1).unwrap()[0].at,
            TUNNEL_STATES_KEPT + 4
        );
    }
}
