//! `hooklab events --follow`: the log as it grows, read from the database while another
//! process receives (here `hooklab serve`): started before the database exists, filtered like
//! `hooklab events`, with redeliveries, failures and hints, and the user's app's answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SECRET, Sandbox, json, start_app};

/// A signing secret that is not the receiver's (base64 of 24 bytes).
const OTHER_SECRET: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[test]
fn follow_prints_what_another_process_stores_as_it_arrives() {
    let sandbox = Sandbox::new();
    let mut follow = sandbox.spawn(&["events", "--follow", "--type", "user.created"]);
    assert!(
        follow.wait_for("to be created: start the desktop app or `hooklab serve`"),
        "{}",
        follow.output()
    );
    let server = sandbox.serve(&["--secret", SECRET]);
    assert!(
        follow.wait_for("No events match yet"),
        "{}",
        follow.output()
    );

    let send = |kind: &str, user: &str, extra: &[&str]| {
        let base = [
            "--secret",
            SECRET,
            "--json",
            "send",
            kind,
            "--to",
            &server.url,
        ];
        let out = sandbox.run(&[&base[..], &["--user-id", user], extra].concat());
        json(&out)["response"]["id"].as_i64().unwrap()
    };
    let first = send("user.created", "user_follow_first", &["--times", "2"]);
    assert!(
        follow.wait_for(&format!("#{first} ")),
        "{}",
        follow.output()
    );
    assert!(follow.wait_for("created user user_follow_first"));
    assert!(follow.wait_for("redelivery #2"), "{}", follow.output());

    // Another type is left out; an event after it shows, so it was read and skipped.
    send("session.created", "user_follow_first", &[]);
    let wrong = sandbox.run(&[
        "--secret",
        OTHER_SECRET,
        "send",
        "user.created",
        "--to",
        &server.url,
        "--user-id",
        "user_follow_unsigned",
    ]);
    assert!(!wrong.status.success());
    assert!(
        follow.wait_for("hint: None of the 1 configured signing secret"),
        "{}",
        follow.output()
    );
    let printed = follow.output();
    assert!(printed.contains("signature_mismatch"), "{printed}");
    assert!(!printed.contains("session.created"), "{printed}");
    let lines: Vec<&str> = printed.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        lines.len(),
        3,
        "created, its redelivery, the refused one: {printed}"
    );
}

#[test]
fn follow_shows_the_newest_first_then_json_lines_with_the_apps_answers() {
    let sandbox = Sandbox::new();
    sandbox.run(&["config", "set-secret", SECRET]);
    let (app_url, _bodies) = start_app();
    let mut server = sandbox.serve(&["--forward-to", &app_url]);
    let mut ids = Vec::new();
    for user in ["user_a", "user_b", "user_c"] {
        let out = sandbox.run(&[
            "--json",
            "send",
            "user.created",
            "--to",
            &server.url,
            "--user-id",
            user,
        ]);
        ids.push(json(&out)["response"]["id"].as_i64().unwrap());
    }
    for id in &ids {
        assert!(server.wait_for(&format!("↳ #{id} to your app: 202")));
    }

    // The two newest, oldest first, each with the app's answer, before anything new.
    let mut follow = sandbox.spawn(&["--json", "events", "--follow", "--limit", "2"]);
    let answered = format!("\"kind\":\"forwarded\",\"event_id\":{}", ids[2]);
    assert!(follow.wait_for(&answered), "{}", follow.output());
    let out = sandbox.run(&["--json", "send", "user.updated", "--to", &server.url]);
    let newest = json(&out)["response"]["id"].as_i64().unwrap();
    let answered = format!("\"kind\":\"forwarded\",\"event_id\":{newest}");
    assert!(follow.wait_for(&answered), "{}", follow.output());

    let lines: Vec<serde_json::Value> = follow
        .output()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<(String, i64)> = lines
        .iter()
        .map(|l| {
            let id = l.get("event_id").or_else(|| l.get("id")).unwrap();
            (l["kind"].as_str().unwrap().to_owned(), id.as_i64().unwrap())
        })
        .collect();
    let want = |kind: &str, id: i64| (kind.to_owned(), id);
    assert_eq!(
        seen,
        vec![
            want("captured", ids[1]),
            want("forwarded", ids[1]),
            want("captured", ids[2]),
            want("forwarded", ids[2]),
            want("captured", newest),
            want("forwarded", newest),
        ]
    );
    assert_eq!(lines[5]["status"], 202);
}

#[test]
fn follow_cannot_end_before_a_time() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["events", "--follow", "--until", "1h"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--until"), "{err}");
}
