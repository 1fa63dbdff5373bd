//! The README's "Quick start in a terminal", run as written, in order, on a temporary database
//! and settings file: every command there must work for a new user. Two stand-ins only: the
//! built binary instead of `make install` (the same program), and a free port saved first
//! (`config set-port`) because 8787 may be taken on a test machine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SECRET, Sandbox, json};

/// The commands of the quick start's code block, comments dropped.
fn quick_start() -> Vec<String> {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("## Quick start in a terminal")
        .nth(1)
        .expect("the README has a quick start");
    let block = section.split("```").nth(1).expect("a code block");
    block
        .lines()
        .skip(1) // the fence's language tag
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_readme_quick_start_works_as_written() {
    let commands = quick_start();
    assert!(commands.len() >= 8, "{commands:?}");
    let sandbox = Sandbox::new();
    let port = free_port().to_string();
    assert!(sandbox.run(&["config", "set-port", &port]).status.success());
    let mut server = None;
    for command in &commands {
        if command == "make install" {
            continue;
        }
        let mut words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        assert_eq!(words[0], "hooklab", "not a hooklab command: {command}");
        for w in &mut words {
            if w == "whsec_…" {
                *w = SECRET.to_owned();
            } else if w == "msg_…" {
                let listed = json(&sandbox.run(&["--json", "events"]));
                *w = listed["items"][0]["svix_id"].as_str().unwrap().to_owned();
            }
        }
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        if args == ["serve"] {
            let mut started = sandbox.spawn(&args);
            assert!(
                started.wait_for("Waiting for events"),
                "serve never started"
            );
            server = Some(started);
            continue;
        }
        if args.contains(&"--follow") {
            // It runs until Ctrl-C: it must print the events sent so far (then it is stopped).
            let mut follow = sandbox.spawn(&args);
            assert!(follow.wait_for("user.created"), "{}", follow.output());
            continue;
        }
        let out = sandbox.run(&args);
        // The two sends that show a failure exit non-zero on purpose (they gate CI scripts).
        let meant_to_fail =
            command.contains("--bad-signature") || command.contains("--timestamp-offset");
        assert_eq!(
            out.status.success(),
            !meant_to_fail,
            "`{command}`\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let server = server.expect("the quick start runs `hooklab serve`");
    let users = json(&sandbox.run(&["--json", "users"]));
    assert_eq!(
        users["items"].as_array().unwrap().len(),
        1,
        "the user.created was synced"
    );
    drop(server);
}
