//! The search index over event text (`event_text`, migration 0007): the writer adds events to
//! it in small slices once requests have stopped coming for a moment, so a burst of webhooks
//! never waits for it, and queries match words through it plus a scan of the events it has not
//! reached yet.

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

/// Events per slice: about 4 ms of work for 2 KB bodies, the longest a request that arrives
/// during a slice waits.
const SLICE: i64 = 128;

/// What an event's index entry holds: the fields a search looks in.
const INDEXED_TEXT: &str = "concat_ws(' ', svix_id, event_type, user_id, path, CAST(body AS TEXT))";

/// The FTS5 query for a search text: its words (letters and digits, as FTS5's unicode61
/// tokenizer splits them), all required, the last one as a prefix since the user may still be
/// typing it. `None` when the text has no word (such a search scans every event).
pub(crate) fn words_query(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let (last, rest) = words.split_last()?;
    let mut query: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    query.push(format!("\"{last}\"*"));
    Some(query.join(" AND "))
}

/// Indexes the next slice of events past the index's mark; returns how many it indexed (0:
/// caught up).
pub(crate) fn index_slice(conn: &Connection) -> rusqlite::Result<usize> {
    slice_of(conn, "event_text", SLICE, |upto, to| {
        conn.execute(
            &format!(
                "INSERT INTO event_text (rowid, text) SELECT id, {INDEXED_TEXT} FROM events \
                 WHERE id > ?1 AND id <= ?2"
            ),
            params![upto, to],
        )
        .map(|_| ())
    })
}

/// Events read per slice of the types list (two small columns each, no text to index).
const TYPES_SLICE: i64 = 512;

/// Adds the types of the next slice of verified events to `event_types`; returns how many
/// events it covered (0: caught up).
pub(crate) fn types_slice(conn: &Connection) -> rusqlite::Result<usize> {
    slice_of(conn, "event_types", TYPES_SLICE, |upto, to| {
        conn.execute(
            "INSERT OR IGNORE INTO event_types (event_type) SELECT DISTINCT event_type \
             FROM events WHERE id > ?1 AND id <= ?2 AND verification = 'verified' \
             AND event_type IS NOT NULL",
            params![upto, to],
        )
        .map(|_| ())
    })
}

/// Every event type verified events have had, sorted.
pub fn event_types(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached("SELECT event_type FROM event_types ORDER BY event_type")?
        .query_map([], |r| r.get(0))?
        .collect()
}

/// One slice of an index kept up to an event id (`index_state.upto` for `name`), in one
/// transaction: `index(upto, to)` over the next `size` events past the mark, then the mark
/// moves to `to`. Returns how many events the slice covered (0: caught up).
pub(crate) fn slice_of(
    conn: &Connection,
    name: &str,
    size: i64,
    index: impl FnOnce(i64, i64) -> rusqlite::Result<()>,
) -> rusqlite::Result<usize> {
    super::connection::immediate(conn, || {
        let upto: i64 = conn.query_row(
            "SELECT upto FROM index_state WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?;
        let (Some(to), covered) = conn.query_row(
            "SELECT max(id), count(*) FROM \
             (SELECT id FROM events WHERE id > ?1 ORDER BY id LIMIT ?2)",
            params![upto, size],
            |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, i64>(1)?)),
        )?
        else {
            return Ok(0);
        };
        index(upto, to)?;
        conn.execute(
            "UPDATE index_state SET upto = ?1 WHERE name = ?2",
            params![to, name],
        )?;
        Ok(usize::try_from(covered).unwrap_or_default())
    })
}

/// How many stored events the text indexes (events' and users') have not reached yet:
/// searches read them, or the users they wrote, without the index.
pub(crate) fn unindexed(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT (SELECT coalesce(max(id), 0) FROM events) - coalesce((SELECT min(upto) FROM \
         index_state WHERE name IN ('event_text', 'user_text')), 0)",
        [],
        |r| r.get(0),
    )
}

/// The writer indexes once no request has come for this long, so a flood is not slowed…
const QUIET: Duration = Duration::from_millis(50);
/// …and, while requests keep coming, one slice at most this often (about 1.5% of the writer's
/// time), so a steady trickle of webhooks cannot keep the index behind for ever.
const EVERY: Duration = Duration::from_millis(250);

/// When the writer indexes its next slice.
#[derive(Debug)]
pub(crate) struct TextPass {
    behind: bool,
    last_request: Instant,
    last_slice: Instant,
}

impl TextPass {
    /// Behind at first: events may have arrived from another process, or before an upgrade.
    pub(crate) fn new() -> Self {
        let now = Instant::now();
        Self {
            behind: true,
            last_request: now,
            last_slice: now,
        }
    }

    /// Requests came (and events may have been committed).
    pub(crate) fn busy(&mut self) {
        self.behind = true;
        self.last_request = Instant::now();
    }

    /// How long until the next slice is due: `None` when caught up, zero when due now.
    pub(crate) fn due_in(&self) -> Option<Duration> {
        self.behind.then(|| {
            let quiet = QUIET.saturating_sub(self.last_request.elapsed());
            let turn = EVERY.saturating_sub(self.last_slice.elapsed());
            quiet.min(turn)
        })
    }

    /// Indexes one slice; caught up (or failing: the tail stays searchable by scan and the
    /// next request retries) ends the catching up.
    pub(crate) fn run(&mut self, conn: &Connection) {
        self.last_slice = Instant::now();
        let done = index_slice(conn)
            .and_then(|events| super::user_text::index_slice(conn).map(|users| events + users))
            .and_then(|both| types_slice(conn).map(|types| both + types));
        match done {
            Ok(0) => self.behind = false,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "indexing event or user text failed; searches read those rows until it succeeds");
                self.behind = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::words_query;

    #[test]
    fn a_search_becomes_its_words_with_the_last_one_a_prefix() {
        assert_eq!(
            words_query("alex.work@exam").as_deref(),
            Some("\"alex\" AND \"work\" AND \"exam\"*")
        );
        assert_eq!(
            words_query("user_2yJ").as_deref(),
            Some("\"user\" AND \"2yJ\"*")
        );
        // FTS5 syntax in the text is only words.
        assert_eq!(
            words_query("a\"b OR c*").as_deref(),
            Some("\"a\" AND \"b\" AND \"OR\" AND \"c\"*")
        );
        assert_eq!(words_query("@%_"), None);
        assert_eq!(words_query(""), None);
    }
}
