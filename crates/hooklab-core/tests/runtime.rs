//! The runtime `hooklab serve` and the desktop app share: settings saved by anyone apply to the
//! running receiver (secrets, path, port, ngrok authtoken), a refused change leaves everything
//! running as it was, the tunnel's public URL is remembered in the settings file, and a saved
//! port taken at start falls back to a free one until it is saved again.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{OTHER_SECRET, Reply, SECRET, WAIT, fixture, now_ms, signed_with, within};
use fake_ngrok_edge::{EdgeOptions, FakeEdge};
use hooklab_core::client::HttpClient;
use hooklab_core::error_body::{Coded, ErrorBody};
use hooklab_core::runtime::{Runtime, RuntimeOptions, TunnelMode};
use hooklab_core::send::{Delivery, SignOptions};
use hooklab_core::settings::{self, Settings, SettingsChange};
use hooklab_core::store::Retention;
use hooklab_core::tunnel::{Backoff, Transport, TunnelState};

struct Setup {
    dir: tempfile::TempDir,
    runtime: Runtime,
    client: HttpClient,
}

impl Setup {
    async fn start(file: Settings, configure: impl FnOnce(&mut RuntimeOptions)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let settings_path = dir.path().join("settings.json");
        settings::save(&settings_path, &file).unwrap();
        let mut options = RuntimeOptions::new(dir.path().join("hooklab.db"), settings_path);
        options.overrides.port = Some(0);
        configure(&mut options);
        let runtime = within("starting the runtime", Runtime::start(options))
            .await
            .expect("the runtime starts");
        Self {
            dir,
            runtime,
            client: HttpClient::new(),
        }
    }

    fn settings_path(&self) -> PathBuf {
        self.dir.path().join("settings.json")
    }

