//! Queries over captured events: the list the log shows (filtered, paged by cursor) and one
//! event in full.

use std::borrow::Cow;

use base64::Engine as _;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize, Serializer};

use super::arrival;
use super::deliveries::{DeliveryAttempt, deliveries_of};
use super::forwards::Forward;
use super::row_change::{RowChange, row_change};
use super::text_index;
use super::user_index::ids_about_user;
use crate::capture::{Source, decode_headers};
use crate::sync::SyncKind;
use crate::verify::Verification;

/// The columns `summary_from_row` reads, in order.
pub(crate) const SUMMARY_COLUMNS: &str = "id, received_at, source, remote_addr, method, path, \
    status, svix_id, svix_timestamp, event_type, user_id, verification, sync, sync_detail, hint, \
    delivery_count, last_delivery_at, body_size, \
    (SELECT coalesce(status, 0) FROM forwards WHERE forwards.event_id = events.id \
     AND (status IS NOT NULL OR error IS NOT NULL))";

/// One captured request as the event log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EventSummary {
    /// Capture order; also the change cursor.
    pub id: i64,
    /// Unix ms of the first delivery.
    pub received_at: i64,
    /// How it arrived.
    pub source: Source,
    /// Client address, when known.
    pub remote_addr: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The status Hooklab answered.
    pub status: u16,
    /// `svix-id`.
    pub svix_id: Option<String>,
    /// `svix-timestamp` (Unix s).
    pub svix_timestamp: Option<i64>,
    /// Clerk event type, when the body is an event (unverified: what it claims).
    pub event_type: Option<String>,
    /// The user the event is about.
    pub user_id: Option<String>,
    /// Verification outcome code.
    pub verification: String,
    /// Sync outcome.
    pub sync: SyncKind,
    /// Sync outcome, explained.
    pub sync_detail: String,
    /// What to do about a failure, in plain English.
    pub hint: Option<String>,
    /// Deliveries of this message (redeliveries bump it).
    pub delivery_count: i64,
    /// Unix ms of the latest delivery.
    pub last_delivery_at: i64,
    /// Body size in bytes.
    pub body_size: i64,
    /// The HTTP status the user's app answered the latest forward of this event with; `0`:
    /// it did not answer; `None`: not forwarded.
    pub forwarded: Option<u16>,
}

/// Whether a user agent is Svix's sender (Clerk's deliveries), not Hooklab's own sends, which
/// say `hooklab` in theirs.
pub(crate) fn svix_sender(user_agent: &str) -> bool {
    user_agent.starts_with("Svix-Webhooks/") && !user_agent.contains("hooklab")
}

/// One event in full. Serialized with the summary's fields inline, the body as text in `body`
/// and, only when the bytes are not UTF-8, as base64 in `body_base64`; the raw header block is
/// not serialized.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(as = "EventDetailJson<'static>"))]
pub struct EventDetail {
    /// The summary.
    pub summary: EventSummary,
    /// The typed verification outcome.
    pub verification_detail: Verification,
    /// Headers as received, in order.
    pub headers: Vec<(String, String)>,
    /// The raw body bytes (serialized as `body` text and `body_base64`).
    pub body: Vec<u8>,
    /// The raw header block (not serialized).
    pub raw_headers: Vec<u8>,
    /// The event this one replays.
    pub replay_of: Option<i64>,
    /// Replays of this event, oldest first.
    pub replays: Vec<EventSummary>,
    /// Every delivery of the message, oldest first (the first is this row's).
    pub deliveries: Vec<DeliveryAttempt>,
    /// The user and session rows before and after, when this event was applied.
    pub changed: Option<RowChange>,
    /// The latest forward to the user's app and how it answered, if it was forwarded.
    pub forward: Option<Forward>,
    /// Every request that carried this svix-id, this one included, oldest first (replays left
    /// out): Svix's failed attempts of the message and the one delivered.
    pub attempts: Vec<EventSummary>,
    /// When Svix's next attempt of this message is due (Unix ms), estimated from its schedule
    /// when the message came from Svix and no attempt was accepted yet.
    pub next_retry_at: Option<i64>,
}

impl EventDetail {
    /// Whether Svix sent it (its user agent), so Svix retries it when it fails; Hooklab's own
    /// test sends look like Svix's but say so.
    pub fn from_svix(&self) -> bool {
        self.headers
            .iter()
            .any(|(name, value)| name == "user-agent" && svix_sender(value))
    }

