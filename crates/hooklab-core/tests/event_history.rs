//! What an event's detail tells about its history: every delivery of a redelivered message,
//! every failed attempt of it and when Svix will try again, and the user (and session) rows
//! before and after the event, as the writer left them.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{Harness, OTHER_SECRET, SECRET, fixture, now_ms, redelivery, signed, user_of};
use hooklab_core::capture::Source;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_message_lists_every_delivery_oldest_first() {
    let h = Harness::start().await;
    let created = fixture("user.created", None, now_ms());
    let first = signed(created.body.clone());
    let id = h.deliver(&first).await.id();
    let once = h.event(id).await;
    assert_eq!(once.deliveries.len(), 1);
    assert_eq!(once.deliveries[0].at, once.summary.received_at);

    for _ in 0..2 {
        let again = h.deliver(&redelivery(&first, SECRET)).await;
        assert_eq!(again.id(), id, "a redelivery is counted on the delivery");
    }
    let detail = h.event(id).await;
    assert_eq!(detail.summary.delivery_count, 3);
    assert_eq!(detail.deliveries.len(), 3, "{:?}", detail.deliveries);
    assert!(
        detail.deliveries.windows(2).all(|w| w[0].at <= w[1].at),
        "oldest first: {:?}",
        detail.deliveries
    );
    assert!(detail.deliveries.iter().all(|d| {
        d.source == Source::Local
            && d.remote_addr
                .as_deref()
                .is_some_and(|a| a.starts_with("127.0.0.1:"))
            && d.svix_timestamp.is_some()
    }));
    let json = serde_json::to_value(&detail).unwrap();
    assert_eq!(json["deliveries"].as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_shows_the_user_row_before_and_after_it() {
    let h = Harness::start().await;
    let start = now_ms() - 60_000;
    let created = fixture("user.created", None, start);
    let user = user_of(&created);
    let created_id = h.deliver(&signed(created.body)).await.id();
    let mut updated: serde_json::Value =
        serde_json::from_str(&fixture("user.updated", Some(&user), start + 10_000).body).unwrap();
    updated["data"]["username"] = "renamed_in_test".into();
    let updated_id = h.deliver(&signed(updated.to_string())).await.id();

    let first = h
        .event(created_id)
        .await
        .changed
        .expect("the create changed a row");
    assert_eq!(first.user_before, None, "no row before user.created");
    assert_eq!(
        first.user_after.as_ref().map(|u| u.id.as_str()),
        Some(user.as_str())
    );

    let change = h
        .event(updated_id)
        .await
        .changed
        .expect("the update changed a row");
    let before = change.user_before.expect("a row before the update");
    let after = change.user_after.expect("a row after the update");
    assert_eq!(before.last_event_id, created_id);
    assert_eq!(after.last_event_id, updated_id);
    assert_ne!(before.username.as_deref(), Some("renamed_in_test"));
    assert_eq!(after.username.as_deref(), Some("renamed_in_test"));
    let stored = h.existing_user(&user).await.user;
    assert_eq!(
        (after.username, after.updated_at, after.emails),
        (stored.username, stored.updated_at, stored.emails),
        "the rebuilt row is the stored one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_moves_last_sign_in_and_a_stale_event_changed_nothing() {
    let h = Harness::start().await;
    let start = now_ms() - 120_000;
    let created = fixture("user.created", None, start);
    let user = user_of(&created);
    let stale_later = fixture("user.created", Some(&user), start - 30_000);
    h.deliver(&signed(created.body)).await;
    let session = fixture("session.created", Some(&user), start + 60_000);
    let session_id = h.deliver(&signed(session.body)).await.id();
    let stale_id = h.deliver(&signed(stale_later.body)).await.id();

    let change = h
        .event(session_id)
        .await
        .changed
        .expect("the sign-in changed rows");
    assert_eq!(change.session_before, None);
    let after = change.session_after.expect("the session row");
    assert_eq!(after.user_id, user);
    let moved = change.user_after.and_then(|u| u.last_sign_in_at);
    assert!(
        moved > change.user_before.and_then(|u| u.last_sign_in_at),
        "last sign-in moved forward"
    );
    assert_eq!(moved, h.existing_user(&user).await.user.last_sign_in_at);

    let stale = h.event(stale_id).await;
    assert_eq!(stale.summary.sync.code(), "stale");
    assert!(stale.changed.is_none(), "a stale event changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_too_deep_to_show_says_so_instead_of_null() {
    let h = Harness::start().await;
    let created = fixture("user.created", None, now_ms());
    let user = user_of(&created);
    let mut body: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    body["data"]["public_metadata"] = serde_json::json!({ "placeholder": true });
    let body = body
        .to_string()
        .replace(r#"{"placeholder":true}"#, &format!(r#"{{"deep":{deep}}}"#));
    let reply = h.deliver(&signed(body)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let shown = h.existing_user(&user).await.user.public_metadata;
    let text = shown.as_str().unwrap_or_default();
    assert!(text.contains("nested deeper than 128 levels"), "{shown}");
}

/// `first`'s svix-id validly signed again over `body` with another username: a conflicting
/// re-use of a delivered id. Also returns the new body.
fn reused_with_username(
    first: &hooklab_core::send::Delivery,
    body: &str,
    username: &str,
) -> (hooklab_core::send::Delivery, serde_json::Value) {
    let mut other: serde_json::Value = serde_json::from_str(body).unwrap();
    other["data"]["username"] = username.into();
    let reused = hooklab_core::send::sign_as(
        first.svix_id.clone(),
        other.to_string().into(),
        &common::secret(SECRET),
        common::now_secs(),
        hooklab_core::send::SignOptions::default(),
    );
    (reused, other)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_svix_id_with_other_content_is_kept_and_flagged_never_applied() {
    let h = Harness::start().await;
    let created = fixture("user.created", None, now_ms() - 60_000);
    let user = user_of(&created);
    let first = signed(created.body.clone());
    let first_id = h.deliver(&first).await.id();
    let (reused, other) = reused_with_username(&first, &created.body, "hijacked");

    let reply = h.deliver(&reused).await;
    assert_ne!(
        reply.id(),
        first_id,
        "the new content was dropped into a redelivery count"
    );
    let flagged = h.event(reply.id()).await;
    assert!(
        flagged.summary.sync_detail.starts_with("CONFLICT"),
        "{:?}",
        flagged.summary
    );
    assert!(
        flagged
            .summary
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("signing secret")
    );
    assert_eq!(
        flagged.body,
        other.to_string().into_bytes(),
        "kept exactly as received"
    );
    let original = h.event(first_id).await;
    assert_eq!(original.summary.delivery_count, 1);
    let attempts: Vec<i64> = original.attempts.iter().map(|a| a.id).collect();
    assert_eq!(
        attempts,
        [first_id, reply.id()],
        "the conflicting request is listed with the message's attempts"
    );
    assert_ne!(
        h.existing_user(&user).await.user.username.as_deref(),
        Some("hijacked"),
        "never applied"
    );
}

/// `delivery`'s headers with the user agent Svix's sender uses.
fn from_svix(delivery: &hooklab_core::send::Delivery) -> http::HeaderMap {
    let mut headers = delivery.headers();
    headers.insert(
        "user-agent",
        http::HeaderValue::from_static(
            "Svix-Webhooks/1.73.0 (sender-E6SeC; +https://www.svix.com/http-sender/)",
        ),
    );
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_of_a_message_are_listed_with_when_svix_retries_until_one_is_accepted() {
    let h = Harness::start().await;
    let created = fixture("user.created", None, now_ms());
    // Clerk signs with a secret Hooklab does not have: two attempts fail.
    let first = redelivery(&signed(created.body.clone()), OTHER_SECRET);
    let path = common::WEBHOOK_PATH;
    let failed = h.post(path, &from_svix(&first), first.body.clone()).await;
    let again = redelivery(&first, OTHER_SECRET);
    let failed_again = h.post(path, &from_svix(&again), again.body.clone()).await;
    // Something else that happens to mention the svix-id is not an attempt.
    let other = signed(format!("{{\"note\":\"{}\"}}", first.svix_id));
    h.deliver(&other).await;

    let detail = h.event(failed.id()).await;
    let ids: Vec<i64> = detail.attempts.iter().map(|a| a.id).collect();
    assert_eq!(ids, [failed.id(), failed_again.id()]);
    let latest = h.event(failed_again.id()).await;
    let due = latest.next_retry_at.expect("Svix tries again");
    let wait = due - latest.summary.received_at;
    assert_eq!(
        wait, 300_000,
        "after the second attempt Svix waits 5 minutes"
    );
    assert_eq!(
        detail.next_retry_at,
        Some(due),
        "every attempt tells the same"
    );

    // The third attempt, signed with the secret Hooklab has: accepted, no more retries. The
    // first two are in the text index by then, the third not yet: both ways find them.
    h.wait_for_text_index().await;
    let fixed = redelivery(&first, SECRET);
    let accepted = h.post(path, &from_svix(&fixed), fixed.body.clone()).await;
    let detail = h.event(failed.id()).await;
    assert_eq!(detail.attempts.len(), 3);
    assert_eq!(detail.attempts[2].id, accepted.id());
    assert_eq!(detail.next_retry_at, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_test_send_expects_no_retry() {
    let h = Harness::start().await;
    let created = fixture("user.created", None, now_ms());
    // `hooklab send` signs like Svix and says so in its user agent: nobody retries it.
    let refused = h
        .deliver(&redelivery(&signed(created.body), OTHER_SECRET))
        .await;
    let detail = h.event(refused.id()).await;
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(detail.next_retry_at, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_the_text_index_has_not_reached_are_found_among_the_rare_rows() {
    let h = Harness::start().await;
    let path = common::WEBHOOK_PATH;
    let created = fixture("user.created", None, now_ms());
    // A failed attempt, the delivery, a conflicting re-use of the id, and accepted events of
    // other messages around them.
    let first = redelivery(&signed(created.body.clone()), OTHER_SECRET);
    let failed = h.post(path, &from_svix(&first), first.body.clone()).await;
    h.deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    let fixed = redelivery(&first, SECRET);
    let delivered = h.post(path, &from_svix(&fixed), fixed.body.clone()).await;
    h.deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    let (reused, _) = reused_with_username(&first, &created.body, "someone_else");
    let conflict = h.deliver(&reused).await;
    let want = [failed.id(), delivered.id(), conflict.id()];

    // Through the text index, once it covers them all.
    h.wait_for_text_index().await;
    let indexed: Vec<i64> = h
        .event(failed.id())
        .await
        .attempts
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(indexed, want);

    // A copy of the database where the index has reached nothing: every event is the tail.
    let copy = h.dir.path().join("unindexed.db");
    let reader = hooklab_core::store::open_for_reading(&h.db_path()).unwrap();
    reader
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    let copy = rusqlite::Connection::open(&copy).unwrap();
    copy.execute(
        "UPDATE index_state SET upto = 0 WHERE name = 'event_text'",
        [],
    )
    .unwrap();
    for key in want {
        let detail = hooklab_core::store::get_event(&copy, &key.to_string())
            .unwrap()
            .unwrap();
        let tail: Vec<i64> = detail.attempts.iter().map(|a| a.id).collect();
        assert_eq!(tail, want, "from event {key}");
    }
}
