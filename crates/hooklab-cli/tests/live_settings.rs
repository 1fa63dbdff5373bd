//! The README's order of steps, in two terminals: `hooklab serve` runs, then the user saves the
//! signing secret with `hooklab config set-secret` — the running receiver applies it without a
//! restart — and `hooklab replay` turns the delivery that failed meanwhile into a verified one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{SECRET, Sandbox, json};

/// The secret the Clerk endpoint signs with (Svix's second published test secret).
const ENDPOINT_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

#[test]
fn a_secret_saved_while_serve_runs_applies_and_replay_recovers_the_failed_delivery() {
    let sandbox = Sandbox::new();
    sandbox.run(&["config", "set-secret", SECRET]);
    let mut server = sandbox.serve(&[]);
    let url = server.url.clone();

    // Clerk delivers, signed with the endpoint's secret, which Hooklab does not know yet.
    let failed = sandbox.run(&[
        "--secret",
        ENDPOINT_SECRET,
        "--json",
        "send",
        "user.created",
        "--to",
        &url,
    ]);
    assert!(!failed.status.success());
    let failed = json(&failed);
    assert_eq!(failed["status"], 401);
    let event_id = failed["response"]["id"].as_i64().unwrap().to_string();

    let saved = sandbox.run(&["config", "set-secret", ENDPOINT_SECRET]);
    assert!(saved.status.success(), "{saved:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let sent = sandbox.run(&[
            "--secret",
            ENDPOINT_SECRET,
            "send",
            "user.created",
            "--to",
            &url,
        ]);
        if sent.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new secret never applied: {sent:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        server.wait_for("signing secrets changed"),
        "{}",
        server.output()
    );

    let rerun = sandbox.run(&["--json", "replay", &event_id]);
    assert!(rerun.status.success(), "{rerun:?}");
    let rerun = json(&rerun);
    assert_eq!(rerun["event"]["verification"], "verified");
    assert_eq!(rerun["event"]["sync"], "applied");
    assert_eq!(rerun["event"]["source"], "replay");
    let user = rerun["event"]["user_id"].as_str().unwrap().to_owned();
    let shown = sandbox.run(&["--json", "user", &user]);
    assert!(shown.status.success(), "the user was synced: {shown:?}");

    // Over HTTP, re-signed with the same svix-id: a duplicate, linked back to the original.
    let resent = sandbox.run(&["replay", &event_id, "--re-sign", "--over-http", &url]);
    assert!(resent.status.success(), "{resent:?}");
    let text = String::from_utf8_lossy(&resent.stdout);
    assert!(text.contains("re-signed now, same svix-id"), "{text}");
    assert!(text.contains("verified, duplicate"), "{text}");
    let original = json(&sandbox.run(&["--json", "event", &event_id]));
    assert_eq!(
        original["replays"].as_array().unwrap().len(),
        2,
        "{original}"
    );

    // With an edited body (`--body FILE`), re-signed as a new message: the edit is applied.
    let body = sandbox.run(&["event", &event_id, "--raw"]).stdout;
    let edited = String::from_utf8(body)
        .unwrap()
        .replace("\"first_name\":\"Alex\"", "\"first_name\":\"Edited\"");
    assert!(
        edited.contains("Edited"),
        "the captured body names Alex: {edited}"
    );
    let file = sandbox.dir.path().join("edited.json");
    std::fs::write(&file, &edited).unwrap();
    let file = file.to_str().unwrap();
    let args = [
        "replay",
        &event_id,
        "--re-sign",
        "--new-id",
        "--over-http",
        &url,
        "--body",
        file,
    ];
    let resent = sandbox.run(&args);
    assert!(resent.status.success(), "{resent:?}");
    let shown = json(&sandbox.run(&["--json", "user", &user]));
    assert_eq!(shown["user"]["first_name"], "Edited", "{shown}");
}
