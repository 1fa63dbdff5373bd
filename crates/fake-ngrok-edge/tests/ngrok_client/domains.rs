//! Bind with a requested domain: reserved domains bind, others fail with
//! ngrok's codes (319 not reserved, 320 another account's, 334 already online).

use fake_ngrok_edge::{EdgeEvent, EdgeOptions, codes};
use ngrok::{prelude::*, session::RpcError};

use crate::support::{TOKEN, builder, edge, within};

#[tokio::test]
async fn reserved_domain_binds_and_others_fail_with_codes() {
    let options = EdgeOptions::new(TOKEN)
        .allow_domain("hooks.example.com")
        .allow_domain("*.dev.example.com")
        .foreign_domain("taken.example.com");
    let edge = edge(options).await;
    let session = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect");

    let tunnel = within(
        10,
        "listen",
        session.http_endpoint().domain("hooks.example.com").listen(),
    )
    .await
    .expect("reserved domain");
    assert_eq!(tunnel.url(), "https://hooks.example.com");

    let wildcard = within(
        10,
        "listen",
        session.http_endpoint().domain("a.dev.example.com").listen(),
    )
    .await
    .expect("wildcard reservation");
    assert_eq!(wildcard.url(), "https://a.dev.example.com");

    let err = within(
        10,
        "listen",
        session.http_endpoint().domain("evil.example.org").listen(),
    )
    .await
    .err()
    .expect("not reserved");
    assert!(matches!(err, RpcError::Response(_)), "{err:?}");
    assert_eq!(err.error_code(), Some(codes::DOMAIN_NOT_RESERVED));
    assert!(err.msg().contains("evil.example.org"), "{}", err.msg());

    let err = within(
        10,
        "listen",
        session.http_endpoint().domain("taken.example.com").listen(),
    )
    .await
    .err()
    .expect("another account's");
    assert_eq!(err.error_code(), Some(codes::DOMAIN_RESERVED_ELSEWHERE));

    // The same domain from a second session while the first holds it.
    let other = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("second session");
    let err = within(
        10,
        "listen",
        other.http_endpoint().domain("hooks.example.com").listen(),
    )
    .await
    .err()
    .expect("already online");
    assert_eq!(err.error_code(), Some(codes::ENDPOINT_ALREADY_ONLINE));

    // A refused bind leaves the session usable.
    let fine = within(10, "listen", other.http_endpoint().listen())
        .await
        .expect("random url");
    assert!(fine.url().ends_with(".ngrok-free.app"));
    let rejected = edge
        .events()
        .iter()
        .filter(|e| matches!(e, EdgeEvent::BindRejected { .. }))
        .count();
    assert_eq!(rejected, 3);

    // Un-reserving affects later binds only.
    edge.disallow_domain("hooks.example.com");
    assert!(
        edge.bound_urls()
            .contains(&"https://hooks.example.com".to_string())
    );
}

#[tokio::test]
async fn dev_domain_is_the_default_url() {
    let edge = edge(EdgeOptions::new(TOKEN).dev_domain("quiet-otter-1234.ngrok-free.app")).await;
    let session = within(10, "connect", builder(&edge, TOKEN).connect())
        .await
        .expect("connect");
    let tunnel = within(10, "listen", session.http_endpoint().listen())
        .await
        .expect("listen");
    assert_eq!(tunnel.url(), "https://quiet-otter-1234.ngrok-free.app");
    // Only one endpoint may hold it.
    let err = within(10, "listen", session.http_endpoint().listen())
        .await
        .err()
        .expect("334");
    assert_eq!(err.error_code(), Some(codes::ENDPOINT_ALREADY_ONLINE));
}
