//! Junk cannot crowd out Clerk: a body no configured secret signed keeps only its first
//! 64 KiB, and a public client flooding unsigned requests is answered 429 with its body dropped,
//! while every request is still recorded and signed deliveries keep succeeding.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::body::Body;
use bytes::Bytes;
use common::{Harness, WEBHOOK_PATH, fixture, now_ms, signed, user_of};
use hooklab_core::capture::{Origin, Source};
use hooklab_core::junk::{KEEP_UNSIGNED_BODY, UNSIGNED_BURST};
use hooklab_core::receiver::router;
use hooklab_core::replay::{ReplayRequest, Signing, Target, replay};
use hooklab_core::send::Delivery;
use http::HeaderMap;
use tower::ServiceExt;

/// Posts through the router as if from `client` through the tunnel; the status and the
/// Retry-After header.
async fn through_tunnel(
    h: &Harness,
    client: &str,
    headers: HeaderMap,
    body: Bytes,
) -> (u16, Option<String>) {
    let mut request = http::Request::post(WEBHOOK_PATH)
        .body(Body::from(body))
        .unwrap();
    *request.headers_mut() = headers;
    request.extensions_mut().insert(Origin {
        source: Source::Tunnel,
        remote: Some(client.parse().unwrap()),
    });
    let response = router(h.engine.clone()).oneshot(request).await.unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), retry)
}

/// A signed user.created and the user it creates.
fn signed_delivery() -> (Delivery, String) {
    let created = fixture("user.created", None, now_ms());
    let user = user_of(&created);
    (signed(created.body), user)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_flood_of_unsigned_requests_is_limited_and_clerk_still_gets_in() {
    let h = Harness::start().await;
    let junk = Bytes::from(vec![b'j'; 1024]);
    let mut statuses = Vec::new();
    for _ in 0..(UNSIGNED_BURST as usize) * 4 {
        let (status, retry) =
            through_tunnel(&h, "203.0.113.9:41000", HeaderMap::new(), junk.clone()).await;
        if status == 429 {
            assert_eq!(retry.as_deref(), Some("1"), "a 429 says when to come back");
        }
        statuses.push(status);
    }
    assert!(
        statuses[..UNSIGNED_BURST as usize]
            .iter()
            .all(|s| *s == 400),
        "a burst within the limit is judged as usual: {statuses:?}"
    );
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited > 0, "a flood is never limited: {statuses:?}");

    // Every request is recorded, the limited ones without their body.
    let events = h.all_events().await;
    assert_eq!(events.len(), statuses.len());
    let newest = h.event(events[0].id).await;
    assert_eq!(newest.summary.status, 429);
    assert!(newest.body.is_empty());
    assert_eq!(newest.summary.body_size, 1024);
    assert!(
        newest
            .summary
            .hint
            .unwrap_or_default()
            .contains("unsigned requests a second")
    );

    // The same address, signing with the secret, is not limited: Clerk still gets in.
    let (delivery, user) = signed_delivery();
    let (status, _) = through_tunnel(
        &h,
        "203.0.113.9:41000",
        delivery.headers(),
        delivery.body.clone(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(h.user(&user).await.is_some(), "the user was synced");

    // Other clients, and this machine, are judged as usual.
    let (status, _) = through_tunnel(&h, "198.51.100.7:5000", HeaderMap::new(), junk.clone()).await;
    assert_eq!(status, 400);
    let reply = h.post(WEBHOOK_PATH, &HeaderMap::new(), junk).await;
    assert_eq!(reply.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_body_keeps_only_its_first_64_kib() {
    let h = Harness::start().await;
    let body = Bytes::from(vec![b'x'; 300 * 1024]);
    let reply = h.post(WEBHOOK_PATH, &HeaderMap::new(), body.clone()).await;
    assert_eq!(reply.status, 400, "{}", reply.body);

    let stored = h.event(reply.id()).await;
    assert_eq!(stored.body.len(), KEEP_UNSIGNED_BODY);
    assert_eq!(stored.body[..], body[..KEEP_UNSIGNED_BODY]);
    assert_eq!(stored.summary.body_size, body.len() as i64);
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(
        hint.contains("Only the first 64 KiB of the body were kept"),
        "{hint}"
    );

    // A capped body cannot stand for the request: resending it is refused, saying why.
    let request = ReplayRequest {
        key: reply.id().to_string(),
        signing: Signing::AsCaptured,
        target: Target::Rerun,
        body: None,
    };
    let err = replay(&h.engine, &h.client, &request).await.unwrap_err();
    assert!(err.to_string().contains("first 64 KiB"), "{err}");

    // A signed delivery keeps its whole body (a large Clerk user is still Clerk).
    let (delivery, _) = signed_delivery();
    let reply = h.deliver(&delivery).await;
    assert_eq!(h.event(reply.id()).await.body, delivery.body.to_vec());
}
