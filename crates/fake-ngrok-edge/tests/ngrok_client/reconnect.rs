//! What ngrok-rs 0.19 does when the edge drops its connection: it calls the
//! Connector again, resumes the session id, re-binds every tunnel under its old
//! id, and backs off 0 / 50 ms / 2.5 s / 125 s ... between failed attempts.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use fake_ngrok_edge::{EdgeEvent, EdgeOptions, codes};
use futures_util::StreamExt;
use ngrok::{prelude::*, session::ConnectError, tunnel::AcceptError};

use crate::support::{CallLog, Seen, TOKEN, builder_with, edge, serve, within};

fn calls(log: &CallLog) -> Vec<crate::support::ConnectCall> {
    log.lock().unwrap().clone()
}

#[tokio::test]
async fn dropped_connection_reconnects_and_rebinds_same_tunnel() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let log = CallLog::default();
    let session = within(
        10,
        "connect",
        builder_with(&edge, Some(TOKEN), log.clone(), false).connect(),
    )
    .await
    .expect("connect");
    let tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");
    let (url, id) = (tunnel.url().to_string(), tunnel.id().to_string());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = serve(tunnel, seen.clone());

    assert_eq!(edge.drop_sessions(), 1);
    let dropped_at = Instant::now();
    let rebound = edge
        .wait_until(Duration::from_secs(10), |e| {
            e.events()
                .iter()
                .any(|ev| matches!(ev, EdgeEvent::Bound { rebind: true, .. }))
        })
        .await;
    assert!(
        rebound,
        "tunnel re-bound after reconnect; events: {:#?}",
        edge.events()
    );
    let took = dropped_at.elapsed();

    let calls = calls(&log);
    assert_eq!(calls.len(), 2, "connector called once more: {calls:?}");
    assert!(calls[0].err.is_none());
    assert!(
        matches!(calls[1].err, Some(AcceptError::Transport(_))),
        "first reconnect passes the transport error: {:?}",
        calls[1].err
    );
    println!(
        "reconnect+rebind took {took:?}; connector err = {:?}",
        calls[1].err
    );
    assert!(
        took < Duration::from_secs(5),
        "first retry is immediate: {took:?}"
    );

    // Same session id resumed, same tunnel id and URL, no action from the app.
    let auths = edge.auth_requests();
    assert_eq!(auths.len(), 2);
    assert_eq!(auths[1].client_id, session.id());
    assert_eq!(edge.tunnels().len(), 1);
    assert_eq!(edge.tunnels()[0].id, id);
    assert_eq!(edge.tunnels()[0].url, url);

    // The very same HttpTunnel keeps serving; its stream never saw an error.
    let resp = within(10, "send", edge.send_http(&url, "GET", "/after", &[], b""))
        .await
        .expect("send");
    assert_eq!(resp.status, 201);
    assert!(seen.lock().unwrap().accept_errors.is_empty());
    server.abort();
}

#[tokio::test]
async fn failed_reconnects_back_off_50ms_then_2500ms() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let log = CallLog::default();
    let session = within(
        10,
        "connect",
        builder_with(&edge, Some(TOKEN), log.clone(), false).connect(),
    )
    .await
    .expect("connect");
    let tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");

    edge.reject_all_auth(true);
    edge.drop_sessions();
    // initial auth + 3 refused re-auths (connector calls 2, 3, 4)
    let four = edge
        .wait_until(Duration::from_secs(8), |e| {
            e.auth_attempts() >= 4
                && matches!(e.events().last(), Some(EdgeEvent::Disconnected { .. }))
        })
        .await;
    assert!(four, "connector calls: {:?}", calls(&log));
    let c = calls(&log);
    let gap1 = c[2].at - c[1].at;
    let gap2 = c[3].at - c[2].at;
    println!("gaps between reconnect attempts: {gap1:?}, {gap2:?}");
    assert!(
        gap1 >= Duration::from_millis(50) && gap1 < Duration::from_millis(1500),
        "{gap1:?}"
    );
    assert!(
        gap2 >= Duration::from_millis(2500) && gap2 < Duration::from_millis(6000),
        "{gap2:?}"
    );
    // After a failed attempt the connector is told why, with the edge's code.
    match &c[2].err {
        Some(AcceptError::Reconnect(e)) => {
            assert!(matches!(**e, ConnectError::Auth(_)), "{e:?}");
            assert_eq!(e.error_code(), Some(codes::AUTHTOKEN_INVALID));
        }
        other => panic!("expected Reconnect(Auth) got {other:?}"),
    }
    // The next delay would be 125 s: the session is stuck offline that long
    // even after the token works again. The tunnel object saw nothing.
    edge.reject_all_auth(false);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(calls(&log).len(), 4);
    assert_eq!(edge.live_sessions(), 0);
    drop(tunnel);
    drop(session);
}

