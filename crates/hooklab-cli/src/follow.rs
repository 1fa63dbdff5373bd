//! `hooklab events --follow`: the event log as it grows, like `tail -f`. It reads the change
//! feed of the database, so it follows whichever process receives (the desktop app, `hooklab
//! serve`, a `hooklab send` into either): new events, redeliveries and what the user's app
//! answered, each filtered like `hooklab events`.

use std::collections::BTreeMap;
use std::thread::sleep;

use hooklab_core::feed::POLL;
use hooklab_core::store::{
    EventFilter, EventSummary, MAX_CHANGES_PER_BATCH, StoreError, changes_since, forward_of,
    latest_change, list_events, open_for_reading,
};
use rusqlite::Connection;

use crate::context::Context;
use crate::error::CliError;
use crate::live;
use crate::output::say;

/// Events whose last delivery and forward are remembered, newest kept.
const REMEMBERED: usize = 10_000;

/// How far before the start a change may have happened and still be shown: a redelivery or an
/// answer from the app is stored a little after it happened (a forward waits for the app's
/// answer), and the feed's position is read at the start.
const SLACK_MS: i64 = 30_000;

/// How long a database that has just appeared may still be unreadable (the receiver is
/// creating its tables).
const NEW_FILE_GRACE: u32 = 40;

/// Prints the newest matching events oldest first, then every change as it is stored, until
/// Ctrl-C (or until stdout is closed).
pub fn run(ctx: &Context, filter: &EventFilter) -> Result<(), CliError> {
    let conn = open_waiting(ctx)?;
    let mut seen = Seen {
        since: now_ms() - SLACK_MS,
        known: BTreeMap::new(),
    };
    // The feed's position, the newest event and the first page from one snapshot (one read
    // transaction), so what arrives meanwhile shows once, after them.
    conn.execute_batch("BEGIN").map_err(StoreError::from)?;
    let start = first_read(&conn, filter);
    conn.execute_batch("COMMIT").map_err(StoreError::from)?;
    let (mut cursor, mut newest, page) = start?;
    if page.items.is_empty() && !ctx.json {
        say!("No events match yet; waiting for them (Ctrl-C to stop).");
    }
    for e in page.items.iter().rev() {
        seen.new_event(&conn, e, ctx.json)?;
    }
    loop {
        let batch =
            changes_since(&conn, cursor, MAX_CHANGES_PER_BATCH).map_err(StoreError::from)?;
        if batch.upto == cursor {
            sleep(POLL);
            continue;
        }
        cursor = batch.upto;
        if batch.reset {
            let note = "… fell behind: changes to older events were not shown (new ones still are)";
            if ctx.json {
                eprintln!("{note}");
            } else {
                say!("{note}");
            }
        }
        for e in batch.events.iter().filter(|e| e.id <= newest) {
            if matches(&conn, filter, e.id)? {
                seen.changed_event(&conn, e, ctx.json)?;
            }
        }
        let top = batch.events.iter().map(|e| e.id).max().unwrap_or(newest);
        if top > newest {
            for e in matching_between(&conn, filter, newest, top)? {
                seen.new_event(&conn, &e, ctx.json)?;
            }
            newest = top;
        }
        if !batch.more {
            sleep(POLL);
        }
    }
}

/// Opens the database, waiting for it to be created when it does not exist yet (following
/// before the app or `serve` ever ran).
fn open_waiting(ctx: &Context) -> Result<Connection, CliError> {
    let mut waited = None;
    loop {
        let opened = open_for_reading(&ctx.db).and_then(|conn| {
            latest_change(&conn).map_err(StoreError::from)?;
            Ok(conn)
        });
        match (opened, waited) {
            (Ok(conn), _) => return Ok(conn),
            (Err(StoreError::NotFound(_)), None) => {
                if !ctx.json {
                    say!(
                        "Waiting for {} to be created: start the desktop app or `hooklab serve`.",
                        ctx.db.display()
                    );
                }
                waited = Some(0);
            }
            (Err(StoreError::NotFound(_)), Some(_)) => {}
            // Just created by the receiver: its tables may not be there yet.
            (Err(_), Some(tries)) if tries < NEW_FILE_GRACE => waited = Some(tries + 1),
            (Err(e), _) => return Err(e.into()),
        }
        sleep(POLL);
    }
}

/// The feed's position, the newest event's id and the first page.
fn first_read(
    conn: &Connection,
    filter: &EventFilter,
) -> Result<(i64, i64, hooklab_core::store::EventPage), CliError> {
    let cursor = latest_change(conn).map_err(StoreError::from)?;
    let newest = newest_id(conn)?;
    let page = list_events(conn, filter).map_err(StoreError::from)?;
    Ok((cursor, newest, page))
}

