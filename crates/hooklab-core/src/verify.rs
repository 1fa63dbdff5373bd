//! Svix signature verification as a pure function: request headers, raw body, secrets and the
//! clock in; a typed outcome with a plain-English hint out.

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::secret::{Secret, SecretOrigin, WHERE_THE_SECRET_IS};

/// How far a signature timestamp may drift from this machine's clock (Svix's rule).
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// The outcome of checking one request's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verification {
    /// A configured secret produced one of the signatures, within the time tolerance.
    Verified {
        /// Position of the matching secret in the configured list (0 = current).
        secret_index: usize,
        /// The matching secret, masked.
        secret: String,
        /// Where the matching secret was configured.
        origin: SecretOrigin,
    },
    /// A required Svix header is absent or empty.
    MissingHeader {
        /// The header's name.
        header: String,
    },
    /// `svix-timestamp` is not Unix seconds.
    MalformedTimestamp {
        /// The value received.
        value: String,
    },
    /// The signature matches, but it was made too long ago.
    TimestampTooOld {
        /// Seconds between the timestamp and this machine's clock.
        seconds: i64,
    },
    /// The signature matches, but its timestamp is in the future.
    TimestampTooNew {
        /// Seconds between this machine's clock and the timestamp.
        seconds: i64,
    },
    /// No configured secret produced any of the signatures.
    SignatureMismatch {
        /// How many secrets were tried.
        secrets_tried: usize,
        /// How many `v1,` signatures the header carried.
        signatures: usize,
        /// The body looks re-serialized (pretty-printed), not as Svix sends it.
        body_reformatted: bool,
    },
    /// No signing secret is configured, so nothing could be checked.
    NoSecret,
    /// The request was refused before verification (wrong path, method or size).
    NotChecked,
}

impl Verification {
    /// A short stable code for filters, tables and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Verified { .. } => "verified",
            Self::MissingHeader { .. } => "missing_header",
            Self::MalformedTimestamp { .. } => "malformed_timestamp",
            Self::TimestampTooOld { .. } => "timestamp_too_old",
            Self::TimestampTooNew { .. } => "timestamp_too_new",
            Self::SignatureMismatch { .. } => "signature_mismatch",
            Self::NoSecret => "no_secret",
            Self::NotChecked => "not_checked",
        }
    }

    /// Whether the request passed.
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Verified { .. })
    }

    /// The HTTP status a failed verification answers with (`None` when verified or not checked).
    pub fn failure_status(&self) -> Option<u16> {
        match self {
            Self::Verified { .. } | Self::NotChecked => None,
            Self::MissingHeader { .. } | Self::MalformedTimestamp { .. } => Some(400),
            Self::TimestampTooOld { .. }
            | Self::TimestampTooNew { .. }
            | Self::SignatureMismatch { .. }
            | Self::NoSecret => Some(401),
        }
    }

    /// What to do about it, in plain English (`None` when there is nothing to do).
    pub fn hint(&self) -> Option<String> {
        let text = match self {
            Self::Verified { .. } | Self::NotChecked => return None,
            Self::MissingHeader { header } => format!(
                "The request has no `{header}` header, so it was not sent by Clerk (Svix). \
                 To test by hand, use `hooklab send user.created` (it signs like Svix); if Clerk \
                 sent it, a proxy in between dropped the header."
            ),
            Self::MalformedTimestamp { value } => format!(
                "`svix-timestamp` must be Unix seconds, but it is {value:?}. Svix always sends \
                 seconds: something rewrote the header."
            ),
            Self::TimestampTooOld { seconds } => format!(
                "The signature is valid, but its timestamp is {seconds} s older than this \
                 machine's clock (the limit is {TOLERANCE_SECS} s). Either this machine's clock \
                 is {seconds} s fast (check `timedatectl` and enable NTP) or the request was \
                 replayed from an old capture."
            ),
            Self::TimestampTooNew { seconds } => format!(
                "The signature is valid, but its timestamp is {seconds} s in the future (the \
                 limit is {TOLERANCE_SECS} s). This machine's clock is about {seconds} s slow: \
                 check `timedatectl` and enable NTP."
            ),
            Self::SignatureMismatch { signatures: 0, .. } => {
                "The `svix-signature` header has no `v1,` signature in it. Svix sends \
                  `v1,<base64>` entries separated by spaces: something rewrote the header."
                    .to_owned()
            }
            Self::SignatureMismatch {
                body_reformatted: true,
                ..
            } => "The body was changed in transit: it is pretty-printed, and Svix sends compact \
                  JSON. A proxy or middleware parsed and re-serialized it. Verify the raw bytes \
                  before any JSON parsing."
                .to_owned(),
            Self::SignatureMismatch { secrets_tried, .. } => format!(
                "None of the {secrets_tried} configured signing secret(s) produced this \
                 signature. Most likely the secret is wrong: every endpoint has its own, and a \
                 newly created endpoint has a new one. {WHERE_THE_SECRET_IS} If the secret is \
                 right, the body was modified on the way."
            ),
            Self::NoSecret => format!(
                "No signing secret is configured, so nothing can be verified. Save it with \
                 `hooklab config set-secret` (or in the app's Settings); it applies without a \
                 restart. {WHERE_THE_SECRET_IS}"
            ),
        };
        Some(text)
    }
}

