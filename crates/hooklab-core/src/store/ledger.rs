//! What the writer can do inside its transaction, as plain persistence steps: find and bump a
//! delivered message, read what sync needs to know, insert an event row, apply a sync decision,
//! link a replay, and record each change in the change feed. The rules that choose between
//! these steps are the engine's (`crate::settle`).

use std::cell::RefCell;

use rusqlite::{Connection, OptionalExtension, params};

use super::events::{EventSummary, SUMMARY_COLUMNS, summary_from_row};
use crate::capture::{Capture, encode_headers};
use crate::clerk::{ClerkEvent, Payload};
use crate::sync::{Decision, Known, StoredUser, SyncOutcome};
use crate::verify::{SvixHeaders, Verification};

/// A judged request on its way to the store. Everything derivable is computed here, on the
/// request's own task, so the single writer thread only runs SQL.
#[derive(Debug)]
pub struct NewEvent {
    pub(crate) capture: Capture,
    pub(crate) status: u16,
    pub(crate) verification: Verification,
    pub(crate) event: Option<ClerkEvent>,
    pub(crate) unsynced: Option<(SyncOutcome, Option<String>)>,
    pub(crate) svix_id: Option<String>,
    svix_timestamp: Option<i64>,
    raw_headers: Vec<u8>,
    verification_json: String,
    remote_addr: Option<String>,
}

impl NewEvent {
    /// Whether this arrival is its message's delivery: verified, a POST, at the webhook path
    /// (a wrong-path or wrong-method attempt must not make the real one look like a
    /// redelivery).
    pub(crate) fn claims_message(&self) -> bool {
        self.verification.is_verified() && self.status != 404 && self.status != 405
    }

    /// A judged request: the status to answer when it is not a redelivery, the signature
    /// outcome, the parsed event when the body is one (for an unverified request: what it
    /// claims), and the outcome and hint when sync is not attempted.
    pub fn new(
        capture: Capture,
        status: u16,
        verification: Verification,
        event: Option<ClerkEvent>,
        unsynced: Option<(SyncOutcome, Option<String>)>,
    ) -> Self {
        let svix = SvixHeaders::read(&capture.headers);
        Self {
            svix_timestamp: svix.timestamp_secs(),
            svix_id: svix.id,
            raw_headers: encode_headers(&capture.headers),
            verification_json: serde_json::to_string(&verification).unwrap_or_default(),
            remote_addr: capture.remote.map(|a| a.to_string()),
            capture,
            status,
            verification,
            event,
            unsynced,
        }
    }
}

/// What the store did with a request.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The event row as stored (for a redelivery: the original row, updated).
    pub summary: EventSummary,
    /// Set for a redelivery of a message already stored: this delivery's outcome.
    pub duplicate: Option<SyncOutcome>,
    /// The user row this changed, if any.
    pub user_changed: Option<String>,
}

/// The writer's connection inside an open transaction, as persistence steps. Change-feed rows
/// are gathered and written once per batch, in a few multi-row inserts (one statement per row
/// cost the writer about 15% of its time per event).
pub(crate) struct Ledger<'c> {
    conn: &'c Connection,
    changes: RefCell<Vec<PendingChange>>,
}

