//! Finding where a time falls in the event log: ids follow arrival, so the first event at or
//! after a time is found by bisecting ids (a few primary-key reads) instead of scanning
//! `received_at`, which has no index; time filters become id bounds this way.

use rusqlite::{Connection, OptionalExtension};

/// How far an event's arrival time can be from its id's order: its time is taken when the
/// request comes in, its id when it is stored, after its body (at most 10 s, `upload.rs`), the
/// writer's queue and a lock another program holds (up to 5 s), with room for a pruning pass.
/// Time bounds are widened by this, then checked exactly, so a bound reads the requests of
/// the minute beside it (a handful at Clerk's rates; a benchmark's whole burst).
const ARRIVAL_SLACK_MS: i64 = 60_000;

/// An exclusive lower id bound below every event received at or after `since_ms`.
pub(crate) fn after_id(conn: &Connection, since_ms: i64) -> rusqlite::Result<i64> {
    Ok(first_id_at(conn, since_ms.saturating_sub(ARRIVAL_SLACK_MS))? - 1)
}

/// An exclusive upper id bound above every event received before `until_ms`.
pub(crate) fn before_id(conn: &Connection, until_ms: i64) -> rusqlite::Result<i64> {
    first_id_at(conn, until_ms.saturating_add(ARRIVAL_SLACK_MS))
}

/// The id of the first event received at or after `at_ms` (one past the newest when none was),
/// assuming arrival times grow with ids; callers widen their bounds for the few that do not.
pub(crate) fn first_id_at(conn: &Connection, at_ms: i64) -> rusqlite::Result<i64> {
    let (newest,): (i64,) = conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| {
        Ok((r.get(0)?,))
    })?;
    let mut next = conn
        .prepare_cached("SELECT id, received_at FROM events WHERE id >= ?1 ORDER BY id LIMIT 1")?;
    // Invariant: every event below `low` arrived before `at_ms`; the one at `high`, if any,
    // at or after it.
    let (mut low, mut high) = (0_i64, newest + 1);
    while low < high {
        let mid = low + (high - low) / 2;
        let found: Option<(i64, i64)> = next
            .query_row([mid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match found {
            Some((id, received_at)) if received_at < at_ms => low = id + 1,
            _ => high = mid,
        }
    }
    Ok(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(times: &[i64]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE events (id INTEGER PRIMARY KEY, received_at INTEGER)")
            .unwrap();
        for (i, t) in times.iter().enumerate() {
            // Gaps in ids, as retention leaves them.
            conn.execute(
                "INSERT INTO events (id, received_at) VALUES (?1, ?2)",
                [i as i64 * 3 + 1, *t],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn finds_the_first_event_at_or_after_a_time() {
        let conn = log(&[100, 200, 200, 300, 400]);
        // ids 1, 4, 7, 10, 13
        assert_eq!(first_id_at(&conn, 0).unwrap(), 0, "everything");
        assert_eq!(first_id_at(&conn, 100).unwrap(), 0);
        assert_eq!(first_id_at(&conn, 150).unwrap(), 2, "just past id 1");
        assert_eq!(first_id_at(&conn, 200).unwrap(), 2);
        assert_eq!(first_id_at(&conn, 201).unwrap(), 8, "just past id 7");
        assert_eq!(first_id_at(&conn, 400).unwrap(), 11);
        assert_eq!(first_id_at(&conn, 401).unwrap(), 14, "one past the newest");
        assert_eq!(first_id_at(&log(&[]), 5).unwrap(), 0, "an empty log");
    }
}