/// The three Svix headers, under their `svix-` or unbranded `webhook-` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SvixHeaders {
    /// `svix-id`: the message id, the same on every retry.
    pub id: Option<String>,
    /// `svix-timestamp`, as received.
    pub timestamp: Option<String>,
    /// `svix-signature`, as received.
    pub signature: Option<String>,
}

impl SvixHeaders {
    /// Reads the headers; an empty or non-text value counts as absent.
    pub fn read(headers: &HeaderMap) -> Self {
        let get = |branded: &str, unbranded: &str| {
            headers
                .get(branded)
                .or_else(|| headers.get(unbranded))
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Self {
            id: get("svix-id", "webhook-id"),
            timestamp: get("svix-timestamp", "webhook-timestamp"),
            signature: get("svix-signature", "webhook-signature"),
        }
    }

    /// The timestamp as Unix seconds, when it parses.
    pub fn timestamp_secs(&self) -> Option<i64> {
        self.timestamp.as_deref().and_then(|t| t.parse().ok())
    }
}

/// Checks a request against every configured secret at `now_secs`.
pub fn verify(headers: &HeaderMap, body: &[u8], secrets: &[Secret], now_secs: i64) -> Verification {
    let svix = SvixHeaders::read(headers);
    let names = [
        ("svix-id", &svix.id),
        ("svix-timestamp", &svix.timestamp),
        ("svix-signature", &svix.signature),
    ];
    if let Some((name, _)) = names.iter().find(|(_, value)| value.is_none()) {
        return Verification::MissingHeader {
            header: (*name).to_owned(),
        };
    }
    let Some(timestamp) = svix.timestamp_secs() else {
        return Verification::MalformedTimestamp {
            value: svix.timestamp.unwrap_or_default(),
        };
    };
    if secrets.is_empty() {
        return Verification::NoSecret;
    }
    // The HMAC is checked here (on the CPU's SHA instructions; svix's verifier stays the
    // reference in tests). It also checks a body that is not UTF-8, which svix refuses before
    // checking, so a valid signature is never reported as a wrong secret.
    let matched = secrets.iter().position(|secret| {
        let signed = secret.signed(
            svix.id.as_deref().unwrap_or_default(),
            svix.timestamp.as_deref().unwrap_or_default(),
            body,
            svix.signature.as_deref().unwrap_or_default(),
        );
        signed.unwrap_or_else(|| {
            secret
                .webhook()
                .verify_ignoring_timestamp(body, headers)
                .is_ok()
        })
    });
    let Some(index) = matched else {
        let signatures = svix
            .signature
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|entry| entry.starts_with("v1,"))
            .count();
        return Verification::SignatureMismatch {
            secrets_tried: secrets.len(),
            signatures,
            body_reformatted: looks_reformatted(body),
        };
    };
    let skew = now_secs.saturating_sub(timestamp);
    if skew > TOLERANCE_SECS {
        return Verification::TimestampTooOld { seconds: skew };
    }
    if skew < -TOLERANCE_SECS {
        return Verification::TimestampTooNew {
            seconds: skew.saturating_neg(),
        };
    }
    let secret = &secrets[index];
    Verification::Verified {
        secret_index: index,
        secret: secret.masked(),
        origin: secret.origin(),
    }
}

