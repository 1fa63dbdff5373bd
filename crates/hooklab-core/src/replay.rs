//! Resending a captured event. *Re-run in Hooklab*: the stored bytes and headers are judged and
//! stored again with today's secrets and settings, as a new event linked to the original.
//! *Over HTTP*: the stored request is posted to a URL (Hooklab's own, locally or through the
//! tunnel) as captured or re-signed, carrying a header naming the event it replays. Either way
//! the body can be edited first (ngrok's "replay with modifications"): re-signed with a new
//! svix-id, the edit is applied; as captured, it shows what a body modified on the way looks
//! like. A replay
//! is always a new event, never an edit of history.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::capture::{Capture, REPLAY_HEADER, Source, now_ms};
use crate::client::{HttpClient, HttpReply, SendError};
use crate::engine::Engine;
use crate::error_body::Coded;
use crate::ids::new_id;
use crate::send::{SignOptions, sign_as};
use crate::store::{EventDetail, EventSummary, StoreError};
use crate::sync::SyncKind;
use crate::verify::{SvixHeaders, TOLERANCE_SECS};

/// How the resent request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "signing", rename_all = "snake_case")]
pub enum Signing {
    /// The original signature headers, as captured (Svix's 5-minute tolerance applies).
    AsCaptured,
    /// Signed again now with the current secret; `new_id` gives it a new svix-id (so it is
    /// applied again) instead of keeping the message's (so it shows as a duplicate).
    ReSigned {
        /// A new svix-id.
        new_id: bool,
    },
}

/// Where the resent request goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum Target {
    /// Judged and stored again inside Hooklab, no HTTP.
    Rerun,
    /// Posted to a URL: Hooklab's own webhook URL (local or public).
    Http {
        /// The URL.
        url: String,
    },
}

/// One resend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReplayRequest {
    /// The event: its number or svix-id.
    pub key: String,
    /// How to sign.
    pub signing: Signing,
    /// Where to.
    pub target: Target,
    /// The body to send instead of the captured one (edited by the user); none: as captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub body: Option<String>,
}

/// What a resend did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReplayOutcome {
    /// The event resent.
    pub original: EventSummary,
    /// The svix-id sent.
    pub svix_id: Option<String>,
    /// The new event Hooklab captured (for HTTP: when the answer came from Hooklab).
    pub event: Option<EventSummary>,
    /// How the URL answered (HTTP only).
    pub http: Option<HttpReply>,
    /// Worth knowing before reading the result (an expired signature, a re-run judged as of
    /// the original arrival).
    pub note: Option<String>,
}

/// Why a resend could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// No such event.
    #[error("no event {0}")]
    NotFound(String),
    /// Its body was not kept (over the size limit, or it never arrived whole).
    #[error("event {0} cannot be resent: its body was not kept ({1})")]
    BodyNotKept(i64, &'static str),
    /// Re-signing needs a secret.
    #[error("re-signing needs a signing secret, and none is configured")]
    NoSecret,
    /// The edited body is larger than the receiver takes.
    #[error("the edited body is {size} bytes; the receiver takes at most {limit}")]
    EditTooLarge {
        /// Its size.
        size: usize,
        /// The receiver's body limit.
        limit: usize,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The URL did not answer.
    #[error(transparent)]
    Send(#[from] SendError),
}

impl Coded for ReplayError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "event_not_found",
            Self::BodyNotKept(..) => "body_not_kept",
            Self::NoSecret => "no_secret",
            Self::EditTooLarge { .. } => "body_too_large",
            Self::Store(e) => e.code(),
            Self::Send(e) => Coded::code(e),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::NotFound(_) => {
                Some("Pass an event number or svix-id (msg_…) from the event log.".into())
            }
            Self::BodyNotKept(..) => None,
            Self::NoSecret => Some(crate::secret::missing_secret_hint()),
            Self::EditTooLarge { .. } => Some(
                "Clerk's events are a few KB; a body this large would be refused with 413.".into(),
            ),
            Self::Store(e) => e.hint().map(str::to_owned),
            Self::Send(e) => Coded::hint(e),
        }
    }
}

/// Headers that describe one connection, not the request: never resent.
const HOP_BY_HOP: [&str; 5] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

/// Resends one stored event.
pub async fn replay(
    engine: &Engine,
    client: &HttpClient,
    request: &ReplayRequest,
) -> Result<ReplayOutcome, ReplayError> {
    let detail = engine
        .store()
        .event(request.key.clone())
        .await?
        .ok_or_else(|| ReplayError::NotFound(request.key.clone()))?;
    replay_detail(engine, client, request, detail).await
}

