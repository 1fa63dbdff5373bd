//! Throughput and latency percentiles over the samples of a load, for `hooklab bench`'s
//! windows and the app's load test alike.

use serde::Serialize;

use super::drive::Sample;

/// Numbers for a run of requests (by completion order).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LatencyWindow"))]
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

/// The numbers of `samples` (numbered from `from`), answered over `span_us`.
pub fn window(from: usize, samples: &[Sample], span_us: u64) -> Window {
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