/// Svix sends compact JSON; line breaks between tokens mean something re-serialized the body.
fn looks_reformatted(body: &[u8]) -> bool {
    body.starts_with(b"{\n") || body.windows(3).any(|w| w == b",\n " || w == b",\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_A: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SECRET_B: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const BODY_B: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const TS_B: i64 = 1649367553;

    fn secrets(values: &[&str]) -> Vec<Secret> {
        values
            .iter()
            .map(|v| Secret::parse(v, SecretOrigin::Flag).unwrap())
            .collect()
    }

    fn headers(id: &str, ts: &str, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("svix-id", id.parse().unwrap());
        h.insert("svix-timestamp", ts.parse().unwrap());
        h.insert("svix-signature", sig.parse().unwrap());
        h
    }

    #[test]
    fn a_body_that_is_not_utf8_is_checked_by_its_hmac_not_called_a_wrong_secret() {
        use base64::Engine as _;
        let body: &[u8] = b"\xff\xfe not text \x80";
        let key = base64::engine::general_purpose::STANDARD
            .decode(SECRET_A.trim_start_matches("whsec_"))
            .unwrap();
        let mut mac = hmac_sha256::HMAC::new(&key);
        mac.update(b"msg_1.1614265330.");
        mac.update(body);
        let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize());
        let h = headers("msg_1", "1614265330", &format!("v1,{signature}"));
        let got = verify(&h, body, &secrets(&[SECRET_B, SECRET_A]), 1614265330);
        assert!(
            matches!(
                got,
                Verification::Verified {
                    secret_index: 1,
                    ..
                }
            ),
            "{got:?}"
        );
        let forged = headers("msg_1", "1614265330", "v1,AAAA");
        let got = verify(&forged, body, &secrets(&[SECRET_A]), 1614265330);
        assert_eq!(got.code(), "signature_mismatch");
    }

    #[test]
    fn svix_published_vector_one_verifies() {
        let h = headers(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        );
        let got = verify(
            &h,
            br#"{"test": 2432232314}"#,
            &secrets(&[SECRET_A]),
            1614265330,
        );
        assert!(got.is_verified(), "{got:?}");
    }

    #[test]
    fn svix_published_vector_two_verifies_and_names_the_matching_secret() {
        let h = headers(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            "1649367553",
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        );
        let got = verify(&h, BODY_B, &secrets(&[SECRET_A, SECRET_B]), TS_B + 10);
        assert_eq!(
            got,
            Verification::Verified {
                secret_index: 1,
                secret: "whsec_…b7oD".into(),
                origin: SecretOrigin::Flag
            }
        );
    }

    #[test]
    fn svix_published_wrong_signature_is_rejected() {
        let h = headers(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            "1649367553",
            "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=",
        );
        let got = verify(&h, BODY_B, &secrets(&[SECRET_B]), TS_B);
        assert_eq!(got.code(), "signature_mismatch");
        assert_eq!(got.failure_status(), Some(401));
        assert!(got.hint().unwrap().contains("Signing Secret"));
    }

    #[test]
    fn decoys_around_the_right_signature_pass() {
        let sig = "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU= v2,abc v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";
        let h = headers("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "1649367553", sig);
        assert!(verify(&h, BODY_B, &secrets(&[SECRET_B]), TS_B).is_verified());
    }

    #[test]
    fn unbranded_webhook_headers_are_accepted() {
        let mut h = HeaderMap::new();
        h.insert(
            "webhook-id",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk".parse().unwrap(),
        );
        h.insert("webhook-timestamp", "1649367553".parse().unwrap());
        h.insert(
            "webhook-signature",
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
                .parse()
                .unwrap(),
        );
        assert!(verify(&h, BODY_B, &secrets(&[SECRET_B]), TS_B).is_verified());
    }

    #[test]
    fn each_missing_header_is_named() {
        for (skip, name) in [(0, "svix-id"), (1, "svix-timestamp"), (2, "svix-signature")] {
            let mut h = headers("msg_1", "1649367553", "v1,x");
            h.remove(["svix-id", "svix-timestamp", "svix-signature"][skip]);
            let got = verify(&h, BODY_B, &secrets(&[SECRET_B]), TS_B);
            assert_eq!(
                got,
                Verification::MissingHeader {
                    header: name.into()
                }
            );
            assert_eq!(got.failure_status(), Some(400));
        }
    }

    #[test]
    fn malformed_timestamp_is_reported_with_its_value() {
        let h = headers("msg_1", "2022-04-07T21:39:13Z", "v1,x");
        let got = verify(&h, BODY_B, &secrets(&[SECRET_B]), TS_B);
        assert_eq!(
            got,
            Verification::MalformedTimestamp {
                value: "2022-04-07T21:39:13Z".into()
            }
        );
    }

    #[test]
    fn clock_skew_reports_the_measured_offset_both_ways() {
        let h = headers(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            "1649367553",
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        );
        let s = secrets(&[SECRET_B]);
        let old = verify(&h, BODY_B, &s, TS_B + 421);
        assert_eq!(old, Verification::TimestampTooOld { seconds: 421 });
        assert!(old.hint().unwrap().contains("421 s"));
        let new = verify(&h, BODY_B, &s, TS_B - 900);
        assert_eq!(new, Verification::TimestampTooNew { seconds: 900 });
        assert!(verify(&h, BODY_B, &s, TS_B + 300).is_verified());
    }

    #[test]
    fn no_secret_is_its_own_outcome() {
        let h = headers("msg_1", "1649367553", "v1,x");
        assert_eq!(verify(&h, BODY_B, &[], TS_B), Verification::NoSecret);
    }

    #[test]
    fn pretty_printed_body_is_diagnosed_as_modified_in_transit() {
        let h = headers(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            "1649367553",
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        );
        let pretty = b"{\n  \"email\": \"test@example.com\",\n  \"username\": \"test_user\"\n}";
        let got = verify(&h, pretty, &secrets(&[SECRET_B]), TS_B);
        assert!(matches!(
            got,
            Verification::SignatureMismatch {
                body_reformatted: true,
                ..
            }
        ));
        assert!(got.hint().unwrap().contains("re-serialized"));
    }
}