/// Resends `detail`, the stored event `request` names.
pub(crate) async fn replay_detail(
    engine: &Engine,
    client: &HttpClient,
    request: &ReplayRequest,
    detail: EventDetail,
) -> Result<ReplayOutcome, ReplayError> {
    // An edit that changes nothing is no edit: the request goes as captured.
    let edited = request
        .body
        .as_deref()
        .filter(|b| b.as_bytes() != detail.body.as_slice());
    if let (None, Some(reason)) = (edited, body_not_kept(&detail)) {
        return Err(ReplayError::BodyNotKept(detail.summary.id, reason));
    }
    if let Some(size) = edited.map(str::len).filter(|&n| n > engine.body_limit()) {
        let limit = engine.body_limit();
        return Err(ReplayError::EditTooLarge { size, limit });
    }
    let body = edited.map_or_else(
        || Bytes::from(detail.body.clone()),
        |b| Bytes::copy_from_slice(b.as_bytes()),
    );
    let now = now_ms();
    let mut headers = crate::capture::decode_headers(&detail.raw_headers);
    if edited.is_some() {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    let note = match request.signing {
        Signing::AsCaptured if edited.is_some() => Some(
            "The body was edited after it was signed, so the captured signature no longer \
             matches it: a receiver that verifies refuses it (signature_mismatch), as it would \
             a body modified on the way. Re-sign it to send the edit as a valid delivery."
                .to_owned(),
        ),
        Signing::AsCaptured => match request.target {
            Target::Rerun => Some(
                "Judged as of its original arrival (the signature's age is measured from \
                 then), with today's secrets and settings."
                    .to_owned(),
            ),
            Target::Http { .. } => expired_signature(&detail, now),
        },
        Signing::ReSigned { new_id } => {
            re_sign(engine, &detail, &body, &mut headers, new_id, now)?;
            None
        }
    };
    // An edit sent under a message id Hooklab already delivered is taken as that message again.
    let edit_unapplied = |event: &Option<EventSummary>, note: Option<String>| {
        let duplicate = event
            .as_ref()
            .is_some_and(|e| e.sync == SyncKind::Duplicate);
        if edited.is_some() && duplicate {
            Some(
                "The edit was not applied: with the same svix-id, Hooklab (like any idempotent \
                 handler) takes it as the message it already delivered. Re-sign it with a new \
                 svix-id to apply it."
                    .to_owned(),
            )
        } else {
            note
        }
    };
    let svix_id = SvixHeaders::read(&headers).id;
    let original = detail.summary.clone();
    match &request.target {
        Target::Rerun => {
            let clock_secs = match request.signing {
                Signing::AsCaptured => detail.summary.received_at.div_euclid(1000),
                Signing::ReSigned { .. } => now.div_euclid(1000),
            };
            let capture = Capture {
                received_ms: now,
                source: Source::Replay,
                remote: None,
                method: detail.summary.method.clone(),
                path: detail.summary.path.clone(),
                body_size: body.len() as u64,
                headers,
                body,
                incomplete: None,
                replay_of: Some(original.id),
            };
            let receipt = engine.ingest_judged_at(capture, clock_secs).await?;
            let event = Some(receipt.event);
            Ok(ReplayOutcome {
                original,
                svix_id,
                note: edit_unapplied(&event, note),
                event,
                http: None,
            })
        }
        Target::Http { url } => {
            let url = &crate::client::typed_url(url)?;
            without_hop_by_hop(&mut headers);
            if let Ok(value) = HeaderValue::from_str(&original.id.to_string()) {
                headers.insert(HeaderName::from_static(REPLAY_HEADER), value);
            }
            let sent_at = now_ms();
            let reply = client.post(url, &headers, body).await?;
            // An edited body is not the event's: the app's answer to it is not the event's
            // forward.
            if edited.is_none() && !from_hooklab(&reply) {
                // Another app answered (the user's): it is the event's latest forward now, so
                // its row and detail show this answer instead of an older failure.
                let forward = crate::forward::answered(original.id, url, sent_at, reply.clone());
                if let Err(e) = engine.store().record_forwards(vec![forward]).await {
                    tracing::warn!(error = %e, "could not store the app's answer to a resend");
                }
            }
            let event = match answered_event_id(&reply) {
                Some(id) => engine
                    .store()
                    .event(id.to_string())
                    .await?
                    .map(|d| d.summary),
                None => None,
            };
            let original_id = original.id;
            // Only Hooklab's own answer names the event it stored with the svix-id sent
            // (another app's `{"id": 5}` is its own business).
            let event = event.filter(|e| e.id != original_id && e.svix_id == svix_id);
            Ok(ReplayOutcome {
                original,
                note: edit_unapplied(&event, note),
                event,
                svix_id,
                http: Some(reply),
            })
        }
    }
}

/// The stored request's headers as they go out over HTTP to another receiver: as captured
/// while the signature is within Svix's tolerance, else re-signed now with the same svix-id
/// (like a Svix retry; as captured when there is no secret to sign with).
pub(crate) fn headers_to_post(
    engine: &Engine,
    detail: &EventDetail,
    now: i64,
) -> Result<HeaderMap, ReplayError> {
    let mut headers = crate::capture::decode_headers(&detail.raw_headers);
    if expired_signature(detail, now).is_some() && !engine.secrets().is_empty() {
        let body = Bytes::from(detail.body.clone());
        re_sign(engine, detail, &body, &mut headers, false, now)?;
    }
    without_hop_by_hop(&mut headers);
    Ok(headers)
}

fn without_hop_by_hop(headers: &mut HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The stored request's headers re-signed now with the current secret, keeping its svix-id
/// (like a Svix retry): what "copy as curl" puts in the command, valid for Svix's 5 minutes.
pub async fn re_signed_headers(
    engine: &Engine,
    key: &str,
) -> Result<Vec<(String, String)>, ReplayError> {
    let detail = engine
        .store()
        .event(key.to_owned())
        .await?
        .ok_or_else(|| ReplayError::NotFound(key.to_owned()))?;
    let mut headers = crate::capture::decode_headers(&detail.raw_headers);
    let body = Bytes::from(detail.body.clone());
    re_sign(engine, &detail, &body, &mut headers, false, now_ms())?;
    Ok(headers
        .iter()
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_owned(), value)
        })
        .collect())
}

