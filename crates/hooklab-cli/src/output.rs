//! Text and JSON output shared by the commands: every line goes through `say!`, which shows
//! control characters escaped (text from requests must not forge log lines or drive the
//! terminal) and exits quietly when stdout is closed (`hooklab events | head`). Also times,
//! column tables and outcome labels.

use std::io::Write as _;

use hooklab_core::store::EventSummary;
use hooklab_core::text::printable;
use serde::Serialize;

/// Prints one line of text (formatted like `println!`) with control characters escaped.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::emit(&format!($($arg)*))
    };
}
pub(crate) use say;

/// Prints one line with control characters escaped.
pub fn emit(line: &str) {
    write_line(&printable(line));
}

/// Prints multi-line text (a body) line by line, each escaped.
pub fn emit_block(text: &str) {
    for line in text.lines() {
        emit(line);
    }
}

/// Writes bytes exactly as they are to stdout when it is a file or a pipe; on a terminal, shown
/// with control characters escaped (a body must not drive the terminal).
pub fn emit_raw(bytes: &[u8]) {
    use std::io::IsTerminal as _;
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        drop(out);
        emit_block(&String::from_utf8_lossy(bytes));
        return;
    }
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Writes a line to stdout; a closed stdout ends the process quietly, as for other CLI tools.
fn write_line(line: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}")
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Prints a value as one line of JSON (serde escapes control characters inside strings).
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string(value) {
        Ok(text) => write_line(&text),
        Err(e) => eprintln!("error: cannot encode output: {e}"),
    }
}

/// Unix ms as `2026-11-23 09:31:38.123` (UTC).
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
    )
}

/// Unix ms as `3 min ago` (or `in 2 h` for a time ahead of this clock).
pub fn ago(ms: i64) -> String {
    let secs = (chrono::Utc::now().timestamp_millis() - ms) / 1000;
    let span = |s: i64| match s {
        ..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..172_800 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    };
    if secs >= 0 {
        format!("{} ago", span(secs))
    } else {
        format!("in {}", span(-secs))
    }
}

/// An optional Unix ms time, or `-`.
pub fn opt_time(ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".to_owned(), time)
}

/// Cuts text to `width` characters with an ellipsis.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Prints rows as left-aligned columns sized to their content.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        emit(padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// The one-line form of an event, as `serve` prints it and `events` lists it.
pub fn event_line(e: &EventSummary) -> Vec<String> {
    vec![
        e.id.to_string(),
        time(e.received_at),
        e.status.to_string(),
        e.event_type
            .clone()
            .unwrap_or_else(|| format!("{} {}", e.method, fit(&e.path, 28))),
        e.svix_id.clone().unwrap_or_else(|| "-".into()),
        e.verification.clone(),
        sync_label(e),
        e.user_id.clone().unwrap_or_else(|| "-".into()),
    ]
}

/// Column names matching `event_line`.
pub const EVENT_HEADER: [&str; 8] = [
    "#",
    "received (UTC)",
    "status",
    "type",
    "svix-id",
    "verification",
    "sync",
    "user",
];

/// `applied`, or `duplicate ×3` for a message delivered three times.
pub fn sync_label(e: &EventSummary) -> String {
    if e.delivery_count > 1 {
        format!("{} ×{}", e.sync.code(), e.delivery_count)
    } else {
        e.sync.code().to_owned()
    }
}
