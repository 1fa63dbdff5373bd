//! The deferred per-user event index: instead of one random index write per event, the writer
//! indexes everything committed since the last pass in one statement about once a second, so
//! each index page is written once per pass. Queries cover the not-yet-indexed tail themselves.

use std::time::{Duration, Instant};

use rusqlite::Connection;

/// Index at least this often while events arrive…
const EVERY: Duration = Duration::from_secs(1);
/// …or after this many events.
const EVENTS: usize = 8192;

/// SQL for "event ids about user ?N": the index plus the tail it does not cover yet.
pub(crate) fn ids_about_user(param: usize) -> String {
    format!(
        "SELECT event_id FROM user_events WHERE user_id = ?{param} UNION ALL \
         SELECT id FROM events WHERE id > (SELECT upto FROM index_state WHERE name = \
         'user_events') AND user_id = ?{param}"
    )
}

/// Indexes every event past `upto` — whichever process wrote it — in one transaction. Run
/// when the store opens (after a crash or an unclean stop) and by the writer's passes.
pub(crate) fn catch_up(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         INSERT OR IGNORE INTO user_events (user_id, event_id)
           SELECT user_id, id FROM events
           WHERE user_id IS NOT NULL
             AND id > (SELECT upto FROM index_state WHERE name = 'user_events');
         UPDATE index_state SET upto = (SELECT coalesce(max(id), 0) FROM events)
           WHERE name = 'user_events';
         COMMIT;",
    )
    .inspect_err(|_| {
        let _ = conn.execute_batch("ROLLBACK");
    })
}

/// When the writer's next pass is due.
#[derive(Debug)]
pub(crate) struct IndexPass {
    since: usize,
    last: Instant,
}

impl IndexPass {
    pub(crate) fn new() -> Self {
        Self {
            since: 0,
            last: Instant::now(),
        }
    }

    /// Counts committed events.
    pub(crate) fn add(&mut self, events: usize) {
        self.since += events;
    }

    /// Whether a pass is due.
    pub(crate) fn due(&self) -> bool {
        self.since >= EVENTS || (self.since > 0 && self.last.elapsed() >= EVERY)
    }

    /// Runs a pass; on failure the events stay in the tail that queries cover, and the next
    /// pass retries.
    pub(crate) fn run(&mut self, conn: &Connection) {
        self.last = Instant::now();
        if catch_up(conn).is_ok() {
            self.since = 0;
        }
        if let Err(e) = super::changes::prune_changes(conn) {
            tracing::warn!(error = %e, "pruning old change-feed rows failed; retried next pass");
        }
    }
}
