//! How long events are kept: by age, by count and by database size, set in the settings. The
//! writer prunes the oldest events in small slices between batches and only while no request
//! waits, so pruning never holds up a delivery. Pinned events, and the events users' rows point
//! at (they hold the raw Clerk object), are always kept. A session goes with the event its row
//! was last written from: sessions grow with every sign-in, and keeping their events would let
//! them outgrow any limit. Change-feed rows are left to the feed's own pruning: readers skip
//! events that are gone.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::capture::now_ms;

/// What the database keeps; `None` means no limit on that axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Retention {
    /// Events older than this many days are pruned.
    pub max_age_days: Option<u32>,
    /// At most this many events are kept.
    pub max_events: Option<u64>,
    /// The database's pages in use stay under this many MiB (the file itself does not shrink:
    /// freed pages are reused).
    pub max_size_mb: Option<u64>,
}

impl Retention {
    /// No limit at all: nothing is pruned.
    pub const OFF: Self = Self {
        max_age_days: None,
        max_events: None,
        max_size_mb: None,
    };
}

impl Default for Retention {
    /// No age or count limit; 1 GiB of events.
    fn default() -> Self {
        Self {
            max_age_days: None,
            max_events: None,
            max_size_mb: Some(1024),
        }
    }
}

/// The smallest limits accepted (smaller ones would prune what the user is looking at).
pub const MIN_AGE_DAYS: u32 = 1;
/// See [`MIN_AGE_DAYS`].
pub const MIN_EVENTS: u64 = 1000;
/// See [`MIN_AGE_DAYS`].
pub const MIN_SIZE_MB: u64 = 16;

/// Events one slice prunes (one short transaction).
const SLICE: usize = 200;
/// How often the writer checks the limits while events arrive.
const EVERY: Duration = Duration::from_secs(10);

/// The policy in force, shared between the store's handle and its writer.
pub(crate) type Shared = Arc<Mutex<Retention>>;

/// When the writer's next pruning pass is due.
#[derive(Debug)]
pub(crate) struct PrunePass {
    policy: Shared,
    last: Instant,
    /// The last pass stopped for a request with events still over a limit.
    unfinished: bool,
    /// Every event at or below this id is one retention keeps (pinned, or a user's), so
    /// slices start above it instead of rereading them every pass. Forgotten
    /// when the limits or pins change, and every [`FLOOR_PASSES`] passes (users' rows move on
    /// to newer events, which frees older ones).
    floor: i64,
    passes: u32,
    /// The size limit could not be met by pruning (what is kept is bigger): it is set aside
    /// until the limits change, instead of pruning every new event as it arrives.
    size_unreachable: bool,
}

/// Passes after which the floor is forgotten (about an hour while events arrive).
const FLOOR_PASSES: u32 = 360;

impl PrunePass {
    pub(crate) fn new(policy: Shared) -> Self {
        Self {
            policy,
            // Not at once: the app hands over its pins first (they live in the webview too), and
            // a database over its limits is pruned once events arrive or the limits change.
            last: Instant::now(),
            unfinished: false,
            floor: 0,
            passes: 0,
            size_unreachable: false,
        }
    }

    /// Starts over: the limits or the pins changed.
    pub(crate) fn forget(&mut self) {
        self.floor = 0;
        self.size_unreachable = false;
    }

    /// Whether the last pass gave way to a request before it was done (the writer resumes it
    /// once no request waits).
    pub(crate) fn unfinished(&self) -> bool {
        self.unfinished
    }

    /// Whether a pass is due.
    pub(crate) fn due(&self) -> bool {
        self.last.elapsed() >= EVERY
    }

    /// Prunes slice after slice while something is over its limit and `idle()` says no request
    /// is waiting; returns how many events went.
    pub(crate) fn run(&mut self, conn: &Connection, idle: impl Fn() -> bool) -> usize {
        self.last = Instant::now();
        let mut policy = *self.policy.lock().unwrap_or_else(PoisonError::into_inner);
        let mut pruned = 0;
        self.unfinished = false;
        self.passes += 1;
        if self.passes >= FLOOR_PASSES {
            self.passes = 0;
            self.floor = 0;
        }
        if self.size_unreachable {
            policy.max_size_mb = None;
        }
        if policy == Retention::OFF {
            return 0;
        }
        let size_before = used_bytes(conn).unwrap_or_default();
        loop {
            if !idle() {
                self.unfinished = true;
                break;
            }
            match prune_slice(conn, &policy, now_ms(), self.floor) {
                Ok(Slice { picked: 0, floor }) => {
                    self.floor = self.floor.max(floor);
                    break;
                }
                Ok(Slice { picked, floor }) => {
                    self.floor = self.floor.max(floor);
                    pruned += picked;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pruning old events failed; retried next pass");
                    break;
                }
            }
        }
        if let Some(mb) = policy.max_size_mb
            && !self.unfinished
            && used_bytes(conn).unwrap_or_default() > mb.saturating_mul(1024 * 1024)
            && used_bytes(conn).unwrap_or_default() >= size_before
        {
            self.size_unreachable = true;
            tracing::warn!(
                max_size_mb = mb,
                "the database is over its size limit with only events retention keeps (pinned, \
                 and those users' rows point at); the size limit is set aside until the limits \
                 change"
            );
        }
        if pruned > 0 {
            tracing::info!(pruned, ?policy, "pruned old events (retention)");
        }
        pruned
    }
}

