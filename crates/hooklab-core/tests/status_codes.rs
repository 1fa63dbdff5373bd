//! The status code the receiver answers for each kind of request over real loopback HTTP, and
//! that every request is stored (capture before judgement) with that status and its exact bytes.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use bytes::Bytes;
use common::{
    Harness, OTHER_SECRET, SECRET, WEBHOOK_PATH, fixture, headers_without, now_ms, redelivery,
    signed, signed_with, user_of, within,
};
use hooklab_core::send::SignOptions;
use hooklab_core::store::EventFilter;
use hooklab_core::verify::Verification;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_user_created_answers_200_and_syncs_the_user() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed(event.body.clone());

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.field("sync"), Some("applied"));
    assert_eq!(reply.field("verification"), Some("verified"));
    assert_eq!(reply.field("type"), Some("user.created"));
    assert_eq!(reply.field("svix_id"), Some(delivery.svix_id.as_str()));
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    assert_eq!(stored.summary.user_id.as_deref(), Some(user_id.as_str()));
    assert_eq!(
        stored.summary.svix_id.as_deref(),
        Some(delivery.svix_id.as_str())
    );
    assert_eq!(stored.summary.svix_timestamp, Some(delivery.timestamp));
    assert_eq!(stored.summary.delivery_count, 1);
    assert!(matches!(
        stored.verification_detail,
        Verification::Verified {
            secret_index: 0,
            ..
        }
    ));

    let user = h.existing_user(&user_id).await;
    assert_eq!(
        user.user.primary_email.as_deref(),
        Some("alex.sample@example.com")
    );
    assert_eq!(user.user.username.as_deref(), Some("alex_sample"));
    assert_eq!(user.user.first_name.as_deref(), Some("Alex"));
    assert_eq!(user.user.deleted_at, None);
    assert_eq!(user.user.last_event_id, reply.id());
    assert_eq!(h.user_counts().await, (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_answers_200_duplicate_and_is_applied_once() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let first = signed(event.body.clone());
    let first_reply = h.deliver(&first).await;
    assert_eq!(first_reply.status, 200, "{}", first_reply.body);

    let again = redelivery(&first, SECRET);
    let reply = h.deliver(&again).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.field("sync"), Some("duplicate"));
    assert_eq!(reply.json["delivery_count"], 2);
    assert_eq!(
        reply.id(),
        first_reply.id(),
        "the redelivery names the original row"
    );
    let stored = h.event(first_reply.id()).await;
    assert_eq!(stored.summary.delivery_count, 2);
    assert_eq!(
        stored.summary.sync.code(),
        "applied",
        "the original outcome is kept"
    );
    assert!(stored.summary.last_delivery_at >= stored.summary.received_at);
    let rows = h
        .events(EventFilter {
            text: Some(first.svix_id.clone()),
            ..EventFilter::default()
        })
        .await;
    assert_eq!(rows.items.len(), 1, "one row per Svix message");

    let user = h.existing_user(&user_id).await;
    assert_eq!(user.user.last_event_id, first_reply.id(), "applied once");
    assert_eq!(h.user_counts().await, (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_redeliveries_are_applied_once() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let first = signed(event.body.clone());
    let copies: Vec<_> = (0..8).map(|_| redelivery(&first, SECRET)).collect();

    let replies = h.deliver_all_at_once(&copies).await;

    let count = |sync: &str| {
        replies
            .iter()
            .filter(|r| r.field("sync") == Some(sync))
            .count()
    };
    assert_eq!((count("applied"), count("duplicate")), (1, 7));
    assert!(replies.iter().all(|r| r.status == 200));
    let id = replies[0].id();
    assert!(replies.iter().all(|r| r.id() == id), "all name one row");
    let stored = h.event(id).await;
    assert_eq!(stored.summary.delivery_count, 8);
    assert_eq!(h.all_events().await.len(), 1);
    assert_eq!(h.existing_user(&user_id).await.user.last_event_id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_missing_svix_header_answers_400_and_is_named() {
    let h = Harness::start().await;
    for header in ["svix-id", "svix-timestamp", "svix-signature"] {
        let event = fixture("user.created", None, now_ms());
        let user_id = user_of(&event);
        let delivery = signed(event.body.clone());

        let reply = h
            .post(
                WEBHOOK_PATH,
                &headers_without(&delivery, header),
                delivery.body.clone(),
            )
            .await;

        assert_eq!(reply.status, 400, "{header}: {}", reply.body);
        assert_eq!(reply.field("verification"), Some("missing_header"));
        assert_eq!(reply.field("sync"), Some("not_synced"));
        let hint = reply.field("hint").unwrap_or_default();
        assert!(hint.contains(header), "{header}: {hint}");
        let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
        assert_eq!(
            stored.verification_detail,
            Verification::MissingHeader {
                header: header.to_owned()
            }
        );
        assert!(
            stored
                .summary
                .hint
                .as_deref()
                .unwrap_or_default()
                .contains(header),
            "{header}: {:?}",
            stored.summary.hint
        );
        assert!(h.user(&user_id).await.is_none(), "unverified: not synced");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_timestamp_answers_400() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let delivery = signed(event.body.clone());
    let mut headers = delivery.headers();
    headers.insert("svix-timestamp", "2025-06-13T09:15:00Z".parse().unwrap());

    let reply = h.post(WEBHOOK_PATH, &headers, delivery.body.clone()).await;

    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.field("verification"), Some("malformed_timestamp"));
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    assert_eq!(
        stored.verification_detail,
        Verification::MalformedTimestamp {
            value: "2025-06-13T09:15:00Z".into()
        }
    );
    assert!(
        stored
            .summary
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("Unix seconds"),
        "{:?}",
        stored.summary.hint
    );
    assert_eq!(stored.summary.svix_timestamp, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_body_that_is_not_json_answers_400() {
    let h = Harness::start().await;
    let body = "<html>not json, caf\u{e9} \u{2713}\r\n\t{\"type\":".as_bytes();
    let delivery = signed(Bytes::from_static(body));

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.field("verification"), Some("verified"));
    assert_eq!(reply.field("sync"), Some("error"));
    let stored = h.assert_captured(&reply, body).await;
    assert!(stored.verification_detail.is_verified());
    assert_eq!(stored.summary.event_type, None);
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(hint.contains("signature is valid"), "{hint}");
    assert!(hint.contains("not a Clerk event"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_that_is_not_utf8_is_stored_byte_exact() {
    let h = Harness::start().await;
    let body: &[u8] = b"\xff\xfe{\"type\":\"user.created\"}\x00\x80 \r\n";

    let reply = h
        .post(
            WEBHOOK_PATH,
            &http::HeaderMap::new(),
            Bytes::from_static(body),
        )
        .await;

    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.field("verification"), Some("missing_header"));
    h.assert_captured(&reply, body).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_answers_401_pointing_at_the_dashboard_signing_secret() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed_with(event.body.clone(), OTHER_SECRET, SignOptions::default());

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.field("verification"), Some("signature_mismatch"));
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    assert_eq!(
        stored.verification_detail,
        Verification::SignatureMismatch {
            secrets_tried: 1,
            signatures: 1,
            body_reformatted: false
        }
    );
    // Refused, but listed under the type and user its body claims.
    assert_eq!(stored.summary.event_type.as_deref(), Some("user.created"));
    assert_eq!(stored.summary.user_id.as_deref(), Some(user_id.as_str()));
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(hint.contains("Clerk dashboard"), "{hint}");
    assert!(hint.contains("Signing Secret"), "{hint}");
    assert!(h.user(&user_id).await.is_none(), "unverified: not synced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_from_a_throwaway_key_answers_401() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let options = SignOptions {
        bad_signature: true,
        ..SignOptions::default()
    };
    let delivery = signed_with(event.body.clone(), SECRET, options);

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 401, "{}", reply.body);
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    assert_eq!(stored.verification_detail.code(), "signature_mismatch");
}

/// Sends a delivery signed `offset` seconds off and checks the 401, the stored outcome and the
/// offset in the hint; returns the stored outcome for the caller to match.
async fn assert_clock_skew(offset: i64, code: &str) -> (Verification, i64) {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let options = SignOptions {
        timestamp_offset: offset,
        ..SignOptions::default()
    };
    let delivery = signed_with(event.body.clone(), SECRET, options);

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.field("verification"), Some(code));
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    let seconds = match stored.verification_detail {
        Verification::TimestampTooOld { seconds } | Verification::TimestampTooNew { seconds } => {
            seconds
        }
        ref other => panic!("not clock skew: {other:?}"),
    };
    let hint = stored.summary.hint.clone().unwrap_or_default();
    assert!(hint.contains(&format!("{seconds} s")), "{hint}");
    (stored.verification_detail, seconds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_too_old_answers_401_with_the_offset_in_seconds() {
    let (outcome, seconds) = assert_clock_skew(-600, "timestamp_too_old").await;
    assert!(
        matches!(outcome, Verification::TimestampTooOld { .. }),
        "{outcome:?}"
    );
    // 600 s, plus the second boundary the request may have crossed on the way.
    assert!((600..=602).contains(&seconds), "{seconds}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_too_new_answers_401_with_the_offset_in_seconds() {
    let (outcome, seconds) = assert_clock_skew(600, "timestamp_too_new").await;
    assert!(
        matches!(outcome, Verification::TimestampTooNew { .. }),
        "{outcome:?}"
    );
    assert!((598..=600).contains(&seconds), "{seconds}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_configured_answers_401() {
    let h = Harness::start_with(|config| config.secrets.clear()).await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed(event.body.clone());

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.field("verification"), Some("no_secret"));
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    assert_eq!(stored.verification_detail, Verification::NoSecret);
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(hint.contains("No signing secret"), "{hint}");
    assert!(h.user(&user_id).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_path_answers_404_naming_the_configured_path() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed(event.body.clone());
    let wrong = "/api/webhooks/user?from=clerk";

    let reply = h
        .post(wrong, &delivery.headers(), delivery.body.clone())
        .await;

    assert_eq!(reply.status, 404, "{}", reply.body);
    assert_eq!(reply.field("sync"), Some("not_synced"));
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    assert_eq!(stored.summary.path, wrong, "path and query as received");
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(hint.contains(WEBHOOK_PATH), "{hint}");
    assert!(hint.contains("/api/webhooks/user"), "{hint}");
    assert!(hint.contains("signature is valid"), "{hint}");
    assert!(
        h.user(&user_id).await.is_none(),
        "a wrong path is not synced"
    );
}

/// Clerk keeps the message id across retries; after the user fixes the endpoint's path in the
/// dashboard, the retry that reaches the right path must be synced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_at_the_right_path_after_a_404_is_applied() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let user_id = user_of(&event);
    let delivery = signed(event.body.clone());
    let lost = h
        .post("/api/webhook", &delivery.headers(), delivery.body.clone())
        .await;
    assert_eq!(lost.status, 404, "{}", lost.body);

    let retry = h.deliver(&redelivery(&delivery, SECRET)).await;

    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(retry.field("sync"), Some("applied"));
    assert!(
        h.user(&user_id).await.is_some(),
        "the retry synced the user"
    );
}

/// A request to a wrong path is refused even when it repeats a message already synced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_path_repeat_of_a_synced_message_answers_404() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let delivery = signed(event.body.clone());
    let synced = h.deliver(&delivery).await;
    assert_eq!(synced.status, 200, "{}", synced.body);

    let again = redelivery(&delivery, SECRET);
    let reply = h
        .post("/api/webhook", &again.headers(), again.body.clone())
        .await;

    assert_eq!(reply.status, 404, "{}", reply.body);
    let stored = h.assert_captured(&reply, event.body.as_bytes()).await;
    assert_eq!(stored.summary.path, "/api/webhook");
    assert_eq!(h.event(synced.id()).await.summary.delivery_count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_on_the_webhook_path_answers_405_with_allow_post() {
    let h = Harness::start().await;
    let head = format!(
        "GET {WEBHOOK_PATH} HTTP/1.1\r\nHost: {}\r\nUser-Agent: browser\r\nConnection: close\r\n",
        h.addr
    );
    // A header value that is not UTF-8 (obs-text) must be kept as received too.
    let request = [head.as_bytes(), b"X-Odd: caf\xe9\r\n\r\n"].concat();

    let reply = h.raw(&request).await;

    assert_eq!(reply.status, 405, "{}", reply.body);
    assert_eq!(reply.header("allow"), Some("POST"));
    let stored = h.assert_captured(&reply, b"").await;
    assert_eq!(stored.summary.method, "GET");
    assert_eq!(stored.summary.path, WEBHOOK_PATH);
    assert_eq!(stored.verification_detail, Verification::NotChecked);
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(hint.contains("POST"), "{hint}");
    assert!(
        stored
            .headers
            .iter()
            .any(|(name, value)| name == "user-agent" && value == "browser"),
        "{:?}",
        stored.headers
    );
    assert!(
        stored
            .raw_headers
            .windows(b"x-odd: caf\xe9\r\n".len())
            .any(|w| w == b"x-odd: caf\xe9\r\n"),
        "{:?}",
        String::from_utf8_lossy(&stored.raw_headers)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_cut_off_by_the_client_is_recorded_as_incomplete() {
    let h = Harness::start().await;
    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let head = format!(
        "POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\
         svix-id: {}\r\nsvix-timestamp: {}\r\nsvix-signature: {}\r\n\r\n",
        h.addr,
        delivery.body.len(),
        delivery.svix_id,
        delivery.timestamp,
        delivery.signature
    );
    let request = [head.as_bytes(), &delivery.body[..100]].concat();

    let reply = h.raw_half_closed(&request).await;

    assert_eq!(reply.status, 400, "{}", reply.body);
    let stored = h.event(reply.id()).await;
    assert_eq!(stored.summary.status, 400);
    assert_eq!(stored.verification_detail, Verification::NotChecked);
    assert_eq!(
        stored.summary.svix_id.as_deref(),
        Some(delivery.svix_id.as_str())
    );
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(hint.contains("closed the connection"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_one_mib_answers_413_and_records_its_size() {
    let h = Harness::start().await;
    assert_eq!(h.engine.body_limit(), 1024 * 1024);
    let body = Bytes::from(vec![b'x'; 1024 * 1024 + 1]);
    let delivery = signed(body.clone());

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 413, "{}", reply.body);
    let stored = h.event(reply.id()).await;
    assert_eq!(stored.summary.status, 413);
    assert_eq!(stored.summary.body_size, body.len() as i64);
    // By design an over-limit body is not kept (capture.rs: "empty when it was over the size
    // limit"); everything else about the request is.
    assert!(stored.body.is_empty());
    assert_eq!(
        stored.summary.svix_id.as_deref(),
        Some(delivery.svix_id.as_str())
    );
    let hint = stored.summary.hint.unwrap_or_default();
    assert!(hint.contains(&body.len().to_string()), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_body_over_the_limit_answers_413() {
    let h = Harness::start_with(|config| config.body_limit = 1000).await;
    let chunk = "y".repeat(600);
    let request = format!(
        "POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n{len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        h.addr,
        len = chunk.len()
    );

    let reply = h.raw(request.as_bytes()).await;

    assert_eq!(reply.status, 413, "{}", reply.body);
    let stored = h.event(reply.id()).await;
    assert_eq!(stored.summary.status, 413);
    assert!(
        stored.summary.body_size > 1000,
        "{}",
        stored.summary.body_size
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_at_the_limit_is_accepted_byte_exact() {
    let event = fixture("user.created", None, now_ms());
    let limit = event.body.len();
    let h = Harness::start_with(|config| config.body_limit = limit).await;
    let delivery = signed(event.body.clone());

    let reply = h.deliver(&delivery).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    h.assert_captured(&reply, event.body.as_bytes()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_request_is_stored_with_its_status() {
    let h = Harness::start().await;
    let event = fixture("user.created", None, now_ms());
    let good = signed(event.body.clone());
    let mut answered = Vec::new();
    answered.push(h.deliver(&good).await);
    answered.push(h.deliver(&redelivery(&good, SECRET)).await);
    answered.push(
        h.post(
            WEBHOOK_PATH,
            &headers_without(&good, "svix-signature"),
            good.body.clone(),
        )
        .await,
    );
    let wrong = signed_with(event.body.clone(), OTHER_SECRET, SignOptions::default());
    answered.push(h.deliver(&wrong).await);
    let elsewhere = signed(event.body.clone());
    answered.push(
        h.post("/", &elsewhere.headers(), elsewhere.body.clone())
            .await,
    );

    let statuses: Vec<u16> = answered.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 400, 401, 404]);
    for reply in &answered {
        h.assert_captured(reply, event.body.as_bytes()).await;
    }
    // The redelivery is counted on its original row, not stored twice.
    assert_eq!(h.all_events().await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_upload_is_read_to_the_end_so_the_client_sees_the_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Harness::start().await;
    let body = vec![b'x'; 3 * 1024 * 1024];
    let head = format!(
        "POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        h.addr,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // A slow client: the body follows a moment after the headers. Without the drain, the
    // server has answered and closed by then, and this write is reset.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let uploaded = within("the upload", stream.write_all(&body)).await;
    assert!(uploaded.is_ok(), "the upload was cut off: {uploaded:?}");
    let mut answer = Vec::new();
    let _ = within("the answer", stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_with_another_method_does_not_claim_its_message() {
    let h = Harness::start().await;
    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let head = format!(
        "PUT {WEBHOOK_PATH} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nsvix-id: {}\r\n\
         svix-timestamp: {}\r\nsvix-signature: {}\r\nConnection: close\r\n\r\n",
        h.addr,
        delivery.body.len(),
        delivery.svix_id,
        delivery.timestamp,
        delivery.signature
    );
    let put = h.raw(&[head.as_bytes(), &delivery.body[..]].concat()).await;
    assert_eq!(put.status, 405, "{}", put.body);
    // Signed, so checked (and it is valid): the hint can say it came from Clerk's secret.
    assert_eq!(h.event(put.id()).await.summary.verification, "verified");

    // The real POST of the same message is its delivery, not a redelivery of the PUT.
    let post = h.deliver(&delivery).await;
    assert_eq!(post.status, 200, "{}", post.body);
    assert_eq!(post.field("sync"), Some("applied"), "{}", post.body);
}
