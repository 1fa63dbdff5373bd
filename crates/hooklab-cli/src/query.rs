//! `hooklab events | event | users | user`: read the database, also while `serve` runs.

use hooklab_core::store::{
    EventDetail, EventFilter, EventPage, EventSummary, MISSING_COUNTED, RowChange, UserCounts,
    UserQuery, count_users, get_event, get_user, list_events, list_users, open_for_reading,
};

use serde_json::Value;

use crate::args::{EventsArgs, UsersArgs};
use crate::context::Context;
use crate::error::CliError;
use crate::output::{
    EVENT_HEADER, ago, emit_block, emit_raw, event_line, fit, opt_time, print_json, print_table,
    say, time,
};

/// Lists events newest first.
pub fn events(ctx: &Context, args: EventsArgs) -> Result<(), CliError> {
    let now = chrono::Utc::now().timestamp_millis();
    let filter = EventFilter {
        event_type: args.event_type,
        outcome: args.outcome,
        sync: args.sync,
        user_id: args.user,
        text: args.search,
        source: args.source,
        since: args.since.map(|at| at.ms(now)),
        until: args.until.map(|at| at.ms(now)),
        before: args.before,
        after: None,
        oldest_first: false,
        limit: Some(args.limit.unwrap_or(if args.follow { 10 } else { 50 })),
    };
    if args.follow {
        return crate::follow::run(ctx, &filter);
    }
    let conn = open_for_reading(&ctx.db)?;
    let page = list_events(&conn, &filter).map_err(hooklab_core::store::StoreError::from)?;
    if ctx.json {
        print_json(&page);
        return Ok(());
    }
    if page.items.is_empty() {
        let filtered = filter.event_type.is_some()
            || filter.outcome.is_some()
            || filter.sync.is_some()
            || filter.user_id.is_some()
            || filter.text.is_some()
            || filter.source.is_some()
            || filter.since.is_some()
            || filter.until.is_some()
            || filter.before.is_some();
        if filtered {
            say!("No events match these filters. `hooklab events` lists them all.");
        } else {
            say!("No events yet. Send one with `hooklab send user.created`.");
        }
        return Ok(());
    }
    print_events(&page.items);
    if let Some(cursor) = page.next_cursor {
        say!("… more: --before {cursor}");
    }
    Ok(())
}

/// Events as a table; with an `app` column (what the user's app answered) once any of them
/// was forwarded.
fn print_events(items: &[EventSummary]) {
    let mut rows: Vec<Vec<String>> = items.iter().map(event_line).collect();
    let mut header = EVENT_HEADER.to_vec();
    if items.iter().any(|e| e.forwarded.is_some()) {
        header.push("app");
        for (row, e) in rows.iter_mut().zip(items) {
            row.push(match e.forwarded {
                Some(0) => "no answer".to_owned(),
                Some(status) => status.to_string(),
                None => "-".to_owned(),
            });
        }
    }
    print_table(&header, &rows);
}

/// Shows one event in full.
pub fn event(ctx: &Context, key: &str, raw: bool) -> Result<(), CliError> {
    let conn = open_for_reading(&ctx.db)?;
    let Some(event) = get_event(&conn, key).map_err(hooklab_core::store::StoreError::from)? else {
        return Err(CliError::usage(
            format!("no event {key}"),
            "Pass a svix-id (msg_…) or an event number from `hooklab events`.",
        ));
    };
    if raw {
        emit_raw(&event.body);
        return Ok(());
    }
    if ctx.json {
        // `body` (text) and `body_base64` come with `EventDetail`'s serialization
        print_json(&event);
        return Ok(());
    }
    let s = &event.summary;
    say!(
        "Event {}  {}  {}",
        s.id,
        s.svix_id.as_deref().unwrap_or("(no svix-id)"),
        match (&s.event_type, s.verification == "verified") {
            (Some(kind), true) => kind.clone(),
            (Some(kind), false) => format!("claims {kind} (NOT verified)"),
            (None, _) => "(not a Clerk event)".to_owned(),
        }
    );
    say!(
        "  received      {} UTC via {}{}",
        time(s.received_at),
        s.source.code(),
        s.remote_addr
            .as_deref()
            .map(|a| format!(" from {a}"))
            .unwrap_or_default()
    );
    if s.delivery_count > 1 {
        say!(
            "  deliveries    {} (latest {} UTC)",
            s.delivery_count,
            time(s.last_delivery_at)
        );
        for (n, d) in event.deliveries.iter().enumerate() {
            say!("    #{}  {} UTC via {}", n + 1, time(d.at), d.source.code());
        }
    }
    print_attempts(&event);
    say!(
        "  request       {} {} → answered {}",
        s.method,
        s.path,
        s.status
    );
    let verification = match &event.verification_detail {
        hooklab_core::verify::Verification::Verified { secret, origin, .. } => {
            format!("verified with {secret} (from {})", origin.label())
        }
        other => other.code().to_owned(),
    };
    say!("  verification  {verification}");
    say!(
        "  sync          {}",
        sync_text(s.sync.code(), &s.sync_detail)
    );
    if let Some(hint) = &s.hint {
        say!("  hint          {hint}");
    }
    if let Some(change) = &event.changed {
        print_changed(change);
    }
    if let Some(f) = &event.forward {
        say!(
            "  your app      {} at {} UTC: {}",
            f.url,
            time(f.at),
            f.answer()
        );
        if let Some(hint) = &f.hint {
            say!("                hint: {hint}");
        }
        if !f.body.is_empty() {
            say!("                answered: {}", fit(&f.body, 200));
        }
    }
    say!("Headers");
    for (name, value) in &event.headers {
        say!("  {name}: {value}");
    }
    let kept = event.body.len() as i64;
    let size = if kept < s.body_size {
        format!("{kept} of {} bytes kept; the hint says why", s.body_size)
    } else {
        format!("{} bytes", s.body_size)
    };
    match event.body_pretty() {
        Some(pretty) => {
            say!("Body ({size}; re-indented, keys in the order received; --raw for the bytes)");
            emit_block(&pretty);
        }
        None => {
            say!("Body ({size}, as received)");
            emit_block(&event.body_text());
        }
    }
    Ok(())
}

