//! The tunnel supervisor end to end, offline: the real ngrok-rs client against
//! `crates/fake-ngrok-edge` on loopback, serving the engine's own receiver router.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Harness, SECRET, WEBHOOK_PATH, fixture, now_ms, signed, user_of, within};
use fake_ngrok_edge::{EdgeOptions, FakeEdge, HttpResponse, codes};
use hooklab_core::bus::BusEvent;
use hooklab_core::capture::Source;
use hooklab_core::send::Delivery;
use hooklab_core::store::TunnelStateRow;
use hooklab_core::tunnel::{
    AUTHTOKEN_URL, Backoff, DOMAINS_URL, Heartbeat, Supervisor, Transport, TunnelConfig,
    TunnelState, verify_webhook_policy,
};
use tokio::sync::broadcast::Receiver;

/// A well-formed token the fake edge accepts.
const TOKEN: &str = "2fakeAgentId_fakeSecret";
/// The retry cap the tests run with (the real one is 30 s).
const CAP: Duration = Duration::from_millis(200);
/// How long the edge may take to notice something.
const EDGE_WAIT: Duration = Duration::from_secs(5);

async fn edge(options: EdgeOptions) -> FakeEdge {
    within("starting the fake edge", FakeEdge::start(options))
        .await
        .expect("fake edge starts")
}

/// A config that reaches `edge` over plain TCP, with fast retries.
fn config_for(edge: &FakeEdge) -> TunnelConfig {
    config_at(edge.server_addr())
}

fn config_at(server_addr: String) -> TunnelConfig {
    let mut config = TunnelConfig::new(Some(TOKEN.to_owned()));
    config.server_addr = Some(server_addr);
    config.transport = Transport::PlainTcp;
    config.backoff = Backoff {
        base: Duration::from_millis(20),
        cap: CAP,
    };
    config.connect_timeout = Duration::from_secs(5);
    config
}

/// The next tunnel state announced on the bus (other announcements are skipped).
async fn next_state(bus: &mut Receiver<BusEvent>) -> TunnelState {
    loop {
        let event = within("a tunnel state on the bus", bus.recv())
            .await
            .expect("the bus is open and not lagging");
        if let BusEvent::Tunnel(state) = event {
            return state;
        }
    }
}

/// Tunnel states until one matches `done`; returns all of them, the match last.
async fn states_until(
    bus: &mut Receiver<BusEvent>,
    done: impl Fn(&TunnelState) -> bool,
) -> Vec<TunnelState> {
    let mut seen = Vec::new();
    loop {
        let state = next_state(bus).await;
        let stop = done(&state);
        seen.push(state);
        if stop {
            return seen;
        }
    }
}

async fn online(bus: &mut Receiver<BusEvent>) -> TunnelState {
    states_until(bus, |s| matches!(s, TunnelState::Online { .. }))
        .await
        .pop()
        .expect("an online state")
}

fn url_of(state: &TunnelState) -> String {
    state.url().expect("online").to_owned()
}

/// Posts a signed delivery to `path` through the edge's proxy.
async fn send_through(edge: &FakeEdge, url: &str, path: &str, delivery: &Delivery) -> HttpResponse {
    let headers = delivery.headers();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().expect("ascii header")))
        .chain([("content-type", "application/json")])
        .collect();
    within(
        "a request through the edge",
        edge.send_http(url, "POST", path, &pairs, &delivery.body[..]),
    )
    .await
    .expect("the edge proxied the request")
}

fn json(response: &HttpResponse) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null)
}

