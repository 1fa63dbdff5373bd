//! Sending a realistic test event from a fixture (possibly edited by the user): fresh ids and
//! times, signed with the current secret like Svix does, posted to Hooklab's own local or
//! public URL, and matched with the event Hooklab captured.

use bytes::Bytes;
use serde::Serialize;

use crate::capture::now_ms;
use crate::client::{HttpClient, HttpReply, SendError};
use crate::engine::Engine;
use crate::error_body::Coded;
use crate::fixtures::{TemplateError, prepare};
use crate::send::{SignOptions, sign};
use crate::store::{EventSummary, StoreError};
use crate::text::printable;

/// Where the app sends a test event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SendTarget {
    /// The loopback listener.
    Local,
    /// The tunnel's public URL (a full round trip through ngrok).
    Public,
}

/// What a test send did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TestSend {
    /// The svix-id it was sent with.
    pub svix_id: String,
    /// Its type.
    pub event_type: String,
    /// The user it is about.
    pub user_id: Option<String>,
    /// Where it was posted.
    pub url: String,
    /// How the URL answered.
    pub http: HttpReply,
    /// The event Hooklab captured, when Hooklab answered.
    pub event: Option<EventSummary>,
}

/// Why a test event could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum TestSendError {
    /// The edited JSON is not a Clerk event.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The user id to send it about is not one.
    #[error("`{0}` is not a user id: one word, like user_2yJshmaJAoE3XwYMmUcJwH5cXSl")]
    UserId(String),
    /// Signing needs a secret.
    #[error("sending a signed test event needs a signing secret, and none is configured")]
    NoSecret,
    /// The URL did not answer.
    #[error(transparent)]
    Send(#[from] SendError),
    /// Reading the captured event failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for TestSendError {
    fn code(&self) -> &'static str {
        match self {
            Self::Template(e) => e.code(),
            Self::UserId(_) => "invalid_user_id",
            Self::NoSecret => "no_secret",
            Self::Send(e) => Coded::code(e),
            Self::Store(e) => e.code(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Template(e) => e.hint(),
            Self::UserId(_) => Some(
                "Leave it empty for a new user each send, or paste the id of a user in Users."
                    .into(),
            ),
            Self::NoSecret => Some(crate::secret::missing_secret_hint()),
            Self::Send(e) => Coded::hint(e),
            Self::Store(e) => e.hint().map(str::to_owned),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Template(e) => e.field(),
            Self::UserId(_) => Some("user_id"),
            _ => None,
        }
    }
}

/// Prepares `template` (fresh ids and times, about `user_id` or a new user), signs it with the
/// current secret and posts it to `url`.
pub async fn send_test_event(
    engine: &Engine,
    client: &HttpClient,
    template: &str,
    user_id: Option<&str>,
    url: &str,
) -> Result<TestSend, TestSendError> {
    let user_id = user_id.map(str::trim).filter(|u| !u.is_empty());
    if let Some(user) = user_id.filter(|u| !is_id(u)) {
        let shown: String = user.chars().take(60).collect();
        return Err(TestSendError::UserId(printable(&shown).into_owned()));
    }
    let now = now_ms();
    let prepared = prepare(template, user_id, now)?;
    let secrets = engine.secrets();
    let secret = secrets.first().ok_or(TestSendError::NoSecret)?;
    let delivery = sign(
        Bytes::from(prepared.body),
        secret,
        now.div_euclid(1000),
        SignOptions::default(),
    );
    let http = delivery.post(client, url).await?;
    let id = serde_json::from_str::<serde_json::Value>(&http.body)
        .ok()
        .and_then(|v| v.get("id").and_then(serde_json::Value::as_i64));
    let event = match id {
        Some(id) => engine
            .store()
            .event(id.to_string())
            .await?
            .map(|d| d.summary),
        None => None,
    };
    Ok(TestSend {
        svix_id: delivery.svix_id,
        event_type: prepared.event_type,
        user_id: prepared.user_id,
        url: url.to_owned(),
        http,
        event,
    })
}

/// Whether `text` can be a Clerk id: one word of letters, digits and `_`, as Clerk's are.
fn is_id(text: &str) -> bool {
    text.len() <= 128 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