/// Every request that carried the event's svix-id, when there was more than this one, and when
/// Svix will try the message again.
fn print_attempts(event: &EventDetail) {
    if event.attempts.len() > 1 {
        say!(
            "  attempts      {} carried this svix-id",
            event.attempts.len()
        );
        for a in &event.attempts {
            let this = if a.id == event.summary.id {
                "  (this one)"
            } else {
                ""
            };
            say!(
                "    event {:<6} {} UTC  answered {} {}{this}",
                a.id,
                time(a.received_at),
                a.status,
                a.verification
            );
        }
    }
    if let Some(due) = event.next_retry_at {
        say!(
            "  next attempt  Svix tries again around {} UTC (its schedule, counted from the {} \
             attempt(s) seen here)",
            time(due),
            event.attempts.len()
        );
    }
}

/// Lists users newest first.
pub fn users(ctx: &Context, args: UsersArgs) -> Result<(), CliError> {
    let conn = open_for_reading(&ctx.db)?;
    let page = list_users(
        &conn,
        &UserQuery::newest(args.search.clone(), args.before, args.limit),
    )
    .map_err(hooklab_core::store::StoreError::from)?;
    if ctx.json {
        // The page, and the counts the text output ends with (missing users included).
        let counts = count_users(&conn).map_err(hooklab_core::store::StoreError::from)?;
        let mut json = serde_json::to_value(&page).unwrap_or_default();
        if let Some(fields) = json.as_object_mut() {
            fields.insert(
                "counts".into(),
                serde_json::to_value(&counts).unwrap_or_default(),
            );
        }
        print_json(&json);
        return Ok(());
    }
    if page.items.is_empty() {
        match args.search.as_deref() {
            Some(text) => say!("No users match {text:?}. `hooklab users` lists them all."),
            None => say!(
                "No users yet. They appear when user.created / user.updated events are verified."
            ),
        }
        print_missing(&count_users(&conn).map_err(hooklab_core::store::StoreError::from)?);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|u| {
            let name = [u.first_name.as_deref(), u.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            vec![
                u.id.clone(),
                u.primary_email
                    .clone()
                    .or_else(|| u.primary_phone.clone())
                    .unwrap_or_else(|| "-".into()),
                u.username.clone().unwrap_or_else(|| "-".into()),
                fit(&name, 24),
                opt_time(u.updated_at),
                opt_time(u.last_sign_in_at),
                u.deleted_at
                    .map_or_else(|| "active".to_owned(), |at| format!("deleted {}", ago(at))),
            ]
        })
        .collect();
    print_table(
        &[
            "id",
            "email / phone",
            "username",
            "name",
            "updated (UTC)",
            "last sign-in",
            "state",
        ],
        &rows,
    );
    if let Some(cursor) = page.next_cursor {
        say!("… more: --before {cursor}");
    }
    print_missing(&count_users(&conn).map_err(hooklab_core::store::StoreError::from)?);
    Ok(())
}

/// Users a sign-in named whose user object never arrived, and where to look.
fn print_missing(counts: &UserCounts) {
    if counts.missing == 0 {
        return;
    }
    let more = counts.missing - counts.missing_ids.len() as i64;
    say!("");
    say!(
        "{} signed in, but their user object never arrived: {}{}",
        match counts.missing {
            1 => "1 user".to_owned(),
            n if n >= MISSING_COUNTED => format!("{n}+ users"),
            n => format!("{n} users"),
        },
        counts.missing_ids.join(", "),
        match more {
            0 => String::new(),
            _ if counts.missing >= MISSING_COUNTED => format!(" and {more}+ more"),
            _ => format!(" and {more} more"),
        }
    );
    say!(
        "  Hooklab syncs users from user.created and user.updated: check that both are selected \
         in your Clerk endpoint's events, and that none failed (`hooklab events --outcome failed`; \
         once the cause is fixed, `hooklab recover` re-runs those that reached Hooklab, and \
         Clerk's Recover resends messages that never arrived). A user who signed up before the \
         endpoint existed is never sent: any change to them in Clerk sends a user.updated."
    );
}

/// Shows one user, its sessions and its events.
pub fn user(ctx: &Context, id: &str) -> Result<(), CliError> {
    let conn = open_for_reading(&ctx.db)?;
    let Some(detail) = get_user(&conn, id).map_err(hooklab_core::store::StoreError::from)? else {
        let about = EventFilter {
            user_id: Some(id.to_owned()),
            limit: Some(50),
            ..EventFilter::default()
        };
        let page = list_events(&conn, &about).map_err(hooklab_core::store::StoreError::from)?;
        return no_user_row(ctx, &page, id);
    };
    if ctx.json {
        print_json(&detail);
        return Ok(());
    }
    let u = &detail.user;
    say!("User {}", u.id);
    if let Some(at) = u.deleted_at {
        say!(
            "  DELETED {} ({} UTC; a tombstone: later events cannot bring it back)",
            ago(at),
            time(at)
        );
    }
    say!(
        "  emails        {}",
        if u.emails.is_empty() {
            "-".to_owned()
        } else {
            u.emails.join(", ")
        }
    );
    say!(
        "  phone         {}",
        u.primary_phone.as_deref().unwrap_or("-")
    );
    say!("  username      {}", u.username.as_deref().unwrap_or("-"));
    say!(
        "  name          {} {}",
        u.first_name.as_deref().unwrap_or(""),
        u.last_name.as_deref().unwrap_or("")
    );
    say!("  created       {}", utc(u.created_at));
    say!("  updated       {}", utc(u.updated_at));
    say!("  last sign-in  {}", utc(u.last_sign_in_at));
    say!("  metadata      {}", u.public_metadata);
    say!("Sessions ({})", detail.sessions.len());
    for s in &detail.sessions {
        say!(
            "  {}  {}  signed in {}",
            s.id,
            s.status.as_deref().unwrap_or("-"),
            utc(s.created_at)
        );
    }
    say!("Timeline");
    let rows: Vec<Vec<String>> = detail.timeline.iter().map(event_line).collect();
    print_table(&EVENT_HEADER, &rows);
    Ok(())
}

/// A time as `2026-12-03 06:55:02.123 UTC (3 min ago)`, or `-`.
fn utc(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "-".to_owned(),
        |ms| format!("{} UTC ({})", time(ms), ago(ms)),
    )
}

