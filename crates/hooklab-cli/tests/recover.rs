//! `hooklab recover` in a second terminal while `serve` runs: deliveries signed with a secret
//! Hooklab does not have fail; `--dry-run` says what would be re-run, a recovery with the wrong
//! secret still fails (exit 1), and after the right one is saved every message is delivered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SECRET, Sandbox, json};

/// The secret the Clerk endpoint signs with (Svix's second published test secret).
const ENDPOINT_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn recover_re_runs_the_failed_messages_once_the_right_secret_is_saved() {
    let sandbox = Sandbox::new();
    sandbox.run(&["config", "set-secret", SECRET]);
    let server = sandbox.serve(&[]);
    let mut users = Vec::new();
    for _ in 0..2 {
        let sent = sandbox.run(&[
            "--secret",
            ENDPOINT_SECRET,
            "--json",
            "send",
            "user.created",
            "--to",
            &server.url,
        ]);
        let sent = json(&sent);
        assert_eq!(sent["status"], 401, "{sent}");
        users.push(sent["user_id"].as_str().unwrap().to_owned());
    }

    let plan = sandbox.run(&["recover", "--dry-run", "--since", "1h"]);
    assert!(plan.status.success(), "{plan:?}");
    let said = text(&plan);
    assert!(
        said.contains(
            "2 messages failed in the last 1 h and were never delivered since: 2 signature_mismatch."
        ),
        "{said}"
    );

    // With the wrong secret still configured the re-runs fail again, and the exit code says so.
    let still = sandbox.run(&["recover"]);
    assert!(!still.status.success());
    assert!(text(&still).contains("0 of 2 delivered now"), "{still:?}");

    sandbox.run(&["config", "set-secret", ENDPOINT_SECRET]);
    let done = sandbox.run(&["--json", "recover", "--since", "all"]);
    assert!(done.status.success(), "{done:?}");
    let report = json(&done);
    assert_eq!(report["delivered"], 2, "{report}");
    assert_eq!(report["applied"], 2, "{report}");
    for user in &users {
        let shown = sandbox.run(&["--json", "user", user]);
        assert!(shown.status.success(), "{user} was synced: {shown:?}");
    }

    let again = sandbox.run(&["recover"]);
    assert!(again.status.success());
    assert!(text(&again).contains("Nothing to recover"), "{again:?}");

    let bad = sandbox.run(&["recover", "--since", "5x"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("give e.g. 30m, 6h, 7d, or all"),
        "{bad:?}"
    );
    drop(server);
}
