//! Recovering failed deliveries once the cause is fixed: every message Clerk (Svix's sender)
//! sent that failed in a way today's settings can fix and was never delivered since is re-run
//! once, at today's webhook path, with today's secrets; what was delivered since, Hooklab's own
//! sends and replays, junk, failures no secret fixes, older requests and bodies not kept whole
//! are left alone (the last ones counted).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use bytes::Bytes;
use common::{
    Harness, OTHER_SECRET, Reply, SECRET, WEBHOOK_PATH, capture_at, fixture, now_ms, redelivery,
    secret, signed_with, user_of, within,
};
use hooklab_core::capture::{Capture, Incomplete, Short, Source};
use hooklab_core::recover::{RecoveryPlan, RecoveryReport, recover, recovery_plan};
use hooklab_core::send::{Delivery, SignOptions, sign};
use hooklab_core::sync::SyncKind;
use http::{HeaderMap, HeaderValue, header::USER_AGENT};

/// A secret neither Hooklab nor the tests' Clerk endpoint uses.
const THIRD_SECRET: &str = "whsec_dGhpcmQgc2VjcmV0IGZvciByZWNvdmVyeSB0ZXN0";

/// How Svix's sender names itself (Hooklab's own sends say `hooklab` instead).
const SVIX_AGENT: &str = "Svix-Webhooks/1.0 (sender-3Lqb; +https://www.svix.com/http-sources/)";

fn clerk_headers(delivery: &Delivery) -> HeaderMap {
    let mut headers = delivery.headers();
    headers.insert(USER_AGENT, HeaderValue::from_static(SVIX_AGENT));
    headers
}

/// Posts `delivery` to `path` as Clerk does.
async fn from_clerk(h: &Harness, delivery: &Delivery, path: &str) -> Reply {
    h.post(path, &clerk_headers(delivery), delivery.body.clone())
        .await
}

/// `delivery` as the receiver captured it from Clerk at `received_ms`.
fn clerk_capture(delivery: &Delivery, received_ms: i64) -> Capture {
    let mut capture = capture_at(delivery, received_ms);
    capture.headers = clerk_headers(delivery);
    capture
}

/// A user.created signed with `secret_raw`.
fn created(secret_raw: &str) -> (Delivery, String) {
    let prepared = fixture("user.created", None, now_ms());
    let user = user_of(&prepared);
    (
        signed_with(prepared.body, secret_raw, SignOptions::default()),
        user,
    )
}

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

