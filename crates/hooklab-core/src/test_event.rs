//! Sending a realistic test event from a fixture (possibly edited by the user): fresh ids and
//! times, signed with the current secret like Svix does (or broken on purpose: a wrong key, a
//! shifted timestamp), delivered once or several times as one message, and matched with the
//! event Hooklab captured. `hooklab send` and the app's Send view both go through here.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::capture::now_ms;
use crate::client::{HttpClient, HttpReply, SendError, typed_url};
use crate::engine::Engine;
use crate::error_body::Coded;
use crate::fixtures::{TemplateError, prepare};
use crate::ids::new_id;
use crate::secret::Secret;
use crate::send::{Delivery, SignOptions, sign_as};
use crate::store::{EventSummary, StoreError};
use crate::text::printable;

/// The most deliveries of one test message (Svix itself makes at most 8 attempts).
pub const MAX_TIMES: i64 = 20;

/// The largest shift of `svix-timestamp`, either way: a year (anything past Svix's 5 minutes
/// already fails; more only makes timestamps nothing can show).
pub const MAX_OFFSET_SECS: i64 = 366 * 86_400;

/// Where the app sends a test event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum SendTarget {
    /// The loopback listener.
    Local,
    /// The tunnel's public URL (a full round trip through ngrok).
    Public,
    /// Any URL, e.g. the user's own app (`http://` is assumed when no scheme is typed).
    Url {
        /// Where to post.
        url: String,
    },
}

/// How to send a test event: about whom, how many times, and how to break it on purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct TestOptions {
    /// The user it is about; none: a new user each send.
    pub user_id: Option<String>,
    /// For session.* events: this session (e.g. end the one a session.created started); none:
    /// a new one.
    pub session_id: Option<String>,
    /// Seconds added to `svix-timestamp` (negative: in the past), to test clock skew.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timestamp_offset: i64,
    /// Sign with a wrong key, as a misconfigured secret would.
    pub wrong_key: bool,
    /// How many times to deliver it, up to [`MAX_TIMES`]: later deliveries keep the svix-id,
    /// as Svix's retries do (0 counts as 1).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub times: i64,
}

/// What a test send did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TestSend {
    /// The svix-id it was sent with (every delivery's).
    pub svix_id: String,
    /// `svix-timestamp` of the first delivery (Unix s).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub svix_timestamp: i64,
    /// Its type.
    pub event_type: String,
    /// The user it is about.
    pub user_id: Option<String>,
    /// Where it was posted.
    pub url: String,
    /// How the URL answered each delivery, in order (never empty).
    pub attempts: Vec<HttpReply>,
    /// Why the deliveries stopped before the number asked for (a later one got no answer).
    pub stopped: Option<String>,
    /// The event Hooklab captured, as it stands after the last delivery, when Hooklab answered.
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
    /// The session id is not one, or the event is not about a session.
    #[error("{0}")]
    SessionId(String),
    /// The URL to send to is not one.
    #[error("`{0}` is not a URL to send to")]
    Url(String),
    /// Not a number of deliveries that can be made.
    #[error("{0} deliveries cannot be made: from 1 to {MAX_TIMES}")]
    Times(i64),
    /// A timestamp shift past what can be shown.
    #[error("a shift of {0} s is more than a year")]
    Offset(i64),
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
            Self::SessionId(_) => "invalid_session_id",
            Self::Url(_) => "invalid_url",
            Self::Times(_) => "invalid_times",
            Self::Offset(_) => "invalid_timestamp_offset",
            Self::NoSecret => "no_secret",
            Self::Send(e) => Coded::code(e),
            Self::Store(e) => e.code(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Template(e) => e.hint(),
            Self::UserId(_) => Some(
                "Leave it out for a new user each send, or give a user's id (user_…) from Users \
                 or `hooklab users`."
                    .into(),
            ),
            Self::SessionId(_) => Some(
                "Leave it out for a new session, or give a session's id (sess_…) from a user's \
                 page or `hooklab user`, e.g. to end the session a session.created started."
                    .into(),
            ),
            Self::Url(_) => Some(
                "Type the full webhook URL, e.g. http://localhost:3000/api/webhooks/clerk.".into(),
            ),
            Self::Times(_) => Some(
                "Svix makes at most 8 attempts per message; to load-test, use `hooklab bench`."
                    .into(),
            ),
            Self::Offset(_) => Some(
                "Anything past 300 s either way already fails Svix's check: try -600 (10 \
                 minutes old) or 600 (10 minutes ahead)."
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
            Self::SessionId(_) => Some("session_id"),
            Self::Url(_) => Some("url"),
            Self::Times(_) => Some("times"),
            Self::Offset(_) => Some("timestamp_offset"),
            _ => None,
        }
    }
}

/// A test event made from a template, ready to be signed for each of its deliveries.
#[derive(Debug, Clone)]
pub struct TestMessage {
    /// Its svix-id, the same for every delivery.
    pub svix_id: String,
    /// Its type.
    pub event_type: String,
    /// The user it is about.
    pub user_id: Option<String>,
    /// How many deliveries were asked for (at least 1).
    pub times: i64,
    body: Bytes,
    sign: SignOptions,
}

