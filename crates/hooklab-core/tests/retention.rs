//! The retention policy over a real database: the oldest events past a limit are pruned while
//! pinned events and the events users' rows point at stay, a pruned message cannot roll a user
//! back when Svix redelivers it, and deliveries keep succeeding while a backlog is pruned.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{
    Harness, SECRET, WAIT, WEBHOOK_PATH, capture_at, fixture, now_ms, redelivery, signed, user_of,
};
use hooklab_core::store::Retention;
use http::HeaderMap;

const NONE: Retention = Retention {
    max_age_days: None,
    max_events: None,
    max_size_mb: None,
};

/// An unsigned request; returns its event id.
async fn junk(h: &Harness) -> i64 {
    let reply = h
        .post(WEBHOOK_PATH, &HeaderMap::new(), Bytes::from_static(b"{}"))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    reply.id()
}

/// Waits until the stored event ids are `want` (newest first): pruning runs on the writer.
async fn wait_for_ids(h: &Harness, want: &[i64]) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let ids: Vec<i64> = h.all_events().await.iter().map(|e| e.id).collect();
        if ids == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stored ids {ids:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_limit_prunes_the_oldest_but_keeps_pins_and_what_users_point_at() {
    let h = Harness::start().await;
    let (j1, pinned, j3) = (junk(&h).await, junk(&h).await, junk(&h).await);
    let created = fixture("user.created", None, now_ms() - 60_000);
    let user = user_of(&created);
    let created_delivery = signed(created.body);
    let first = h.deliver(&created_delivery).await.id();
    let updated = h
        .deliver(&signed(fixture("user.updated", Some(&user), now_ms()).body))
        .await
        .id();
    let mut later = Vec::new();
    for _ in 0..10 {
        later.push(junk(&h).await);
    }
    h.engine.store().set_pins(vec![pinned]).await.unwrap();

    h.engine.store().set_retention(Retention {
        max_events: Some(3),
        ..NONE
    });

    // The three newest, the pin, and the event the user's row holds its object from.
    let newest: Vec<i64> = later.iter().rev().take(3).copied().collect();
    let want = [newest.as_slice(), &[updated, pinned]].concat();
    wait_for_ids(&h, &want).await;
    let _ = (j1, j3, first);

    let detail = h.existing_user(&user).await;
    assert_eq!(detail.user.last_event_id, updated);
    assert!(detail.raw.is_some(), "the raw object is still there");
    let timeline: Vec<i64> = detail.timeline.iter().map(|e| e.id).collect();
    assert_eq!(timeline, [updated], "the timeline lists what is left");

    // Unpinned, the old event is no longer kept.
    h.engine.store().set_pins(Vec::new()).await.unwrap();
    let want = [newest.as_slice(), &[updated]].concat();
    wait_for_ids(&h, &want).await;

    // Svix redelivers the pruned user.created: it is older than the row, so it changes nothing.
    let again = h.deliver(&redelivery(&created_delivery, SECRET)).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.field("sync"), Some("stale"), "{}", again.body);
    assert_eq!(h.existing_user(&user).await.user.last_event_id, updated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_goes_with_the_event_its_row_was_written_from() {
    let h = Harness::start().await;
    let created = fixture("user.created", None, now_ms() - 60_000);
    let user = user_of(&created);
    let created_id = h.deliver(&signed(created.body)).await.id();
    let sign_in = fixture("session.created", Some(&user), now_ms());
    let session = h.deliver(&signed(sign_in.body)).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(h.existing_user(&user).await.sessions.len(), 1);
    let mut later = Vec::new();
    for _ in 0..4 {
        later.push(junk(&h).await);
    }

    h.engine.store().set_retention(Retention {
        max_events: Some(2),
        ..NONE
    });

    // The two newest and the user's event stay; the session's event goes, and its row with it.
    wait_for_ids(&h, &[later[3], later[2], created_id]).await;
    let detail = h.existing_user(&user).await;
    assert!(detail.sessions.is_empty(), "{:?}", detail.sessions);
    assert!(detail.raw.is_some(), "the user's raw object is still there");
    assert!(
        detail.user.last_sign_in_at.is_some(),
        "the sign-in time stays on the user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_age_limit_prunes_events_older_than_it() {
    let h = Harness::start().await;
    let three_days_ago = now_ms() - 3 * 86_400_000;
    for _ in 0..2 {
        let old = signed(Bytes::from_static(b"not json"));
        h.engine
            .ingest(capture_at(&old, three_days_ago))
            .await
            .unwrap();
    }
    let recent = junk(&h).await;
    let newest = junk(&h).await;

    h.engine.store().set_retention(Retention {
        max_age_days: Some(1),
        ..NONE
    });

    wait_for_ids(&h, &[newest, recent]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_limit_prunes_until_the_data_fits() {
    let h = Harness::start().await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(junk(&h).await);
    }
    // No database fits in 0 MB: everything that may go, goes; the newest event always stays.
    h.engine.store().set_retention(Retention {
        max_size_mb: Some(0),
        ..NONE
    });
    wait_for_ids(&h, &[*ids.last().unwrap()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_keep_succeeding_while_a_backlog_is_pruned() {
    let h = Harness::start().await;
    for _ in 0..1500 {
        junk(&h).await;
    }
    h.engine.store().set_retention(Retention {
        max_events: Some(20),
        ..NONE
    });
    let mut users = Vec::new();
    for _ in 0..20 {
        let created = fixture("user.created", None, now_ms());
        users.push(user_of(&created));
        let reply = h.deliver(&signed(created.body)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    for user in &users {
        assert!(h.user(user).await.is_some(), "{user} was not synced");
    }
    // What is left once the writer's next pass runs (passes run every few seconds while events
    // arrive, and whenever the limits are set): the 20 newest, which the users point at.
    h.engine.store().set_retention(Retention {
        max_events: Some(20),
        ..NONE
    });
    let deadline = tokio::time::Instant::now() + WAIT;
    while h.all_events().await.len() > 20 {
        let left: Vec<(i64, u16)> = h
            .all_events()
            .await
            .iter()
            .map(|e| (e.id, e.status))
            .collect();
        assert!(
            tokio::time::Instant::now() < deadline,
            "the backlog was never pruned: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
