//! The benchmark's correctness (not its speed): a small realistic run answers every request
//! 2xx and leaves no wrong user, and its report carries the numbers it promises.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Sandbox, json};

#[test]
fn small_benchmark_run_ends_with_zero_wrong_users() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .command_without_db()
        .args([
            "--json",
            "bench",
            "--events",
            "3000",
            "--concurrency",
            "16",
            "--report-every",
            "1000",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    assert_eq!(report["failed_requests"], 0);
    assert_eq!(report["check"]["wrong"], 0, "{report}");
    assert!(report["check"]["users"].as_u64().unwrap() > 100);
    assert!(report["check"]["deleted"].as_u64().unwrap() > 0);
    assert_eq!(report["windows"].as_array().unwrap().len(), 3);
    assert!(report["overall"]["p99_ms"].as_f64().unwrap() > 0.0);
    assert!(report["peak_rss_mb"].as_f64().unwrap() > 0.0);
}
