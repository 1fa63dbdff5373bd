//! Resending captured events: re-run inside Hooklab with today's secrets, and every HTTP mode
//! (as captured, re-signed with the same svix-id, re-signed with a new one), each a new event
//! linked to the one it replays.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{
    Harness, OTHER_SECRET, SECRET, WEBHOOK_PATH, capture_at, fixture, now_ms, now_secs, secret,
    signed, signed_with, user_of, within,
};
use hooklab_core::capture::Source;
use hooklab_core::replay::{ReplayOutcome, ReplayRequest, Signing, Target, replay};
use hooklab_core::send::{SignOptions, sign};
use hooklab_core::sync::SyncKind;

async fn resend(h: &Harness, key: i64, signing: Signing, target: Target) -> ReplayOutcome {
    let request = ReplayRequest {
        key: key.to_string(),
        signing,
        target,
        body: None,
    };
    within("a resend", replay(&h.engine, &h.client, &request))
        .await
        .expect("the resend is made")
}

/// A user.created captured (and verified) ten minutes ago, with a signature made then.
async fn captured_ten_minutes_ago(h: &Harness) -> hooklab_core::Receipt {
    let ten_min_ago = now_ms() - 600_000;
    let created = fixture("user.created", None, ten_min_ago);
    let old = sign(
        created.body.into(),
        &secret(SECRET),
        ten_min_ago / 1000,
        SignOptions::default(),
    );
    h.engine
        .ingest(capture_at(&old, ten_min_ago))
        .await
        .unwrap()
}

/// A user.created made now, the user it is about, and its body with the first name edited to
/// `name`.
fn created_and_edited(name: &str) -> (hooklab_core::fixtures::Prepared, String, String) {
    let created = fixture("user.created", None, now_ms());
    let user = user_of(&created);
    let edited = created.body.replace(
        "\"first_name\":\"Alex\"",
        &format!("\"first_name\":\"{name}\""),
    );
    assert_ne!(edited, created.body, "the fixture has the name to edit");
    (created, user, edited)
}

/// `body` delivered signed with a secret Hooklab does not have (the Clerk endpoint's, before
/// the user pasted it): refused.
async fn refused_by_hooklab(h: &Harness, body: String) -> common::Reply {
    h.deliver(&signed_with(body, OTHER_SECRET, SignOptions::default()))
        .await
}

