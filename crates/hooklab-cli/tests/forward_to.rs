//! `hooklab serve --forward-to URL` and `hooklab config set-forward`: each verified event is
//! passed on to the user's app, its answer printed by `serve` and shown by `hooklab event`; a
//! URL that is not one, or Hooklab's own port, is refused with a hint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SECRET, Sandbox, json, start_app};

#[test]
fn serve_forwards_each_verified_event_and_prints_the_apps_answer() {
    let sandbox = Sandbox::new();
    sandbox.run(&["config", "set-secret", SECRET]);
    let (app_url, bodies) = start_app();
    let mut server = sandbox.serve(&["--forward-to", &app_url]);
    assert!(server.wait_for(&format!("forwarding to    {app_url}")));

    let sent = sandbox.run(&["--json", "send", "user.created", "--to", &server.url]);
    assert!(sent.status.success(), "{sent:?}");
    let sent = json(&sent);
    let id = sent["response"]["id"].as_i64().unwrap();
    assert!(
        server.wait_for(&format!("↳ #{id} to your app: 202 in")),
        "{}",
        server.output()
    );
    let body = bodies
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert!(body.contains(sent["user_id"].as_str().unwrap()));

    let shown = sandbox.run(&["event", &id.to_string()]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains(&format!("your app      {app_url}")), "{text}");
    assert!(text.contains("answered: queued"), "{text}");
    let listed = sandbox.run(&["events"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    let header = listed.lines().next().unwrap_or_default();
    assert!(header.trim_end().ends_with("app"), "{listed}");
    assert!(
        listed
            .lines()
            .nth(1)
            .unwrap_or_default()
            .trim_end()
            .ends_with("202"),
        "{listed}"
    );

    // Hooklab's own URL would send every event back to it.
    drop(server);
    let own = sandbox.run(&[
        "serve",
        "--port",
        "8787",
        "--forward-to",
        "http://localhost:8787/x",
    ]);
    assert!(!own.status.success());
    let err = String::from_utf8_lossy(&own.stderr);
    assert!(err.contains("Hooklab's own receiver"), "{err}");
}

#[test]
fn config_set_forward_checks_the_url_and_show_says_what_happens() {
    let sandbox = Sandbox::new();
    let bad = sandbox.run(&["config", "set-forward", "localhost:3000/api/webhooks/clerk"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("http://"), "{err}");

    let url = "http://localhost:3000/api/webhooks/clerk";
    let saved = sandbox.run(&["config", "set-forward", url, "--live"]);
    assert!(saved.status.success(), "{saved:?}");
    let text = String::from_utf8_lossy(&saved.stdout);
    assert!(
        text.contains(&format!("{url} (every verified event is forwarded)")),
        "{text}"
    );
    let shown = json(&sandbox.run(&["--json", "config", "show"]));
    assert_eq!(shown["forward_url"], url);
    assert_eq!(shown["forward_live"], true);

    let cleared = sandbox.run(&["config", "clear-forward"]);
    assert!(String::from_utf8_lossy(&cleared.stdout).contains("your app       none"));
}