    /// The body as text (lossy for non-UTF-8 bytes).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body re-indented when it is JSON (keys in the order they arrived, values spelled
    /// as received: only whitespace changes), else `None`.
    pub fn body_pretty(&self) -> Option<String> {
        std::str::from_utf8(&self.body)
            .ok()
            .and_then(crate::pretty::reindent)
    }
}

/// [`EventDetail`] as serialized (the UI, `hooklab event --json`): borrowed, with the body as
/// text and, only when it is not UTF-8, as base64.
#[derive(Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
struct EventDetailJson<'a> {
    /// The summary.
    #[serde(flatten)]
    summary: &'a EventSummary,
    /// The typed verification outcome.
    verification_detail: &'a Verification,
    /// Headers as received, in order.
    headers: &'a [(String, String)],
    /// The body as text (non-UTF-8 bytes replaced by U+FFFD).
    body: Cow<'a, str>,
    /// The exact body bytes in standard base64, only when they are not valid UTF-8 (else
    /// `null`: `body` is exact).
    body_base64: Option<String>,
    /// The event this one replays.
    replay_of: Option<i64>,
    /// Replays of this event, oldest first.
    replays: &'a [EventSummary],
    /// Every delivery of the message, oldest first (the first is this row's; databases from
    /// before Hooklab kept them may list fewer than `delivery_count`).
    deliveries: &'a [DeliveryAttempt],
    /// The user and session rows before and after, when this event was applied.
    changed: Option<&'a RowChange>,
    /// The latest forward to the user's app and how it answered, if it was forwarded.
    forward: Option<&'a Forward>,
    /// Every request that carried this svix-id, this one included, oldest first (replays left
    /// out): Svix's failed attempts of the message and the one delivered.
    attempts: &'a [EventSummary],
    /// When Svix's next attempt of this message is due (Unix ms), estimated from its schedule
    /// when the message came from Svix and no attempt was accepted yet.
    next_retry_at: Option<i64>,
    /// Whether Svix sent it (its user agent), so Svix retries it when it fails.
    from_svix: bool,
}

impl Serialize for EventDetail {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (body, body_base64) = match std::str::from_utf8(&self.body) {
            Ok(text) => (Cow::Borrowed(text), None),
            Err(_) => (
                String::from_utf8_lossy(&self.body),
                Some(base64::engine::general_purpose::STANDARD.encode(&self.body)),
            ),
        };
        EventDetailJson {
            summary: &self.summary,
            verification_detail: &self.verification_detail,
            headers: &self.headers,
            body,
            body_base64,
            replay_of: self.replay_of,
            replays: &self.replays,
            deliveries: &self.deliveries,
            changed: self.changed.as_ref(),
            forward: self.forward.as_ref(),
            attempts: &self.attempts,
            next_retry_at: self.next_retry_at,
            from_svix: self.from_svix(),
        }
        .serialize(serializer)
    }
}

/// Filters for the event list; empty fields do not filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct EventFilter {
    /// Exact event type (`user.created`).
    pub event_type: Option<String>,
    /// A verification code (`signature_mismatch`) or sync code (`stale`); `failed` means any
    /// request that was not verified.
    pub outcome: Option<String>,
    /// Events about this user.
    pub user_id: Option<String>,
    /// Text in the svix-id, type, user id, path or body, as typed; in events the text index
    /// answers for (all but the newest), it must start at a word.
    pub text: Option<String>,
    /// How it arrived: `local`, `tunnel`, `replay` or `test`.
    #[serde(default)]
    pub source: Option<String>,
    /// A sync code (`stale`; `duplicate` also matches redelivered events), on top of
    /// `outcome`: the app filters verification and sync separately.
    #[serde(default)]
    pub sync: Option<String>,
    /// Only events received at or after this time (Unix ms).
    #[serde(default)]
    pub since: Option<i64>,
    /// Only events received before this time (Unix ms).
    #[serde(default)]
    pub until: Option<i64>,
    /// Only events with an id below this cursor (the previous page's `next_cursor`).
    pub before: Option<i64>,
    /// Only events with an id above this one (what arrived since a row the viewer has).
    #[serde(default)]
    pub after: Option<i64>,
    /// Page toward the newest: the `limit` events just above `after` instead of the newest
    /// ones. Items still come newest first; `next_cursor` is then the newest id returned when
    /// more events lie above it (the next page's `after`).
    #[serde(default)]
    pub oldest_first: bool,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
}

/// One page of events, newest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EventPage {
    /// The events.
    pub items: Vec<EventSummary>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next_cursor: Option<i64>,
}

