//! Recovering failed deliveries once the cause is fixed: every Clerk message that failed since a
//! time and was never delivered since is re-run once, oldest first, with today's secrets; what
//! was delivered since, Hooklab's own sends, junk and older requests are left alone.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{
    Harness, OTHER_SECRET, SECRET, capture_at, fixture, now_ms, redelivery, secret, signed_with,
    user_of, within,
};
use hooklab_core::capture::Source;
use hooklab_core::recover::{RecoveryPlan, RecoveryReport, recover, recovery_plan};
use hooklab_core::send::{SignOptions, sign};
use hooklab_core::sync::SyncKind;

/// A secret neither Hooklab nor the tests' Clerk endpoint uses.
const THIRD_SECRET: &str = "whsec_dGhpcmQgc2VjcmV0IGZvciByZWNvdmVyeSB0ZXN0";

async fn plan(h: &Harness, since_ms: i64) -> RecoveryPlan {
    within("a recovery plan", recovery_plan(&h.engine, since_ms))
        .await
        .expect("the plan is read")
}

async fn run(h: &Harness, since_ms: i64) -> RecoveryReport {
    within("a recovery", recover(&h.engine, &h.client, since_ms))
        .await
        .expect("the recovery runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_right_secret_is_pasted_each_failed_message_is_re_run_once_and_its_user_synced() {
    let h = Harness::start().await;
    let since = now_ms() - 1_000;
    // Clerk signs with its endpoint's secret; Hooklab has another one, so all three fail, and
    // Svix's retry of the first fails too.
    let mut users = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..3 {
        let created = fixture("user.created", None, now_ms());
        users.push(user_of(&created));
        let delivery = signed_with(created.body, OTHER_SECRET, SignOptions::default());
        let reply = h.deliver(&delivery).await;
        assert_eq!(reply.status, 401);
        refused.push((reply.id(), delivery));
    }
    let retry = h.deliver(&redelivery(&refused[0].1, OTHER_SECRET)).await;
    assert_eq!(retry.status, 401);

    let before = plan(&h, since).await;
    assert_eq!(before.messages, 3, "the retry is the same message");
    assert_eq!(before.failures.len(), 1);
    assert_eq!(before.failures[0].verification, "signature_mismatch");
    assert_eq!(before.failures[0].count, 3);
    let first = h.event(refused[0].0).await;
    assert_eq!(before.oldest_at, Some(first.summary.received_at));

    // The user pastes the right secret and recovers.
    h.engine.set_secrets(vec![secret(OTHER_SECRET)]);
    let report = run(&h, since).await;
    let originals: Vec<i64> = report.recovered.iter().map(|r| r.original).collect();
    let first_requests: Vec<i64> = refused.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        originals, first_requests,
        "the first request of each, oldest first"
    );
    assert_eq!((report.delivered, report.applied, report.left), (3, 3, 0));
    for (recovered, user) in report.recovered.iter().zip(&users) {
        assert_eq!(recovered.event.source, Source::Replay);
        assert_eq!(recovered.event.verification, "verified");
        assert_eq!(recovered.event.sync, SyncKind::Applied);
        assert_eq!(
            h.existing_user(user).await.user.last_event_id,
            recovered.event.id
        );
        assert_eq!(
            h.event(recovered.original).await.replays[0].id,
            recovered.event.id,
            "linked to the request it re-ran"
        );
    }
    assert_eq!(
        h.event(retry.id()).await.summary.verification,
        "signature_mismatch",
        "history is not edited"
    );

    assert_eq!(plan(&h, since).await.messages, 0, "all delivered now");
    assert!(run(&h, since).await.recovered.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_delivered_since_sent_by_hooklab_unsigned_or_older_is_left_alone() {
    let h = Harness::start().await;
    let hour_ago = now_ms() - 3_600_000;

    // Failed two hours ago: outside the last hour, inside "everything".
    let old_at = now_ms() - 7_200_000;
    let old_body = fixture("user.created", None, old_at).body;
    let old = sign(
        old_body.into(),
        &secret(OTHER_SECRET),
        old_at / 1000,
        SignOptions::default(),
    );
    let old_id = h.engine.ingest(capture_at(&old, old_at)).await.unwrap();
    assert_ne!(old_id.event.verification, "verified");

    // Failed, then Svix's retry was delivered: nothing to recover.
    let created = fixture("user.created", None, now_ms());
    let failed = signed_with(created.body, OTHER_SECRET, SignOptions::default());
    assert_eq!(h.deliver(&failed).await.status, 401);
    assert_eq!(h.deliver(&redelivery(&failed, SECRET)).await.status, 200);

    // Hooklab's own test send with a wrong key, and a request without Svix's headers.
    let test = signed_with(
        fixture("user.created", None, now_ms()).body,
        OTHER_SECRET,
        SignOptions::default(),
    );
    let mut capture = capture_at(&test, now_ms());
    capture.source = Source::Test;
    h.engine.ingest(capture).await.unwrap();
    let junk = h
        .post(
            common::WEBHOOK_PATH,
            &http::HeaderMap::new(),
            bytes::Bytes::from_static(b"{\"type\":\"user.created\"}"),
        )
        .await;
    assert_ne!(junk.status, 200);

    // Signed with a secret nobody has: it stays failed after a recovery.
    let stranger = signed_with(
        fixture("user.created", None, now_ms()).body,
        THIRD_SECRET,
        SignOptions::default(),
    );
    let stranger_id = h.deliver(&stranger).await.id();

    let recent = plan(&h, hour_ago).await;
    assert_eq!(
        recent.messages, 1,
        "only the stranger's message: {recent:?}"
    );
    let everything = plan(&h, 0).await;
    assert_eq!(everything.messages, 2);
    assert_eq!(everything.oldest_at, Some(old_at));

    h.engine
        .set_secrets(vec![secret(SECRET), secret(OTHER_SECRET)]);
    let report = run(&h, 0).await;
    let originals: Vec<i64> = report.recovered.iter().map(|r| r.original).collect();
    assert_eq!(originals, [old_id.event.id, stranger_id]);
    assert_eq!(
        report.recovered[0].event.verification, "verified",
        "judged as of its arrival two hours ago, not refused as too old"
    );
    assert_eq!(report.recovered[1].event.verification, "signature_mismatch");
    assert_eq!((report.delivered, report.applied), (1, 1));
    assert_eq!(
        plan(&h, 0).await.messages,
        1,
        "still failing, still to recover"
    );
}