fn over_http(h: &Harness) -> Target {
    Target::Http {
        url: h.url(WEBHOOK_PATH),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_capture_re_run_after_the_fix_turns_verified_and_syncs_the_user() {
    let h = Harness::start().await;
    let created = fixture("user.created", None, now_ms());
    let user = user_of(&created);
    // Clerk signs with the endpoint's secret; Hooklab has a different one configured.
    let refused = refused_by_hooklab(&h, created.body).await;
    assert_eq!(refused.status, 401);
    assert!(h.user(&user).await.is_none());

    // The user pastes the right secret, then presses Resend.
    h.engine.set_secrets(vec![secret(OTHER_SECRET)]);
    let outcome = resend(&h, refused.id(), Signing::AsCaptured, Target::Rerun).await;
    let event = outcome.event.expect("a new event");
    assert_ne!(
        event.id,
        refused.id(),
        "a replay is a new event, not an edit"
    );
    assert_eq!(event.source, Source::Replay);
    assert_eq!(event.verification, "verified");
    assert_eq!(event.sync, SyncKind::Applied);
    assert_eq!(h.existing_user(&user).await.user.last_event_id, event.id);

    let original = h.event(refused.id()).await;
    assert_eq!(
        original.summary.verification, "signature_mismatch",
        "history unchanged"
    );
    assert_eq!(
        original.replays.iter().map(|e| e.id).collect::<Vec<_>>(),
        [event.id]
    );
    assert_eq!(h.event(event.id).await.replay_of, Some(refused.id()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_run_judges_the_signature_as_of_the_original_arrival() {
    let h = Harness::start().await;
    let receipt = captured_ten_minutes_ago(&h).await;
    assert_eq!(receipt.event.verification, "verified");

    let outcome = resend(&h, receipt.event.id, Signing::AsCaptured, Target::Rerun).await;
    let event = outcome.event.unwrap();
    assert_eq!(event.verification, "verified", "not refused as too old");
    assert_eq!(
        event.sync,
        SyncKind::Duplicate,
        "already delivered: not applied again"
    );
    assert!(outcome.note.unwrap().contains("original arrival"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_resend_as_captured_after_five_minutes_is_refused_as_too_old_and_says_so() {
    let h = Harness::start().await;
    let receipt = captured_ten_minutes_ago(&h).await;

    let outcome = resend(&h, receipt.event.id, Signing::AsCaptured, over_http(&h)).await;
    assert_eq!(outcome.http.as_ref().unwrap().status, 401);
    let event = outcome.event.expect("Hooklab captured the resend");
    assert_eq!(event.verification, "timestamp_too_old");
    assert_eq!(
        h.event(event.id).await.replay_of,
        Some(receipt.event.id),
        "linked back by header"
    );
    let note = outcome.note.expect("warned beforehand");
    assert!(
        note.contains("10 min old") && note.contains("timestamp_too_old"),
        "{note}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_resend_re_signed_keeps_the_svix_id_and_is_a_duplicate() {
    let h = Harness::start().await;
    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let first = h.deliver(&delivery).await;

    let outcome = resend(
        &h,
        first.id(),
        Signing::ReSigned { new_id: false },
        over_http(&h),
    )
    .await;
    assert_eq!(outcome.http.as_ref().unwrap().status, 200);
    assert_eq!(outcome.svix_id.as_deref(), Some(delivery.svix_id.as_str()));
    let event = outcome.event.expect("a new linked event");
    assert_ne!(event.id, first.id());
    assert_eq!(event.verification, "verified");
    assert_eq!(event.sync, SyncKind::Duplicate);
    assert_eq!(
        h.event(first.id()).await.summary.delivery_count,
        1,
        "not a Svix redelivery"
    );
    assert_eq!(h.event(first.id()).await.replays.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_resend_with_a_new_svix_id_is_applied_again() {
    let h = Harness::start().await;
    let created = fixture("user.created", None, now_ms());
    let user = user_of(&created);
    let delivery = signed(created.body);
    let first = h.deliver(&delivery).await;

    let outcome = resend(
        &h,
        first.id(),
        Signing::ReSigned { new_id: true },
        over_http(&h),
    )
    .await;
    assert_ne!(outcome.svix_id.as_deref(), Some(delivery.svix_id.as_str()));
    let event = outcome.event.unwrap();
    assert_eq!(event.verification, "verified");
    assert_eq!(event.sync, SyncKind::Applied, "{}", event.sync_detail);
    assert_eq!(h.existing_user(&user).await.user.last_event_id, event.id);
    assert!(
        now_secs() - event.svix_timestamp.unwrap() < 60,
        "signed now"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_needs_an_event_and_re_signing_needs_a_secret() {
    let h = Harness::start().await;
    let request = ReplayRequest {
        key: "msg_nothing".into(),
        signing: Signing::AsCaptured,
        target: Target::Rerun,
        body: None,
    };
    let err = replay(&h.engine, &h.client, &request).await.unwrap_err();
    assert_eq!(
        hooklab_core::error_body::ErrorBody::of(&err).code,
        "event_not_found"
    );
    let first = h
        .deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    h.engine.set_secrets(Vec::new());
    let request = ReplayRequest {
        key: first.id().to_string(),
        signing: Signing::ReSigned { new_id: false },
        target: Target::Rerun,
        body: None,
    };
    let err = replay(&h.engine, &h.client, &request).await.unwrap_err();
    let body = hooklab_core::error_body::ErrorBody::of(&err);
    assert_eq!(body.code, "no_secret");
    assert!(body.hint.unwrap().contains("Signing Secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_body_re_signed_applies_the_edit_and_as_captured_fails_like_a_modified_body() {
    let h = Harness::start().await;
    let (created, user, edited) = created_and_edited("Edited");
    let first = h.deliver(&signed(created.body)).await;
    let with_body = |signing, body: &str| ReplayRequest {
        key: first.id().to_string(),
        signing,
        target: over_http(&h),
        body: Some(body.to_owned()),
    };

    let request = with_body(Signing::AsCaptured, &edited);
    let outcome = within("a resend", replay(&h.engine, &h.client, &request))
        .await
        .unwrap();
    let event = outcome.event.expect("Hooklab answered");
    assert_eq!(event.verification, "signature_mismatch");
    assert!(outcome.note.unwrap().contains("edited"));
    assert_eq!(
        h.existing_user(&user).await.user.first_name.as_deref(),
        Some("Alex"),
        "a body that does not match its signature changes nothing"
    );

    let request = with_body(Signing::ReSigned { new_id: true }, &edited);
    let outcome = within("a resend", replay(&h.engine, &h.client, &request))
        .await
        .unwrap();
    let event = outcome.event.expect("Hooklab answered");
    assert_eq!(event.sync, SyncKind::Applied, "{}", event.sync_detail);
    assert_eq!(
        h.existing_user(&user).await.user.first_name.as_deref(),
        Some("Edited")
    );
    assert_eq!(
        h.event(event.id).await.body,
        edited.as_bytes(),
        "the edit was sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_re_signed_with_the_same_id_is_a_redelivery_and_says_the_edit_is_not_applied() {
    let h = Harness::start().await;
    let (created, user, edited) = created_and_edited("Edited");
    let first = h.deliver(&signed(created.body)).await;
    let request = ReplayRequest {
        key: first.id().to_string(),
        signing: Signing::ReSigned { new_id: false },
        target: over_http(&h),
        body: Some(edited.clone()),
    };
    let outcome = within("a resend", replay(&h.engine, &h.client, &request))
        .await
        .unwrap();
    assert!(
        outcome
            .note
            .as_deref()
            .is_some_and(|n| n.contains("not applied")),
        "{:?}",
        outcome.note
    );
    assert_ne!(outcome.event.unwrap().sync, SyncKind::Applied);
    assert_eq!(
        h.existing_user(&user).await.user.first_name.as_deref(),
        Some("Alex")
    );

    let huge = ReplayRequest {
        body: Some(edited.clone() + &" ".repeat(2 * 1024 * 1024)),
        ..request
    };
    let err = replay(&h.engine, &h.client, &huge).await.unwrap_err();
    assert_eq!(
        hooklab_core::error_body::ErrorBody::of(&err).code,
        "body_too_large"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_resend_to_an_app_is_not_recorded_as_the_event_forward() {
    let h = Harness::start().await;
    let (created, _, edited) = created_and_edited("X");
    let first = h.deliver(&signed(created.body)).await;
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "no such column",
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // Typed without a scheme, as a user might.
    let url = format!("{}/api/webhooks/clerk", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let resend = |body: Option<String>| ReplayRequest {
        key: first.id().to_string(),
        signing: Signing::ReSigned { new_id: true },
        target: Target::Http { url: url.clone() },
        body,
    };
    let outcome = replay(&h.engine, &h.client, &resend(Some(edited)))
        .await
        .unwrap();
    assert_eq!(outcome.http.unwrap().status, 500);
    assert!(
        h.event(first.id()).await.forward.is_none(),
        "an answer to an edit is not the event's"
    );
    replay(&h.engine, &h.client, &resend(None)).await.unwrap();
    let forward = h.event(first.id()).await.forward.expect("recorded");
    assert_eq!(forward.status, Some(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_of_a_message_never_delivered_applies_even_with_the_same_id() {
    let h = Harness::start().await;
    let (created, user, edited) = created_and_edited("Edited");
    // Signed with a secret Hooklab does not have: refused, so the message has no delivery.
    let refused = refused_by_hooklab(&h, created.body).await;
    let request = ReplayRequest {
        key: refused.id().to_string(),
        signing: Signing::ReSigned { new_id: false },
        target: Target::Rerun,
        body: Some(edited),
    };
    let outcome = replay(&h.engine, &h.client, &request).await.unwrap();
    assert_eq!(outcome.event.unwrap().sync, SyncKind::Applied);
    assert_eq!(outcome.note, None, "nothing to warn about");
    assert_eq!(
        h.existing_user(&user).await.user.first_name.as_deref(),
        Some("Edited")
    );
}
