//! The engine handle the receiver, the desktop shell and the CLI share: judges each captured
//! request, hands it to the store, and reports what happened.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::alarm::{Alarm, AlarmSink};
use crate::bus::{self, BusEvent};
use crate::capture::{Capture, Incomplete, Short};
use crate::clerk::parse_event;
use crate::junk::JunkLimits;
use crate::not_stored::NotStored;
use crate::secret::Secret;
use crate::store::{EventSummary, NewEvent, Recorded, Store, StoreError, StoreOptions};
use crate::sync::{SyncKind, SyncOutcome};
use crate::verify::{Verification, verify};

/// The receiver's path unless configured otherwise.
pub const DEFAULT_WEBHOOK_PATH: &str = "/api/webhooks/clerk";
/// The largest body accepted (Clerk events are a few KB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// How to start the engine.
#[derive(Debug)]
pub struct EngineConfig {
    /// The SQLite database file.
    pub db_path: PathBuf,
    /// Signing secrets, current first.
    pub secrets: Vec<Secret>,
    /// The webhook route, e.g. `/api/webhooks/clerk`.
    pub webhook_path: String,
    /// Store settings.
    pub store: StoreOptions,
    /// Body size limit in bytes.
    pub body_limit: usize,
}

impl EngineConfig {
    /// Defaults for everything but the database.
    pub fn new(db_path: PathBuf) -> Self {
        Self {
            db_path,
            secrets: Vec::new(),
            webhook_path: DEFAULT_WEBHOOK_PATH.to_owned(),
            store: StoreOptions::default(),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}

/// The header a probe of the public URL carries its token in.
pub const PROBE_HEADER: &str = "hooklab-probe";

/// A probe's token; it stops counting when this drops.
#[derive(Debug)]
pub struct ProbeToken {
    engine: Engine,
    token: String,
}

impl ProbeToken {
    /// The value for [`PROBE_HEADER`].
    pub fn value(&self) -> &str {
        &self.token
    }
}

impl Drop for ProbeToken {
    fn drop(&mut self) {
        self.engine.tokens().retain(|t| t != &self.token);
    }
}

/// What the engine did with one request: the HTTP answer and the stored row.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    /// The status to answer with.
    pub status: u16,
    /// The stored event (for a redelivery, the original row).
    pub event: EventSummary,
    /// This delivery's sync outcome (`duplicate` for a redelivery).
    pub sync: SyncOutcome,
}

/// A cheap, cloneable handle on the running engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    bus: broadcast::Sender<BusEvent>,
    secrets: RwLock<Arc<[Secret]>>,
    webhook_path: RwLock<Arc<str>>,
    body_limit: usize,
    not_stored: NotStored,
    junk: JunkLimits,
    /// Tokens of the probes in flight (see [`Engine::probe_token`]).
    probe_tokens: std::sync::Mutex<Vec<String>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.inner.store)
            .field("webhook_path", &self.webhook_path())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens the store and starts the engine.
    pub fn start(config: EngineConfig) -> Result<Self, StoreError> {
        let bus = bus::channel();
        let alarms = bus.clone();
        let alarm: AlarmSink = Arc::new(move |alarm: Alarm| {
            tracing::error!(code = %alarm.code, hint = %alarm.hint, "{}", alarm.message);
            let _ = alarms.send(BusEvent::Alarm(alarm));
        });
        let store = Store::open(
            &config.db_path,
            config.store,
            crate::settle::settle,
            alarm.clone(),
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                bus,
                secrets: RwLock::new(config.secrets.into()),
                webhook_path: RwLock::new(config.webhook_path.into()),
                body_limit: config.body_limit,
                not_stored: NotStored::new(alarm),
                junk: JunkLimits::default(),
                probe_tokens: std::sync::Mutex::default(),
            }),
        })
    }

    /// Listens to everything the engine announces from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.inner.bus.subscribe()
    }

    /// Publishes an announcement (the tunnel supervisor reports its state this way).
    pub fn publish(&self, event: BusEvent) {
        let _ = self.inner.bus.send(event);
    }

    /// Records a request the store could not commit (answered `status`): logged with the
    /// reason, counted, and raised as an alarm at most once a second.
    pub fn not_stored(
        &self,
        request: &str,
        remote: Option<std::net::SocketAddr>,
        status: u16,
        error: &StoreError,
    ) {
        self.inner.not_stored.record(request, remote, status, error);
    }

    /// A token for one probe of the public URL, valid until the guard drops: a request carrying
    /// it in [`PROBE_HEADER`] is answered in full even unverified (the probe goes unsigned
    /// when no secret is saved, and must still find the event it caused).
    pub fn probe_token(&self) -> ProbeToken {
        let token = crate::ids::new_id("probe", crate::capture::now_ms().div_euclid(1000));
        self.tokens().push(token.clone());
        ProbeToken {
            engine: self.clone(),
            token,
        }
    }

    /// Whether `token` belongs to a probe in flight.
    pub fn is_probe(&self, token: &str) -> bool {
        self.tokens().iter().any(|t| t == token)
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.inner
            .probe_tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Requests the store could not commit since the engine started.
    pub fn not_stored_count(&self) -> u64 {
        self.inner.not_stored.count()
    }

    /// The store, for queries.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The webhook route.
    pub fn webhook_path(&self) -> Arc<str> {
        self.inner
            .webhook_path
            .read()
            .map_or_else(|_| Arc::from(DEFAULT_WEBHOOK_PATH), |p| Arc::clone(&p))
    }

    /// Moves the webhook route; takes effect for the next request.
    pub fn set_webhook_path(&self, path: &str) {
        if let Ok(mut current) = self.inner.webhook_path.write() {
            *current = Arc::from(path);
        }
    }

    /// The body size limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// Replaces the signing secrets (current first); takes effect for the next request.
    pub fn set_secrets(&self, secrets: Vec<Secret>) {
        if let Ok(mut current) = self.inner.secrets.write() {
            *current = secrets.into();
        }
    }

    /// The configured secrets, masked.
    pub fn secrets_masked(&self) -> Vec<String> {
        self.secrets().iter().map(Secret::masked).collect()
    }

    pub(crate) fn secrets(&self) -> Arc<[Secret]> {
        self.inner
            .secrets
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_else(|_| Arc::from(Vec::new()))
    }

    /// Judges, stores and reports one request; returns only after the commit.
    pub async fn ingest(&self, capture: Capture) -> Result<Receipt, StoreError> {
        let clock_secs = capture.received_ms.div_euclid(1000);
        self.ingest_judged_at(capture, clock_secs).await
    }

    /// Like [`Engine::ingest`], but checks the signature's timestamp against `clock_secs`
    /// instead of the arrival time: a re-run judges a stored request as of when it first
    /// arrived, with today's secrets.
    pub(crate) async fn ingest_judged_at(
        &self,
        capture: Capture,
        clock_secs: i64,
    ) -> Result<Receipt, StoreError> {
        let mut new = self.judge(capture, clock_secs);
        self.inner.junk.apply(&mut new);
        let recorded = self.inner.store.record(new).await?;
        self.announce(&recorded);
        let sync = recorded.duplicate.clone().unwrap_or_else(|| SyncOutcome {
            kind: recorded.summary.sync,
            detail: recorded.summary.sync_detail.clone(),
        });
        Ok(Receipt {
            status: recorded.summary.status,
            event: recorded.summary,
            sync,
        })
    }

    /// Publishes what a committed request changed (when anyone listens).
    fn announce(&self, recorded: &Recorded) {
        let bus = &self.inner.bus;
        if bus.receiver_count() == 0 {
            return;
        }
        let event = if recorded.duplicate.is_some() {
            BusEvent::OutcomeUpdated(recorded.summary.clone())
        } else {
            BusEvent::Captured(recorded.summary.clone())
        };
        let _ = bus.send(event);
        if let Some(user_id) = &recorded.user_changed {
            let _ = bus.send(BusEvent::UserChanged {
                user_id: user_id.clone(),
            });
        }
    }

    /// Closes the store after pending writes.
    pub async fn close(&self) {
        self.inner.store.close().await;
    }

    fn judge(&self, capture: Capture, now_secs: i64) -> NewEvent {
        let expected = self.webhook_path();
        let expected = &*expected;
        // A refused request still shows the type and user it claims to be about.
        let refuse = |capture: Capture, status: u16, verification, detail: String, hint| {
            let claimed = parse_event(&capture.body).ok();
            let outcome = SyncOutcome::new(SyncKind::NotSynced, detail);
            NewEvent::new(
                capture,
                status,
                verification,
                claimed,
                Some((outcome, Some(hint))),
            )
        };
        // Off the webhook route or method, a request is verified only when it carries Svix
        // headers (then a valid signature says "this is your Clerk endpoint"); a browser's GET
        // is `not_checked`, at any path.
        let check_if_signed = |capture: &Capture| {
            let signed = ["svix-id", "svix-timestamp", "svix-signature"]
                .iter()
                .any(|h| capture.headers.contains_key(*h));
            if signed && capture.incomplete.is_none() {
                verify(&capture.headers, &capture.body, &self.secrets(), now_secs)
            } else {
                Verification::NotChecked
            }
        };
        if capture.route() != expected {
            let verification = check_if_signed(&capture);
            let mut hint = format!(
                "Hooklab receives webhooks at {expected}, but this request went to {}. In the \
                 Clerk dashboard, edit the endpoint's URL so its path is {expected} (edit it: a \
                 new endpoint comes with a new signing secret).",
                capture.route()
            );
            if verification.is_verified() {
                hint.push_str(" Its signature is valid, so this is your Clerk endpoint.");
            }
            let detail = format!("not synced: wrong path {}", capture.route());
            return refuse(capture, 404, verification, detail, hint);
        }
        if capture.method != "POST" {
            let hint = format!(
                "Clerk delivers webhooks as POST; this was {}. Opening the URL in a browser \
                 sends GET: use `hooklab send user.created` to try the endpoint.",
                capture.method
            );
            let detail = format!("not synced: method {}", capture.method);
            let verification = check_if_signed(&capture);
            return refuse(capture, 405, verification, detail, hint);
        }
        match capture.incomplete {
            Some(Incomplete::TooLarge) => {
                let hint = format!(
                    "The body is {} bytes; Hooklab accepts up to {} bytes. Clerk events are a \
                     few KB, so this is not a Clerk delivery.",
                    capture.body_size, self.inner.body_limit
                );
                return refuse(
                    capture,
                    413,
                    Verification::NotChecked,
                    "not synced: body too large".into(),
                    hint,
                );
            }
            Some(Incomplete::Short { why, expected }) => {
                let hint = short_body_hint(why, capture.body_size, expected);
                return refuse(
                    capture,
                    400,
                    Verification::NotChecked,
                    "not synced: incomplete body".into(),
                    hint,
                );
            }
            None => {}
        }
        let verification = verify(&capture.headers, &capture.body, &self.secrets(), now_secs);
        if let Some(status) = verification.failure_status() {
            let hint = verification.hint().unwrap_or_default();
            return refuse(
                capture,
                status,
                verification,
                "not synced: the request was not verified".into(),
                hint,
            );
        }
        match parse_event(&capture.body) {
            Ok(event) => NewEvent::new(capture, 200, verification, Some(event), None),
            Err(e) => {
                let hint = format!("The signature is valid, but {e}.");
                let outcome = SyncOutcome::new(SyncKind::Error, e.to_string());
                NewEvent::new(
                    capture,
                    400,
                    verification,
                    None,
                    Some((outcome, Some(hint))),
                )
            }
        }
    }
}

/// What happened to a body that stopped short, in the words of the request's hint.
fn short_body_hint(why: Short, got: u64, expected: Option<u64>) -> String {
    let got = match expected {
        Some(n) => format!("{got} of {n} bytes"),
        None => format!("{got} bytes"),
    };
    let what = match why {
        Short::Closed => format!("The client closed the connection after {got} of the body."),
        Short::Stalled(idle) => format!(
            "The client sent {got} of the body and then nothing for {} s, so Hooklab stopped \
             waiting.",
            idle.as_secs()
        ),
        Short::TooSlow(total) => format!(
            "The body was still arriving after {} s ({got} so far); Hooklab allows {} s for a \
             body. Svix gives up on a delivery after about 15 s, so this is not Clerk.",
            total.as_secs(),
            total.as_secs()
        ),
        Short::MadeRoom => format!(
            "Hooklab ended this upload after {got} to let a new connection in: every connection \
             was busy, and this body had been arriving the longest."
        ),
        Short::Busy => format!(
            "Hooklab stopped reading after {got}: many large bodies were arriving at once and \
             the memory it sets aside for them stayed full. A Clerk event (a few KB) never \
             waits for it; retry a large upload later."
        ),
    };
    format!("{what} Nothing was verified.")
}
