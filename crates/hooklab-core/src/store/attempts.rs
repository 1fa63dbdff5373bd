//! Every request that carried one message's svix-id, and when Svix will try it again. Only a
//! verified request is a delivery that later ones bump; each failed attempt is a row of its
//! own, so they are found through the text index by the svix-id's distinctive word, plus the
//! newest events the index has not reached, and the retry is estimated from Svix's published
//! schedule.

use rusqlite::{Connection, OptionalExtension, params};

use super::events::{EventSummary, SUMMARY_COLUMNS, summary_from_row};

/// Svix's wait after each failed attempt, in seconds: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
/// (eight attempts in all, about 28 hours).
const SVIX_RETRY_DELAYS_S: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// Attempts listed per message at most: the newest ones (Svix makes eight; more are replays of
/// it by hand, or someone reusing the id).
const MAX_LISTED: i64 = 100;

/// The shortest distinctive part a svix-id needs to be looked up (Svix's are 27 characters
/// after `msg_`): a short one matches a long list of words in the index, which is read whole.
const MIN_DISTINCT: usize = 12;

/// The requests that carried `event`'s svix-id, oldest first: the newest [`MAX_LISTED`] and
/// always `event` itself. Replays are left out (the detail lists them apart). Only `event`
/// when its svix-id cannot be a Svix one.
///
/// The text index narrows the events it covers to those holding the svix-id's longest word as
/// a whole token; among the newer ones it has not reached yet, only those that can be attempts
/// are read (see below), so a long unindexed tail of accepted events costs little.
pub(crate) fn attempts_of(
    conn: &Connection,
    event: &EventSummary,
) -> rusqlite::Result<Vec<EventSummary>> {
    let Some((svix_id, word)) = event
        .svix_id
        .as_deref()
        .and_then(|id| distinct_word(id).map(|word| (id, word)))
    else {
        return Ok(vec![event.clone()]);
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
    // The tail is read through what is rare in it: the failed requests (`events_failed`), the
    // conflicting re-uses of a delivered id (flagged `duplicate`, in `events_unsynced`) and
    // the message's delivery itself (`deliveries`). A verified, accepted request with this id
    // is always one of those, so no other row of the tail can be an attempt, and a burst of
    // accepted events costs nothing to skip (a burst of failed ones is still read row by row).
    // Each condition repeats its partial index's WHERE.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM events WHERE svix_id = ?1 \
           AND id IN (SELECT rowid FROM event_text WHERE event_text MATCH ?2 AND rowid <= ?3) \
           AND id NOT IN (SELECT event_id FROM replays) \
         UNION \
         SELECT {SUMMARY_COLUMNS} FROM events WHERE id > ?3 AND svix_id = ?1 \
           AND (verification <> 'verified' OR status NOT BETWEEN 200 AND 299) \
           AND id NOT IN (SELECT event_id FROM replays) \
         UNION \
         SELECT {SUMMARY_COLUMNS} FROM events WHERE id > ?3 AND svix_id = ?1 \
           AND sync <> 'applied' AND sync = 'duplicate' \
           AND id NOT IN (SELECT event_id FROM replays) \
         UNION \
         SELECT {SUMMARY_COLUMNS} FROM events WHERE id > ?3 \
           AND id = (SELECT event_id FROM deliveries WHERE svix_id = ?1) \
           AND id NOT IN (SELECT event_id FROM replays) \
         ORDER BY id DESC LIMIT ?4"
    );
    let mut attempts = conn
        .prepare_cached(&sql)?
        .query_map(
            params![svix_id, format!("\"{word}\""), upto, MAX_LISTED],
            summary_from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if !attempts.iter().any(|a| a.id == event.id) {
        attempts.push(event.clone());
    }
    attempts.sort_by_key(|a| a.id);
    Ok(attempts)
}

/// When Svix's next attempt of a message is due (Unix ms): none once an attempt was answered
/// 2xx or all eight were made. Every delivery counts, redeliveries that bumped a row included.
/// Counted from the attempts Hooklab saw, so attempts made while it was not running make this
/// early.
pub(crate) fn next_retry_at(attempts: &[EventSummary]) -> Option<i64> {
    if attempts.iter().any(|a| (200..300).contains(&a.status)) {
        return None;
    }
    let latest = attempts.iter().map(|a| a.last_delivery_at).max()?;
    let made: i64 = attempts.iter().map(|a| a.delivery_count.max(1)).sum();
    let wait = SVIX_RETRY_DELAYS_S.get(usize::try_from(made.checked_sub(1)?).ok()?)?;
    Some(latest.saturating_add(wait.saturating_mul(1000)))
}

/// The longest word of `id` (letters and digits, as the text index splits it) when `id` can be
/// a svix-id (one word of letters, digits and `_`) and that word is distinctive enough to look
/// up.
fn distinct_word(id: &str) -> Option<&str> {
    let one_word = id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    one_word
        .then(|| id.split('_').max_by_key(|w| w.len()))
        .flatten()
        .filter(|w| w.len() >= MIN_DISTINCT)
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
    fn redeliveries_that_bumped_a_row_count_as_attempts() {
        let mut bumped = attempt(100, 400);
        bumped.delivery_count = 3;
        bumped.last_delivery_at = 405_000;
        assert_eq!(next_retry_at(&[bumped]), Some((405 + 1_800) * 1000));
    }

    #[test]
    fn only_a_long_distinct_word_is_looked_up() {
        assert_eq!(
            distinct_word("msg_2yJshmaJAoE3XwYMmUcJwH5cXSl"),
            Some("2yJshmaJAoE3XwYMmUcJwH5cXSl")
        );
        for id in [
            "msg_1",
            "a",
            "msg_short",
            "msg 2yJshmaJAoE3XwYMmUcJwH5cXSl",
            "",
        ] {
            assert_eq!(distinct_word(id), None, "{id:?}");
        }
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
