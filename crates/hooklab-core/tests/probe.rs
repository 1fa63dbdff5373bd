//! "Test public URL": a signed probe posted to a webhook URL says how far it got — verified by
//! this Hooklab, refused by it (and why), answered by something else, or not reachable at all.
//! Probed here over loopback: the probe is plain HTTP to a URL, the same through ngrok.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{Harness, WEBHOOK_PATH, within};
use hooklab_core::probe::{PROBE_TYPE, ProbeStage, probe};
use hooklab_core::sync::SyncKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_through_a_working_url_comes_back_verified_and_is_never_synced() {
    let h = Harness::start().await;
    let result = within(
        "the probe",
        probe(&h.engine, &h.client, &h.url(WEBHOOK_PATH)),
    )
    .await;
    assert_eq!(result.stage, ProbeStage::Verified, "{result:?}");
    assert!(
        result
            .summary
            .starts_with("reachable from the internet, verified, "),
        "{}",
        result.summary
    );
    let event = result.event.unwrap();
    assert_eq!(event.event_type.as_deref(), Some(PROBE_TYPE));
    assert_eq!(event.sync, SyncKind::Ignored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_refused_by_hooklab_says_why() {
    let h = Harness::start().await;
    let result = probe(&h.engine, &h.client, &h.url("/api/webhooks")).await;
    assert_eq!(result.stage, ProbeStage::Refused);
    assert_eq!(result.status, Some(404));
    assert!(
        result.hint.unwrap().contains(WEBHOOK_PATH),
        "the hint names the right path"
    );

    h.engine.set_secrets(Vec::new());
    let result = probe(&h.engine, &h.client, &h.url(WEBHOOK_PATH)).await;
    assert_eq!(result.stage, ProbeStage::Refused);
    assert_eq!(result.status, Some(400), "unsigned: no secret to sign with");
    assert!(result.hint.unwrap().contains("no signing secret is saved"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_answered_by_another_server_or_by_nobody_says_so() {
    let h = Harness::start().await;
    // Another server on the URL: an ngrok error page, an old app.
    let other = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_url = format!("http://{}/api/webhooks/clerk", other.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = other.accept().await {
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf).await;
            let _ = stream
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found")
                .await;
        }
    });
    let result = probe(&h.engine, &h.client, &other_url).await;
    assert_eq!(result.stage, ProbeStage::NotHooklab, "{result:?}");
    assert_eq!(result.status, Some(404));

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_url = format!("http://{}/api/webhooks/clerk", closed.local_addr().unwrap());
    drop(closed);
    let result = probe(&h.engine, &h.client, &closed_url).await;
    assert_eq!(result.stage, ProbeStage::Unreachable);
    assert!(
        result.summary.starts_with("not reachable"),
        "{}",
        result.summary
    );
}
