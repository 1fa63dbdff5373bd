//! Slow uploads cannot crowd out Clerk: a body has an idle deadline and a total one, each
//! captured with a hint that says which, and when every connection is busy sending a body, the
//! upload that has been arriving the longest is ended so a new delivery gets in at once.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Harness, WEBHOOK_PATH, fixture, now_ms, read_reply, signed};
use hooklab_core::receiver::ConnLimits;
use hooklab_core::upload::BodyLimits;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A connection that sent its headers and the first byte of a 100-byte body.
async fn slow_upload(h: &Harness) -> TcpStream {
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    let head = format!("POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

fn limits(max_connections: usize, idle: u64, total: u64) -> ConnLimits {
    ConnLimits {
        max_connections,
        body: BodyLimits {
            idle: Duration::from_secs(idle),
            total: Duration::from_secs(total),
        },
        ..ConnLimits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_gets_in_while_every_connection_is_a_slow_upload() {
    // Deadlines far beyond the test: only making room can answer the delivery.
    let h = Harness::start_limited(limits(8, 120, 120)).await;
    let mut slow = Vec::new();
    for _ in 0..8 {
        slow.push(slow_upload(&h).await);
    }
    // Let the server start reading all of them (a settling pause, not a timing assertion).
    tokio::time::sleep(Duration::from_millis(500)).await;

    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let reply = h.deliver(&delivery).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // The oldest upload was ended and captured, with a hint that says why.
    let first = read_reply(&mut slow[0]).await;
    assert_eq!(first.status, 400, "{}", first.body);
    let stored = h.event(first.id()).await;
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(hint.contains("to let a new connection in"), "{hint}");
    assert!(hint.contains("1 of 100 bytes"), "{hint}");
    assert_eq!(stored.body, b"{", "what arrived is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_is_captured_as_stalled() {
    let h = Harness::start_limited(limits(16, 1, 60)).await;
    let mut stream = slow_upload(&h).await;
    // The connection stays open: the client went quiet, it did not hang up.
    let reply = read_reply(&mut stream).await;

    assert_eq!(reply.status, 400, "{}", reply.body);
    let hint = h.event(reply.id()).await.summary.hint.unwrap_or_default();
    assert!(hint.contains("then nothing for 1 s"), "{hint}");
    assert!(!hint.contains("closed the connection"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_past_the_total_deadline_is_captured_as_too_slow() {
    let h = Harness::start_limited(limits(16, 1, 2)).await;
    let mut stream = slow_upload(&h).await;
    // One byte every 200 ms: never idle for a second, never done.
    let trickle = async {
        for _ in 0..99 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .ok();
    let reply = read_reply(&mut stream).await;

    assert_eq!(reply.status, 400, "{}", reply.body);
    let hint = h.event(reply.id()).await.summary.hint.unwrap_or_default();
    assert!(hint.contains("still arriving after 2 s"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_delivery_does_not_wait_for_bulky_uploads() {
    let h = Harness::start_limited(limits(512, 120, 120)).await;
    // Enough stalled megabyte uploads to spend the listener's whole body budget.
    let budget_mib = hooklab_core::upload::BUDGET_BYTES / (1024 * 1024);
    let mut bulky = Vec::new();
    for _ in 0..budget_mib + 16 {
        let mut stream = TcpStream::connect(h.addr).await.unwrap();
        let head =
            format!("POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 1048000\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b'x'; 1_000_000];
        // A client whose upload waits for budget stops being read: do not block on it.
        let _ = tokio::time::timeout(Duration::from_millis(200), stream.write_all(&chunk)).await;
        bulky.push(stream);
    }

    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let reply = h.deliver(&delivery).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    drop(bulky);
}