/// A change-feed row waiting for the end of the batch: kind, `ref_id`, `ref_key`.
type PendingChange = (&'static str, Option<i64>, Option<String>);

/// Change rows per multi-row insert (3 parameters each).
const CHANGES_PER_INSERT: usize = 128;

/// What a change-feed row is about.
#[derive(Debug, Clone, Copy)]
enum ChangeKind {
    Event,
    User,
    Session,
}

impl<'c> Ledger<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            changes: RefCell::new(Vec::new()),
        }
    }

    /// The connection.
    pub(crate) fn conn(&self) -> &'c Connection {
        self.conn
    }

    /// How many change rows are waiting (a savepoint's mark).
    pub(crate) fn pending_changes(&self) -> usize {
        self.changes.borrow().len()
    }

    /// Drops the change rows gathered after `mark` (their writes were rolled back).
    pub(crate) fn forget_changes_since(&self, mark: usize) {
        self.changes.borrow_mut().truncate(mark);
    }

    /// Writes the gathered change rows, in order, in inserts of 128, 16 and 1 rows (three
    /// statements in the cache instead of one per batch size).
    pub(crate) fn flush_changes(&self) -> rusqlite::Result<()> {
        let changes = std::mem::take(&mut *self.changes.borrow_mut());
        let mut rest = changes.as_slice();
        while !rest.is_empty() {
            let n = [CHANGES_PER_INSERT, 16, 1]
                .into_iter()
                .find(|n| *n <= rest.len())
                .unwrap_or(1);
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let values = vec!["(?, ?, ?)"; n].join(", ");
            let mut stmt = self.conn.prepare_cached(&format!(
                "INSERT INTO changes (kind, ref_id, ref_key) VALUES {values}"
            ))?;
            let params: Vec<&dyn rusqlite::ToSql> = chunk
                .iter()
                .flat_map(|(kind, id, key)| {
                    [
                        kind as &dyn rusqlite::ToSql,
                        id as &dyn rusqlite::ToSql,
                        key as &dyn rusqlite::ToSql,
                    ]
                })
                .collect();
            stmt.execute(params.as_slice())?;
        }
        Ok(())
    }

    /// Bumps delivery `id` (a message's first verified row) with `new`, a redelivery of it,
    /// and records when and how this attempt arrived.
    pub(crate) fn bump_redelivery(
        &self,
        id: i64,
        new: &NewEvent,
    ) -> rusqlite::Result<EventSummary> {
        let now_ms = new.capture.received_ms;
        self.conn
            .prepare_cached(
                "INSERT INTO redeliveries (event_id, at, source, remote_addr, svix_timestamp) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                id,
                now_ms,
                new.capture.source.code(),
                new.remote_addr,
                new.svix_timestamp
            ])?;
        let summary = self
            .conn
            .prepare_cached(&format!(
                "UPDATE events SET delivery_count = delivery_count + 1, last_delivery_at = ?2 \
                 WHERE id = ?1 RETURNING {SUMMARY_COLUMNS}"
            ))?
            .query_row(params![id, now_ms], summary_from_row)?;
        self.changed(ChangeKind::Event, Some(summary.id), None)?;
        Ok(summary)
    }

    /// Whether event `id` holds a body other than `body`.
    pub(crate) fn body_differs(&self, id: i64, body: &[u8]) -> rusqlite::Result<bool> {
        let same: bool = self
            .conn
            .prepare_cached("SELECT body = ?2 FROM events WHERE id = ?1")?
            .query_row(params![id, body], |r| r.get(0))?;
        Ok(!same)
    }

    /// The delivery of `svix_id` (its first verified row at the webhook path), unchanged.
    pub(crate) fn delivery(&self, svix_id: &str) -> rusqlite::Result<Option<EventSummary>> {
        let Some(id) = self.delivery_id(svix_id)? else {
            return Ok(None);
        };
        self.conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM events WHERE id = ?1"
            ))?
            .query_row([id], summary_from_row)
            .optional()
    }

    /// The row id of `svix_id`'s delivery (its first verified row at the webhook path).
    pub(crate) fn delivery_id(&self, svix_id: &str) -> rusqlite::Result<Option<i64>> {
        self.conn
            .prepare_cached("SELECT event_id FROM deliveries WHERE svix_id = ?1")?
            .query_row([svix_id], |r| r.get(0))
            .optional()
    }

    /// What sync needs to know about the event's user and session.
    pub(crate) fn known(&self, event: &ClerkEvent) -> rusqlite::Result<Known> {
        load_known(self.conn, event)
    }

    /// Inserts the event row (and its change); returns its summary.
    pub(crate) fn insert(
        &self,
        new: &NewEvent,
        sync: SyncOutcome,
        hint: Option<String>,
    ) -> rusqlite::Result<EventSummary> {
        let summary = insert_event(self.conn, new, new.svix_id.clone(), sync, hint)?;
        // The first verified POST at the webhook path is its message's delivery.
        if new.claims_message()
            && let Some(svix_id) = &new.svix_id
        {
            self.conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO deliveries (svix_id, event_id) VALUES (?1, ?2)",
                )?
                .execute(params![svix_id, summary.id])?;
        }
        self.changed(ChangeKind::Event, Some(summary.id), None)?;
        Ok(summary)
    }

    /// Links a replay to the event it replays; the replayed event counts as changed too.
    pub(crate) fn link_replay(&self, replay: i64, replay_of: i64) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("INSERT INTO replays (event_id, replay_of) VALUES (?1, ?2)")?
            .execute(params![replay, replay_of])?;
        self.changed(ChangeKind::Event, Some(replay_of), None)
    }

    /// Writes a sync decision; returns the user whose row changed.
    pub(crate) fn apply(
        &self,
        decision: Decision,
        event_id: i64,
    ) -> rusqlite::Result<Option<String>> {
        let session = match &decision {
            Decision::UpsertSession { session, .. } => Some(session.id.clone()),
            _ => None,
        };
        let user = apply(self.conn, decision, event_id)?;
        if let Some(session) = session {
            self.changed(ChangeKind::Session, None, Some(&session))?;
        }
        if let Some(user) = &user {
            self.changed(ChangeKind::User, None, Some(user))?;
        }
        Ok(user)
    }

    fn changed(
        &self,
        kind: ChangeKind,
        ref_id: Option<i64>,
        ref_key: Option<&str>,
    ) -> rusqlite::Result<()> {
        let kind = match kind {
            ChangeKind::Event => "event",
            ChangeKind::User => "user",
            ChangeKind::Session => "session",
        };
        self.changes
            .borrow_mut()
            .push((kind, ref_id, ref_key.map(str::to_owned)));
        Ok(())
    }
}