#[tokio::test]
async fn connector_cancel_ends_tunnel_stream_and_app_rebuilds() {
    let edge = edge(EdgeOptions::new(TOKEN).dev_domain("steady-fox-42.ngrok-free.app")).await;
    let log = CallLog::default();
    let session = within(
        10,
        "connect",
        builder_with(&edge, Some(TOKEN), log.clone(), true).connect(),
    )
    .await
    .expect("connect");
    let mut tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");
    let url = tunnel.url().to_string();

    edge.reject_all_auth(true);
    edge.drop_sessions();
    match within(10, "next", tunnel.next()).await {
        Some(Err(AcceptError::Reconnect(e))) => {
            assert!(matches!(*e, ConnectError::Canceled), "{e:?}")
        }
        other => panic!(
            "expected Reconnect(Canceled), got {:?}",
            other.map(|r| r.map(|_| ()))
        ),
    }
    assert!(within(10, "next", tunnel.next()).await.is_none());
    drop(tunnel);
    drop(session);

    // A supervisor now rebuilds the session itself, with its own capped delay.
    let started = Instant::now();
    let mut attempts = 0;
    let session = loop {
        attempts += 1;
        if attempts == 3 {
            edge.reject_all_auth(false);
        }
        match within(
            10,
            "connect",
            builder_with(&edge, Some(TOKEN), CallLog::default(), true).connect(),
        )
        .await
        {
            Ok(session) => break session,
            Err(e) => {
                assert_eq!(e.error_code(), Some(codes::AUTHTOKEN_INVALID));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(attempts, 3);
    assert!(started.elapsed() < Duration::from_secs(2));
    let tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen again");
    assert_eq!(
        tunnel.url(),
        url,
        "the dev domain survives a rebuilt session"
    );
}

#[tokio::test]
async fn unanswered_heartbeats_are_reported_but_do_not_reconnect() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let log = CallLog::default();
    let latencies: Arc<Mutex<Vec<Option<Duration>>>> = Arc::default();
    let mut b = builder_with(&edge, Some(TOKEN), log.clone(), false);
    b.heartbeat_interval(Duration::from_millis(100))
        .expect("interval");
    b.heartbeat_tolerance(Duration::from_millis(200))
        .expect("tolerance");
    let record = latencies.clone();
    b.handle_heartbeat(move |latency: Option<Duration>| {
        let record = record.clone();
        async move {
            record.lock().unwrap().push(latency);
            // Returning Err stops ngrok's heartbeat check task; nothing else happens.
            match latency {
                Some(_) => Ok::<(), Box<dyn std::error::Error>>(()),
                None => Err("heartbeat missed".into()),
            }
        }
    });
    let session = within(10, "connect", b.connect()).await.expect("connect");
    let auth = &edge.auth_requests()[0];
    assert_eq!(auth.heartbeat_interval, Duration::from_millis(100));

    let answered = edge
        .wait_until(Duration::from_secs(5), |_| {
            latencies.lock().unwrap().iter().any(Option::is_some)
        })
        .await;
    assert!(answered, "a heartbeat was answered");

    edge.set_answer_heartbeats(false);
    let missed = edge
        .wait_until(Duration::from_secs(5), |_| {
            latencies.lock().unwrap().iter().any(Option::is_none)
        })
        .await;
    assert!(
        missed,
        "handler called with None after interval + tolerance"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    println!("heartbeat latencies: {:?}", latencies.lock().unwrap());
    assert_eq!(
        latencies
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.is_none())
            .count(),
        1,
        "after the handler's Err the check task is gone"
    );
    assert_eq!(calls(&log).len(), 1, "no reconnect on heartbeat timeout");
    assert_eq!(edge.connections(), 1);
    assert_eq!(edge.live_sessions(), 1);
    drop(session);
}

#[tokio::test]
async fn failed_rebind_is_retried_like_failed_auth() {
    let edge = edge(EdgeOptions::new(TOKEN).allow_domain("hooks.example.com")).await;
    let log = CallLog::default();
    let session = within(
        10,
        "connect",
        builder_with(&edge, Some(TOKEN), log.clone(), false).connect(),
    )
    .await
    .expect("connect");
    let tunnel = within(
        10,
        "listen",
        session.http_endpoint().domain("hooks.example.com").listen(),
    )
    .await
    .expect("listen");

    edge.disallow_domain("hooks.example.com");
    edge.drop_sessions();
    let third = edge
        .wait_until(Duration::from_secs(5), |_| log.lock().unwrap().len() >= 3)
        .await;
    assert!(third, "connector calls: {:?}", calls(&log));
    match &calls(&log)[2].err {
        Some(AcceptError::Reconnect(e)) => {
            assert!(matches!(**e, ConnectError::Rebind(_)), "{e:?}");
            assert_eq!(e.error_code(), Some(codes::DOMAIN_NOT_RESERVED));
        }
        other => panic!("expected Reconnect(Rebind) got {other:?}"),
    }
    // Auth succeeded on that attempt; the connection was dropped after the failed rebind.
    assert!(edge.events().iter().any(|e| matches!(
        e,
        EdgeEvent::AuthAccepted {
            conn: 2,
            resumed: true,
            ..
        }
    )));
    drop(tunnel);
    drop(session);
}
