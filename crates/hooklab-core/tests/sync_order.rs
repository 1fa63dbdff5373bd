//! Sync over HTTP when Clerk's events arrive out of order: late creates and updates are `stale`,
//! deletes are final, sign-ins seen before the user land on it, and non-user events are
//! `ignored` with the reason.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{Harness, Reply, fixture, now_ms, signed, user_of};
use hooklab_core::fixtures::Prepared;
use serde_json::Value;

/// A minute, in ms: the spacing between the moments the events below happened.
const MINUTE: i64 = 60_000;

async fn send(h: &Harness, event: &Prepared) -> Reply {
    let reply = h.deliver(&signed(event.body.clone())).await;
    assert_eq!(reply.status, 200, "{}: {}", event.event_type, reply.body);
    h.assert_captured(&reply, event.body.as_bytes()).await;
    reply
}

fn data_field(event: &Prepared, name: &str) -> i64 {
    let body: Value = serde_json::from_str(&event.body).unwrap();
    body["data"][name]
        .as_i64()
        .unwrap_or_else(|| panic!("no data.{name} in {}", event.event_type))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_before_create_keeps_the_update_and_marks_the_create_stale() {
    let h = Harness::start().await;
    let start = now_ms() - 2 * MINUTE;
    let created = fixture("user.created", None, start);
    let user_id = user_of(&created);
    let updated = fixture("user.updated", Some(&user_id), start + MINUTE);

    let first = send(&h, &updated).await;
    let late = send(&h, &created).await;

    assert_eq!(first.field("sync"), Some("applied"));
    assert_eq!(late.field("sync"), Some("stale"), "{}", late.body);
    let detail = late.field("detail").unwrap_or_default();
    assert!(detail.contains("newer version"), "{detail}");
    let stored = h.event(late.id()).await;
    assert_eq!(stored.summary.sync.code(), "stale");
    assert_eq!(stored.summary.user_id.as_deref(), Some(user_id.as_str()));

    let user = h.existing_user(&user_id).await.user;
    assert_eq!(user.primary_email.as_deref(), Some("alex.work@example.com"));
    assert_eq!(
        user.emails,
        ["alex.work@example.com", "alex.sample@example.com"]
    );
    assert_eq!(user.first_name.as_deref(), Some("Alexandra"));
    assert_eq!(user.public_metadata, serde_json::json!({"plan": "pro"}));
    assert_eq!(user.updated_at, Some(data_field(&updated, "updated_at")));
    assert_eq!(
        user.last_event_id,
        first.id(),
        "the stale create wrote nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_then_update_in_order_applies_both() {
    let h = Harness::start().await;
    let start = now_ms() - 2 * MINUTE;
    let created = fixture("user.created", None, start);
    let user_id = user_of(&created);
    let updated = fixture("user.updated", Some(&user_id), start + MINUTE);

    send(&h, &created).await;
    let last = send(&h, &updated).await;

    assert_eq!(last.field("sync"), Some("applied"));
    let user = h.existing_user(&user_id).await.user;
    assert_eq!(user.first_name.as_deref(), Some("Alexandra"));
    assert_eq!(user.last_event_id, last.id());
    assert_eq!(h.user_counts().await, (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_update_after_delete_leaves_the_user_deleted() {
    let h = Harness::start().await;
    let start = now_ms() - 3 * MINUTE;
    let created = fixture("user.created", None, start);
    let user_id = user_of(&created);
    let updated = fixture("user.updated", Some(&user_id), start + MINUTE);
    let deleted = fixture("user.deleted", Some(&user_id), start + 2 * MINUTE);

    let create = send(&h, &created).await;
    let delete = send(&h, &deleted).await;
    let late = send(&h, &updated).await;

    assert_eq!(delete.field("sync"), Some("applied"));
    assert_eq!(late.field("sync"), Some("stale"), "{}", late.body);
    let detail = late.field("detail").unwrap_or_default();
    assert!(detail.contains("deleted"), "{detail}");
    let user = h.existing_user(&user_id).await.user;
    assert_eq!(
        user.deleted_at,
        Some(start + 2 * MINUTE),
        "the envelope's timestamp"
    );
    assert_eq!(
        user.first_name.as_deref(),
        Some("Alex"),
        "the update was not applied"
    );
    assert_eq!(
        user.last_event_id,
        create.id(),
        "the tombstone keeps pointing at the last user object it holds"
    );
    assert_eq!(h.user_counts().await, (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_before_create_keeps_a_tombstone() {
    let h = Harness::start().await;
    let start = now_ms() - 2 * MINUTE;
    let created = fixture("user.created", None, start);
    let user_id = user_of(&created);
    let deleted = fixture("user.deleted", Some(&user_id), start + MINUTE);

    send(&h, &deleted).await;
    let late = send(&h, &created).await;

    assert_eq!(late.field("sync"), Some("stale"), "{}", late.body);
    let user = h.existing_user(&user_id).await.user;
    assert_eq!(user.deleted_at, Some(start + MINUTE));
    assert_eq!(
        user.primary_email, None,
        "the late create did not fill the tombstone"
    );
    assert_eq!(h.user_counts().await, (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_before_user_created_lands_on_the_user() {
    let h = Harness::start().await;
    let start = now_ms() - 2 * MINUTE;
    let created = fixture("user.created", None, start);
    let user_id = user_of(&created);
    let session = fixture("session.created", Some(&user_id), start + MINUTE);
    let signed_in_at = data_field(&session, "created_at");

    let first = send(&h, &session).await;
    assert_eq!(first.field("sync"), Some("applied"));
    assert!(
        h.user(&user_id).await.is_none(),
        "a session does not create a user"
    );
    // Meanwhile the user is missing, and the counts say so: a sign-in named it.
    let counts = h.engine.store().user_counts().await.unwrap();
    assert_eq!(
        (counts.missing, counts.missing_ids),
        (1, vec![user_id.clone()])
    );
    send(&h, &created).await;
    let counts = h.engine.store().user_counts().await.unwrap();
    assert_eq!(
        (counts.active, counts.missing),
        (1, 0),
        "arrived: no longer missing"
    );
    let kept: i64 = rusqlite::Connection::open(h.db_path())
        .unwrap()
        .query_row("SELECT count(*) FROM early_sign_ins", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 0, "the early sign-in is merged, then forgotten");

    let user = h.existing_user(&user_id).await;
    assert_eq!(user.user.last_sign_in_at, Some(signed_in_at));
    assert_eq!(user.sessions.len(), 1);
    assert_eq!(user.sessions[0].created_at, Some(signed_in_at));
    assert_eq!(user.sessions[0].status.as_deref(), Some("active"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_after_user_created_moves_last_sign_in_forward() {
    let h = Harness::start().await;
    let start = now_ms() - 2 * MINUTE;
    let created = fixture("user.created", None, start);
    let user_id = user_of(&created);
    let session = fixture("session.created", Some(&user_id), start + MINUTE);

    send(&h, &created).await;
    let reply = send(&h, &session).await;

    let detail = reply.field("detail").unwrap_or_default();
    assert!(detail.contains("last sign-in"), "{detail}");
    let user = h.existing_user(&user_id).await.user;
    assert_eq!(
        user.last_sign_in_at,
        Some(data_field(&session, "created_at"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_ended_before_session_created_keeps_the_ended_session() {
    let h = Harness::start().await;
    let start = now_ms() - 2 * MINUTE;
    let user_id = user_of(&fixture("user.created", None, start));
    let ended = fixture("session.ended", Some(&user_id), start + MINUTE);
    let mut created = fixture("session.created", Some(&user_id), start);
    // Both events are about one session.
    let session_id = serde_json::from_str::<Value>(&ended.body).unwrap()["data"]["id"].clone();
    let mut body: Value = serde_json::from_str(&created.body).unwrap();
    body["data"]["id"] = session_id;
    created.body = body.to_string();

    send(&h, &ended).await;
    let late = send(&h, &created).await;

    assert_eq!(late.field("sync"), Some("stale"), "{}", late.body);
    let rows = h
        .events(hooklab_core::store::EventFilter {
            user_id: Some(user_id.clone()),
            ..Default::default()
        })
        .await;
    assert_eq!(rows.items.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_created_is_ignored_with_its_explanation() {
    let h = Harness::start().await;
    let user_id = user_of(&fixture("user.created", None, now_ms()));
    let email = fixture("email.created", Some(&user_id), now_ms());

    let reply = send(&h, &email).await;

    assert_eq!(reply.field("sync"), Some("ignored"), "{}", reply.body);
    let stored = h.event(reply.id()).await;
    assert_eq!(stored.summary.event_type.as_deref(), Some("email.created"));
    assert_eq!(stored.summary.user_id.as_deref(), Some(user_id.as_str()));
    let detail = stored.summary.sync_detail;
    assert!(detail.contains("Clerk sent an email"), "{detail}");
    assert!(detail.contains("user.updated"), "{detail}");
    assert!(h.user(&user_id).await.is_none(), "nothing was synced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_created_is_ignored() {
    let h = Harness::start().await;
    let user_id = user_of(&fixture("user.created", None, now_ms()));
    let org = fixture("organization.created", Some(&user_id), now_ms());

    let reply = send(&h, &org).await;

    assert_eq!(reply.field("sync"), Some("ignored"), "{}", reply.body);
    let stored = h.event(reply.id()).await;
    assert_eq!(
        stored.summary.event_type.as_deref(),
        Some("organization.created")
    );
    assert_eq!(stored.summary.user_id.as_deref(), Some(user_id.as_str()));
    assert!(
        stored.summary.sync_detail.contains("organization.created"),
        "{}",
        stored.summary.sync_detail
    );
    assert!(h.user(&user_id).await.is_none());
    assert_eq!(h.user_counts().await, (0, 0));
}
