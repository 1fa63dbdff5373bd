//! Clients that never finish cannot lock Clerk out: a client stalled mid-headers is cut off
//! after the header-read timeout; at the connection cap the oldest idle connection makes room
//! for a real delivery; and stopping the receiver does not wait on stalled clients forever.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Harness, fixture, now_ms, signed};
use hooklab_core::receiver::ConnLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous bound for "the server closed it"; the assertions are about order, not speed.
const CLOSED_WITHIN: Duration = Duration::from_secs(10);

const PARTIAL_HEADERS: &[u8] = b"POST /api/webhooks/clerk HTTP/1.1\r\nHost: x\r\nX-Slow: ";
const PARTIAL_BODY: &[u8] =
    b"POST /api/webhooks/clerk HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";

fn limits(header_read_timeout: Duration, max_connections: usize) -> ConnLimits {
    ConnLimits {
        header_read_timeout,
        max_connections,
        drain_grace: Duration::from_millis(200),
        ..ConnLimits::default()
    }
}

async fn stalled(h: &Harness, sent: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream.write_all(sent).await.unwrap();
    stream
}

/// Whether the server closed `stream` (EOF or reset) before `CLOSED_WITHIN`.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(CLOSED_WITHIN, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {} // an error answer before the close (408)
        }
    }
}

async fn deliver(h: &Harness) -> u16 {
    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let url = h.url("/api/webhooks/clerk");
    match tokio::time::timeout(CLOSED_WITHIN, delivery.post(&h.client, &url)).await {
        Ok(Ok(reply)) => reply.status,
        _ => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_stalled_mid_headers_is_cut_off() {
    let h = Harness::start_limited(limits(Duration::from_millis(300), 64)).await;
    let mut slow = stalled(&h, PARTIAL_HEADERS).await;
    assert!(
        closed_by_server(&mut slow).await,
        "a client that never finished its headers kept its connection"
    );
    assert_eq!(deliver(&h).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_the_oldest_idle_connection_makes_room_for_a_delivery() {
    let h = Harness::start_limited(limits(Duration::from_secs(60), 4)).await;
    let mut first = stalled(&h, PARTIAL_HEADERS).await;
    let mut rest = Vec::new();
    for _ in 0..3 {
        rest.push(stalled(&h, PARTIAL_HEADERS).await);
    }
    // Accept runs on the server's own task: let it take all four before the fifth arrives
    // (a settling pause; the assertions are about which connection was closed).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(deliver(&h).await, 200, "the delivery got no connection");
    assert!(
        closed_by_server(&mut first).await,
        "the oldest stalled connection should have made room"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_does_not_wait_for_stalled_clients() {
    let mut h = Harness::start_limited(limits(Duration::from_secs(60), 64)).await;
    let _headers = stalled(&h, PARTIAL_HEADERS).await;
    let _body = stalled(&h, PARTIAL_BODY).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        h.stop_serving(CLOSED_WITHIN).await,
        "the receiver kept waiting on stalled clients after it was told to stop"
    );
}
