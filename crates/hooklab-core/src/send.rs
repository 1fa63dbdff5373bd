//! Signing a body the way Svix does and delivering it: `hooklab send`, resend, and the
//! benchmark's load all go through here.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};

use crate::client::{HttpClient, HttpReply, SendError};
use crate::ids::new_id;
use crate::secret::Secret;

/// A signed delivery, ready to post.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `svix-id`.
    pub svix_id: String,
    /// `svix-timestamp` (Unix s).
    pub timestamp: i64,
    /// `svix-signature`.
    pub signature: String,
    /// The exact body bytes.
    pub body: Bytes,
}

/// How to sign.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignOptions {
    /// Added to the timestamp (negative: in the past), to test clock skew.
    pub timestamp_offset: i64,
    /// Sign with a throwaway key instead, to test a wrong secret.
    pub bad_signature: bool,
}

/// Signs `body` with `secret` as a new message (fresh `svix-id`) at `now_secs`.
pub fn sign(body: Bytes, secret: &Secret, now_secs: i64, options: SignOptions) -> Delivery {
    let svix_id = new_id("msg", now_secs);
    sign_as(svix_id, body, secret, now_secs, options)
}

/// Signs `body` as a given message (a redelivery keeps its `svix-id`).
pub fn sign_as(
    svix_id: String,
    body: Bytes,
    secret: &Secret,
    now_secs: i64,
    options: SignOptions,
) -> Delivery {
    let timestamp = now_secs.saturating_add(options.timestamp_offset);
    let throwaway;
    let webhook = if options.bad_signature {
        throwaway = svix::webhooks::Webhook::from_bytes(b"hooklab-deliberately-wrong-key".to_vec());
        throwaway.as_ref().unwrap_or(secret.webhook())
    } else {
        secret.webhook()
    };
    let signature = webhook
        .sign(&svix_id, timestamp, &body)
        .unwrap_or_else(|_| "v1,".to_owned());
    Delivery {
        svix_id,
        timestamp,
        signature,
        body,
    }
}

impl Delivery {
    /// The headers Svix sends.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        };
        put("content-type", "application/json");
        put("user-agent", "Svix-Webhooks/1.0 (hooklab send)");
        put("svix-id", &self.svix_id);
        put("svix-timestamp", &self.timestamp.to_string());
        put("svix-signature", &self.signature);
        headers
    }

    /// Posts the delivery to `url`.
    pub async fn post(&self, client: &HttpClient, url: &str) -> Result<HttpReply, SendError> {
        client.post(url, &self.headers(), self.body.clone()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretOrigin;
    use crate::verify::{Verification, verify};

    fn secret() -> Secret {
        Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SecretOrigin::Flag).unwrap()
    }

    #[test]
    fn signed_delivery_verifies_and_broken_ones_fail_as_intended() {
        let s = secret();
        let body = Bytes::from_static(br#"{"type":"user.created","data":{}}"#);
        let now = 1_750_000_000;
        let good = sign(body.clone(), &s, now, SignOptions::default());
        let check = |d: &Delivery| verify(&d.headers(), &d.body, std::slice::from_ref(&s), now);
        assert!(check(&good).is_verified());
        let bad = sign(
            body.clone(),
            &s,
            now,
            SignOptions {
                bad_signature: true,
                ..SignOptions::default()
            },
        );
        assert_eq!(check(&bad).code(), "signature_mismatch");
        let skewed = sign(
            body,
            &s,
            now,
            SignOptions {
                timestamp_offset: -600,
                ..SignOptions::default()
            },
        );
        assert_eq!(
            check(&skewed),
            Verification::TimestampTooOld { seconds: 600 }
        );
    }
}
