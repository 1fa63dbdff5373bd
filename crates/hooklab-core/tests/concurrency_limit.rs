//! The receiver handles at most `MAX_CONCURRENT_REQUESTS` requests at once: with every slot
//! held by clients stalled mid-upload, a complete delivery waits, and it is answered as soon
//! as one of them hangs up. (Order is asserted, not time.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Harness, fixture, now_ms, signed};
use hooklab_core::receiver::MAX_CONCURRENT_REQUESTS;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_waits_for_a_free_slot_and_then_is_answered() {
    let h = Harness::start().await;
    let mut stalled = Vec::new();
    for _ in 0..MAX_CONCURRENT_REQUESTS {
        let mut stream = TcpStream::connect(h.addr).await.unwrap();
        stream
            .write_all(
                b"POST /api/webhooks/clerk HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
            )
            .await
            .unwrap();
        stalled.push(stream);
    }
    // Let the server accept and start all of them before the delivery races them for a slot
    // (a settling pause, not a timing assertion: with two worker threads, the accept loop can
    // otherwise still be behind when the delivery's connection arrives).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let (client, url) = (h.client.clone(), h.url("/api/webhooks/clerk"));
    let mut pending = tokio::spawn(async move { delivery.post(&client, &url).await });

    // Every slot is taken: no answer while the stalled uploads hold them.
    let early = tokio::time::timeout(Duration::from_millis(500), &mut pending).await;
    assert!(early.is_err(), "answered although all slots were busy");

    // One stalled client gives up: its request ends (captured as incomplete) and frees a slot.
    drop(stalled.pop());
    let reply = tokio::time::timeout(Duration::from_secs(20), pending)
        .await
        .expect("answered once a slot was free")
        .unwrap()
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
}