/// The newest event's id (0 when there is none).
fn newest_id(conn: &Connection) -> Result<i64, CliError> {
    let newest = EventFilter {
        limit: Some(1),
        ..EventFilter::default()
    };
    let page = list_events(conn, &newest).map_err(StoreError::from)?;
    Ok(page.items.first().map_or(0, |e| e.id))
}

/// Whether event `id` passes the filter (text inside the body included).
fn matches(conn: &Connection, filter: &EventFilter, id: i64) -> Result<bool, CliError> {
    let one = EventFilter {
        after: Some(id - 1),
        before: Some(id + 1),
        limit: Some(1),
        ..filter.clone()
    };
    let page = list_events(conn, &one).map_err(StoreError::from)?;
    Ok(!page.items.is_empty())
}

/// The events with ids in `(after, upto]` that pass the filter, oldest first.
fn matching_between(
    conn: &Connection,
    filter: &EventFilter,
    mut after: i64,
    upto: i64,
) -> Result<Vec<EventSummary>, CliError> {
    let mut found = Vec::new();
    loop {
        let range = EventFilter {
            after: Some(after),
            before: Some(upto + 1),
            oldest_first: true,
            limit: Some(500),
            ..filter.clone()
        };
        let page = list_events(conn, &range).map_err(StoreError::from)?;
        found.extend(page.items.into_iter().rev());
        match page.next_cursor {
            Some(next) if next > after => after = next,
            _ => return Ok(found),
        }
    }
}

/// What was last shown of an event: its deliveries, the last one's time, when it was last
/// forwarded.
#[derive(Debug, Clone, Copy)]
struct Known {
    deliveries: i64,
    delivered_at: i64,
    forwarded_at: Option<i64>,
}

/// The events shown so far, to tell a redelivery or a new answer from the app from other
/// changes (a resend linked to the event).
struct Seen {
    /// Changes to events not remembered count from here.
    since: i64,
    known: BTreeMap<i64, Known>,
}

impl Seen {
    fn new_event(
        &mut self,
        conn: &Connection,
        e: &EventSummary,
        json: bool,
    ) -> Result<(), CliError> {
        live::event(e, None, json);
        if e.delivery_count > 1 {
            live::event(e, Some(format!("redelivery #{}", e.delivery_count)), json);
        }
        self.remember(
            e.id,
            Known {
                deliveries: e.delivery_count,
                delivered_at: e.last_delivery_at,
                forwarded_at: None,
            },
        );
        self.forwarded(conn, e, json)
    }

    fn changed_event(
        &mut self,
        conn: &Connection,
        e: &EventSummary,
        json: bool,
    ) -> Result<(), CliError> {
        // Not shown (older than the first page, or forgotten): a redelivery is one only if
        // the event has several deliveries, the last one since the start.
        let known = self.known.get(&e.id).copied().unwrap_or(Known {
            deliveries: 1,
            delivered_at: self.since,
            forwarded_at: Some(self.since),
        });
        if e.delivery_count > known.deliveries && e.last_delivery_at > known.delivered_at {
            live::event(e, Some(format!("redelivery #{}", e.delivery_count)), json);
        }
        self.remember(
            e.id,
            Known {
                deliveries: e.delivery_count.max(known.deliveries),
                delivered_at: e.last_delivery_at.max(known.delivered_at),
                ..known
            },
        );
        self.forwarded(conn, e, json)
    }

    /// Prints the app's answer to event `e` when it is one not shown yet.
    fn forwarded(
        &mut self,
        conn: &Connection,
        e: &EventSummary,
        json: bool,
    ) -> Result<(), CliError> {
        if e.forwarded.is_none() {
            return Ok(());
        }
        let Some(forward) = forward_of(conn, e.id).map_err(StoreError::from)? else {
            return Ok(());
        };
        let Some(known) = self.known.get_mut(&e.id) else {
            return Ok(());
        };
        if known.forwarded_at.is_some_and(|at| forward.at <= at) {
            return Ok(());
        }
        known.forwarded_at = Some(forward.at);
        live::forward(&forward, json);
        Ok(())
    }

    fn remember(&mut self, id: i64, known: Known) {
        while self.known.len() >= REMEMBERED && !self.known.contains_key(&id) {
            // What was shown of a forgotten event is not shown again as news.
            if let Some((_, gone)) = self.known.pop_first() {
                self.since = self
                    .since
                    .max(gone.delivered_at)
                    .max(gone.forwarded_at.unwrap_or(i64::MIN));
            }
        }
        self.known.insert(id, known);
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