fn originals(report: &RecoveryReport) -> Vec<i64> {
    report.recovered.iter().map(|r| r.original).collect()
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
        let (delivery, user) = created(OTHER_SECRET);
        users.push(user);
        let reply = from_clerk(&h, &delivery, WEBHOOK_PATH).await;
        assert_eq!(reply.status, 401);
        refused.push((reply.id(), delivery));
    }
    let retry = from_clerk(&h, &redelivery(&refused[0].1, OTHER_SECRET), WEBHOOK_PATH).await;
    assert_eq!(retry.status, 401);

    let before = plan(&h, since).await;
    assert_eq!(before.messages, 3, "the retry is the same message");
    assert_eq!(before.failures.len(), 1);
    assert_eq!(before.failures[0].failure, "signature_mismatch");
    assert_eq!(before.failures[0].count, 3);
    assert_eq!((before.retried, before.unkept), (0, 0));
    let first = h.event(refused[0].0).await;
    assert_eq!(before.oldest_at, Some(first.summary.received_at));

    // The user pastes the right secret and recovers.
    h.engine.set_secrets(vec![secret(OTHER_SECRET)]);
    let report = run(&h, since).await;
    let first_requests: Vec<i64> = refused.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        originals(&report),
        first_requests,
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
async fn only_clerk_s_fixable_failures_never_delivered_since_are_taken() {
    let h = Harness::start().await;
    let hour_ago = now_ms() - 3_600_000;

    // Failed two hours ago: outside the last hour, inside "everything".
    let old_at = now_ms() - 7_200_000;
    let old = sign(
        fixture("user.created", None, old_at).body.into(),
        &secret(OTHER_SECRET),
        old_at / 1000,
        SignOptions::default(),
    );
    let old_id = h
        .engine
        .ingest(clerk_capture(&old, old_at))
        .await
        .unwrap()
        .event
        .id;

    // Failed, then Svix's retry was delivered: nothing to recover.
    let (failed, _) = created(OTHER_SECRET);
    assert_eq!(from_clerk(&h, &failed, WEBHOOK_PATH).await.status, 401);
    let delivered = redelivery(&failed, SECRET);
    assert_eq!(from_clerk(&h, &delivered, WEBHOOK_PATH).await.status, 200);

    // Hooklab's own test send with a wrong key (its user agent says so), and its resend over
    // HTTP with Clerk's user agent (linked to what it resends).
    let (test, _) = created(OTHER_SECRET);
    let sent = h.deliver(&test).await;
    assert_eq!(sent.status, 401);
    let mut resent = clerk_headers(&test);
    resent.insert("x-hooklab-replay-of", HeaderValue::from(sent.id()));
    assert_eq!(
        h.post(WEBHOOK_PATH, &resent, test.body.clone())
            .await
            .status,
        401
    );
    // A request without Svix's headers, and one signed 10 minutes before it arrived (no secret
    // fixes a timestamp).
    let junk = h
        .post(
            WEBHOOK_PATH,
            &HeaderMap::new(),
            Bytes::from_static(b"{\"type\":\"user.created\"}"),
        )
        .await;
    assert_ne!(junk.status, 200);
    let late = sign(
        fixture("user.created", None, now_ms()).body.into(),
        &secret(SECRET),
        now_ms() / 1000 - 600,
        SignOptions::default(),
    );
    let late = from_clerk(&h, &late, WEBHOOK_PATH).await;
    assert_eq!(late.field("verification"), Some("timestamp_too_old"));

    // Signed with a secret nobody has: it stays failed after a recovery.
    let (stranger, _) = created(THIRD_SECRET);
    let stranger_id = from_clerk(&h, &stranger, WEBHOOK_PATH).await.id();

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
    assert_eq!(originals(&report), [old_id, stranger_id]);
    assert_eq!(
        report.recovered[0].event.verification, "verified",
        "judged as of its arrival two hours ago, not refused as too old"
    );
    assert_eq!(report.recovered[1].event.verification, "signature_mismatch");
    assert_eq!((report.delivered, report.applied), (1, 1));
    let after = plan(&h, 0).await;
    assert_eq!(
        (after.messages, after.retried),
        (1, 1),
        "still failing, still to recover"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_to_another_path_is_re_run_at_the_webhook_s() {
    let h = Harness::start().await;
    let (delivery, user) = created(SECRET);
    let wrong = from_clerk(&h, &delivery, "/api/webhooks/clark?source=clerk").await;
    assert_eq!(wrong.status, 404);

    let before = plan(&h, 0).await;
    assert_eq!(before.messages, 1);
    assert_eq!(before.failures[0].failure, "wrong_path");
    let report = run(&h, 0).await;
    let event = &report.recovered[0].event;
    assert_eq!(event.path, format!("{WEBHOOK_PATH}?source=clerk"));
    assert_eq!((event.status, event.sync), (200, SyncKind::Applied));
    assert_eq!(h.existing_user(&user).await.user.last_event_id, event.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_attempt_kept_whole_is_re_run_and_messages_never_kept_whole_are_counted() {
    let h = Harness::start().await;
    // Svix's first attempt stopped short; its retry arrived whole, signed with the other secret.
    let (message, user) = created(OTHER_SECRET);
    let mut cut = clerk_capture(&message, now_ms());
    cut.body = message.body.slice(..40);
    cut.body_size = 40;
    cut.incomplete = Some(Incomplete::Short {
        why: Short::Closed,
        expected: Some(message.body.len() as u64),
    });
    h.engine.ingest(cut).await.unwrap();
    let whole = from_clerk(&h, &redelivery(&message, OTHER_SECRET), WEBHOOK_PATH).await;
    assert_eq!(whole.status, 401);
    // Another message whose body was not kept whole (as rate-limited unsigned traffic is).
    let (unkept, _) = created(OTHER_SECRET);
    let mut trimmed = clerk_capture(&unkept, now_ms());
    trimmed.body_size += 1_000;
    h.engine.ingest(trimmed).await.unwrap();

    let before = plan(&h, 0).await;
    assert_eq!((before.messages, before.unkept), (1, 1), "{before:?}");
    h.engine.set_secrets(vec![secret(OTHER_SECRET)]);
    let report = run(&h, 0).await;
    assert_eq!(originals(&report), [whole.id()]);
    assert_eq!(report.unkept, 1);
    assert_eq!(report.recovered[0].event.sync, SyncKind::Applied);
    assert!(h.user(&user).await.is_some());
}
