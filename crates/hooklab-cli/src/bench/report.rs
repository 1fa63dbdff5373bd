//! The benchmark's numbers: throughput and latency percentiles per window of events and
//! overall, peak memory, database size, and the users check.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::load::Sample;
use super::mix::Check;
use crate::output::print_json;

/// Numbers for one window of requests (by completion order).
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// First request number in the window (1-based, completion order).
    pub from: usize,
    /// Last request number.
    pub to: usize,
    /// Requests per second in this window.
    pub events_per_sec: f64,
    /// Latency percentiles, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

/// Everything the benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Per window.
    pub windows: Vec<Window>,
    /// The whole run.
    pub overall: Window,
    /// Requests answered with a non-2xx status.
    pub failed_requests: usize,
    /// Peak resident memory of this process (server and load generator), MB.
    pub peak_rss_mb: f64,
    /// Database file size after the run, MB.
    pub db_mb: f64,
    /// Largest WAL file size seen during the run, MB.
    pub wal_peak_mb: f64,
    /// The users check.
    pub check: Check,
}

impl Report {
    /// Computes the numbers from the samples (sorted by completion).
    pub fn new(
        samples: &[Sample],
        elapsed: Duration,
        every: usize,
        db: &Path,
        check: Check,
    ) -> Self {
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
        Self {
            windows,
            overall: window(1, samples, total_us),
            failed_requests: samples
                .iter()
                .filter(|s| !(200..300).contains(&s.status))
                .count(),
            peak_rss_mb: peak_rss_kb() as f64 / 1024.0,
            db_mb: std::fs::metadata(db).map_or(0.0, |m| m.len() as f64 / 1e6),
            wal_peak_mb: 0.0,
            check,
        }
    }

    /// Prints the report as a table or JSON.
    pub fn print(&self, json: bool) {
        if json {
            print_json(self);
            return;
        }
        println!(
            "{:>17}  {:>9}  {:>7}  {:>7}  {:>7}  {:>8}",
            "requests", "events/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
        );
        let line = |label: String, w: &Window| {
            println!(
                "{label:>17}  {:>9.0}  {:>7.2}  {:>7.2}  {:>7.2}  {:>8.2}",
                w.events_per_sec, w.p50_ms, w.p90_ms, w.p99_ms, w.max_ms
            );
        };
        for w in &self.windows {
            line(format!("{}-{}", w.from, w.to), w);
        }
        line("all".to_owned(), &self.overall);
        println!(
            "peak RSS {:.1} MB (server and load generator in one process); database {:.1} MB; \
             WAL peak {:.1} MB",
            self.peak_rss_mb, self.db_mb, self.wal_peak_mb
        );
        println!(
            "non-2xx answers: {}; users checked: {} ({} deleted), wrong: {}",
            self.failed_requests, self.check.users, self.check.deleted, self.check.wrong
        );
        for example in &self.check.examples {
            println!("  wrong: {example}");
        }
    }
}

fn window(from: usize, samples: &[Sample], span_us: u64) -> Window {
    let mut latencies: Vec<u32> = samples.iter().map(|s| s.latency_us).collect();
    latencies.sort_unstable();
    let pick = |q: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        f64::from(latencies[index]) / 1000.0
    };
    Window {
        from,
        to: from + samples.len().saturating_sub(1),
        events_per_sec: if span_us == 0 {
            0.0
        } else {
            samples.len() as f64 * 1e6 / span_us as f64
        },
        p50_ms: pick(0.50),
        p90_ms: pick(0.90),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
    }
}

/// VmHWM from /proc/self/status, in KB (0 where unavailable).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