    /// Waits until the runtime reports a problem with the settings file (`what`: for the
    /// failure message).
    async fn settings_problem(&self, what: &str) -> ErrorBody {
        within(what, async {
            loop {
                if let Some(problem) = self.runtime.status().settings_problem {
                    return problem;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
    }

    async fn post(&self, url: &str, delivery: &Delivery) -> Option<Reply> {
        let reply = self
            .client
            .post(url, &delivery.headers(), delivery.body.clone())
            .await;
        reply.ok().map(Reply::from_http)
    }

    async fn deliver(&self, delivery: &Delivery) -> Reply {
        let url = self.runtime.status().local_url;
        self.post(&url, delivery)
            .await
            .expect("the receiver answers")
    }

    /// Delivers fresh events signed with `secret` until one is accepted.
    async fn accepted_with(&self, secret: &str) -> Reply {
        within("a delivery with the new settings to be accepted", async {
            loop {
                let delivery = fresh(secret);
                let reply = self.deliver(&delivery).await;
                if reply.status == 200 {
                    return reply;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
    }
}

fn fresh(secret: &str) -> Delivery {
    signed_with(
        fixture("user.created", None, now_ms()).body,
        secret,
        SignOptions::default(),
    )
}

/// The fake edge's authtoken.
const TOKEN: &str = "2fakeAgentId_fakeSecret";

/// Runs the tunnel (once an authtoken is set) through `edge`, reconnecting fast.
fn through(edge: &FakeEdge, o: &mut RuntimeOptions) {
    o.tunnel = TunnelMode::WhenConfigured;
    o.tunnel_template.server_addr = Some(edge.server_addr());
    o.tunnel_template.transport = Transport::PlainTcp;
    o.tunnel_template.backoff = Backoff {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(200),
    };
}

fn with_secret(secret: &str) -> Settings {
    Settings {
        secrets: vec![secret.to_owned()],
        ..Settings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_saved_by_another_program_applies_to_the_running_receiver() {
    let s = Setup::start(with_secret(SECRET), |_| {}).await;
    assert_eq!(s.deliver(&fresh(OTHER_SECRET)).await.status, 401);

    // What `hooklab config set-secret` does from another terminal.
    settings::save(&s.settings_path(), &with_secret(OTHER_SECRET)).unwrap();
    s.accepted_with(OTHER_SECRET).await;
    assert_eq!(
        s.deliver(&fresh(SECRET)).await.status,
        401,
        "the old secret is gone"
    );

    // A rotation that keeps the old secret as the previous one accepts both.
    let mut rotated = settings::load(&s.settings_path()).unwrap();
    SettingsChange::SetSecret {
        secret: SECRET.into(),
        keep_previous: true,
    }
    .apply_to(&mut rotated)
    .unwrap();
    settings::save(&s.settings_path(), &rotated).unwrap();
    s.accepted_with(SECRET).await;
    assert_eq!(s.deliver(&fresh(OTHER_SECRET)).await.status, 200);
    let roles: Vec<String> = s
        .runtime
        .status()
        .secrets
        .iter()
        .map(|i| i.role.clone())
        .collect();
    assert_eq!(roles, ["current", "previous"]);
    s.runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_from_the_settings_file_applies_at_start_and_when_changed() {
    let mut file = with_secret(SECRET);
    file.retention.max_age_days = Some(30);
    let s = Setup::start(file, |_| {}).await;
    assert_eq!(
        s.runtime.engine().store().retention().max_age_days,
        Some(30)
    );
    assert_eq!(s.runtime.status().retention.max_age_days, Some(30));

    let wanted = Retention {
        max_age_days: None,
        max_events: Some(5000),
        max_size_mb: Some(64),
    };
    let status = s
        .runtime
        .change_settings(SettingsChange::SetRetention { retention: wanted })
        .await
        .unwrap();
    assert_eq!(status.retention, wanted);
    assert_eq!(
        s.runtime.engine().store().retention(),
        wanted,
        "applied without a restart"
    );
    assert_eq!(
        settings::load(&s.settings_path()).unwrap().retention,
        wanted,
        "saved"
    );

    // A hand-edited limit that would prune almost everything is refused, not applied.
    let mut edited = settings::load(&s.settings_path()).unwrap();
    edited.retention.max_events = Some(0);
    settings::save(&s.settings_path(), &edited).unwrap();
    let problem = s.settings_problem("the edited file to be refused").await;
    assert_eq!(problem.code, "retention_too_small");
    assert_eq!(
        s.runtime.engine().store().retention(),
        wanted,
        "still the saved policy"
    );
    s.runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_path_applies_and_a_broken_file_is_reported_not_applied() {
    let s = Setup::start(with_secret(SECRET), |_| {}).await;
    let status = s
        .runtime
        .change_settings(SettingsChange::SetWebhookPath {
            path: "hooks/clerk".into(),
        })
        .await
        .unwrap();
    assert!(
        status.local_url.ends_with("/hooks/clerk"),
        "{}",
        status.local_url
    );
    assert_eq!(s.deliver(&fresh(SECRET)).await.status, 200);
    let old = status
        .local_url
        .replace("/hooks/clerk", "/api/webhooks/clerk");
    assert_eq!(s.post(&old, &fresh(SECRET)).await.unwrap().status, 404);
    assert_eq!(
        settings::load(&s.settings_path())
            .unwrap()
            .webhook_path
            .as_deref(),
        Some("/hooks/clerk"),
        "saved"
    );

    std::fs::write(s.settings_path(), "{ broken").unwrap();
    let problem = s.settings_problem("the broken file to be reported").await;
    assert_eq!(problem.code, "settings_invalid");
    assert!(problem.hint.unwrap().contains("settings.json"));
    assert_eq!(
        s.deliver(&fresh(SECRET)).await.status,
        200,
        "still running as before"
    );
    s.runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_refused_beside_the_field_and_the_old_listener_keeps_running() {
    let s = Setup::start(with_secret(SECRET), |o| o.overrides.port = None).await;
    let before = s.runtime.status();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();

    let err = s
        .runtime
        .change_settings(SettingsChange::SetPort { port })
        .await
        .unwrap_err();
    let body = ErrorBody::of(&err);
    assert_eq!(
        (body.code.as_str(), body.field.as_deref()),
        ("port_in_use", Some("port"))
    );
    assert!(body.hint.unwrap().contains("keeps its current port"));
    assert_eq!(s.runtime.status().port, before.port);
    assert_eq!(s.deliver(&fresh(SECRET)).await.status, 200);
    assert_eq!(
        settings::load(&s.settings_path()).unwrap().port,
        None,
        "nothing saved"
    );

    drop(taken);
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let status = s
        .runtime
        .change_settings(SettingsChange::SetPort { port })
        .await
        .unwrap();
    assert_eq!(status.port, port);
    assert_eq!(
        s.deliver(&fresh(SECRET)).await.status,
        200,
        "served on the new port"
    );
    let old_url = before.local_url;
    within("the old port to close", async {
        while s.post(&old_url, &fresh(SECRET)).await.is_some() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let err = s
        .runtime
        .change_settings(SettingsChange::SetPort { port: 0 })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_port");
    s.runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authtoken_added_in_settings_opens_the_tunnel_and_its_url_is_remembered() {
    let edge = within("the fake edge", FakeEdge::start(EdgeOptions::new(TOKEN)))
        .await
        .unwrap();
    let s = Setup::start(with_secret(SECRET), |o| through(&edge, o)).await;
    assert_eq!(
        s.runtime.tunnel_state(),
        TunnelState::Off,
        "local-only without a token"
    );

    let mut states = s.runtime.tunnel().subscribe();
    s.runtime
        .change_settings(SettingsChange::SetNgrokAuthtoken {
            token: Some(TOKEN.into()),
        })
        .await
        .unwrap();
    let url = within("the tunnel to come online", async {
        loop {
            if let Some(url) = states.borrow_and_update().url() {
                return url.to_owned();
            }
            states.changed().await.unwrap();
        }
    })
    .await;
    let remembered = within("the URL to be saved", async {
        loop {
            let saved = settings::load(&s.settings_path()).unwrap();
            if saved.last_public_url.is_some() {
                return saved;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(remembered.last_public_url.as_deref(), Some(url.as_str()));
    assert_eq!(
        remembered.ngrok_authtoken.as_deref(),
        Some(TOKEN),
        "other fields kept"
    );
    assert_eq!(remembered.secrets, vec![SECRET.to_owned()]);

    s.runtime
        .change_settings(SettingsChange::SetNgrokAuthtoken { token: None })
        .await
        .unwrap();
    assert_eq!(s.runtime.tunnel_state(), TunnelState::Off);
    tokio::time::timeout(WAIT, s.runtime.shutdown())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_saved_port_taken_at_start_falls_back_to_a_free_one_and_saving_it_again_retries_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let file = Settings {
        secrets: vec![SECRET.to_owned()],
        port: Some(port),
        ..Settings::default()
    };
    let s = Setup::start(file, |o| {
        o.overrides.port = None;
        o.free_port_if_taken = true;
    })
    .await;
    let status = s.runtime.status();
    assert_eq!(
        status.port_taken,
        Some(port),
        "the status says why the URL changed"
    );
    assert_ne!(status.port, port);
    assert!(status.local_url.contains(&format!(":{}/", status.port)));

    // Another setting saved meanwhile does not fail on the taken port.
    s.runtime
        .change_settings(SettingsChange::SetWebhookPath {
            path: "/hooks/clerk".into(),
        })
        .await
        .expect("a path change applies while the port is still taken");
    // Still taken: saving the port again is refused and changes nothing.
    let refused = s
        .runtime
        .change_settings(SettingsChange::SetPort { port })
        .await
        .expect_err("the port is still in use");
    assert_eq!(refused.code(), "port_in_use");
    drop(taken);
    let status = s
        .runtime
        .change_settings(SettingsChange::SetPort { port })
        .await
        .expect("the freed port is bound");
    assert_eq!((status.port, status.port_taken), (port, None));
    let reply = s
        .client
        .post(
            &status.local_url,
            &http::HeaderMap::new(),
            bytes::Bytes::from_static(b"{}"),
        )
        .await
        .expect("the receiver answers on the saved port");
    assert_eq!(reply.status, 400, "unsigned, but received: {}", reply.body);
    s.runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_at_the_edge_turned_on_in_settings_reconnects_the_tunnel_with_the_policy() {
    let edge = within("the fake edge", FakeEdge::start(EdgeOptions::new(TOKEN)))
        .await
        .unwrap();
    let file = Settings {
        ngrok_authtoken: Some(TOKEN.into()),
        ..with_secret(SECRET)
    };
    let s = Setup::start(file, |o| through(&edge, o)).await;
    // Waits until the one tunnel bound at the edge carries `policy`.
    let bound_with = |policy: Option<String>| {
        let edge = &edge;
        within("the tunnel to (re)connect with that policy", async move {
            loop {
                let tunnels = edge.tunnels();
                if tunnels.len() == 1 && tunnels[0].traffic_policy == policy {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    bound_with(None).await;
    assert!(!s.runtime.status().verify_at_edge, "off by default");

    s.runtime
        .change_settings(SettingsChange::SetVerifyAtEdge { on: true })
        .await
        .unwrap();
    // The tunnel reconnects with Clerk's verify-webhook policy.
    bound_with(Some(hooklab_core::tunnel::verify_webhook_policy(SECRET))).await;
    assert!(s.runtime.status().verify_at_edge);
    assert!(
        settings::load(&s.settings_path()).unwrap().verify_at_edge,
        "saved"
    );

    s.runtime
        .change_settings(SettingsChange::SetVerifyAtEdge { on: false })
        .await
        .unwrap();
    bound_with(None).await;
    tokio::time::timeout(WAIT, s.runtime.shutdown())
        .await
        .unwrap();
}

#[tokio::test]
async fn durability_saved_in_settings_applies_at_the_next_start_and_says_so_until_then() {
    use hooklab_core::store::Synchronous;
    let s = Setup::start(with_secret(SECRET), |_| {}).await;
    let status = s.runtime.status();
    assert_eq!(
        (status.synchronous, status.synchronous_next),
        (Synchronous::Normal, None)
    );

    s.runtime
        .change_settings(SettingsChange::SetSynchronous {
            synchronous: Synchronous::Full,
        })
        .await
        .unwrap();
    let status = s.runtime.status();
    assert_eq!(
        (status.synchronous, status.synchronous_next),
        (Synchronous::Normal, Some(Synchronous::Full)),
        "the open database keeps its setting; the next start takes the new one"
    );
    assert_eq!(
        settings::load(&s.settings_path()).unwrap().synchronous,
        Some(Synchronous::Full)
    );
    s.runtime.shutdown().await;

    let mut options = RuntimeOptions::new(s.dir.path().join("hooklab.db"), s.settings_path());
    options.overrides.port = Some(0);
    let again = within("starting again", Runtime::start(options))
        .await
        .unwrap();
    let status = again.status();
    assert_eq!(
        (status.synchronous, status.synchronous_next),
        (Synchronous::Full, None)
    );
    again.shutdown().await;
}
