//! The settings that are a choice of two: `hooklab config set-verify-at-edge on|off` and
//! `set-synchronous normal|full`, saved for `serve` and the app, shown by `config show` with
//! what they mean, and nothing but their two values taken.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Sandbox, json};

#[test]
fn verification_at_the_edge_is_set_shown_and_checked() {
    let sandbox = Sandbox::new();
    let shown = json(&sandbox.run(&["--json", "config", "show"]));
    assert_eq!(shown["verify_at_edge"], false, "off by default");

    let out = sandbox.run(&["config", "set-verify-at-edge", "on"]);
    assert!(out.status.success(), "{out:?}");
    let shown = String::from_utf8(sandbox.run(&["config", "show"]).stdout).unwrap();
    assert!(
        shown.contains("edge check     on: ngrok refuses requests Clerk did not sign"),
        "{shown}"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox.config()).unwrap()).unwrap();
    assert_eq!(saved["verify_at_edge"], true);

    let out = sandbox.run(&["config", "set-verify-at-edge", "yes"]);
    assert!(!out.status.success(), "only on or off");
    let out = sandbox.run(&["config", "set-verify-at-edge", "off"]);
    assert!(out.status.success());
    assert_eq!(
        json(&sandbox.run(&["--json", "config", "show"]))["verify_at_edge"],
        false
    );
}

#[test]
fn durability_is_set_shown_and_checked() {
    let sandbox = Sandbox::new();
    let shown = String::from_utf8(sandbox.run(&["config", "show"]).stdout).unwrap();
    assert!(
        shown.contains("durability     normal: a stored event survives a crash"),
        "{shown}"
    );

    let out = sandbox.run(&["config", "set-synchronous", "full"]);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
    assert!(said.contains("from the next start"), "{said}");
    assert_eq!(
        json(&sandbox.run(&["--json", "config", "show"]))["synchronous"],
        "full"
    );
    let out = sandbox.run(&["config", "set-synchronous", "extra"]);
    assert!(!out.status.success(), "only normal or full");
}