impl TestMessage {
    /// Prepares `template` (fresh ids and times, about the chosen user and session) at `now_ms`.
    pub fn new(template: &str, options: &TestOptions, now_ms: i64) -> Result<Self, TestSendError> {
        let user_id = chosen_id(options.user_id.as_deref())
            .map(|user| {
                if is_id(user) {
                    Ok(user)
                } else {
                    Err(TestSendError::UserId(shown(user)))
                }
            })
            .transpose()?;
        if !(0..=MAX_TIMES).contains(&options.times) {
            return Err(TestSendError::Times(options.times));
        }
        if !(-MAX_OFFSET_SECS..=MAX_OFFSET_SECS).contains(&options.timestamp_offset) {
            return Err(TestSendError::Offset(options.timestamp_offset));
        }
        let mut prepared = prepare(template, user_id, now_ms)?;
        if let Some(session) = chosen_id(options.session_id.as_deref()) {
            prepared.body = with_session_id(&prepared.body, &prepared.event_type, session)?;
        }
        Ok(Self {
            svix_id: new_id("msg", now_ms.div_euclid(1000)),
            event_type: prepared.event_type,
            user_id: prepared.user_id,
            times: options.times.max(1),
            body: Bytes::from(prepared.body),
            sign: SignOptions {
                timestamp_offset: options.timestamp_offset,
                bad_signature: options.wrong_key,
            },
        })
    }

    /// One delivery of the message, signed with `secret` at `now_secs` (as broken as asked).
    pub fn delivery(&self, secret: &Secret, now_secs: i64) -> Delivery {
        sign_as(
            self.svix_id.clone(),
            self.body.clone(),
            secret,
            now_secs,
            self.sign,
        )
    }
}

/// The URL typed for the "any URL" target, checked (see [`typed_url`]), refused beside its field.
pub fn target_url(typed: &str) -> Result<String, TestSendError> {
    typed_url(typed).map_err(|_| TestSendError::Url(shown(typed.trim())))
}

/// Makes a test message from `template` as `options` ask, signs each delivery with the
/// current secret and posts them to `url` one after another.
pub async fn send_test_event(
    engine: &Engine,
    client: &HttpClient,
    template: &str,
    options: &TestOptions,
    url: &str,
) -> Result<TestSend, TestSendError> {
    let message = TestMessage::new(template, options, now_ms())?;
    let secrets = engine.secrets();
    let secret = secrets.first().ok_or(TestSendError::NoSecret)?;
    let mut svix_timestamp = None;
    let mut attempts = Vec::new();
    let mut stopped = None;
    for n in 1..=message.times {
        let delivery = message.delivery(secret, now_ms().div_euclid(1000));
        svix_timestamp.get_or_insert(delivery.timestamp);
        match delivery.post(client, url).await {
            Ok(reply) => attempts.push(reply),
            // The first delivery's failure is the send's; a later one ends it, keeping the
            // answers so far (an app that falls over on a redelivery is worth seeing).
            Err(e) if attempts.is_empty() => return Err(e.into()),
            Err(e) => {
                stopped = Some(format!(
                    "delivery {n} of {} got no answer: {e}",
                    message.times
                ));
                break;
            }
        }
    }
    let id = attempts
        .last()
        .and_then(|last| serde_json::from_str::<serde_json::Value>(&last.body).ok())
        .and_then(|v| v.get("id").and_then(serde_json::Value::as_i64));
    let event = match id {
        Some(id) => engine
            .store()
            .event(id.to_string())
            .await?
            .map(|d| d.summary)
            // Another app's `{"id": 5}` is its own business: only Hooklab's answer names the
            // event it stored with this svix-id.
            .filter(|e| e.svix_id.as_deref() == Some(message.svix_id.as_str())),
        None => None,
    };
    Ok(TestSend {
        svix_id: message.svix_id,
        svix_timestamp: svix_timestamp.unwrap_or_default(),
        event_type: message.event_type,
        user_id: message.user_id,
        url: url.to_owned(),
        attempts,
        stopped,
        event,
    })
}

/// The body with `data.id` set to `session` (session.* events only).
fn with_session_id(body: &str, event_type: &str, session: &str) -> Result<String, TestSendError> {
    if !event_type.starts_with("session.") {
        return Err(TestSendError::SessionId(format!(
            "a session id applies to session.* events, not {}",
            shown(event_type)
        )));
    }
    if !is_id(session) {
        return Err(TestSendError::SessionId(format!(
            "`{}` is not a session id: one word, like sess_2yJshmaJAoE3XwYMmUcJwH5cXSl",
            shown(session)
        )));
    }
    let mut event: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| TestSendError::Template(TemplateError(e.to_string())))?;
    event["data"]["id"] = session.into();
    Ok(event.to_string())
}

/// A typed id, trimmed; `None` when left empty.
fn chosen_id(id: Option<&str>) -> Option<&str> {
    id.map(str::trim).filter(|id| !id.is_empty())
}

/// Text from the user, cut and escaped for an error message.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(60).collect();
    printable(&cut).into_owned()
}

/// Whether `text` can be a Clerk id: one word of letters, digits and `_`, as Clerk's are.
fn is_id(text: &str) -> bool {
    text.len() <= 128 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