pub(crate) fn load_known(conn: &Connection, event: &ClerkEvent) -> rusqlite::Result<Known> {
    let mut known = Known::default();
    if let Some(user_id) = event.user_id() {
        known.user = conn
            .prepare_cached(
                "SELECT updated_at, deleted_at, last_sign_in_at FROM users WHERE id = ?1",
            )?
            .query_row([user_id], |r| {
                Ok(StoredUser {
                    updated_at: r.get(0)?,
                    deleted_at: r.get(1)?,
                    last_sign_in_at: r.get(2)?,
                })
            })
            .optional()?;
    }
    match &event.payload {
        Payload::User(user) if known.user.is_none() => {
            known.latest_sign_in = conn
                .prepare_cached("SELECT at FROM early_sign_ins WHERE user_id = ?1")?
                .query_row([&user.id], |r| r.get(0))
                .optional()?;
        }
        Payload::Session(session) => {
            known.session_updated_at = conn
                .prepare_cached("SELECT updated_at FROM sessions WHERE id = ?1")?
                .query_row([&session.id], |r| r.get(0))
                .optional()?;
        }
        _ => {}
    }
    Ok(known)
}

/// Inserts the event row; returns its summary, built from what was written.
fn insert_event(
    conn: &Connection,
    new: &NewEvent,
    svix_id: Option<String>,
    sync: SyncOutcome,
    hint: Option<String>,
) -> rusqlite::Result<EventSummary> {
    let c = &new.capture;
    let (event_type, user_id) = match &new.event {
        Some(e) => (Some(e.kind.clone()), e.user_id().map(str::to_owned)),
        None => (None, None),
    };
    let body_size = i64::try_from(c.body_size).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "INSERT INTO events (received_at, source, remote_addr, method, path, status, svix_id, \
         svix_timestamp, event_type, user_id, verification, sync, delivery_count, \
         last_delivery_at, body_size, verification_detail, sync_detail, hint, headers, body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, ?1, ?13, ?14, ?15, ?16, \
         ?17, ?18)",
    )?
    .execute(params![
        c.received_ms,
        c.source.code(),
        new.remote_addr,
        c.method,
        c.path,
        new.status,
        svix_id,
        new.svix_timestamp,
        event_type,
        user_id,
        new.verification.code(),
        sync.kind.code(),
        body_size,
        new.verification_json,
        sync.detail,
        hint,
        new.raw_headers,
        c.body.as_ref(),
    ])?;
    Ok(EventSummary {
        id: conn.last_insert_rowid(),
        received_at: c.received_ms,
        source: c.source,
        remote_addr: new.remote_addr.clone(),
        method: c.method.clone(),
        path: c.path.clone(),
        status: new.status,
        svix_id,
        svix_timestamp: new.svix_timestamp,
        event_type,
        user_id,
        verification: new.verification.code().to_owned(),
        sync: sync.kind,
        sync_detail: sync.detail,
        hint,
        delivery_count: 1,
        last_delivery_at: c.received_ms,
        body_size,
        forwarded: None,
    })
}