pub(crate) fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<EventSummary> {
    let source: String = r.get(2)?;
    let sync: String = r.get(12)?;
    Ok(EventSummary {
        id: r.get(0)?,
        received_at: r.get(1)?,
        source: Source::from_code(&source),
        remote_addr: r.get(3)?,
        method: r.get(4)?,
        path: r.get(5)?,
        status: r.get(6)?,
        svix_id: r.get(7)?,
        svix_timestamp: r.get(8)?,
        event_type: r.get(9)?,
        user_id: r.get(10)?,
        verification: r.get(11)?,
        sync: SyncKind::from_code(&sync).unwrap_or(SyncKind::Error),
        sync_detail: r.get(13)?,
        hint: r.get(14)?,
        delivery_count: r.get(15)?,
        last_delivery_at: r.get(16)?,
        body_size: r.get(17)?,
        forwarded: r.get(18)?,
    })
}

/// Lists events newest first.
///
/// A search with words reads the text index for the events it covers and scans only the
/// newer ones it has not reached (store/text_index.rs); every row is still checked against the
/// exact text, so the index only narrows which rows are read.
pub fn list_events(conn: &Connection, filter: &EventFilter) -> rusqlite::Result<EventPage> {
    // Times become id bounds (ids follow arrival), so a time range reads only its own rows;
    // the exact times are checked on each row.
    let mut bounded;
    let filter = if filter.since.is_some() || filter.until.is_some() {
        bounded = filter.clone();
        if let Some(low) = filter
            .since
            .map(|t| arrival::after_id(conn, t))
            .transpose()?
        {
            bounded.after = Some(filter.after.map_or(low, |a| a.max(low)));
        }
        if let Some(high) = filter
            .until
            .map(|t| arrival::before_id(conn, t))
            .transpose()?
        {
            bounded.before = Some(filter.before.map_or(high, |b| b.min(high)));
        }
        &bounded
    } else {
        filter
    };
    let limit = filter.limit.unwrap_or(50).clamp(1, 500);
    let want = i64::from(limit) + 1;
    let words = filter.text.as_deref().and_then(text_index::words_query);
    // A database opened for reading before a writer added the index has none yet: scan.
    let upto = match words {
        Some(_) => conn
            .query_row(
                "SELECT upto FROM index_state WHERE name = 'event_text'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .optional()?,
        None => None,
    };
    let mut items = match (words, upto) {
        (Some(words), Some(upto)) => {
            // In the page's order. Newest first, the scan also reads the SCAN_FIRST events
            // below the cursor: a common word fills the page from those at once, where its
            // long word list would be slow to walk; a rare one comes from the index.
            let (first, second) = if filter.oldest_first {
                (Rows::Index { words, upto }, Rows::After(upto))
            } else {
                let top: i64 = match filter.before {
                    Some(before) => before,
                    None => {
                        conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM events", [], |r| {
                            r.get(0)
                        })?
                    }
                };
                let from = upto.min(top.saturating_sub(SCAN_FIRST));
                (Rows::After(from), Rows::Index { words, upto: from })
            };
            let mut items = select_events(conn, filter, &first, want)?;
            let rest = want - items.len() as i64;
            if rest > 0 {
                items.extend(select_events(conn, filter, &second, rest)?);
            }
            items
        }
        _ => select_events(conn, filter, &Rows::Events, want)?,
    };
    let next_cursor = page_in_place(&mut items, limit, |e| e.id);
    if filter.oldest_first {
        items.reverse();
    }
    Ok(EventPage { items, next_cursor })
}

/// Events a search scans below its cursor before it turns to the text index (a few ms).
const SCAN_FIRST: i64 = 2_000;

/// Where a page's rows come from.
enum Rows {
    /// Every event.
    Events,
    /// Events past the text index (`id > upto`).
    After(i64),
    /// Events the text index covers whose words match the FTS5 query.
    Index { words: String, upto: i64 },
}

