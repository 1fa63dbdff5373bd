//! The search index over users (`user_text`, migration 0008): trigrams of each user's id,
//! emails, phone, username and name, so a users search finds text anywhere in them without
//! reading every user. The writer re-indexes the users an event wrote, in slices, with the
//! event text index; a search also checks the users written after the index's mark.

use rusqlite::{Connection, params};

/// Events per slice: the users whose row one of them last wrote are re-indexed (a few ms).
const SLICE: i64 = 256;

/// Users a search reads through the index at most; a text more users hold is found faster by
/// reading users in the table's order until a page is full.
pub(crate) const MAX_CANDIDATES: i64 = 2_000;

/// What a user's index entry holds: the fields a users search matches.
const USER_TEXT: &str = "concat_ws(' ', u.id, u.emails, u.primary_phone, u.username, \
                         u.first_name, u.last_name)";

/// The users whose row an event in `(?1, ?2]` wrote last (one primary-key lookup per event).
const WRITTEN_BY: &str = "FROM events e CROSS JOIN users u ON u.id = e.user_id \
                          AND u.last_event_id = e.id WHERE e.id > ?1 AND e.id <= ?2";

/// The FTS5 query for a search text: the trigrams that tile it (every third one, and the
/// last), all required. Every candidate is checked against the whole text afterwards, so
/// tiling loses nothing, and it reads a third of the lists: a user's id shares its first
/// trigrams (`use`, `ser`, the time-based `3My`…) with every user, and reading those long
/// lists is most of a search. `None` for text the index cannot narrow: shorter than three
/// characters, or not ASCII (the index folds case for all of Unicode, a search by SQL's LIKE
/// only for ASCII; ASCII keeps the two the same).
pub(crate) fn trigrams_query(text: &str) -> Option<String> {
    if !text.is_ascii() || text.len() < 3 {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let last = lower.len() - 3;
    let mut grams: Vec<&str> = (0..=last)
        .step_by(3)
        .chain([last])
        .map(|i| &lower[i..i + 3])
        .collect();
    grams.sort_unstable();
    grams.dedup();
    let quoted: Vec<String> = grams
        .iter()
        .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
        .collect();
    Some(quoted.join(" AND "))
}

/// Re-indexes the users written by the next slice of events past the index's mark; returns
/// how many events it covered (0: caught up).
pub(crate) fn index_slice(conn: &Connection) -> rusqlite::Result<usize> {
    super::text_index::slice_of(conn, "user_text", SLICE, |upto, to| {
        conn.execute(
            &format!("DELETE FROM user_text WHERE rowid IN (SELECT u.rowid {WRITTEN_BY})"),
            params![upto, to],
        )?;
        conn.execute(
            &format!(
                "INSERT INTO user_text (rowid, text) SELECT u.rowid, {USER_TEXT} {WRITTEN_BY}"
            ),
            params![upto, to],
        )
        .map(|_| ())
    })
}

/// SQL for "rowids of users that may hold the text": the index's matches, already read by
/// [`matches`] and bound as a JSON array `?{found}`, plus the users written after its mark
/// `?{upto}`.
pub(crate) fn candidates(found: usize, upto: usize) -> String {
    format!(
        "SELECT value FROM json_each(?{found}) UNION ALL \
         SELECT u.rowid FROM events e CROSS JOIN users u ON u.id = e.user_id \
         AND u.last_event_id = e.id WHERE e.id > ?{upto}"
    )
}

/// The rowids of indexed users holding every trigram of `query`, as a JSON array, when fewer
/// than [`MAX_CANDIDATES`] do (`None`: reading users in order fills a page sooner). The match
/// is read once: a text such as a user's id shares its first trigrams with every user, and
/// reading those long lists is most of the search.
pub(crate) fn matches(conn: &Connection, query: &str) -> rusqlite::Result<Option<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT rowid FROM user_text WHERE user_text MATCH ?1 LIMIT ?2")?;
    let rowids = stmt
        .query_map(params![query, MAX_CANDIDATES], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if rowids.len() as i64 >= MAX_CANDIDATES {
        return Ok(None);
    }
    let list: Vec<String> = rowids.iter().map(i64::to_string).collect();
    Ok(Some(format!("[{}]", list.join(","))))
}

#[cfg(test)]
mod tests {
    use super::trigrams_query;

    #[test]
    fn a_search_becomes_its_trigrams() {
        assert_eq!(
            trigrams_query("Alex.S").as_deref(),
            Some("\"ale\" AND \"x.s\"")
        );
        assert_eq!(
            trigrams_query("mia_lo").as_deref(),
            Some("\"_lo\" AND \"mia\"")
        );
        // The last trigram covers what the tiling leaves over.
        assert_eq!(
            trigrams_query("mia_lop").as_deref(),
            Some("\"_lo\" AND \"lop\" AND \"mia\"")
        );
        assert_eq!(trigrams_query("aaaa").as_deref(), Some("\"aaa\""));
        // FTS5 syntax in the text is only characters.
        assert_eq!(trigrams_query("a\"b").as_deref(), Some("\"a\"\"b\""));
        assert_eq!(trigrams_query("ab"), None);
        assert_eq!(trigrams_query("zoë"), None);
    }
}
