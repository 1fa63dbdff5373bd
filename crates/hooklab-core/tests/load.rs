//! The load generator against apps that misbehave, over real loopback HTTP: one that never
//! answers is abandoned when the run is stopped; one that closes every connection after its
//! answer is reconnected to and every request counted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use hooklab_core::load::{Endpoint, Plan, Progress, drive};
use hooklab_core::secret::{Secret, SecretOrigin};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn plan(events: usize) -> Arc<Plan> {
    Arc::new(Plan::new(events, Secret::parse(SECRET, SecretOrigin::Flag).unwrap()).unwrap())
}

#[tokio::test]
async fn stop_abandons_requests_an_app_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = Endpoint::loopback(listener.local_addr().unwrap(), "/hook");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // read nothing, answer nothing
        }
    });
    let progress = Arc::new(Progress::default());
    let stopper = Arc::clone(&progress);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stopper.request_stop();
    });
    let samples = drive(&endpoint, &plan(100), 4, 0..100, &progress)
        .await
        .unwrap();
    assert!(samples.is_empty(), "nothing was answered: {samples:?}");
    assert!(progress.stopped());
}

#[tokio::test]
async fn an_app_that_closes_each_connection_gets_every_request() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = Endpoint::loopback(listener.local_addr().unwrap(), "/hook");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read the request head and its body (content-length), answer, close.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length: usize = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    let progress = Arc::new(Progress::default());
    let samples = drive(&endpoint, &plan(50), 4, 0..50, &progress)
        .await
        .unwrap();
    assert_eq!(samples.len(), 50);
    assert!(samples.iter().all(|s| s.status == 204), "{samples:?}");
    assert_eq!(progress.error(), None);
}
