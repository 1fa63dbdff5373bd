//! Ending a session from the app side in ngrok-rs 0.19: `Session::close()`
//! writes nothing on the wire, and dropping a never-reconnected Session leaks
//! its connection (the accept task holds a Session clone). What works: close()
//! (sets the "closed" flag) + failing the transport, then drop.

use std::time::Duration;

use fake_ngrok_edge::{EdgeEvent, EdgeOptions};
use futures_util::StreamExt;
use ngrok::{prelude::*, session::ConnectError, tunnel::AcceptError};

use crate::support::{CallLog, KillSwitch, TOKEN, builder, edge, killable_builder, within};

#[tokio::test]
async fn dropping_a_fresh_session_keeps_its_connection_alive() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let session = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect");
    let tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");
    drop(tunnel);
    drop(session);
    // The tunnel's Unbind still goes out; the connection itself stays.
    assert!(
        edge.wait_until(Duration::from_secs(5), |e| e.bound_urls().is_empty())
            .await
    );
    let gone = edge
        .wait_until(Duration::from_secs(1), |e| e.live_sessions() == 0)
        .await;
    assert!(!gone, "ngrok-rs 0.19 keeps a dropped session connected");
}

#[tokio::test]
async fn close_then_failing_transport_ends_the_session_without_reconnect() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let log = CallLog::default();
    let switch = KillSwitch::default();
    let mut session = within(
        10,
        "connect",
        killable_builder(&edge, log.clone(), switch.clone()).connect(),
    )
    .await
    .expect("connect");
    let mut tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");

    within(10, "close", session.close()).await.expect("close");
    switch.kill();
    match within(10, "next", tunnel.next()).await {
        Some(Err(AcceptError::Reconnect(e))) => {
            assert!(matches!(*e, ConnectError::Canceled), "{e:?}")
        }
        other => panic!(
            "expected Reconnect(Canceled), got {:?}",
            other.map(|r| r.map(|_| ()))
        ),
    }
    drop(tunnel);
    drop(session);
    let gone = edge
        .wait_until(Duration::from_secs(5), |e| e.live_sessions() == 0)
        .await;
    assert!(gone, "events: {:#?}", edge.events());
    assert_eq!(
        log.lock().unwrap().len(),
        1,
        "closed sessions do not call the connector again"
    );
    assert!(
        edge.events()
            .iter()
            .any(|e| matches!(e, EdgeEvent::Disconnected { conn: 1 }))
    );
}

#[tokio::test]
async fn after_a_reconnect_stop_tunnel_is_ignored_and_drop_closes() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let session = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect");
    let mut tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");
    let url = tunnel.url().to_string();
    edge.drop_sessions();
    let rebound = edge
        .wait_until(Duration::from_secs(10), |e| {
            e.events()
                .iter()
                .any(|ev| matches!(ev, EdgeEvent::Bound { rebind: true, .. }))
        })
        .await;
    assert!(rebound);

    // The re-created incoming stream has no Session to close tunnels with.
    within(10, "stop", edge.stop_tunnel(&url, "stopped", None))
        .await
        .expect("stop sent");
    let next = tokio::time::timeout(Duration::from_millis(500), tunnel.next()).await;
    assert!(next.is_err(), "StopTunnel not delivered after a reconnect");

    // ...and, with no cycle left, dropping the Session closes the connection.
    drop(tunnel);
    drop(session);
    assert!(
        edge.wait_until(Duration::from_secs(5), |e| e.live_sessions() == 0)
            .await
    );
}
