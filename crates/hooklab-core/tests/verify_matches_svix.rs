//! Hooklab checks Svix signatures with its own HMAC (aws-lc-rs, on the CPU's SHA
//! instructions); svix's verifier is the reference. For any secret, message id, timestamp,
//! body and signature header, right or wrong, the two must agree.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use base64::Engine;
use hooklab_core::secret::{Secret, SecretOrigin};
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A signature header's entries: the right one, a wrong one, or noise around them.
#[derive(Debug, Clone)]
enum Entry {
    Right,
    RightOtherBody,
    Random(Vec<u8>),
    OtherVersion,
    Garbage(String),
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        Just(Entry::Right),
        Just(Entry::RightOtherBody),
        prop::collection::vec(any::<u8>(), 32).prop_map(Entry::Random),
        Just(Entry::OtherVersion),
        "[a-zA-Z0-9,+/=]{0,12}".prop_map(Entry::Garbage),
    ]
}

/// svix's own signature of the message, as it would send it.
fn svix_signature(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> String {
    secret.webhook().sign(id, timestamp, body).unwrap()
}

fn header(entries: &[Entry], secret: &Secret, id: &str, ts: i64, body: &[u8]) -> String {
    entries
        .iter()
        .map(|e| match e {
            Entry::Right => svix_signature(secret, id, ts, body),
            Entry::RightOtherBody => svix_signature(secret, id, ts, b"{}"),
            Entry::Random(bytes) => format!("v1,{}", B64.encode(bytes)),
            Entry::OtherVersion => {
                let right = svix_signature(secret, id, ts, body);
                right.replacen("v1,", "v2,", 1)
            }
            Entry::Garbage(text) => text.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn hooklab_and_svix_agree(
        key in prop::collection::vec(any::<u8>(), 1..64),
        id in "msg_[a-zA-Z0-9]{1,27}",
        ts in 1_000_000_000i64..4_000_000_000,
        body in "\\PC{0,300}",
        entries in prop::collection::vec(entry(), 1..4),
    ) {
        let secret = Secret::parse(&format!("whsec_{}", B64.encode(&key)), SecretOrigin::Flag)
            .unwrap();
        let signature = header(&entries, &secret, &id, ts, body.as_bytes());
        prop_assume!(HeaderValue::from_str(&signature).is_ok());
        let mut headers = HeaderMap::new();
        headers.insert("svix-id", HeaderValue::from_str(&id).unwrap());
        headers.insert("svix-timestamp", HeaderValue::from(ts));
        headers.insert("svix-signature", HeaderValue::from_str(&signature).unwrap());

        let svix = secret.webhook().verify_ignoring_timestamp(body.as_bytes(), &headers).is_ok();
        let ours = secret.signed(&id, &ts.to_string(), body.as_bytes(), &signature);
        prop_assert_eq!(ours, Some(svix), "header {:?}", signature);
        if entries.iter().any(|e| matches!(e, Entry::Right)) {
            prop_assert!(svix, "a header with the right signature verifies");
        }
    }
}
