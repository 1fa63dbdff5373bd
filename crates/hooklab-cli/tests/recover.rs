//! `hooklab recover` in a second terminal while `serve` runs: Clerk's deliveries signed with a
//! secret Hooklab does not have fail; `--dry-run` says what would be re-run, a recovery with
//! the wrong secret still fails (exit 1); once the right one is saved, `serve` says what it may
//! now deliver and a recovery delivers every message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{SECRET, Sandbox, json};
use hooklab_core::fixtures::{find, prepare};
use hooklab_core::secret::{Secret, SecretOrigin};
use hooklab_core::send::{SignOptions, sign};

/// The secret the Clerk endpoint signs with (Svix's second published test secret).
const ENDPOINT_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Posts a new user.created to `url` the way Clerk's sender does (signed with the endpoint's
/// secret, Svix's user agent); returns the answer's status and the user it is about.
fn from_clerk(url: &str) -> (u16, String) {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let prepared = prepare(find("user.created").unwrap().json, None, now_ms).unwrap();
    let secret = Secret::parse(ENDPOINT_SECRET, SecretOrigin::Flag).unwrap();
    let delivery = sign(
        prepared.body.into(),
        &secret,
        now_ms / 1000,
        SignOptions::default(),
    );
    let (host, path) = url
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    let mut head = format!("POST /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (name, value) in &delivery.headers() {
        if name != "user-agent" {
            head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
        }
    }
    head.push_str(
        "user-agent: Svix-Webhooks/1.0 (sender-3Lqb; +https://www.svix.com/http-sources/)\r\n",
    );
    head.push_str(&format!("content-length: {}\r\n\r\n", delivery.body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&delivery.body).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().unwrap();
    (status, prepared.user_id.unwrap())
}

#[test]
fn recover_re_runs_the_failed_messages_once_the_right_secret_is_saved() {
    let sandbox = Sandbox::new();
    sandbox.run(&["config", "set-secret", SECRET]);
    let mut server = sandbox.serve(&[]);
    let mut users = Vec::new();
    for _ in 0..2 {
        let (status, user) = from_clerk(&server.url);
        assert_eq!(status, 401);
        users.push(user);
    }
    // Hooklab's own test send with the same wrong key is not Clerk's: never recovered.
    let own = sandbox.run(&[
        "--secret",
        ENDPOINT_SECRET,
        "send",
        "user.created",
        "--to",
        &server.url,
    ]);
    assert!(!own.status.success());

    let plan = sandbox.run(&["recover", "--dry-run", "--since", "1h"]);
    assert!(plan.status.success(), "{plan:?}");
    let said = text(&plan);
    assert!(
        said.contains(
            "2 messages failed in the last hour and were never delivered since: 2 signature_mismatch."
        ),
        "{said}"
    );

    // With the wrong secret still configured the re-runs fail again, and the exit code says so.
    let still = sandbox.run(&["recover"]);
    assert!(!still.status.success());
    assert!(text(&still).contains("0 of 2 delivered now"), "{still:?}");
    let plan = json(&sandbox.run(&["--json", "recover", "--dry-run"]));
    assert_eq!(plan["retried"], 2, "{plan}");

    sandbox.run(&["config", "set-secret", ENDPOINT_SECRET]);
    // The running `serve` takes the new secret and says what it may now deliver.
    assert!(
        server.wait_for("2 messages Clerk sent in the last 7 days failed on their signature"),
        "{}",
        server.output()
    );
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
