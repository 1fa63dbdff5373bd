//! Text from requests reaches the terminal escaped: an unverified body claiming a `type` with a
//! newline cannot forge a "verified, created user" line, and ESC sequences cannot clear the
//! screen or set the title, in `serve`, `events` and `event`. A closed stdout (`| head`) ends
//! the command quietly instead of a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use common::{SECRET, Sandbox, json};

/// What a forged line would look like if the newline were printed as is.
const FORGED: &str = "12:00:00.000  200  user.created";

/// POSTs `body` without any Svix headers; returns the raw reply.
fn post_unsigned(url: &str, body: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /{path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

fn assert_harmless(what: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}'),
        "{what} printed a raw ESC: {text:?}"
    );
    assert!(
        !text.contains('\u{7}'),
        "{what} printed a raw BEL: {text:?}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with(FORGED)),
        "{what} printed a forged line: {text}"
    );
}

#[test]
fn request_text_is_escaped_everywhere_it_is_printed() {
    let sandbox = Sandbox::new();
    let mut server = sandbox.serve(&["--secret", SECRET]);
    let claimed = format!(
        "user.created\\n{FORGED}  verified  created user user_x\\u001b[2J\\u001b]0;owned\\u0007"
    );
    let body = format!(r#"{{"type":"{claimed}","data":{{"id":"user_x"}}}}"#);
    let reply = post_unsigned(&server.url, &body);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");

    assert!(server.wait_for("missing_header"), "{}", server.output());
    let served = server.output();
    assert_harmless("serve", &served);
    assert!(served.contains(r"user.created\n12:00"), "{served}");

    // `serve` cuts a long type to its column; the list shows it whole, escaped.
    let events = sandbox.run(&["events"]);
    assert!(events.status.success(), "{events:?}");
    let listed_text = String::from_utf8_lossy(&events.stdout);
    assert_harmless("events", &listed_text);
    assert!(listed_text.contains(r"\x1b[2J"), "{listed_text}");

    let listed = json(&sandbox.run(&["--json", "events"]));
    let id = listed["items"][0]["id"].as_i64().unwrap().to_string();
    assert!(
        listed["items"][0]["event_type"]
            .as_str()
            .unwrap()
            .contains('\n'),
        "JSON output keeps the exact text (escaped by JSON itself)"
    );
    let event = sandbox.run(&["event", &id]);
    assert!(event.status.success(), "{event:?}");
    let shown = String::from_utf8_lossy(&event.stdout);
    assert_harmless("event", &shown);
    assert!(shown.contains("claims user.created\\n"), "{shown}");

    // `hooklab event N | head -1`: the reader is gone before the output is written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let piped = sandbox
        .command()
        .args(["event", &id])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(piped.status.success(), "{piped:?}");
}