/// Up to `want` events matching `filter` from `from`, in the page's order.
fn select_events(
    conn: &Connection,
    filter: &EventFilter,
    from: &Rows,
    want: i64,
) -> rusqlite::Result<Vec<EventSummary>> {
    let text = filter
        .text
        .as_ref()
        .map(|t| format!("%{}%", escape_like(t)));
    let outcome = filter.outcome.as_deref();
    // With a user filter, the query is driven by that user's event ids (a few rowid lookups)
    // instead of a scan of every event.
    let about_user = if filter.user_id.is_some() {
        format!("id IN ({}) AND", ids_about_user(3))
    } else {
        "?3 IS NULL AND".to_owned()
    };
    let outcome_sql = outcome_sql(outcome);
    let sync_sql = match filter.sync.as_deref() {
        None => "?10 IS NULL".to_owned(),
        sync => outcome_sql_for(sync, "?10"),
    };
    let order = if filter.oldest_first { "ASC" } else { "DESC" };
    // The index is read in rowid order between fixed bounds, so FTS5 stops at the page's end.
    let (source, key, words, low, high) = match from {
        Rows::Events => ("events", "id", None, 0, i64::MAX),
        Rows::After(upto) => ("events", "id", None, *upto, i64::MAX),
        Rows::Index { words, upto } => (
            "event_text JOIN events ON events.id = event_text.rowid",
            "event_text.rowid",
            Some(words.as_str()),
            0,
            upto.saturating_add(1),
        ),
    };
    let matching = if words.is_some() {
        "event_text MATCH ?9 AND"
    } else {
        "?9 IS NULL AND"
    };
    let low = low.max(filter.after.unwrap_or(0));
    let high = high.min(filter.before.unwrap_or(i64::MAX));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM {source} WHERE {matching} {about_user} \
         {key} < ?1 AND {key} > ?8 \
         AND (?2 IS NULL OR event_type = ?2) \
         AND {outcome_sql} AND {sync_sql} \
         AND (?7 IS NULL OR source = ?7) \
         AND (?11 IS NULL OR received_at >= ?11) AND (?12 IS NULL OR received_at < ?12) \
         AND (?5 IS NULL OR svix_id LIKE ?5 ESCAPE '\\' OR event_type LIKE ?5 ESCAPE '\\' \
              OR user_id LIKE ?5 ESCAPE '\\' OR path LIKE ?5 ESCAPE '\\' \
              OR CAST(body AS TEXT) LIKE ?5 ESCAPE '\\') \
         ORDER BY {key} {order} LIMIT ?6"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(
        params![
            high,
            filter.event_type,
            filter.user_id,
            outcome,
            text,
            want,
            filter.source,
            low,
            words,
            filter.sync,
            filter.since,
            filter.until,
        ],
        summary_from_row,
    )?
    .collect()
}

/// Verification codes other than `verified`: each names a failed request.
const FAILURES: [&str; 7] = [
    "missing_header",
    "malformed_timestamp",
    "timestamp_too_old",
    "timestamp_too_new",
    "signature_mismatch",
    "no_secret",
    "not_checked",
];

/// Every value `EventFilter.outcome` understands: `failed` (not verified, or not answered
/// 2xx), `verified`, each failed verification code, and each sync code.
pub const OUTCOME_FILTERS: [&str; 15] = [
    "failed",
    "verified",
    FAILURES[0],
    FAILURES[1],
    FAILURES[2],
    FAILURES[3],
    FAILURES[4],
    FAILURES[5],
    FAILURES[6],
    "applied",
    "stale",
    "duplicate",
    "ignored",
    "error",
    "not_synced",
];

/// The sync codes, last in [`OUTCOME_FILTERS`]: what `EventFilter.sync` takes.
pub const SYNC_FILTERS: &[&str] = OUTCOME_FILTERS.split_at(FAILURES.len() + 2).1;

/// The SQL for an outcome filter (bound as `?4`). Rare outcomes repeat the WHERE term of a
/// partial index literally (migration 0006), so SQLite reads only the unusual rows instead of
/// scanning every event; `verified` and `applied` are most events, so a scan finds them at once.
fn outcome_sql(outcome: Option<&str>) -> &'static str {
    // The WHERE of `events_failed`, word for word.
    macro_rules! failed {
        () => {
            "(verification <> 'verified' OR status NOT BETWEEN 200 AND 299)"
        };
    }
    match outcome {
        None => "?4 IS NULL",
        Some("failed") => concat!("(?4 = 'failed' AND ", failed!(), ")"),
        Some("verified") => "verification = ?4",
        Some("applied") => "sync = ?4",
        Some("duplicate") => {
            "(?4 = 'duplicate' AND (delivery_count > 1 OR (sync <> 'applied' AND sync = ?4)))"
        }
        Some(code) if FAILURES.contains(&code) => {
            concat!("(", failed!(), " AND verification = ?4)")
        }
        Some(_) => "(sync <> 'applied' AND sync = ?4)",
    }
}

/// [`outcome_sql`] for a code bound to another parameter.
fn outcome_sql_for(outcome: Option<&str>, param: &str) -> String {
    outcome_sql(outcome).replace("?4", param)
}

