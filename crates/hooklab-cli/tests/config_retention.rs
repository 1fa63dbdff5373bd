//! `hooklab config set-retention`: limits given change, limits left out stay, `off` removes
//! one, and a limit too small to be safe is refused with nothing saved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Sandbox, json};

#[test]
fn retention_is_set_shown_and_checked() {
    let sandbox = Sandbox::new();
    let shown = json(&sandbox.run(&["--json", "config", "show"]));
    assert_eq!(
        shown["retention"]["max_size_mb"], 1024,
        "the default bounds the disk"
    );

    let out = sandbox.run(&[
        "config",
        "set-retention",
        "--max-age-days",
        "30",
        "--max-events",
        "50000",
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("at most 30 days, 50000 events, 1024 MB"),
        "{text}"
    );

    let out = sandbox.run(&["config", "set-retention", "--max-size-mb", "off"]);
    assert!(out.status.success(), "{out:?}");
    let shown = json(&sandbox.run(&["--json", "config", "show"]));
    assert_eq!(shown["retention"]["max_age_days"], 30, "left out, so kept");
    assert_eq!(shown["retention"]["max_size_mb"], serde_json::Value::Null);

    let out = sandbox.run(&["config", "set-retention", "--max-events", "10"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("keep at least 1000 events"), "{stderr}");
    let shown = json(&sandbox.run(&["--json", "config", "show"]));
    assert_eq!(shown["retention"]["max_events"], 50000, "nothing saved");

    let out = sandbox.run(&["config", "set-retention", "--max-events", "lots"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("neither a whole number nor `off`"),
        "{stderr}"
    );
}
