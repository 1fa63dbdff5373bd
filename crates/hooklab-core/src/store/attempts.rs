//! Every request that carried one message's svix-id, and when Svix will try it again. Only a
//! verified request is a delivery that later ones bump; each failed attempt is a row of its
//! own, so they are found the way a search for the svix-id finds them (the text index, then
//! the events it has not reached), and the retry is estimated from Svix's published schedule.

use rusqlite::{Connection, OptionalExtension, params};

use super::events::{EventSummary, SUMMARY_COLUMNS, summary_from_row};
use super::text_index::words_query;

/// Svix's wait after each failed attempt, in seconds: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
/// (eight attempts in all, about 28 hours).
pub const SVIX_RETRY_DELAYS_S: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// Attempts listed per message at most.
const MAX_LISTED: i64 = 100;

/// The requests that carried `event`'s svix-id, oldest first, `event` included; replays are
/// left out (the detail lists them apart). Empty when the svix-id cannot be a Svix one.
///
/// The text index narrows the events it covers to those with the svix-id's words; the newer
/// ones it has not reached yet are compared by their `svix_id` column alone, which comes
/// before the body in the row, so even a long unindexed tail after a burst reads no bodies.
pub(crate) fn attempts_of(
    conn: &Connection,
    event: &EventSummary,
) -> rusqlite::Result<Vec<EventSummary>> {
    let Some(svix_id) = event.svix_id.as_deref().filter(|id| plausible(id)) else {
        return Ok(Vec::new());
    };
    let upto: i64 = conn
        .query_row(
            "SELECT upto FROM index_state WHERE name = 'event_text'",
            [],
            |r| r.get(0),
        )
        .optional()?
        // A database opened before a writer added the index: every event is the tail.
        .unwrap_or(0);
    let words = words_query(svix_id);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM events WHERE svix_id = ?1 \
           AND id IN (SELECT rowid FROM event_text WHERE event_text MATCH ?2 AND rowid <= ?3) \
           AND id NOT IN (SELECT event_id FROM replays) \
         UNION ALL \
         SELECT {SUMMARY_COLUMNS} FROM events WHERE id > ?3 AND svix_id = ?1 \
           AND id NOT IN (SELECT event_id FROM replays) \
         ORDER BY id LIMIT ?4"
    );
    conn.prepare_cached(&sql)?
        .query_map(
            params![
                svix_id,
                words.as_deref().unwrap_or("\"\""),
                upto,
                MAX_LISTED
            ],
            summary_from_row,
        )?
        .collect()
}

/// When Svix's next attempt of a message is due (Unix ms): none once an attempt was answered
/// 2xx or all eight were made. Counted from the attempts Hooklab saw, so attempts made while
/// it was not running make this early.
pub fn next_retry_at(attempts: &[EventSummary]) -> Option<i64> {
    if attempts.iter().any(|a| (200..300).contains(&a.status)) {
        return None;
    }
    let latest = attempts.iter().map(|a| a.received_at).max()?;
    let wait = SVIX_RETRY_DELAYS_S.get(attempts.len().checked_sub(1)?)?;
    Some(latest.saturating_add(wait.saturating_mul(1000)))
}

/// Whether `id` can be a svix-id: one word of letters, digits and `_`, as Svix's are.
fn plausible(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Source;
    use crate::sync::SyncKind;

    fn attempt(at_s: i64, status: u16) -> EventSummary {
        EventSummary {
            id: at_s,
            received_at: at_s * 1000,
            source: Source::Local,
            remote_addr: None,
            method: "POST".into(),
            path: "/api/webhooks/clerk".into(),
            status,
            svix_id: Some("msg_1".into()),
            svix_timestamp: Some(at_s),
            event_type: Some("user.created".into()),
            user_id: None,
            verification: "signature_mismatch".into(),
            sync: SyncKind::NotSynced,
            sync_detail: String::new(),
            hint: None,
            delivery_count: 1,
            last_delivery_at: at_s * 1000,
            body_size: 2,
            forwarded: None,
        }
    }

    #[test]
    fn the_next_retry_follows_svix_schedule_from_the_latest_attempt() {
        assert_eq!(next_retry_at(&[attempt(100, 401)]), Some(105_000));
        let three = [attempt(100, 401), attempt(105, 401), attempt(405, 401)];
        assert_eq!(next_retry_at(&three), Some((405 + 1_800) * 1000));
    }

    #[test]
    fn no_retry_once_one_was_accepted_or_all_eight_were_made() {
        assert_eq!(next_retry_at(&[attempt(100, 401), attempt(105, 200)]), None);
        let eight: Vec<_> = (0..8).map(|n| attempt(100 + n, 500)).collect();
        assert_eq!(next_retry_at(&eight), None);
        assert_eq!(next_retry_at(&eight[..7]), Some((106 + 36_000) * 1000));
        assert_eq!(next_retry_at(&[]), None);
    }
}
