//! Secrets can be given on stdin (or at a prompt) instead of as arguments, which end up in `ps`
//! and in the shell's history.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::{SECRET, Sandbox, json};

fn with_stdin(sandbox: &Sandbox, args: &[&str], input: &str) -> Output {
    let mut child = sandbox
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn set_secret_and_authtoken_read_from_stdin_when_left_out() {
    let sandbox = Sandbox::new();
    let saved = with_stdin(&sandbox, &["config", "set-secret"], &format!("{SECRET}\n"));
    assert!(saved.status.success(), "{saved:?}");
    let token = "2abcDEFghiJKLmnoPQRstu_3vwxYZ0123456789abcdefgh";
    let saved = with_stdin(
        &sandbox,
        &["config", "set-ngrok-authtoken"],
        &format!("  {token}\n"),
    );
    assert!(saved.status.success(), "{saved:?}");

    let shown = json(&sandbox.run(&["--json", "config", "show"]));
    assert_eq!(shown["secrets"][0], "whsec_…LaSw");
    assert!(shown["ngrok_authtoken"].as_str().unwrap().ends_with("efgh"));
    let file = std::fs::read_to_string(sandbox.config()).unwrap();
    assert!(
        file.contains(SECRET) && file.contains(token),
        "saved in full"
    );
}

#[test]
fn an_empty_stdin_is_a_clear_error_and_saves_nothing() {
    let sandbox = Sandbox::new();
    let out = with_stdin(&sandbox, &["config", "set-secret"], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no value for the signing secret"),
        "{stderr}"
    );
    assert!(
        !sandbox.config().exists()
            || !std::fs::read_to_string(sandbox.config())
                .unwrap()
                .contains("whsec_")
    );
}
