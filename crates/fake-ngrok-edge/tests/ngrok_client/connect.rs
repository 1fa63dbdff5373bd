//! Auth: a valid token connects and binds; bad tokens and session limits fail
//! with the ngrok error code the edge sent.

use std::time::Duration;

use fake_ngrok_edge::{EdgeEvent, EdgeOptions, codes};
use ngrok::{
    prelude::*,
    session::{ConnectError, RpcError},
};

use crate::support::{TOKEN, builder, edge, within};

#[tokio::test]
async fn valid_token_connects_and_binds_assigned_url() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let session = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect");
    let tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");

    let url = tunnel.url().to_string();
    assert!(
        url.starts_with("https://") && url.ends_with(".ngrok-free.app"),
        "{url}"
    );
    assert_eq!(tunnel.proto(), "https");
    assert_eq!(edge.bound_urls(), vec![url.clone()]);
    let bound = &edge.tunnels()[0];
    assert_eq!(bound.id, tunnel.id());
    assert_eq!(bound.session_id, session.id());
    assert_eq!(edge.live_sessions(), 1);
    assert_eq!(edge.auth_attempts(), 1);

    let auth = &edge.auth_requests()[0];
    assert_eq!(auth.authtoken, TOKEN);
    assert_eq!(auth.client_id, "", "a new session presents no ClientId");
    assert_eq!(auth.versions, vec!["3".to_string(), "2".to_string()]);
    assert_eq!(auth.client_type, "ngrok-rust");
    assert_eq!(auth.heartbeat_interval, Duration::from_secs(10));
    assert_eq!(auth.heartbeat_tolerance, Duration::from_secs(15));

    // The heartbeat stream is answered, so the session stays up.
    assert!(
        edge.wait_until(Duration::from_secs(5), |e| e.heartbeats() >= 1)
            .await
    );

    // Dropping the tunnel unbinds it (ngrok-rs spawns an Unbind RPC).
    drop(tunnel);
    assert!(
        edge.wait_until(Duration::from_secs(5), |e| e.bound_urls().is_empty())
            .await
    );
    assert!(
        edge.events()
            .iter()
            .any(|e| matches!(e, EdgeEvent::Unbound { .. }))
    );
}

#[tokio::test]
async fn bad_tokens_fail_with_the_code_the_edge_sent() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    let cases = [
        (Some("not-a-token"), codes::AUTHTOKEN_MALFORMED),
        (Some("2wrong_token"), codes::AUTHTOKEN_INVALID),
        (None, codes::AUTHTOKEN_REQUIRED),
    ];
    for (token, code) in cases {
        let builder = crate::support::builder_with(&edge, token, Default::default(), false);
        let err = within(10, "connect", builder.connect())
            .await
            .err()
            .expect("auth must fail");
        assert!(
            matches!(&err, ConnectError::Auth(RpcError::Response(_))),
            "{err:?}"
        );
        assert_eq!(err.error_code(), Some(code), "{token:?}");
        assert!(
            !err.msg().contains("ERR_NGROK_"),
            "msg() excludes the code: {}",
            err.msg()
        );
        // RpcError's Display appends https://ngrok.com/docs/errors/<code>.
        if let ConnectError::Auth(rpc) = &err {
            assert!(
                rpc.to_string()
                    .contains(&format!("/docs/errors/{}", code.to_lowercase())),
                "{rpc}"
            );
        }
    }
    assert_eq!(
        edge.auth_attempts(),
        3,
        "the initial connect() is not retried"
    );
    assert_eq!(edge.live_sessions(), 0);

    edge.reject_all_auth(true);
    let err = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .err()
        .expect("revoked");
    assert_eq!(err.error_code(), Some(codes::AUTHTOKEN_INVALID));
}

#[tokio::test]
async fn another_agent_online_fails_with_108() {
    let edge = edge(EdgeOptions::new(TOKEN)).await;
    edge.set_other_agent_online(true);
    let err = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .err()
        .expect("108");
    assert_eq!(err.error_code(), Some(codes::SESSION_LIMIT));
    assert!(
        err.msg().contains("simultaneous ngrok agent sessions"),
        "{}",
        err.msg()
    );

    edge.set_other_agent_online(false);
    within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect once free");
}

#[tokio::test]
async fn session_limit_counts_live_sessions() {
    let edge = edge(EdgeOptions::new(TOKEN).max_sessions(1)).await;
    let mut first = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("first");
    let err = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .err()
        .expect("second");
    assert_eq!(err.error_code(), Some(codes::SESSION_LIMIT));

    // Session::close() puts nothing on the wire in ngrok 0.19 / muxado 0.5.4
    // (see shutdown.rs): the edge still counts the session.
    within(10, "close", first.close()).await.expect("close");
    let closed = edge
        .wait_until(Duration::from_millis(500), |e| e.live_sessions() == 0)
        .await;
    assert!(!closed, "close() alone did not end the session at the edge");
    // Once the connection is gone, a closed session does not reconnect.
    edge.drop_sessions();
    let closed = edge
        .wait_until(Duration::from_secs(5), |e| e.live_sessions() == 0)
        .await;
    assert!(closed, "events: {:#?}", edge.events());
    within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("third");
}
