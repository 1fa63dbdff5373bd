//! One test against ngrok's real cloud: only with `--features online-tests` and
//! `NGROK_AUTHTOKEN` (and optionally `NGROK_DOMAIN`) set. CI never builds it:
//! `cargo test -p hooklab-core --features online-tests --test tunnel_online`.

#![cfg(feature = "online-tests")]
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use std::time::Duration;

use common::{Harness, Reply, fixture, now_ms, signed};
use hooklab_core::bus::BusEvent;
use hooklab_core::capture::Source;
use hooklab_core::settings::Settings;
use hooklab_core::tunnel::{
    Supervisor, TunnelConfig, TunnelState, resolve_authtoken, resolve_domain,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_reaches_the_receiver_through_real_ngrok() {
    let env = |name: &str| std::env::var(name).ok();
    let authtoken = resolve_authtoken(env, &Settings::default())
        .expect("set NGROK_AUTHTOKEN to run the online tests");
    let h = Harness::start().await;
    let supervisor = Supervisor::new(h.engine.clone());
    let mut bus = h.engine.subscribe();
    let mut config = TunnelConfig::new(Some(authtoken));
    config.domain = resolve_domain(None, env, &Settings::default());
    tokio::time::timeout(Duration::from_secs(15), supervisor.start(config))
        .await
        .expect("start within 15 s");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut last = None;
    let state = loop {
        match tokio::time::timeout_at(deadline, bus.recv()).await {
            Ok(Ok(BusEvent::Tunnel(state @ TunnelState::Online { .. }))) => break state,
            Ok(Ok(BusEvent::Tunnel(TunnelState::Failed { error, hint, .. }))) => {
                panic!("{error}\n{hint}")
            }
            Ok(Ok(BusEvent::Tunnel(state))) => last = Some(state),
            Ok(_) => {}
            Err(_) => panic!("not online within 30 s; last state: {last:?}"),
        }
    };
    let TunnelState::Online { webhook_url, .. } = &state else {
        unreachable!()
    };

    let event = fixture("user.created", None, now_ms());
    let delivery = signed(event.body);
    let reply = tokio::time::timeout(
        Duration::from_secs(30),
        delivery.post(&h.client, webhook_url),
    )
    .await
    .expect("an answer within 30 s")
    .expect("ngrok forwarded the request");
    let reply = Reply::from_http(reply);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let stored = h.event(reply.id()).await;
    assert_eq!(stored.summary.source, Source::Tunnel);
    assert!(stored.summary.remote_addr.is_some());

    tokio::time::timeout(Duration::from_secs(15), supervisor.stop())
        .await
        .expect("stop within 15 s");
}
