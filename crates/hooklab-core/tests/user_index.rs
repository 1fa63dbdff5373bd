//! The deferred per-user event index: complete after a close and reopen, complete for events a
//! second writer (another process on the same database) committed, and the event lookups and
//! filters built on it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, SECRET, fixture, now_ms, redelivery, signed, signed_with, user_of};
use hooklab_core::send::SignOptions;
use hooklab_core::store::EventFilter;

/// (indexed rows for `user`, `upto`, highest event id), read straight from the file.
fn index_state(h: &Harness, user: &str) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(h.db_path()).unwrap();
    let rows = conn
        .query_row(
            "SELECT count(*) FROM user_events WHERE user_id = ?1",
            [user],
            |r| r.get(0),
        )
        .unwrap();
    let upto = conn
        .query_row(
            "SELECT upto FROM index_state WHERE name = 'user_events'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let max = conn
        .query_row("SELECT max(id) FROM events", [], |r| r.get(0))
        .unwrap();
    (rows, upto, max)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_is_complete_before_and_after_the_index_catches_up() {
    let a = Harness::start().await;
    let created = fixture("user.created", None, now_ms() - 5_000);
    let user = user_of(&created);
    a.deliver(&signed(created.body.clone())).await;
    for name in ["session.created", "user.updated"] {
        let reply = a
            .deliver(&signed(fixture(name, Some(&user), now_ms()).body))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    // Not indexed yet (passes run about once a second): the tail covers it.
    assert_eq!(a.existing_user(&user).await.timeline.len(), 3);

    a.engine.close().await;
    let (rows, upto, max) = index_state(&a, &user);
    assert_eq!((rows, upto), (3, max), "closing indexes everything");

    let reopened = Harness::start_with(|c| c.db_path = a.db_path()).await;
    reopened
        .deliver(&signed(
            fixture("session.created", Some(&user), now_ms()).body,
        ))
        .await;
    let timeline = reopened.existing_user(&user).await.timeline;
    assert_eq!(timeline.len(), 4, "indexed rows and the new tail together");
    let by_user = reopened
        .events(EventFilter {
            user_id: Some(user.clone()),
            ..EventFilter::default()
        })
        .await;
    assert_eq!(by_user.items.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_another_writer_committed_are_indexed_too() {
    let a = Harness::start().await;
    let b = Harness::start_with(|c| c.db_path = a.db_path()).await;
    let created = fixture("user.created", None, now_ms() - 5_000);
    let user = user_of(&created);
    a.deliver(&signed(created.body.clone())).await;
    a.deliver(&signed(
        fixture("session.created", Some(&user), now_ms()).body,
    ))
    .await;
    b.deliver(&signed(fixture("user.updated", Some(&user), now_ms()).body))
        .await;

    // B's closing pass covers every committed event, A's included.
    b.engine.close().await;
    let (rows, upto, max) = index_state(&a, &user);
    assert_eq!((rows, upto), (3, max));
    assert_eq!(a.existing_user(&user).await.timeline.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_filter_and_lookup_of_a_message_that_never_verified() {
    let h = Harness::start().await;
    let first = signed(fixture("user.created", None, now_ms()).body);
    h.deliver(&first).await;
    h.deliver(&redelivery(&first, SECRET)).await;
    h.deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    let duplicates = h
        .events(EventFilter {
            outcome: Some("duplicate".into()),
            ..EventFilter::default()
        })
        .await;
    assert_eq!(duplicates.items.len(), 1);
    assert_eq!(
        duplicates.items[0].svix_id.as_deref(),
        Some(first.svix_id.as_str())
    );
    assert_eq!(duplicates.items[0].delivery_count, 2);

    let forged = signed_with(
        fixture("user.created", None, now_ms()).body,
        SECRET,
        SignOptions {
            bad_signature: true,
            ..SignOptions::default()
        },
    );
    h.deliver(&forged).await;
    let found = h
        .event_by(forged.svix_id.clone())
        .await
        .expect("found by svix-id");
    assert_eq!(found.summary.verification, "signature_mismatch");
    let delivered = h
        .event_by(first.svix_id.clone())
        .await
        .expect("found by svix-id");
    assert_eq!(delivered.summary.delivery_count, 2);
}
