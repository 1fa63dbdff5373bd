//! The change feed: every change a viewer must show gets the next number of one sequence,
//! written in the same transaction as the change. A viewer asks "what changed since N" and gets
//! the rows as they are now, each once, whichever process wrote them.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::events::{EventSummary, SUMMARY_COLUMNS, summary_from_row};
use super::tunnel::{TunnelStateRow, latest_tunnel_state};
use super::users::{SessionRow, USER_COLUMNS, UserRow, session_from_row, user_from_row};

/// Change rows kept; older ones are pruned by the writer's index pass.
pub const CHANGES_KEPT: i64 = 200_000;

/// The most change rows one batch reads; a viewer that is further behind asks again.
pub const MAX_CHANGES_PER_BATCH: u32 = 5_000;

/// Everything that changed after a sequence number, as the rows are now.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChangeBatch {
    /// The sequence number this batch brings the viewer up to; ask "since" it next.
    pub upto: i64,
    /// The viewer was further behind than the oldest kept change: reload everything.
    pub reset: bool,
    /// More changes are waiting after `upto`.
    pub more: bool,
    /// New or changed events (a redelivery bump, a replay linked), oldest change first.
    pub events: Vec<EventSummary>,
    /// Changed user rows.
    pub users: Vec<UserRow>,
    /// Changed session rows.
    pub sessions: Vec<SessionRow>,
    /// The tunnel's latest state, when it changed.
    pub tunnel: Option<TunnelStateRow>,
}

/// Records one change; `kind` is `event`, `user`, `session` or `tunnel`.
pub(crate) fn record_change(
    conn: &Connection,
    kind: &str,
    ref_id: Option<i64>,
    ref_key: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO changes (kind, ref_id, ref_key) VALUES (?1, ?2, ?3)")?
        .execute(params![kind, ref_id, ref_key])
        .map(|_| ())
}

/// Drops change rows beyond [`CHANGES_KEPT`] (never the newest, so numbers are never reused).
pub(crate) fn prune_changes(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?1")?
        .execute([CHANGES_KEPT])
        .map(|_| ())
}

/// The latest sequence number (0 on an empty feed).
pub fn latest_change(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT coalesce(max(seq), 0) FROM changes")?
        .query_row([], |r| r.get(0))
}

/// What changed after `after`, reading at most `limit` change rows.
pub fn changes_since(conn: &Connection, after: i64, limit: u32) -> rusqlite::Result<ChangeBatch> {
    let limit = limit.clamp(1, MAX_CHANGES_PER_BATCH);
    let oldest: Option<i64> = conn
        .prepare_cached("SELECT min(seq) FROM changes")?
        .query_row([], |r| r.get(0))?;
    let reset = oldest.is_some_and(|oldest| after < oldest - 1);
    let mut rows = conn.prepare_cached(
        "SELECT seq, kind, ref_id, ref_key FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = rows
        .query_map(params![after, i64::from(limit) + 1], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];
    let mut batch = ChangeBatch {
        upto: rows.last().map_or(after, |r| r.0),
        reset,
        more,
        ..ChangeBatch::default()
    };
    let (mut events, mut users, mut sessions) = (Vec::new(), Vec::new(), Vec::new());
    let mut tunnel = None;
    for (_, kind, ref_id, ref_key) in rows {
        match (kind.as_str(), ref_id, ref_key) {
            ("event", Some(id), _) => events.push(*id),
            ("user", _, Some(key)) => users.push(key.clone()),
            ("session", _, Some(key)) => sessions.push(key.clone()),
            ("tunnel", Some(id), _) => tunnel = Some(*id),
            _ => {}
        }
    }
    batch.events = read_each(
        conn,
        &unique(events),
        &format!("SELECT {SUMMARY_COLUMNS} FROM events WHERE id = ?1"),
        summary_from_row,
    )?;
    batch.users = read_each(
        conn,
        &unique(users),
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        user_from_row,
    )?;
    batch.sessions = read_each(
        conn,
        &unique(sessions),
        &format!(
            "SELECT {} FROM sessions WHERE id = ?1",
            super::users::SESSION_COLUMNS
        ),
        session_from_row,
    )?;
    if tunnel.is_some() {
        batch.tunnel = latest_tunnel_state(conn)?;
    }
    Ok(batch)
}

/// Keeps the first occurrence of each key, in order.
fn unique<T: Ord + Clone>(keys: Vec<T>) -> Vec<T> {
    let mut seen = BTreeSet::new();
    keys.into_iter()
        .filter(|k| seen.insert(k.clone()))
        .collect()
}

/// Reads one row per key (a row deleted since is skipped).
pub(crate) fn read_each<K: rusqlite::ToSql, T>(
    conn: &Connection,
    keys: &[K],
    sql: &str,
    from_row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(row) = stmt.query_row([key], &from_row).optional()? {
            out.push(row);
        }
    }
    Ok(out)
}