/// The user has a row now: its early sign-in (merged into the row) is no longer kept, so
/// `early_sign_ins` names only users who never arrived. A lookup in a small table; no page is
/// written when there is none.
fn arrived(conn: &Connection, user_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM early_sign_ins WHERE user_id = ?1")?
        .execute([user_id])
        .map(|_| ())
}

pub(crate) fn apply(
    conn: &Connection,
    decision: Decision,
    event_id: i64,
) -> rusqlite::Result<Option<String>> {
    match decision {
        Decision::Skip(_) => Ok(None),
        Decision::UpsertUser(u) => {
            let emails = serde_json::to_string(&u.emails).unwrap_or_else(|_| "[]".into());
            conn.prepare_cached(
                "INSERT INTO users (id, primary_email, primary_phone, username, first_name, \
                 last_name, image_url, created_at, updated_at, last_sign_in_at, deleted_at, \
                 last_event_id, emails, public_metadata) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?13) \
                 ON CONFLICT (id) DO UPDATE SET primary_email = ?2, primary_phone = ?3, \
                 username = ?4, first_name = ?5, last_name = ?6, image_url = ?7, created_at = ?8, \
                 updated_at = ?9, last_sign_in_at = ?10, last_event_id = ?11, emails = ?12, \
                 public_metadata = ?13",
            )?
            .execute(params![
                u.id,
                u.primary_email,
                u.primary_phone,
                u.username,
                u.first_name,
                u.last_name,
                u.image_url,
                u.created_at,
                u.updated_at,
                u.last_sign_in_at,
                event_id,
                emails,
                u.public_metadata,
            ])?;
            arrived(conn, &u.id)?;
            Ok(Some(u.id))
        }
        Decision::DeleteUser { id, deleted_at } => {
            conn.prepare_cached(
                "INSERT INTO users (id, deleted_at, last_event_id) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET deleted_at = ?2",
            )?
            .execute(params![id, deleted_at, event_id])?;
            arrived(conn, &id)?;
            Ok(Some(id))
        }
        Decision::UpsertSession {
            session: s,
            sign_in,
            user_unknown,
        } => {
            conn.prepare_cached(
                "INSERT INTO sessions (id, user_id, client_id, status, created_at, updated_at, \
                 last_active_at, expire_at, last_event_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (id) DO UPDATE SET user_id = ?2, client_id = ?3, status = ?4, \
                 created_at = ?5, updated_at = ?6, last_active_at = ?7, expire_at = ?8, \
                 last_event_id = ?9",
            )?
            .execute(params![
                s.id,
                s.user_id,
                s.client_id,
                s.status,
                s.created_at,
                s.updated_at,
                s.last_active_at,
                s.expire_at,
                event_id,
            ])?;
            match sign_in {
                Some(at) => {
                    conn.prepare_cached("UPDATE users SET last_sign_in_at = ?2 WHERE id = ?1")?
                        .execute(params![s.user_id, at])?;
                    Ok(Some(s.user_id))
                }
                None => {
                    if let Some(at) = s.created_at.filter(|_| user_unknown) {
                        conn.prepare_cached(
                            "INSERT INTO early_sign_ins (user_id, at) VALUES (?1, ?2) \
                             ON CONFLICT (user_id) DO UPDATE SET at = max(at, ?2)",
                        )?
                        .execute(params![s.user_id, at])?;
                    }
                    Ok(None)
                }
            }
        }
    }
}