/// Why the stored body cannot stand for the request, if it cannot.
pub(crate) fn body_not_kept(detail: &EventDetail) -> Option<&'static str> {
    if detail.body.len() as i64 == detail.summary.body_size {
        return None;
    }
    Some(match detail.summary.status {
        413 => "it was over the size limit",
        429 => "its client was rate limited, so the body was not kept",
        _ if detail.body.len() == crate::junk::KEEP_UNSIGNED_BODY => {
            "only the first 64 KiB of a body no secret signed are kept"
        }
        _ => "it never arrived whole",
    })
}

/// Warns that an as-captured resend will fail Svix's timestamp check, when it will.
pub fn expired_signature(detail: &EventDetail, now_ms: i64) -> Option<String> {
    let signed_at = detail.summary.svix_timestamp?;
    let age = now_ms.div_euclid(1000).saturating_sub(signed_at);
    (age > TOLERANCE_SECS).then(|| {
        format!(
            "Its signature is {} old; Svix's tolerance is 5 minutes, so a receiver that checks \
             signatures (Hooklab included) refuses it as timestamp_too_old. Re-sign it to \
             resend it as new.",
            human_age(age)
        )
    })
}

/// `90` → `1 min`, `7200` → `2 h`, `200000` → `2 days`.
fn human_age(secs: i64) -> String {
    match secs {
        ..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        7200..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

/// Replaces the signature headers with fresh ones for `body`, signed now with the current secret.
fn re_sign(
    engine: &Engine,
    detail: &EventDetail,
    body: &Bytes,
    headers: &mut HeaderMap,
    new_id: bool,
    now: i64,
) -> Result<(), ReplayError> {
    let secrets = engine.secrets();
    let secret = secrets.first().ok_or(ReplayError::NoSecret)?;
    let svix_id = match (&detail.summary.svix_id, new_id) {
        (Some(id), false) => id.clone(),
        _ => new_id_now(now),
    };
    let delivery = sign_as(
        svix_id,
        body.clone(),
        secret,
        now.div_euclid(1000),
        SignOptions::default(),
    );
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        headers.remove(name);
    }
    for (name, value) in delivery.headers() {
        if let Some(name) = name.filter(|n| n.as_str().starts_with("svix-")) {
            headers.insert(name, value);
        }
    }
    Ok(())
}

fn new_id_now(now_ms: i64) -> String {
    new_id("msg", now_ms.div_euclid(1000))
}

/// Whether a receiver answered like Hooklab does: its JSON names the verification outcome (even
/// the short answer an unverified caller gets through the public URL).
fn from_hooklab(reply: &HttpReply) -> bool {
    serde_json::from_str::<serde_json::Value>(&reply.body)
        .is_ok_and(|v| v.get("verification").is_some())
}

/// The event number in Hooklab's answer (`{"id": 12, …}`), when Hooklab answered.
fn answered_event_id(reply: &HttpReply) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(&reply.body)
        .ok()?
        .get("id")?
        .as_i64()
}
