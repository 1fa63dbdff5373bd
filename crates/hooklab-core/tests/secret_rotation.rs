//! Signing-secret rotation over HTTP: both secrets verify while two are configured, the stored
//! outcome names which one matched, and `Engine::set_secrets` applies to the next request.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{
    Harness, OTHER_SECRET, SECRET, fixture, now_ms, now_secs, redelivery, secret, signed_with,
    user_of,
};
use hooklab_core::secret::SecretOrigin;
use hooklab_core::send::{SignOptions, sign_as};
use hooklab_core::verify::Verification;

/// The secret before the rotation.
const OLD: &str = SECRET;
/// The secret after it.
const NEW: &str = OTHER_SECRET;

async fn rotating() -> Harness {
    // Current first, as EngineConfig documents.
    Harness::start_with(|config| config.secrets = vec![secret(NEW), secret(OLD)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_secret_still_verifies_during_rotation_as_secret_index_1() {
    let h = rotating().await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed_with(event.body.clone(), OLD, SignOptions::default());

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    assert_eq!(
        stored.verification_detail,
        Verification::Verified {
            secret_index: 1,
            secret: secret(OLD).masked(),
            origin: SecretOrigin::Flag,
        }
    );
    assert!(h.user(&user_id).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_secret_verifies_during_rotation_as_secret_index_0() {
    let h = rotating().await;
    let event = fixture("user.created", None, now_ms());
    let delivery = signed_with(event.body.clone(), NEW, SignOptions::default());

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let stored = h.event(reply.id()).await;
    assert!(matches!(
        stored.verification_detail,
        Verification::Verified {
            secret_index: 0,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_signed_with_both_secrets_verifies() {
    // While a secret rotates, Svix sends one `v1,` entry per secret.
    let h = Harness::start_with(|config| config.secrets = vec![secret(OLD)]).await;
    let event = fixture("user.created", None, now_ms());
    let now = now_secs();
    let by_new = signed_with(event.body.clone(), NEW, SignOptions::default());
    let by_old = sign_as(
        by_new.svix_id.clone(),
        by_new.body.clone(),
        &secret(OLD),
        by_new.timestamp,
        SignOptions::default(),
    );
    assert!((now..=now + 1).contains(&by_new.timestamp));
    let mut both = by_new.clone();
    both.signature = format!("{} {}", by_new.signature, by_old.signature);

    let reply = h.deliver(&both).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let stored = h.event(reply.id()).await;
    assert!(stored.verification_detail.is_verified());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_secrets_takes_effect_for_the_next_request() {
    let h = Harness::start_with(|config| config.secrets = vec![secret(OLD)]).await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed_with(event.body.clone(), NEW, SignOptions::default());
    let refused = h.deliver(&delivery).await;
    assert_eq!(refused.status, 401, "{}", refused.body);

    h.engine.set_secrets(vec![secret(NEW)]);
    let retry = h.deliver(&redelivery(&delivery, NEW)).await;

    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(
        retry.field("sync"),
        Some("applied"),
        "the refused attempt is no duplicate"
    );
    assert_ne!(retry.id(), refused.id());
    assert!(h.user(&user_id).await.is_some());
    assert_eq!(h.engine.secrets_masked(), [secret(NEW).masked()]);

    let by_old = signed_with(
        fixture("user.created", None, now_ms()).body,
        OLD,
        SignOptions::default(),
    );
    assert_eq!(
        h.deliver(&by_old).await.status,
        401,
        "the old secret was removed"
    );

    h.engine.set_secrets(Vec::new());
    let unchecked = h.deliver(&redelivery(&by_old, NEW)).await;
    assert_eq!(unchecked.status, 401);
    assert_eq!(unchecked.field("verification"), Some("no_secret"));
}
