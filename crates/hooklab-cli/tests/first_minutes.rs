//! The CLI does what a user meant and says what went wrong in words that point the right way:
//! fixed sets of values are checked, empty results say why, bodies are shown as they arrived,
//! one JSON document per invocation, and settings changes confirm what was saved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{SECRET, Sandbox, json};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `hooklab send fixture` signed with [`SECRET`] to `url`, with `extra` flags.
fn send_output(
    sandbox: &Sandbox,
    url: &str,
    fixture: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["--secret", SECRET, "send", fixture, "--to", url];
    args.extend_from_slice(extra);
    sandbox.run(&args)
}

/// Sends `fixture` signed to `url`, with `extra` flags; returns the JSON document.
fn send(sandbox: &Sandbox, url: &str, fixture: &str, extra: &[&str]) -> serde_json::Value {
    let out = send_output(sandbox, url, fixture, &[extra, &["--json"]].concat());
    assert!(out.status.success(), "{out:?}");
    json(&out)
}

/// A raw HTTP request with `body`; returns the whole answer.
fn raw(url: &str, method: &str, path: &str, body: &str) -> String {
    let host = url
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap()
        .0;
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn fixed_sets_and_ranges_are_checked_not_ignored() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["events", "--outcome", "bogus"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("possible values: failed, verified"),
        "{}",
        stderr(&out)
    );
    for args in [
        &["events", "--limit", "0"][..],
        &["users", "--limit", "501"],
        &["send", "user.created", "--times", "0"],
    ] {
        let out = sandbox.run(args);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(
            stderr(&out).contains("not in"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // `bench` runs its own receiver: a --db it would ignore is refused, saying what to do.
    let out = sandbox.run(&["bench", "--events", "10"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--check-db"), "{}", stderr(&out));

    let help = stdout(&sandbox.run(&["events", "--help"]));
    let own = help.find("--outcome").unwrap();
    let global = help
        .find("Global options")
        .expect("a Global options heading");
    assert!(
        own < global && global < help.find("--db").unwrap(),
        "{help}"
    );
}

#[test]
fn answers_and_empty_results_say_the_right_thing() {
    let sandbox = Sandbox::new();
    let mut server = sandbox.serve(&["--secret", SECRET]);
    // A URL typed without http:// still works.
    let bare = server.url.strip_prefix("http://").unwrap().to_owned();
    let sent = send(&sandbox, &bare, "user.created", &[]);
    assert_eq!(sent["status"], 200, "{sent}");

    let none = stdout(&sandbox.run(&["users", "--search", "nobody-at-all"]));
    assert!(none.contains("No users match \"nobody-at-all\""), "{none}");
    assert!(!none.contains("No users yet"), "{none}");
    let none = stdout(&sandbox.run(&["events", "--type", "no.such.type"]));
    assert!(none.contains("No events match these filters"), "{none}");
    // Times are words with their zone, never raw Unix ms.
    let user = sent["user_id"].as_str().unwrap().to_owned();
    let shown = stdout(&sandbox.run(&["user", &user]));
    assert!(shown.contains(" UTC ("), "{shown}");

    // A user whose only event failed verification: its events are shown, with why.
    let lost_user = "user_2yOnlyFailedEvents000000000";
    let out = send_output(
        &sandbox,
        &server.url,
        "user.created",
        &["--user-id", lost_user, "--bad-signature"],
    );
    assert!(!out.status.success());
    let shown = stdout(&sandbox.run(&["user", lost_user]));
    assert!(shown.contains("none was verified"), "{shown}");
    assert!(shown.contains("signature_mismatch"), "{shown}");

    // One JSON document even when the send fails.
    let out = send_output(
        &sandbox,
        &server.url,
        "user.created",
        &["--bad-signature", "--times", "2", "--json"],
    );
    assert!(!out.status.success());
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["attempts"].as_array().unwrap().len(), 2);
    // Each refused attempt is its own event; either one lists both.
    let second = doc["response"]["id"].as_i64().unwrap().to_string();
    let shown = stdout(&sandbox.run(&["event", &second]));
    assert!(
        shown.contains("attempts      2 carried this svix-id"),
        "{shown}"
    );
    assert!(shown.contains("(this one)"), "{shown}");

    // Off the route, a browser's GET is `not_checked`, at any path and with any method.
    assert!(raw(&server.url, "GET", "/", "").starts_with("HTTP/1.1 404"));
    assert!(raw(&server.url, "GET", "/api/webhooks/clerk", "").starts_with("HTTP/1.1 405"));
    let failed = json(&sandbox.run(&["--json", "events", "--outcome", "not_checked"]));
    assert_eq!(failed["items"].as_array().unwrap().len(), 2, "{failed}");
    drop(server.output());
}

#[test]
fn an_event_shows_its_body_as_it_arrived() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve(&["--secret", SECRET]);
    // Keys out of alphabetical order, a number spelled 1.50: shown as they came.
    let body = r#"{"type":"user.created","data":{"id":"user_x","zeta":1.50,"alpha":true}}"#;
    raw(&server.url, "POST", "/api/webhooks/clerk", body);
    let listed = json(&sandbox.run(&["--json", "events"]));
    let id = listed["items"][0]["id"].to_string();

    let raw = sandbox.run(&["event", &id, "--raw"]);
    assert_eq!(raw.stdout, body.as_bytes(), "--raw gives the exact bytes");

    let shown = stdout(&sandbox.run(&["event", &id]));
    assert!(
        shown.contains("re-indented, keys in the order received"),
        "{shown}"
    );
    assert!(shown.contains("via local"), "{shown}");
    assert!(!shown.contains("not synced: not synced"), "{shown}");
    let pretty = &shown[shown.find("Body (").unwrap()..];
    let at = |key: &str| {
        pretty
            .find(key)
            .unwrap_or_else(|| panic!("{key} missing: {pretty}"))
    };
    assert!(at("\"type\"") < at("\"data\""), "{pretty}");
    assert!(at("\"zeta\": 1.50") < at("\"alpha\""), "{pretty}");
}

#[test]
fn users_who_signed_in_but_never_arrived_are_named() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve(&["--secret", SECRET]);
    let user = "user_2ySignedInNeverCreated000";
    send(
        &sandbox,
        &server.url,
        "session.created",
        &["--user-id", user],
    );
    let shown = stdout(&sandbox.run(&["users"]));
    assert!(shown.contains("No users yet"), "{shown}");
    assert!(
        shown.contains(&format!(
            "1 user signed in, but their user object never arrived: {user}"
        )),
        "{shown}"
    );
    assert!(
        shown.contains("user.created"),
        "says where to look: {shown}"
    );
    let listed = json(&sandbox.run(&["--json", "users"]));
    assert_eq!(listed["counts"]["missing"], 1, "{listed}");
    assert_eq!(listed["counts"]["missing_ids"][0], user, "{listed}");
    send(&sandbox, &server.url, "user.created", &["--user-id", user]);
    let shown = stdout(&sandbox.run(&["users"]));
    assert!(!shown.contains("never arrived"), "{shown}");
    let listed = json(&sandbox.run(&["--json", "users"]));
    assert_eq!(listed["counts"]["missing"], 0, "{listed}");
    assert_eq!(listed["counts"]["active"], 1, "{listed}");
    assert_eq!(listed["items"][0]["id"], user, "{listed}");
}

#[test]
fn a_test_session_can_be_started_and_ended() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve(&["--secret", SECRET]);
    let user = "user_2ySessionEnds0000000000000";
    let session = "sess_2ySessionEnds000000000000";
    send(&sandbox, &server.url, "user.created", &["--user-id", user]);
    send(
        &sandbox,
        &server.url,
        "session.created",
        &["--user-id", user, "--session-id", session],
    );
    send(
        &sandbox,
        &server.url,
        "session.ended",
        &["--user-id", user, "--session-id", session],
    );
    let detail = json(&sandbox.run(&["--json", "user", user]));
    let sessions = detail["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{detail}");
    assert_eq!(sessions[0]["id"], session);
    assert_eq!(sessions[0]["status"], "ended");

    let out = send_output(
        &sandbox,
        &server.url,
        "user.created",
        &["--session-id", session],
    );
    assert!(
        stderr(&out).contains("applies to session.* events"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn settings_changes_confirm_what_was_saved_and_bad_paths_are_named() {
    let sandbox = Sandbox::new();
    let other = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    sandbox.run(&["config", "set-secret", SECRET]);
    let out = stdout(&sandbox.run(&["config", "set-secret", other, "--keep-previous"]));
    assert!(
        out.contains(
            "Saved: signing secret whsec_…b7oD as current; whsec_…LaSw stays valid as previous"
        ),
        "{out}"
    );
    assert!(
        out.contains("whsec_…b7oD (current), whsec_…LaSw (previous)"),
        "{out}"
    );

    let no_secret = Sandbox::new();
    let out = no_secret.run(&["send", "user.created"]);
    assert!(
        stderr(&out).contains("hooklab config set-secret"),
        "{}",
        stderr(&out)
    );

    let folder = sandbox.dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let out = sandbox
        .command_without_db()
        .arg("--db")
        .arg(&folder)
        .arg("events")
        .output()
        .unwrap();
    assert!(stderr(&out).contains("it is a folder"), "{}", stderr(&out));
}
