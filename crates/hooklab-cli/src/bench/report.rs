//! The benchmark's numbers: throughput and latency percentiles per window of events and
//! overall, peak memory, database size, and the users check (the last three where measured).

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::output::{print_json, say};
use hooklab_core::load::{Check, Sample, Window, window};

/// Everything the benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Per window.
    pub windows: Vec<Window>,
    /// The whole run.
    pub overall: Window,
    /// Requests answered with a non-2xx status.
    pub failed_requests: usize,
    /// Of those, answered 401 (signature not verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unauthorized: Option<usize>,
    /// The receiver's URL with `--target` (it then runs in another process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Peak resident memory of this process (server and load generator), MB; null with
    /// `--target`.
    pub peak_rss_mb: Option<f64>,
    /// Database file size after the run, MB; with `--target`, only with `--check-db`.
    pub db_mb: Option<f64>,
    /// Largest WAL file size seen during the run, MB; null with `--target`.
    pub wal_peak_mb: Option<f64>,
    /// The users check; null with `--target` and no `--check-db`.
    pub check: Option<Check>,
    /// Why the users check did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_skipped: Option<String>,
}

impl Report {
    /// Computes the timings from the samples (sorted by completion); the caller adds what
    /// else it measured.
    pub fn new(samples: &[Sample], elapsed: Duration, every: usize) -> Self {
        let every = every.max(1);
        let mut windows = Vec::new();
        let mut start_us = 0;
        for (n, chunk) in samples.chunks(every).enumerate() {
            let end_us = chunk.last().map_or(start_us, |s| s.done_us);
            windows.push(window(
                n * every + 1,
                chunk,
                end_us.saturating_sub(start_us),
            ));
            start_us = end_us;
        }
        let total_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let failed_requests = samples
            .iter()
            .filter(|s| !(200..300).contains(&s.status))
            .count();
        let unauthorized = samples.iter().filter(|s| s.status == 401).count();
        Self {
            windows,
            overall: window(1, samples, total_us),
            failed_requests,
            unauthorized: (unauthorized > 0).then_some(unauthorized),
            target: None,
            peak_rss_mb: None,
            db_mb: None,
            wal_peak_mb: None,
            check: None,
            check_skipped: None,
        }
    }

    /// Prints the report as a table or JSON.
    pub fn print(&self, json: bool) {
        if json {
            print_json(self);
            return;
        }
        say!(
            "{:>17}  {:>9}  {:>7}  {:>7}  {:>7}  {:>8}",
            "requests",
            "events/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms"
        );
        let line = |label: String, w: &Window| {
            say!(
                "{label:>17}  {:>9.0}  {:>7.2}  {:>7.2}  {:>7.2}  {:>8.2}",
                w.events_per_sec,
                w.p50_ms,
                w.p90_ms,
                w.p99_ms,
                w.max_ms
            );
        };
        for w in &self.windows {
            line(format!("{}-{}", w.from, w.to), w);
        }
        line("all".to_owned(), &self.overall);
        match (self.peak_rss_mb, self.wal_peak_mb) {
            (Some(rss), Some(wal)) => say!(
                "peak RSS {rss:.1} MB (server and load generator in one process); database \
                 {:.1} MB; WAL peak {wal:.1} MB",
                self.db_mb.unwrap_or_default()
            ),
            _ => say!(
                "peak RSS, WAL peak: not measured (the receiver is another process){}",
                self.db_mb
                    .map(|mb| format!("; database {mb:.1} MB"))
                    .unwrap_or_default()
            ),
        }
        let failed = match self.unauthorized {
            Some(n) => format!("{} ({n} answered 401)", self.failed_requests),
            None => self.failed_requests.to_string(),
        };
        match (&self.check, &self.check_skipped) {
            (Some(check), _) => {
                say!(
                    "non-2xx answers: {failed}; users checked: {} ({} deleted), wrong: {}",
                    check.users,
                    check.deleted,
                    check.wrong
                );
                for example in &check.examples {
                    say!("  wrong: {example}");
                }
            }
            (None, why) => say!(
                "non-2xx answers: {failed}; users check skipped: {}",
                why.as_deref().unwrap_or("not run")
            ),
        }
    }
}

/// A file's size in MB (None if it cannot be read).
pub fn file_mb(path: &Path) -> Option<f64> {
    std::fs::metadata(path).ok().map(|m| m.len() as f64 / 1e6)
}

/// Peak resident memory of this process, MB.
pub fn peak_rss_mb() -> f64 {
    status_kb("VmHWM:") as f64 / 1024.0
}

/// Resident memory of this process now, MB.
pub fn rss_mb() -> f64 {
    status_kb("VmRSS:") as f64 / 1024.0
}

/// A field of /proc/self/status, in KB (0 where unavailable).
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
