//! The engine's bus as a listener sees it while deliveries arrive over HTTP: `Captured` for a
//! new event, `OutcomeUpdated` for a redelivery, `UserChanged` after a user write.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{Harness, SECRET, fixture, now_ms, redelivery, signed, user_of, within};
use hooklab_core::bus::BusEvent;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::TryRecvError;

async fn next(bus: &mut Receiver<BusEvent>) -> BusEvent {
    within("a bus announcement", bus.recv())
        .await
        .expect("the bus is open and not lagging")
}

/// Everything is announced before the HTTP answer goes out, so after an answer the bus must
/// hold nothing more about that request.
fn assert_quiet(bus: &mut Receiver<BusEvent>) {
    match bus.try_recv() {
        Err(TryRecvError::Empty) => {}
        other => panic!("unexpected announcement: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_user_event_is_announced_as_captured_then_user_changed() {
    let h = Harness::start().await;
    let mut bus = h.engine.subscribe();
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);

    let reply = h.deliver(&signed(event.body.clone())).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let BusEvent::Captured(summary) = next(&mut bus).await else {
        panic!("expected Captured first")
    };
    assert_eq!(summary.id, reply.id());
    assert_eq!(summary.status, 200);
    assert_eq!(summary.event_type.as_deref(), Some("user.created"));
    assert_eq!(summary.sync.code(), "applied");
    assert_eq!(
        summary,
        h.event(reply.id()).await.summary,
        "announced as stored"
    );
    let BusEvent::UserChanged { user_id: changed } = next(&mut bus).await else {
        panic!("expected UserChanged")
    };
    assert_eq!(changed, user_id);
    assert_quiet(&mut bus);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_is_announced_as_outcome_updated_without_a_user_change() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let delivery = signed(event.body.clone());
    let first = h.deliver(&delivery).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let mut bus = h.engine.subscribe();

    let again = h.deliver(&redelivery(&delivery, SECRET)).await;
    assert_eq!(again.status, 200, "{}", again.body);

    let BusEvent::OutcomeUpdated(summary) = next(&mut bus).await else {
        panic!("expected OutcomeUpdated")
    };
    assert_eq!(summary.id, first.id());
    assert_eq!(summary.delivery_count, 2);
    assert_quiet(&mut bus);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_request_is_announced_as_captured_only() {
    let h = Harness::start().await;
    let mut bus = h.engine.subscribe();
    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let mut headers = delivery.headers();
    headers.remove("svix-signature");

    let reply = h
        .post(common::WEBHOOK_PATH, &headers, delivery.body.clone())
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);

    let BusEvent::Captured(summary) = next(&mut bus).await else {
        panic!("expected Captured")
    };
    assert_eq!(summary.id, reply.id());
    assert_eq!(summary.status, 400);
    assert_eq!(summary.verification, "missing_header");
    assert_quiet(&mut bus);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_of_a_known_user_is_announced_as_a_user_change() {
    let h = Harness::start().await;
    let start = now_ms() - 60_000;
    let created = fixture("user.created", None, start);
    let user_id = user_of(&created);
    assert_eq!(h.deliver(&signed(created.body)).await.status, 200);
    let mut bus = h.engine.subscribe();

    let session = fixture("session.created", Some(&user_id), start + 30_000);
    let reply = h.deliver(&signed(session.body)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    assert!(matches!(next(&mut bus).await, BusEvent::Captured(s) if s.id == reply.id()));
    let BusEvent::UserChanged { user_id: changed } = next(&mut bus).await else {
        panic!("expected UserChanged")
    };
    assert_eq!(changed, user_id);
    assert_quiet(&mut bus);
}