/// Waits until `tunnel_states` holds a row matching `found`; returns the latest rows.
async fn recorded(h: &Harness, found: impl Fn(&[TunnelStateRow]) -> bool) -> Vec<TunnelStateRow> {
    let poll = async {
        loop {
            let rows = h
                .engine
                .store()
                .tunnel_states(50)
                .await
                .expect("list tunnel states");
            if found(&rows) {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    within("tunnel_states rows", poll).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tunnel_comes_online_with_the_url_the_edge_assigned_and_records_it() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    assert_eq!(supervisor.status(), TunnelState::Off);

    within("start", supervisor.start(config_for(&edge))).await;
    assert_eq!(next_state(&mut bus).await, TunnelState::Connecting);
    let state = next_state(&mut bus).await;
    let TunnelState::Online {
        url,
        webhook_url,
        previous_url,
    } = &state
    else {
        panic!("expected online, got {state:?}")
    };
    assert_eq!(edge.bound_urls(), vec![url.clone()]);
    assert!(url.starts_with("https://") && url.ends_with(".ngrok-free.app"));
    assert_eq!(webhook_url, &format!("{url}{WEBHOOK_PATH}"));
    assert_eq!(previous_url, &None, "nothing remembered yet");
    assert_eq!(supervisor.status(), state);
    assert_eq!(edge.auth_requests()[0].authtoken, TOKEN);
    assert_eq!(
        edge.tunnels()[0].traffic_policy,
        None,
        "edge verification is off by default"
    );

    let rows = recorded(&h, |rows| rows.iter().any(|r| r.state == "online")).await;
    let names: Vec<&str> = rows.iter().rev().map(|r| r.state.as_str()).collect();
    assert_eq!(names, ["connecting", "online"]);
    assert_eq!(rows[0].url.as_deref(), Some(url.as_str()));

    within("stop", supervisor.stop()).await;
    assert_eq!(next_state(&mut bus).await, TunnelState::Off);
    assert!(
        edge.wait_until(EDGE_WAIT, |e| e.live_sessions() == 0
            && e.bound_urls().is_empty())
            .await,
        "stop closes the session: {:#?}",
        edge.events()
    );
    recorded(&h, |rows| rows.first().is_some_and(|r| r.state == "off")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhook_through_the_edge_is_verified_synced_and_captured_as_tunnel() {
    let h = Harness::start().await;
    let client: SocketAddr = "203.0.113.7:40123".parse().unwrap();
    let edge = edge(EdgeOptions::new(TOKEN).client_addr(client)).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    within("start", supervisor.start(config_for(&edge))).await;
    let url = url_of(&online(&mut bus).await);

    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed(event.body.clone());
    let response = send_through(&edge, &url, WEBHOOK_PATH, &delivery).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = json(&response);
    assert_eq!(answer["verification"], "verified", "{answer}");
    assert_eq!(answer["sync"], "applied", "{answer}");

    let stored = h.event(answer["id"].as_i64().unwrap()).await;
    assert_eq!(stored.summary.source, Source::Tunnel);
    assert_eq!(
        stored.summary.remote_addr.as_deref(),
        Some("203.0.113.7:40123")
    );
    assert_eq!(stored.body, delivery.body, "stored byte-exact");
    assert_eq!(
        h.existing_user(&user_id).await.user.id,
        user_id,
        "the user was synced"
    );

    // Nothing but the webhook route: another path gets the receiver's 404, and is recorded.
    let response = send_through(&edge, &url, "/admin", &signed("{}")).await;
    assert_eq!(response.status, 404, "{}", response.text());
    assert_eq!(
        response.header("ngrok-error-code"),
        None,
        "answered by Hooklab"
    );
    let stored = h.event(json(&response)["id"].as_i64().unwrap()).await;
    assert_eq!(stored.summary.source, Source::Tunnel);
    assert_eq!(stored.summary.path, "/admin");

    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_reconnects_within_the_cap_and_webhooks_flow_again() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN).dev_domain("steady-fox-42.ngrok-free.app")).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    within("start", supervisor.start(config_for(&edge))).await;
    let url = url_of(&online(&mut bus).await);
    assert_eq!(url, "https://steady-fox-42.ngrok-free.app");

    assert_eq!(edge.drop_sessions(), 1);
    let seen = states_until(&mut bus, |s| matches!(s, TunnelState::Online { .. })).await;
    let TunnelState::Reconnecting {
        attempt,
        retry_in,
        code,
        ..
    } = &seen[0]
    else {
        panic!("expected reconnecting first, got {seen:?}")
    };
    assert_eq!(*attempt, 1);
    assert!(*retry_in <= CAP, "{retry_in:?}");
    assert_eq!(code, "connection_lost");
    let TunnelState::Online {
        url: again,
        previous_url,
        ..
    } = seen.last().unwrap()
    else {
        unreachable!()
    };
    assert_eq!(again, &url, "the dev domain survives a rebuilt session");
    assert_eq!(previous_url, &None);

    let event = fixture("user.created", None, now_ms());
    let response = send_through(&edge, &url, WEBHOOK_PATH, &signed(event.body)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        edge.wait_until(EDGE_WAIT, |e| e.live_sessions() == 1).await,
        "one session, the rebuilt one"
    );
    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_authtoken_fails_once_with_the_authtoken_hint() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let supervisor = Supervisor::new(h.engine.clone());
    for (token, code) in [
        ("2someone_elses_token", codes::AUTHTOKEN_INVALID),
        ("notatoken", codes::AUTHTOKEN_MALFORMED),
    ] {
        let mut bus = h.engine.subscribe();
        let before = edge.auth_attempts();
        let mut config = config_for(&edge);
        config.authtoken = Some(token.to_owned());
        within("start", supervisor.start(config)).await;
        let seen = states_until(&mut bus, |s| matches!(s, TunnelState::Failed { .. })).await;
        let TunnelState::Failed {
            code: failed,
            error,
            hint,
        } = seen.last().unwrap()
        else {
            unreachable!()
        };
        assert_eq!(failed, "authtoken_rejected");
        assert!(error.contains(code), "{error}");
        assert!(hint.contains(AUTHTOKEN_URL), "{hint}");
        assert!(
            !error.contains(token) && !hint.contains(token),
            "token masked"
        );
        // No retry storm: many backoff periods later there was still one attempt.
        tokio::time::sleep(CAP * 3).await;
        assert_eq!(edge.auth_attempts(), before + 1);
        assert_eq!(
            supervisor.status().name(),
            "failed",
            "{:?}",
            supervisor.status()
        );
    }
    within("stop", supervisor.stop()).await;
    assert_eq!(edge.live_sessions(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_authtoken_fails_clearly_without_dialing() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    let mut config = config_for(&edge);
    config.authtoken = Some("   ".to_owned());
    within("start", supervisor.start(config)).await;
    let TunnelState::Failed { code, hint, .. } = next_state(&mut bus).await else {
        panic!("expected failed")
    };
    assert_eq!(code, "no_authtoken");
    assert!(hint.contains(AUTHTOKEN_URL), "{hint}");
    assert!(hint.contains("local-only mode"), "{hint}");
    tokio::time::sleep(CAP).await;
    assert_eq!(edge.connections(), 0, "nothing was dialed");

    // The receiver keeps working locally.
    let reply = h
        .deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_retries_with_growing_capped_delays() {
    let h = Harness::start().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    within("start", supervisor.start(config_at(closed.to_string()))).await;
    assert_eq!(next_state(&mut bus).await, TunnelState::Connecting);

    let mut delays = Vec::new();
    while delays.len() < 7 {
        match next_state(&mut bus).await {
            TunnelState::Reconnecting {
                attempt,
                retry_in,
                code,
                last_error,
                hint,
            } => {
                assert_eq!(attempt as usize, delays.len() + 1);
                assert_eq!(code, "network", "{last_error}");
                assert!(last_error.contains("cannot reach ngrok"), "{last_error}");
                assert!(hint.unwrap().contains("internet connection"));
                delays.push(retry_in);
            }
            other => panic!("expected reconnecting, got {other:?}"),
        }
    }
    // Base 20 ms doubling (jitter takes off at most a quarter): 20, 40, 80, 160, then the cap.
    assert!(
        delays[..4].windows(2).all(|w| w[0] < w[1]),
        "grows: {delays:?}"
    );
    assert!(delays.iter().all(|d| *d <= CAP), "capped: {delays:?}");
    assert!(
        delays[6] >= CAP.mul_f64(0.75),
        "reaches the cap: {delays:?}"
    );
    within("stop", supervisor.stop()).await;
    assert_eq!(supervisor.status(), TunnelState::Off);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_then_start_again_without_restarting_the_receiver() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN).dev_domain("steady-fox-42.ngrok-free.app")).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    within("start", supervisor.start(config_for(&edge))).await;
    let url = url_of(&online(&mut bus).await);

    within("stop", supervisor.stop()).await;
    assert_eq!(next_state(&mut bus).await, TunnelState::Off);
    assert!(
        edge.wait_until(EDGE_WAIT, |e| e.live_sessions() == 0).await,
        "{:#?}",
        edge.events()
    );
    let offline = send_through(&edge, &url, WEBHOOK_PATH, &signed("{}")).await;
    assert_eq!(offline.status, 404);
    assert_eq!(
        offline.ngrok_error_code(),
        Some(codes::ENDPOINT_OFFLINE),
        "the endpoint is offline at the edge"
    );
    let local = h
        .deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    assert_eq!(
        local.status, 200,
        "the receiver kept running: {}",
        local.body
    );

    within("start", supervisor.start(config_for(&edge))).await;
    assert_eq!(url_of(&online(&mut bus).await), url);
    let event = fixture("user.created", None, now_ms());
    let response = send_through(&edge, &url, WEBHOOK_PATH, &signed(event.body)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(edge.auth_attempts(), 2);
    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_public_url_is_announced_and_remembered() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let old = "https://0ld0ld0ld0ld.ngrok-free.app";
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    let mut config = config_for(&edge);
    config.last_public_url = Some(old.to_owned());

    within("start", supervisor.start(config.clone())).await;
    let first = online(&mut bus).await;
    let TunnelState::Online {
        url, previous_url, ..
    } = &first
    else {
        unreachable!()
    };
    assert_eq!(previous_url.as_deref(), Some(old));
    let warning = first.url_change_warning().unwrap();
    assert!(warning.contains(old) && warning.contains(url), "{warning}");
    assert!(
        warning.contains("Do not create a new endpoint"),
        "{warning}"
    );
    let rows = recorded(&h, |rows| rows.iter().any(|r| r.state == "online")).await;
    assert!(rows[0].detail.as_deref().unwrap().contains(old));

    // No static domain: a new session gets a new random URL, and says so.
    within("stop", supervisor.stop()).await;
    within("start", supervisor.start(config.clone())).await;
    let second = online(&mut bus).await;
    assert_ne!(second.url(), Some(url.as_str()));
    let TunnelState::Online { previous_url, .. } = &second else {
        unreachable!()
    };
    assert_eq!(previous_url.as_deref(), Some(url.as_str()));

    // The same URL again: no warning.
    within("stop", supervisor.stop()).await;
    let mut steady = config;
    steady.domain = Some("hooks.example.com".to_owned());
    edge.allow_domain("hooks.example.com");
    within("start", supervisor.start(steady.clone())).await;
    assert!(online(&mut bus).await.url_change_warning().is_some());
    within("stop", supervisor.stop()).await;
    within("start", supervisor.start(steady)).await;
    let third = online(&mut bus).await;
    assert_eq!(third.url(), Some("https://hooks.example.com"));
    assert_eq!(third.url_change_warning(), None);
    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreserved_domains_fail_with_the_domain_hint() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN).foreign_domain("theirs.example.com")).await;
    let supervisor = Supervisor::new(h.engine.clone());
    for (domain, expected) in [
        ("not-mine.ngrok-free.app", "domain_not_reserved"),
        ("theirs.example.com", "domain_reserved_elsewhere"),
    ] {
        let mut bus = h.engine.subscribe();
        let mut config = config_for(&edge);
        config.domain = Some(domain.to_owned());
        within("start", supervisor.start(config)).await;
        let seen = states_until(&mut bus, |s| matches!(s, TunnelState::Failed { .. })).await;
        let TunnelState::Failed { code, error, hint } = seen.last().unwrap() else {
            unreachable!()
        };
        assert_eq!(code, expected, "{error}");
        assert!(error.contains(domain), "{error}");
        assert!(hint.contains(DOMAINS_URL), "{hint}");
    }
    // A refused bind must not leave its session connected.
    assert!(
        edge.wait_until(EDGE_WAIT, |e| e.live_sessions() == 0).await,
        "{:#?}",
        edge.events()
    );
    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_agent_session_is_retried_slowly_until_it_closes() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    edge.set_other_agent_online(true);
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    within("start", supervisor.start(config_for(&edge))).await;
    let seen = states_until(&mut bus, |s| s.name() == "reconnecting").await;
    let TunnelState::Reconnecting {
        retry_in,
        code,
        hint,
        ..
    } = seen.last().unwrap()
    else {
        unreachable!()
    };
    assert_eq!(code, "session_limit");
    assert!(
        *retry_in >= CAP.mul_f64(0.75) && *retry_in <= CAP,
        "{retry_in:?}"
    );
    assert!(hint.as_deref().unwrap().contains("one agent session"));

    edge.set_other_agent_online(false);
    online(&mut bus).await;
    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_verification_sends_a_clerk_verify_webhook_policy() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    let mut config = config_for(&edge);
    config.edge_verification_secret = Some(SECRET.to_owned());
    within("start", supervisor.start(config)).await;
    online(&mut bus).await;
    assert_eq!(
        edge.tunnels()[0].traffic_policy.as_deref(),
        Some(verify_webhook_policy(SECRET).as_str())
    );
    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_edge_is_noticed_through_heartbeats_and_left() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    let mut config = config_for(&edge);
    config.heartbeat = Some(Heartbeat {
        interval: Duration::from_millis(100),
        tolerance: Duration::from_millis(200),
    });
    within("start", supervisor.start(config)).await;
    online(&mut bus).await;

    edge.set_answer_heartbeats(false);
    let seen = states_until(&mut bus, |s| s.name() == "reconnecting").await;
    let TunnelState::Reconnecting { last_error, .. } = seen.last().unwrap() else {
        unreachable!()
    };
    assert!(last_error.contains("heartbeats"), "{last_error}");
    edge.set_answer_heartbeats(true);
    online(&mut bus).await;
    within("stop", supervisor.stop()).await;
    assert!(edge.wait_until(EDGE_WAIT, |e| e.live_sessions() == 0).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_the_edge_stops_is_opened_again() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN).dev_domain("steady-fox-42.ngrok-free.app")).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    within("start", supervisor.start(config_for(&edge))).await;
    let url = url_of(&online(&mut bus).await);

    // Seen once under CI load: the first StopTunnel failed to go out right after "online".
    // Retry briefly; what is tested is how the agent handles it once it arrives.
    let sent = within("stop_tunnel", async {
        let mut last = None;
        for _ in 0..20 {
            match edge
                .stop_tunnel(&url, "stopped from the dashboard", None)
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(last)
    })
    .await;
    sent.expect("StopTunnel sent");
    let seen = states_until(&mut bus, |s| matches!(s, TunnelState::Online { .. })).await;
    let TunnelState::Reconnecting { last_error, .. } = &seen[0] else {
        panic!("expected reconnecting first, got {seen:?}")
    };
    assert!(
        last_error.contains("stopped from the dashboard"),
        "{last_error}"
    );
    assert_eq!(seen.last().unwrap().url(), Some(url.as_str()));
    assert!(
        edge.wait_until(EDGE_WAIT, |e| e.live_sessions() == 1).await,
        "the old session was closed: {:#?}",
        edge.events()
    );
    within("stop", supervisor.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_supervisor_closes_the_session() {
    let h = Harness::start().await;
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    within("start", supervisor.start(config_for(&edge))).await;
    online(&mut bus).await;
    drop(supervisor);
    assert!(
        edge.wait_until(EDGE_WAIT, |e| e.live_sessions() == 0).await,
        "{:#?}",
        edge.events()
    );
}

#[test]
fn tunnel_states_go_out_on_the_bus_with_a_kind_and_a_state() {
    let event = BusEvent::Tunnel(TunnelState::Online {
        url: "https://a.ngrok-free.app".into(),
        webhook_url: "https://a.ngrok-free.app/api/webhooks/clerk".into(),
        previous_url: None,
    });
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        serde_json::json!({
            "kind": "tunnel", "state": "online", "url": "https://a.ngrok-free.app",
            "webhook_url": "https://a.ngrok-free.app/api/webhooks/clerk",
        })
    );
    let off = serde_json::to_value(BusEvent::Tunnel(TunnelState::Off)).unwrap();
    assert_eq!(off, serde_json::json!({ "kind": "tunnel", "state": "off" }));
}