/// No user row: say whether events about the user arrived (none verified, so nothing was
/// synced) and show them, or that none did.
fn no_user_row(ctx: &Context, page: &EventPage, id: &str) -> Result<(), CliError> {
    if page.items.is_empty() {
        return Err(CliError::usage(
            format!("no user {id}, and no event about it arrived"),
            "Users who signed up before the endpoint existed are never sent; list users with \
             `hooklab users`.",
        ));
    }
    if ctx.json {
        print_json(&serde_json::json!({ "user": null, "events": page.items }));
        return Ok(());
    }
    say!(
        "No user row for {id}: {}{} event(s) about it arrived, and none was verified, so \
         nothing was synced.",
        page.items.len(),
        if page.next_cursor.is_some() { "+" } else { "" }
    );
    print_events(&page.items);
    say!(
        "Fix what their hint says (`hooklab event N`), often the secret (`hooklab config \
         set-secret`), then re-run one: `hooklab replay N`."
    );
    Ok(())
}

/// `applied`, or `stale — a newer version …`: the code, then the detail without repeating it.
fn sync_text(code: &str, detail: &str) -> String {
    let spoken = code.replace('_', " ");
    let rest = detail
        .strip_prefix(&spoken)
        .map_or(detail, |r| r.trim_start_matches([':', ' ']));
    if rest.is_empty() {
        code.to_owned()
    } else {
        format!("{code} — {rest}")
    }
}

/// The fields an applied event changed in the user and session rows, `before → after`.
fn print_changed(change: &RowChange) {
    say!("Changed");
    let rows = [
        (
            "user",
            to_value(&change.user_before),
            to_value(&change.user_after),
        ),
        (
            "session",
            to_value(&change.session_before),
            to_value(&change.session_after),
        ),
    ];
    for (row, before, after) in rows {
        let (Value::Object(b), Value::Object(a)) = (&before, &after) else {
            if after.is_object() {
                say!("  {row} row created");
            }
            continue;
        };
        for (field, new) in a.iter().filter(|(k, _)| *k != "seq") {
            let old = b.get(field).unwrap_or(&Value::Null);
            if old != new {
                // Times in words (the raw Unix ms are in --json).
                let shown = |v: &Value| match v.as_i64() {
                    Some(ms) if field.ends_with("_at") => format!("{} UTC", time(ms)),
                    _ => v.to_string(),
                };
                say!("  {row}.{field}: {} → {}", shown(old), shown(new));
            }
        }
    }
}

fn to_value<T: serde::Serialize>(row: &Option<T>) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}
