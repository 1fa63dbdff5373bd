//! What one applied event changed: the user (and session) row before and after it. Nothing is
//! written for this on the hot path; the user's applied events up to it are replayed, in the
//! order they were settled, through the same sync rules and SQL into a scratch in-memory
//! database, so the answer is what the writer did.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::events::EventSummary;
use super::ledger::{apply, load_known};
use super::migrate::create_schema;
use super::user_index::ids_about_user;
use super::users::{
    SESSION_COLUMNS, SessionRow, USER_COLUMNS, UserRow, session_from_row, user_from_row,
};
use crate::clerk::{Payload, parse_event};
use crate::sync::{SyncKind, decide};

/// The rows an applied event wrote, before and after it (`None`: no row).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowChange {
    /// The user row before the event.
    pub user_before: Option<UserRow>,
    /// The user row after it.
    pub user_after: Option<UserRow>,
    /// For `session.*` events: the session row before.
    pub session_before: Option<SessionRow>,
    /// For `session.*` events: the session row after.
    pub session_after: Option<SessionRow>,
}

/// A user's applied events replayed at most (older history is not rebuilt).
const MAX_REPLAYED: i64 = 5_000;

/// The change `event` made, when it was applied to a user; `None` otherwise, or when the
/// user's history is too long to replay.
pub(crate) fn row_change(
    conn: &Connection,
    event: &EventSummary,
) -> rusqlite::Result<Option<RowChange>> {
    let Some(user_id) = event.user_id.as_deref() else {
        return Ok(None);
    };
    if event.sync != SyncKind::Applied {
        return Ok(None);
    }
    let history = conn
        .prepare_cached(&format!(
            "SELECT id, received_at, body FROM events WHERE id IN ({}) AND id <= ?2 \
             AND sync = 'applied' ORDER BY id LIMIT ?3",
            ids_about_user(1)
        ))?
        .query_map(params![user_id, event.id, MAX_REPLAYED + 1], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if history.len() as i64 > MAX_REPLAYED || history.last().map(|h| h.0) != Some(event.id) {
        return Ok(None);
    }
    let scratch = Connection::open_in_memory()?;
    create_schema(&scratch)?;
    for (id, received_at, body) in history {
        let Ok(parsed) = parse_event(&body) else {
            continue;
        };
        let decision = decide(&parsed, &load_known(&scratch, &parsed)?, received_at);
        if id != event.id {
            apply(&scratch, decision, id)?;
            continue;
        }
        let session_id = match &parsed.payload {
            Payload::Session(s) => Some(s.id.clone()),
            _ => None,
        };
        let user_before = user_row(&scratch, user_id)?;
        let session_before = session_row(&scratch, session_id.as_deref())?;
        apply(&scratch, decision, id)?;
        return Ok(Some(RowChange {
            user_before,
            user_after: user_row(&scratch, user_id)?,
            session_before,
            session_after: session_row(&scratch, session_id.as_deref())?,
        }));
    }
    Ok(None)
}

fn user_row(conn: &Connection, id: &str) -> rusqlite::Result<Option<UserRow>> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id], user_from_row)
        .optional()
}

fn session_row(conn: &Connection, id: Option<&str>) -> rusqlite::Result<Option<SessionRow>> {
    let Some(id) = id else { return Ok(None) };
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"
    ))?
    .query_row([id], session_from_row)
    .optional()
}
