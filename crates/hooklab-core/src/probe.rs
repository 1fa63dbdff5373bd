//! Proving the public URL works: a signed probe event posted to the webhook URL the way Clerk
//! would (through the internet and the tunnel), and where it broke if it did not come back
//! verified: no public URL, unreachable, answered by something that is not this Hooklab, or
//! refused by Hooklab (wrong path, no or wrong secret).

use bytes::Bytes;
use serde::Serialize;

use crate::capture::now_ms;
use crate::client::HttpClient;
use crate::engine::{Engine, PROBE_HEADER};
use crate::error_body::Coded;
use crate::ids::new_id;
use crate::send::{SignOptions, sign};
use crate::store::EventSummary;

/// The event type of a probe (verified and stored like any event, never synced).
pub const PROBE_TYPE: &str = "hooklab.probe";

/// How far a probe got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ProbeStage {
    /// Through the internet and back, verified.
    Verified,
    /// Hooklab received it but refused it (status and hint say why).
    Refused,
    /// Something answered that is not this Hooklab (an ngrok error page, another server).
    NotHooklab,
    /// Nothing answered (DNS, TLS, connection refused, timeout).
    Unreachable,
    /// There is no public URL to probe.
    NoPublicUrl,
}

/// What a probe found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProbeResult {
    /// How far it got.
    pub stage: ProbeStage,
    /// The URL probed.
    pub url: Option<String>,
    /// The answer's status, when there was one.
    pub status: Option<u16>,
    /// Round trip in ms.
    pub elapsed_ms: Option<f64>,
    /// One line: "reachable from the internet, verified, 180 ms", or where it broke.
    pub summary: String,
    /// What to do, when it broke.
    pub hint: Option<String>,
    /// The probe event as Hooklab stored it.
    pub event: Option<EventSummary>,
}

impl ProbeResult {
    /// The result when there is no public URL.
    pub fn no_public_url() -> Self {
        Self {
            stage: ProbeStage::NoPublicUrl,
            url: None,
            status: None,
            elapsed_ms: None,
            summary: "no public URL: the tunnel is not online".into(),
            hint: Some(
                "Add an ngrok authtoken in Settings (or wait for the tunnel to reconnect).".into(),
            ),
            event: None,
        }
    }
}

/// Posts a signed probe to `url` and says how far it got.
pub async fn probe(engine: &Engine, client: &HttpClient, url: &str) -> ProbeResult {
    let now = now_ms();
    let probe_id = new_id("probe", now.div_euclid(1000));
    let body = serde_json::json!({
        "type": PROBE_TYPE, "object": "event", "timestamp": now,
        "data": { "id": probe_id, "object": "probe",
                  "note": "sent by Hooklab to check that this URL reaches it" },
    })
    .to_string();
    let secrets = engine.secrets();
    let unsigned = secrets.is_empty();
    let mut headers = match secrets.first() {
        Some(secret) => sign(
            Bytes::from(body.clone()),
            secret,
            now.div_euclid(1000),
            SignOptions::default(),
        )
        .headers(),
        None => http::HeaderMap::new(),
    };
    let token = engine.probe_token();
    if let Ok(value) = http::HeaderValue::from_str(token.value()) {
        headers.insert(PROBE_HEADER, value);
    }
    let mut result = ProbeResult {
        url: Some(url.to_owned()),
        ..ProbeResult::no_public_url()
    };
    let reply = match client.post(url, &headers, Bytes::from(body)).await {
        Ok(reply) => reply,
        Err(e) => {
            result.stage = ProbeStage::Unreachable;
            result.summary = format!("not reachable: {e}");
            result.hint = Coded::hint(&e);
            return result;
        }
    };
    let elapsed = reply.elapsed_ms;
    result.status = Some(reply.status);
    result.elapsed_ms = Some(elapsed);
    let answered: Option<i64> = serde_json::from_str::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v.get("id").and_then(serde_json::Value::as_i64));
    let event = match answered {
        Some(id) => engine
            .store()
            .event(id.to_string())
            .await
            .ok()
            .flatten()
            .map(|d| d.summary),
        None => None,
    };
    // Only an event this Hooklab stored with the probe's id proves the answer came from here.
    let ours = event.filter(|e| e.event_type.as_deref() == Some(PROBE_TYPE));
    match ours {
        Some(e) if e.verification == "verified" && (200..300).contains(&reply.status) => {
            result.stage = ProbeStage::Verified;
            result.summary = format!("reachable from the internet, verified, {elapsed:.0} ms");
            result.hint = None;
            result.event = Some(e);
        }
        Some(e) => {
            result.stage = ProbeStage::Refused;
            result.summary = format!(
                "reachable from the internet, but Hooklab answered {} ({})",
                reply.status, e.verification
            );
            result.hint = if unsigned {
                Some(
                    "The URL reaches Hooklab, but no signing secret is saved, so the probe went \
                     unsigned and Clerk's deliveries will be refused too: paste the endpoint's \
                     signing secret in Settings."
                        .into(),
                )
            } else {
                e.hint.clone()
            };
            result.event = Some(e);
        }
        None => {
            result.stage = ProbeStage::NotHooklab;
            result.summary = format!(
                "something answered {} in {elapsed:.0} ms, but not this Hooklab",
                reply.status
            );
            result.hint = Some(
                "The URL may belong to another ngrok session or an old tunnel: check that the \
                 URL in Clerk is the one shown in the header, and that only this app uses the \
                 authtoken."
                    .into(),
            );
        }
    }
    result
}
