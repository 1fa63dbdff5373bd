//! Signing secrets: parsed once, checked against Svix signatures, and never printed in full.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What went wrong with a secret the user gave us.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The value does not start with `whsec_`.
    #[error("{masked} does not look like a Clerk signing secret: it should start with `whsec_`")]
    MissingPrefix {
        /// The value, masked.
        masked: String,
    },
    /// The part after `whsec_` is not valid base64.
    #[error("{masked} is not a valid signing secret: the part after `whsec_` is not base64")]
    NotBase64 {
        /// The value, masked.
        masked: String,
    },
}

/// Where the user finds the right signing secret.
pub const WHERE_THE_SECRET_IS: &str = "Copy it from the Clerk dashboard: Configure → Webhooks → \
    your endpoint → Signing Secret (click the eye icon, then copy).";

/// What to do when a resend or a test event needs a secret and none is configured.
pub fn missing_secret_hint() -> String {
    format!(
        "Add the endpoint's signing secret in Settings (or `hooklab config set-secret`). \
         {WHERE_THE_SECRET_IS}"
    )
}

impl SecretError {
    /// Where to find the right value.
    pub fn hint(&self) -> &'static str {
        WHERE_THE_SECRET_IS
    }
}

/// Where a secret came from, so an outcome can say which one matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SecretOrigin {
    /// `--secret` on the command line (or set by the app).
    Flag,
    /// `CLERK_WEBHOOK_SECRET` or `CLERK_WEBHOOK_SIGNING_SECRET`.
    Env,
    /// The settings file.
    Settings,
}

impl SecretOrigin {
    /// Where to look for it, in words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Flag => "--secret",
            Self::Env => "the environment",
            Self::Settings => "the settings file",
        }
    }
}

/// Compares without stopping at the first difference (the time taken says nothing about where
/// a forged signature went wrong).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One signing secret, ready to verify and sign with.
pub struct Secret {
    raw: String,
    origin: SecretOrigin,
    webhook: svix::webhooks::Webhook,
    /// The decoded key for aws-lc-rs's HMAC, which runs on the CPU's SHA instructions (svix's
    /// pure-Rust HMAC took 14% of the HTTP threads' time under load).
    key: Option<aws_lc_rs::hmac::Key>,
}

impl Secret {
    /// Parses a `whsec_…` secret.
    pub fn parse(raw: &str, origin: SecretOrigin) -> Result<Self, SecretError> {
        let raw = raw.trim();
        let masked = mask(raw);
        let Some(key) = raw.strip_prefix("whsec_") else {
            return Err(SecretError::MissingPrefix { masked });
        };
        if key.is_empty() {
            return Err(SecretError::NotBase64 { masked });
        }
        let webhook =
            svix::webhooks::Webhook::new(raw).map_err(|_| SecretError::NotBase64 { masked })?;
        let engine = base64::engine::general_purpose::STANDARD;
        let key = base64::Engine::decode(&engine, key)
            .ok()
            .map(|bytes| aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &bytes));
        Ok(Self {
            raw: raw.to_owned(),
            key,
            origin,
            webhook,
        })
    }

    /// Another handle on the same secret (for a signer that outlives a settings change).
    pub(crate) fn duplicate(&self) -> Option<Self> {
        Self::parse(&self.raw, self.origin).ok()
    }

    /// The masked form shown to people: `whsec_…` plus the last four characters.
    pub fn masked(&self) -> String {
        mask(&self.raw)
    }

    /// Where this secret came from.
    pub fn origin(&self) -> SecretOrigin {
        self.origin
    }

    /// Whether `signature` (a `svix-signature` header: space-separated `v1,<base64>` entries)
    /// holds this secret's HMAC of `id.timestamp.body`, for any body (svix's verifier refuses
    /// one that is not UTF-8 before checking it). `None` when the key is one only svix decodes.
    /// Agrees with svix on every case (tests/verify_matches_svix.rs).
    pub fn signed(&self, id: &str, timestamp: &str, body: &[u8], signature: &str) -> Option<bool> {
        let key = self.key.as_ref()?;
        let mut mac = aws_lc_rs::hmac::Context::with_key(key);
        for part in [id.as_bytes(), b".", timestamp.as_bytes(), b".", body] {
            mac.update(part);
        }
        let engine = base64::engine::general_purpose::STANDARD;
        let expected = base64::Engine::encode(&engine, mac.sign().as_ref());
        Some(
            signature
                .split(' ')
                .filter_map(|entry| entry.strip_prefix("v1,"))
                .any(|given| same_bytes(given.as_bytes(), expected.as_bytes())),
        )
    }

    /// The svix verifier for this secret.
    pub fn webhook(&self) -> &svix::webhooks::Webhook {
        &self.webhook
    }

    /// The full value, for writing it back to the settings file only.
    pub fn expose(&self) -> &str {
        &self.raw
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}, {:?})", self.masked(), self.origin)
    }
}

/// Masks any secret-like value: keeps a recognisable prefix and the last four characters.
pub fn mask(value: &str) -> String {
    let prefix = if value.starts_with("whsec_") {
        "whsec_"
    } else {
        ""
    };
    let tail: String = value
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if value.chars().count() <= prefix.len() + 8 {
        return format!("{prefix}…");
    }
    format!("{prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secret_hides_all_but_the_last_four_characters() {
        let s =
            Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SecretOrigin::Flag).unwrap();
        assert_eq!(s.masked(), "whsec_…LaSw");
        assert!(!format!("{s:?}").contains("MfKQ9r8"));
    }

    #[test]
    fn value_without_prefix_is_rejected_with_a_masked_message() {
        let err = Secret::parse("sk_test_abcdefghijklmnop", SecretOrigin::Env).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("whsec_"), "{text}");
        assert!(!text.contains("abcdefghijkl"), "{text}");
    }

    #[test]
    fn non_base64_secret_is_rejected() {
        assert!(matches!(
            Secret::parse("whsec_not base64!!", SecretOrigin::Settings),
            Err(SecretError::NotBase64 { .. })
        ));
        assert!(matches!(
            Secret::parse("whsec_", SecretOrigin::Settings),
            Err(SecretError::NotBase64 { .. })
        ));
    }
}
