//! The lines printed as events arrive, one per event: by `hooklab serve` from its own bus and by
//! `hooklab events --follow` from the database, so both read the same (text, or one JSON object
//! per line in the shape of `serve --json`).

use hooklab_core::bus::BusEvent;
use hooklab_core::store::{EventSummary, Forward};

use crate::output::{fit, print_json, say, time};

/// The width of the event-type column.
const WHAT_WIDTH: usize = 28;

/// A new event (`note`: `None`) or a change to one (`redelivery #2`).
pub fn event(e: &EventSummary, note: Option<String>, json: bool) {
    if json {
        print_json(&match note {
            None => BusEvent::Captured(e.clone()),
            Some(_) => BusEvent::OutcomeUpdated(e.clone()),
        });
        return;
    }
    // Wide enough for `POST /api/webhooks/clerk` and `session.created`; longer is cut.
    let what = fit(
        &e.event_type
            .clone()
            .unwrap_or_else(|| format!("{} {}", e.method, e.path)),
        WHAT_WIDTH,
    );
    // A new event shows its first delivery; a redelivery, its latest.
    let at = if note.is_some() {
        e.last_delivery_at
    } else {
        e.received_at
    };
    let sync = note.unwrap_or_else(|| e.sync_detail.clone());
    say!(
        "{:<6} {} UTC  {}  {:<WHAT_WIDTH$} {:<31} {:<19} {}",
        format!("#{}", e.id),
        time(at),
        e.status,
        what,
        e.svix_id.as_deref().unwrap_or("-"),
        e.verification,
        sync
    );
    if e.status >= 300
        && let Some(hint) = &e.hint
    {
        say!("    hint: {hint}");
    }
}

/// How the user's app answered a forwarded event.
pub fn forward(f: &Forward, json: bool) {
    if json {
        print_json(&BusEvent::Forwarded(f.clone()));
        return;
    }
    say!("    ↳ #{} to your app: {}", f.event_id, f.answer());
    if let Some(hint) = &f.hint {
        say!("    hint: {hint}");
    }
}
