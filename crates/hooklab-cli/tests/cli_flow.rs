//! The headless CLI as a user drives it: serve, send good and broken deliveries, then read the
//! events, one event, and the users back — and never see a secret in full.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SECRET, Sandbox, json};

#[test]
fn serve_send_and_query_tell_the_whole_story() {
    let sandbox = Sandbox::new();
    let mut server = sandbox.serve(&["--secret", SECRET]);
    let url = server.url.clone();
    let user = "user_2yJshmaJAoE3XwYMmUcJwH5cXSl";

    let sent = sandbox.run(&[
        "--secret",
        SECRET,
        "--json",
        "send",
        "user.created",
        "--to",
        &url,
        "--user-id",
        user,
        "--times",
        "2",
    ]);
    assert!(sent.status.success(), "{sent:?}");
    // One JSON document per invocation, with every attempt in it.
    let doc = json(&sent);
    let replies = doc["attempts"].as_array().unwrap();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["response"]["sync"], "applied");
    assert_eq!(replies[1]["response"]["sync"], "duplicate");
    assert_eq!(doc["ok"], true);
    let svix_id = doc["svix_id"].as_str().unwrap().to_owned();

    let bad = sandbox.run(&[
        "--secret",
        SECRET,
        "send",
        "user.updated",
        "--to",
        &url,
        "--bad-signature",
    ]);
    assert!(!bad.status.success(), "a 401 must fail the command");
    assert!(String::from_utf8_lossy(&bad.stdout).contains("401"));
    let skewed = sandbox.run(&[
        "--secret",
        SECRET,
        "send",
        "session.created",
        "--to",
        &url,
        "--timestamp-offset",
        "-900",
    ]);
    // The measured offset: 900 s, or 901 s when the receiver's clock ticked past a second.
    let skewed = String::from_utf8_lossy(&skewed.stdout);
    assert!(
        skewed.contains("900 s") || skewed.contains("901 s"),
        "{skewed}"
    );

    assert!(server.wait_for("timestamp_too_old"), "{}", server.output());
    let printed = server.output();
    assert!(
        printed.contains("created user user_2yJshmaJAoE3XwYMmUcJwH5cXSl"),
        "{printed}"
    );
    assert!(printed.contains("redelivery #2"), "{printed}");
    assert!(
        printed.contains("hint: None of the 1 configured signing secret"),
        "{printed}"
    );
    assert!(printed.contains("whsec_…LaSw"), "{printed}");
    assert!(
        !printed.contains(SECRET),
        "serve printed the secret in full"
    );

    let events = json(&sandbox.run(&["--json", "events"]));
    let items = events["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        3,
        "one row per message, failed attempts included: {events}"
    );
    assert_eq!(items[2]["delivery_count"], 2);
    let failed = json(&sandbox.run(&["--json", "events", "--outcome", "failed"]));
    assert_eq!(failed["items"].as_array().unwrap().len(), 2);
    // By when they arrived: a span ago or a UTC time.
    let recent = json(&sandbox.run(&["--json", "events", "--since", "10m"]));
    assert_eq!(recent["items"].as_array().unwrap().len(), 3);
    let older = sandbox.run(&["events", "--until", "10m"]);
    assert!(
        String::from_utf8_lossy(&older.stdout).contains("No events match these filters"),
        "{older:?}"
    );
    let window = json(&sandbox.run(&[
        "--json",
        "events",
        "--since",
        "2020-01-01 00:00",
        "--until",
        "2999-01-01T00:00:00Z",
    ]));
    assert_eq!(window["items"].as_array().unwrap().len(), 3);
    let bad_time = sandbox.run(&["events", "--since", "yesterday"]);
    assert!(!bad_time.status.success());
    assert!(
        String::from_utf8_lossy(&bad_time.stderr).contains("is not a time"),
        "{bad_time:?}"
    );

    let one = sandbox.run(&["event", &svix_id]);
    let one = String::from_utf8_lossy(&one.stdout);
    assert!(one.contains("verified with whsec_…LaSw"), "{one}");
    assert!(one.contains("svix-signature: v1,"), "{one}");
    assert!(one.contains("\"first_name\""), "pretty body: {one}");

    let users = json(&sandbox.run(&["--json", "users"]));
    assert_eq!(users["items"][0]["id"], user);
    let detail = json(&sandbox.run(&["--json", "user", user]));
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 1);
}

#[test]
fn secret_comes_from_flag_env_or_settings_and_is_masked() {
    let sandbox = Sandbox::new();
    let set = sandbox.run(&["config", "set-secret", SECRET]);
    assert!(set.status.success(), "{set:?}");
    let shown = String::from_utf8_lossy(&set.stdout).into_owned();
    assert!(
        shown.contains("whsec_…LaSw") && !shown.contains(SECRET),
        "{shown}"
    );
    let mut server = sandbox.serve(&[]);
    assert!(server.output().contains("from the settings file"));
    let sent = sandbox.run(&["send", "user.created", "--to", &server.url]);
    assert!(sent.status.success(), "{sent:?}");

    let bad = sandbox.run(&["send", "user.created", "--secret", "sk_live_not_a_whsec"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("whsec_") && err.contains("Signing Secret"),
        "{err}"
    );
}

#[test]
fn reading_a_missing_database_says_how_to_start() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["events"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no Hooklab database") && err.contains("hooklab serve"),
        "{err}"
    );
    assert!(
        !common::exists(&sandbox.db()),
        "a read must not create a database"
    );
}

#[test]
fn a_second_server_on_a_busy_port_is_a_clear_error() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve(&["--secret", SECRET]);
    let port = server
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let out = sandbox.run(&["--secret", SECRET, "serve", "--port", &port]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in use"));
}
