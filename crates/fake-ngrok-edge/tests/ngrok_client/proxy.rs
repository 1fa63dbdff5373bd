//! Edge → agent traffic: HTTP through proxy streams into a hyper service, the
//! edge's own 404 for offline URLs, StopTunnel and dashboard commands.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use fake_ngrok_edge::{AgentCommand, EdgeOptions, HttpRequest, codes};
use futures_util::StreamExt;
use ngrok::{prelude::*, tunnel::AcceptError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Seen, SeenRequest, TOKEN, builder, edge, serve, within};

#[tokio::test]
async fn request_reaches_hyper_service_through_tunnel() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let session = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect");
    let tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");
    let url = tunnel.url().to_string();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = serve(tunnel, seen.clone());

    let body = br#"{"type":"user.created","data":{"id":"user_1"}}"#;
    let resp = within(
        10,
        "send",
        edge.send_http(
            &url,
            "POST",
            "/webhooks/clerk",
            &[("content-type", "application/json"), ("svix-id", "msg_1")],
            body,
        ),
    )
    .await
    .expect("proxied response");
    assert_eq!(resp.status, 201);
    assert_eq!(resp.header("x-echo-path"), Some("/webhooks/clerk"));
    assert_eq!(resp.body, body);
    assert_eq!(resp.ngrok_error_code(), None);

    // A chosen visitor address is what the agent reports as remote_addr().
    let visitor: SocketAddr = "127.0.0.77:5555".parse().unwrap();
    let host = url.trim_start_matches("https://").to_string();
    let resp = within(
        10,
        "send",
        edge.send(&host, HttpRequest::new("GET", "/ping").client_addr(visitor)),
    )
    .await
    .expect("second request by host");
    assert_eq!(resp.status, 201);

    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.remote_addrs,
        vec![EdgeOptions::new("").default_client_addr, visitor]
    );
    let SeenRequest {
        method,
        path,
        headers,
        body: got,
    } = &seen.requests[0];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/webhooks/clerk")
    );
    assert_eq!(got.as_ref(), body);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("host"), Some(host.as_str()));
    assert_eq!(header("svix-id"), Some("msg_1"));
    assert_eq!(header("x-forwarded-proto"), Some("https"));
    assert_eq!(header("x-forwarded-for"), Some("127.0.0.9"));
    assert!(seen.accept_errors.is_empty());
    server.abort();
}

#[tokio::test]
async fn unknown_url_gets_the_edge_404() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let resp = within(
        10,
        "send",
        edge.send_http("https://nobody.ngrok-free.app", "GET", "/", &[], b""),
    )
    .await
    .expect("edge answers itself");
    assert_eq!(resp.status, 404);
    assert_eq!(resp.ngrok_error_code(), Some(codes::ENDPOINT_OFFLINE));
}

#[tokio::test]
async fn raw_proxy_stream_and_chunked_response() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let session = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect");
    let mut tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");
    let url = tunnel.url().to_string();
    let agent = tokio::spawn(async move {
        let mut conn = tunnel.next().await.expect("conn").expect("conn ok");
        let mut buf = vec![0u8; 4096];
        let mut got = Vec::new();
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut buf).await.expect("read");
            assert!(n > 0, "eof before request head");
            got.extend_from_slice(&buf[..n]);
        }
        conn.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            .await
            .expect("write");
        conn.shutdown().await.expect("shutdown");
        String::from_utf8(got).expect("utf8")
    });
    let resp = within(10, "send", edge.send_http(&url, "GET", "/c", &[], b""))
        .await
        .expect("resp");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "hello world");
    let request = within(10, "agent", agent).await.expect("agent task");
    assert!(request.starts_with("GET /c HTTP/1.1\r\n"), "{request}");
    assert!(request.contains("Connection: close\r\n"), "{request}");
}

#[tokio::test]
async fn stop_tunnel_closes_the_listener_with_code() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let session = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect");
    let mut tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");
    let url = tunnel.url().to_string();

    within(
        10,
        "stop",
        edge.stop_tunnel(&url, "stopped from dashboard", Some("ERR_NGROK_9999")),
    )
    .await
    .expect("stop_tunnel");
    let next = within(10, "next", tunnel.next()).await;
    match next {
        Some(Err(AcceptError::ListenerClosed {
            message,
            error_code,
        })) => {
            assert_eq!(message, "stopped from dashboard");
            assert_eq!(error_code.as_deref(), Some("ERR_NGROK_9999"));
        }
        other => panic!(
            "expected ListenerClosed, got {:?}",
            other.map(|r| r.map(|_| ()))
        ),
    }
    assert!(
        within(10, "next", tunnel.next()).await.is_none(),
        "stream ends after ListenerClosed"
    );
    assert!(edge.bound_urls().is_empty());
}

#[tokio::test]
async fn dashboard_commands_reach_handlers() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let stopped = Arc::new(Mutex::new(0));
    let mut b = builder(&edge, TOKEN);
    let counter = stopped.clone();
    b.handle_stop_command(move |_req| {
        let counter = counter.clone();
        async move {
            *counter.lock().unwrap() += 1;
            Ok(())
        }
    });
    let _session = within(10, "connect", b.connect()).await.expect("connect");

    let answer = within(10, "stop", edge.send_command(AgentCommand::Stop))
        .await
        .expect("stop");
    assert_eq!(answer, None);
    assert_eq!(*stopped.lock().unwrap(), 1);

    let answer = within(10, "restart", edge.send_command(AgentCommand::Restart))
        .await
        .expect("restart");
    assert_eq!(
        answer.as_deref(),
        Some("the agent has no defined callback for this operation")
    );
}