/// Bytes in the database's pages that hold data.
pub fn used_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    let pragma = |name| conn.pragma_query_value(None, name, |r| r.get::<_, i64>(0));
    let used = (pragma("page_count")? - pragma("freelist_count")?) * pragma("page_size")?;
    Ok(u64::try_from(used).unwrap_or_default())
}

/// What one slice did: how many events went, and the id at or below which every event left
/// is one retention keeps.
pub(crate) struct Slice {
    pub picked: usize,
    pub floor: i64,
}

/// Prunes up to one slice of the oldest events above `floor` past a limit, with everything
/// that points at them.
pub(crate) fn prune_slice(
    conn: &Connection,
    policy: &Retention,
    now_ms: i64,
    floor: i64,
) -> rusqlite::Result<Slice> {
    let bound = prune_bound(conn, policy, now_ms)?;
    if bound <= floor {
        return Ok(Slice { picked: 0, floor });
    }
    // The writer's next batch must find no transaction open, whatever failed here.
    super::connection::immediate(conn, || {
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS prune_ids
               (id INTEGER PRIMARY KEY, user_id TEXT, svix_id TEXT);
             DELETE FROM temp.prune_ids;",
        )?;
        // Whether a user's row points at an event is one primary-key lookup of the event's
        // user (`NOT IN (SELECT last_event_id FROM users)` read the whole users table for
        // every slice: at 100,000 users, pruning then took most of the writer's time).
        let picked = conn.execute(
            "INSERT INTO temp.prune_ids (id, user_id, svix_id)
             SELECT id, user_id, svix_id FROM events e
             WHERE id > ?3 AND id <= ?1
               AND id NOT IN (SELECT event_id FROM pins)
               AND NOT EXISTS (SELECT 1 FROM users u
                               WHERE u.id = e.user_id AND u.last_event_id = e.id)
               AND id < (SELECT max(id) FROM events)
             ORDER BY id LIMIT ?2",
            rusqlite::params![bound, SLICE as i64, floor],
        )?;
        // A short slice read everything up to the bound (but the newest event, which only
        // stays because it is the newest); a full one, up to its last row.
        let reached: i64 = if picked < SLICE {
            let newest: i64 =
                conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?;
            bound.min(newest - 1)
        } else {
            conn.query_row("SELECT max(id) FROM temp.prune_ids", [], |r| r.get(0))?
        };
        // Sessions whose row was last written from a pruned event go with it (CROSS JOIN keeps
        // the slice's ids as the outer loop: otherwise SQLite reads every event).
        if picked > 0 {
            conn.execute_batch(
                "DELETE FROM user_events WHERE (user_id, event_id) IN
                   (SELECT user_id, id FROM temp.prune_ids WHERE user_id IS NOT NULL);
                 DELETE FROM deliveries WHERE svix_id IN
                   (SELECT svix_id FROM temp.prune_ids WHERE svix_id IS NOT NULL)
                   AND event_id IN (SELECT id FROM temp.prune_ids);
                 DELETE FROM redeliveries WHERE event_id IN (SELECT id FROM temp.prune_ids);
                 DELETE FROM forwards WHERE event_id IN (SELECT id FROM temp.prune_ids);
                 DELETE FROM replays WHERE event_id IN (SELECT id FROM temp.prune_ids)
                   OR replay_of IN (SELECT id FROM temp.prune_ids);
                 DELETE FROM sessions WHERE id IN
                   (SELECT json_extract(CAST(e.body AS TEXT), '$.data.id')
                      FROM temp.prune_ids p CROSS JOIN events e ON e.id = p.id
                     WHERE e.event_type LIKE 'session.%' AND e.verification = 'verified'
                       AND json_valid(e.body))
                   AND last_event_id IN (SELECT id FROM temp.prune_ids);
                 DELETE FROM events WHERE id IN (SELECT id FROM temp.prune_ids);",
            )?;
        }
        Ok(Slice {
            picked,
            floor: reached,
        })
    })
}

/// The newest event id some limit wants gone (0: none). Event ids follow arrival, so the age
/// limit is the id before the first event young enough to keep; finding it reads only the
/// events about to go.
fn prune_bound(conn: &Connection, policy: &Retention, now_ms: i64) -> rusqlite::Result<i64> {
    let one = |sql: &str, param: i64| -> rusqlite::Result<Option<i64>> {
        match conn.query_row(sql, [param], |r| r.get::<_, Option<i64>>(0)) {
            Ok(v) => Ok(v),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let newest = one("SELECT max(id) FROM events WHERE ?1", 1)?.unwrap_or(0);
    let mut bound = 0;
    if let Some(days) = policy.max_age_days {
        let cutoff = now_ms - i64::from(days) * 86_400_000;
        let first_young = one(
            "SELECT id FROM events WHERE received_at >= ?1 ORDER BY id LIMIT 1",
            cutoff,
        )?;
        bound = bound.max(first_young.map_or(newest, |id| id - 1));
    }
    if let Some(n) = policy.max_events {
        let sql = "SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?1";
        bound = bound.max(one(sql, i64::try_from(n).unwrap_or(i64::MAX))?.unwrap_or(0));
    }
    if let Some(mb) = policy.max_size_mb
        && used_bytes(conn)? > mb.saturating_mul(1024 * 1024)
    {
        bound = newest;
    }
    Ok(bound)
}
