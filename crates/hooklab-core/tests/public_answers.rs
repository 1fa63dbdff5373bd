//! Through the public URL, an unverified caller is told what failed and nothing else: not the
//! configured webhook path, not how many secrets there are, not the event counter. Verified
//! deliveries, and everything on loopback, still get the full answer with its hint.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::body::Body;
use common::{Harness, OTHER_SECRET, WEBHOOK_PATH, fixture, now_ms, signed, signed_with};
use hooklab_core::capture::{Origin, Source};
use hooklab_core::engine::PROBE_HEADER;
use hooklab_core::receiver::router;
use hooklab_core::send::{Delivery, SignOptions};
use tower::ServiceExt;

/// Answers `delivery` posted to `path`, as if through the tunnel when `public`.
async fn answer(h: &Harness, delivery: &Delivery, path: &str, public: bool) -> (u16, String) {
    answer_with(h, delivery, path, public, None).await
}

async fn answer_with(
    h: &Harness,
    delivery: &Delivery,
    path: &str,
    public: bool,
    probe: Option<&str>,
) -> (u16, String) {
    let mut request = http::Request::post(path)
        .body(Body::from(delivery.body.clone()))
        .unwrap();
    *request.headers_mut() = delivery.headers();
    if let Some(token) = probe {
        request
            .headers_mut()
            .insert(PROBE_HEADER, token.parse().unwrap());
    }
    if public {
        request.extensions_mut().insert(Origin {
            source: Source::Tunnel,
            remote: Some("203.0.113.9:41000".parse().unwrap()),
        });
    }
    let response = router(h.engine.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn reveals_nothing(body: &str) {
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["detail", "verification"], "{body}");
    for secret in [WEBHOOK_PATH, "secret", "whsec_", "\"id\""] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unverified_public_callers_learn_only_what_failed() {
    let h = Harness::start().await;
    let body = fixture("user.created", None, now_ms()).body;

    let wrong_secret = signed_with(body.clone(), OTHER_SECRET, SignOptions::default());
    let (status, public) = answer(&h, &wrong_secret, WEBHOOK_PATH, true).await;
    assert_eq!(status, 401);
    reveals_nothing(&public);
    assert!(public.contains("signature_mismatch"), "{public}");

    let (status, public) = answer(&h, &wrong_secret, "/guess", true).await;
    assert!(status >= 400, "{status}");
    reveals_nothing(&public);

    // The same refusals on loopback keep their full diagnosis; so does a signed request at the
    // wrong path through the tunnel (whoever signed it holds the secret: it is Clerk).
    let (_, local) = answer(&h, &wrong_secret, "/guess", false).await;
    assert!(local.contains("hint"), "{local}");
    let (status, signed_public) = answer(&h, &signed(body.clone()), "/guess", true).await;
    assert_eq!(status, 404);
    assert!(signed_public.contains(WEBHOOK_PATH), "{signed_public}");
    let (_, local) = answer(&h, &wrong_secret, WEBHOOK_PATH, false).await;
    assert!(local.contains("hint"), "{local}");

    // And a verified delivery through the tunnel is answered in full.
    let (status, verified) = answer(&h, &signed(body), WEBHOOK_PATH, true).await;
    assert_eq!(status, 200, "{verified}");
    assert!(verified.contains("\"id\""), "{verified}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_own_probe_is_answered_in_full_and_a_guessed_token_is_not() {
    let h = Harness::start().await;
    let body = fixture("user.created", None, now_ms()).body;
    let unverified = signed_with(body, OTHER_SECRET, SignOptions::default());
    let token = h.engine.probe_token();
    let (_, probe) = answer_with(&h, &unverified, WEBHOOK_PATH, true, Some(token.value())).await;
    assert!(
        probe.contains("\"id\""),
        "the probe finds its event: {probe}"
    );
    let (_, guessed) = answer_with(&h, &unverified, WEBHOOK_PATH, true, Some("probe_guess")).await;
    reveals_nothing(&guessed);
    let expired = token.value().to_owned();
    drop(token);
    let (_, late) = answer_with(&h, &unverified, WEBHOOK_PATH, true, Some(&expired)).await;
    reveals_nothing(&late);
}
