//! A delivery the store cannot commit is never answered 2xx: with the database write-locked by
//! another connection the receiver answers 503 with Retry-After (counted, logged and raised as
//! an alarm), and Svix's retry succeeds once the lock is gone.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use std::time::Duration;

use common::{Harness, SECRET, fixture, now_ms, redelivery, signed, user_of, within};
use hooklab_core::bus::BusEvent;
use hooklab_core::store::StoreOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_database_answers_503_then_the_retry_answers_200() {
    let h = Harness::start_with(|config| {
        config.store = StoreOptions {
            busy_timeout: Duration::from_millis(200),
            ..StoreOptions::default()
        };
    })
    .await;
    // Another process takes the write lock after the engine has opened and migrated the file.
    let other = rusqlite::Connection::open(h.db_path()).expect("second connection");
    other.execute_batch("BEGIN EXCLUSIVE").expect("write lock");
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed(event.body.clone());
    let mut bus = h.engine.subscribe();

    let refused = h.deliver(&delivery).await;

    assert_eq!(refused.status, 503, "{}", refused.body);
    // It leaves a trace: counted, and raised for the app's banner and `serve`.
    assert_eq!(h.engine.not_stored_count(), 1);
    let alarm = within("the not-stored alarm", async {
        loop {
            if let Ok(BusEvent::Alarm(alarm)) = bus.recv().await {
                break alarm;
            }
        }
    })
    .await;
    assert_eq!(alarm.code, "not_stored");
    assert!(
        alarm.message.contains("503 to POST /api/webhooks/clerk"),
        "{}",
        alarm.message
    );
    assert_eq!(refused.header("retry-after"), Some("5"));
    assert!(refused.json["error"].is_string(), "{}", refused.body);
    assert!(
        !refused.body.contains("locked"),
        "no internals leak: {}",
        refused.body
    );
    // Reads still work while the writer is locked out: nothing was committed.
    assert!(h.all_events().await.is_empty());
    assert!(h.user(&user_id).await.is_none());

    other.execute_batch("ROLLBACK").expect("release the lock");
    let retry = h.deliver(&redelivery(&delivery, SECRET)).await;

    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(
        retry.field("sync"),
        Some("applied"),
        "the failed attempt is no duplicate"
    );
    h.assert_captured(&retry, event.body.as_bytes()).await;
    assert_eq!(h.all_events().await.len(), 1);
    assert!(h.user(&user_id).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_for_other_reasons_also_get_503_while_locked() {
    let h = Harness::start_with(|config| {
        config.store.busy_timeout = Duration::from_millis(200);
    })
    .await;
    let other = rusqlite::Connection::open(h.db_path()).expect("second connection");
    other.execute_batch("BEGIN EXCLUSIVE").expect("write lock");
    let delivery = signed(fixture("user.created", None, now_ms()).body);

    // A 404 must be recorded too; when it cannot be, the answer is no 4xx verdict but 503.
    let reply = h
        .post("/elsewhere", &delivery.headers(), delivery.body.clone())
        .await;

    assert_eq!(reply.status, 503, "{}", reply.body);
    other.execute_batch("ROLLBACK").expect("release the lock");
    let after = h
        .post("/elsewhere", &delivery.headers(), delivery.body.clone())
        .await;
    assert_eq!(after.status, 404, "{}", after.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_store_answers_503() {
    let h = Harness::start().await;
    common::within("closing the engine", h.engine.close()).await;
    let delivery = signed(fixture("user.created", None, now_ms()).body);

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("retry-after"), Some("5"));
}