/// Like [`page`], on a vector the caller keeps.
fn page_in_place<T>(items: &mut Vec<T>, limit: u32, cursor: impl Fn(&T) -> i64) -> Option<i64> {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    if more { items.last().map(cursor) } else { None }
}

/// Queries fetch `limit + 1` rows: cuts the extra one off and turns it into the next cursor.
pub(crate) fn page<T>(
    mut items: Vec<T>,
    limit: u32,
    cursor: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<i64>) {
    let next = page_in_place(&mut items, limit, cursor);
    (items, next)
}

/// Finds one event by its row id or svix-id: the delivered (verified) row through its index,
/// else the latest failed attempt (a scan, only for messages that never verified).
pub fn get_event(conn: &Connection, key: &str) -> rusqlite::Result<Option<EventDetail>> {
    let by = |condition: &str| {
        format!(
            "SELECT {SUMMARY_COLUMNS}, verification_detail, headers, body FROM events \
             WHERE {condition} ORDER BY id DESC LIMIT 1"
        )
    };
    if let Ok(id) = key.parse::<i64>()
        && let Some(found) = detail_where(conn, &by("id = ?1"), params![id])?
    {
        return Ok(Some(found));
    }
    // The message's delivery (its first verified row; later ones are replays).
    let delivery = by("id = (SELECT event_id FROM deliveries WHERE svix_id = ?1)");
    if let Some(found) = detail_where(conn, &delivery, params![key])? {
        return Ok(Some(found));
    }
    detail_where(conn, &by("svix_id = ?1"), params![key])
}

/// Replays of event `id`, oldest first.
pub fn replays_of(conn: &Connection, id: i64) -> rusqlite::Result<Vec<EventSummary>> {
    conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM events WHERE id IN \
         (SELECT event_id FROM replays WHERE replay_of = ?1) ORDER BY id"
    ))?
    .query_map([id], summary_from_row)?
    .collect()
}

/// Summaries of the events `ids` that exist, in the order asked (the app's pinned events
/// outside its loaded pages): a primary-key read each, none of what the full detail adds.
pub fn event_summaries(conn: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<EventSummary>> {
    super::changes::read_each(
        conn,
        ids,
        &format!("SELECT {SUMMARY_COLUMNS} FROM events WHERE id = ?1"),
        summary_from_row,
    )
}

/// Event `id` as it arrived (summary, headers, body) without what the full detail adds
/// (replays, deliveries, what it changed: the last replays the user's history in a scratch
/// database): what forwarding posts.
pub(crate) fn get_request(conn: &Connection, id: i64) -> rusqlite::Result<Option<EventDetail>> {
    detail_row(
        conn,
        &format!(
            "SELECT {SUMMARY_COLUMNS}, verification_detail, headers, body FROM events WHERE id = ?1"
        ),
        [id],
    )
}

fn detail_where(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> rusqlite::Result<Option<EventDetail>> {
    let Some(mut detail) = detail_row(conn, sql, args)? else {
        return Ok(None);
    };
    let id = detail.summary.id;
    detail.replay_of = conn
        .prepare_cached("SELECT replay_of FROM replays WHERE event_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    detail.replays = replays_of(conn, id)?;
    detail.deliveries = deliveries_of(conn, &detail.summary)?;
    detail.changed = row_change(conn, &detail.summary)?;
    detail.forward = super::forwards::forward_of(conn, id)?;
    detail.attempts = super::attempts::attempts_of(conn, &detail.summary)?;
    detail.next_retry_at = detail
        .from_svix()
        .then(|| super::attempts::next_retry_at(&detail.attempts))
        .flatten();
    Ok(Some(detail))
}

fn detail_row(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> rusqlite::Result<Option<EventDetail>> {
    conn.prepare_cached(sql)?
        .query_row(args, |r| {
            let detail: String = r.get(19)?;
            let raw_headers: Vec<u8> = r.get(20)?;
            let headers = decode_headers(&raw_headers)
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            Ok(EventDetail {
                summary: summary_from_row(r)?,
                verification_detail: serde_json::from_str(&detail)
                    .unwrap_or(Verification::NotChecked),
                headers,
                body: r.get(21)?,
                raw_headers,
                replay_of: None,
                replays: Vec::new(),
                deliveries: Vec::new(),
                changed: None,
                forward: None,
                attempts: Vec::new(),
                next_retry_at: None,
            })
        })
        .optional()
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
