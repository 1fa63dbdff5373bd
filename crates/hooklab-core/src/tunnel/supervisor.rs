//! The supervisor: one task owns the ngrok session, reports every state change (bus, watch,
//! `tunnel_states`), rebuilds the session on its own capped backoff, and can be stopped and
//! started again while the receiver keeps running.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::bus::BusEvent;
use crate::capture::now_ms;
use crate::engine::Engine;
use crate::receiver;
use crate::store::Store;

use super::config::TunnelConfig;
use super::connect::{self, OpenError, stopped};
use super::errors::{Retry, TunnelError};
use super::serve_conn::{Ended, serve_tunnel};
use super::state::TunnelState;

/// How long `stop` waits for the session to close before abandoning the task.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A cheap, cloneable handle on the tunnel. Dropping the last handle stops the tunnel (its task
/// closes the session while the runtime lives); call [`Supervisor::stop`] to wait for that.
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    router: Router,
    reporter: Reporter,
    running: tokio::sync::Mutex<Option<Running>>,
    /// Taken when the recorder task is spawned (inside a runtime, at the first start or stop).
    records: Mutex<Option<mpsc::UnboundedReceiver<(i64, TunnelState)>>>,
}

struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("state", &self.status())
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// A supervisor for `engine`'s receiver, in state `off`. Nothing runs until `start`.
    pub fn new(engine: Engine) -> Self {
        let (record, records) = mpsc::unbounded_channel();
        let reporter = Reporter {
            engine: engine.clone(),
            state: Arc::new(watch::channel(TunnelState::Off).0),
            record,
            last_url: Arc::default(),
        };
        Self {
            inner: Arc::new(Inner {
                router: receiver::router(engine.clone()),
                engine,
                reporter,
                running: tokio::sync::Mutex::new(None),
                records: Mutex::new(Some(records)),
            }),
        }
    }

    /// Starts the tunnel with `config`, stopping the current one first. Without an authtoken
    /// the state goes straight to `failed` (code `no_authtoken`) and nothing is dialed.
    pub async fn start(&self, config: TunnelConfig) {
        let mut running = self.inner.running.lock().await;
        if let Some(old) = running.take() {
            old.finish().await;
        }
        self.spawn_recorder();
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(
            self.inner.reporter.clone(),
            self.inner.router.clone(),
            config,
            stop_rx,
        ));
        *running = Some(Running { stop, task });
    }

    /// Stops the tunnel: requests in flight may finish, the session is closed, the state goes
    /// to `off`. The receiver keeps running.
    pub async fn stop(&self) {
        let mut running = self.inner.running.lock().await;
        if let Some(old) = running.take() {
            old.finish().await;
        }
        self.spawn_recorder();
        if self.status() != TunnelState::Off {
            self.inner.reporter.set(TunnelState::Off);
        }
    }

    /// Re-announces the online state after the webhook path moved, so the URL to paste into
    /// Clerk is right.
    pub fn refresh_webhook_url(&self) {
        if let TunnelState::Online {
            url, previous_url, ..
        } = self.status()
        {
            let path = self.inner.engine.webhook_path();
            self.inner.reporter.set(TunnelState::Online {
                webhook_url: webhook_url(&url, &path),
                url,
                previous_url,
            });
        }
    }

    /// The current state.
    pub fn status(&self) -> TunnelState {
        self.inner.reporter.state.borrow().clone()
    }

    /// Watches the state (the latest value; every change also goes out on the engine bus as
    /// `BusEvent::Tunnel`).
    pub fn subscribe(&self) -> watch::Receiver<TunnelState> {
        self.inner.reporter.state.subscribe()
    }

    fn spawn_recorder(&self) {
        let records = self
            .inner
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(records) = records {
            tokio::spawn(record_states(self.inner.engine.store().clone(), records));
        }
    }
}

impl Running {
    async fn finish(mut self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(STOP_TIMEOUT, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

/// Where state changes go.
#[derive(Clone)]
struct Reporter {
    engine: Engine,
    state: Arc<watch::Sender<TunnelState>>,
    record: mpsc::UnboundedSender<(i64, TunnelState)>,
    /// The last public URL this process saw (used when there is no settings file).
    last_url: Arc<Mutex<Option<String>>>,
}

impl Reporter {
    fn set(&self, state: TunnelState) {
        self.state.send_replace(state.clone());
        let _ = self.record.send((now_ms(), state.clone()));
        self.engine.publish(BusEvent::Tunnel(state));
    }

    fn failed(&self, error: &TunnelError) {
        self.set(TunnelState::Failed {
            code: error.code().to_owned(),
            error: error.to_string(),
            hint: error.hint(),
        });
    }

    /// Remembers `url` as the last public URL; returns the previous one if it differs (the
    /// one this process saw last, else the one the caller remembered).
    fn remember(&self, remembered: Option<&str>, url: &str) -> Option<String> {
        self.last_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(url.to_owned())
            .or_else(|| remembered.map(str::to_owned))
            .filter(|previous| previous != url)
    }
}

/// The URL to paste into Clerk: the public URL followed by the webhook path.
fn webhook_url(public_url: &str, path: &str) -> String {
    format!("{}{path}", public_url.trim_end_matches('/'))
}

/// Writes state changes to `tunnel_states` in order, each on a blocking task with a fresh
/// connection (not through the event writer: these rows are rare).
async fn record_states(store: Store, mut records: mpsc::UnboundedReceiver<(i64, TunnelState)>) {
    while let Some((at, state)) = records.recv().await {
        let (name, url, detail) = (state.name(), state.url().map(str::to_owned), state.detail());
        if let Err(e) = store.record_tunnel_state(at, name, url, detail).await {
            tracing::warn!(error = %e, state = name, "could not record a tunnel state");
        }
    }
}

/// The supervisor task: open, serve, and on failure either give up (`failed`) or wait and
/// rebuild (`reconnecting`), until `stop`.
async fn run(
    reporter: Reporter,
    router: Router,
    config: TunnelConfig,
    mut stop: watch::Receiver<bool>,
) {
    let Some(token) = config.token().map(str::to_owned) else {
        reporter.failed(&TunnelError::NoAuthtoken);
        return;
    };
    let domain = config.domain.as_deref();
    let mut attempt = 0u32;
    reporter.set(TunnelState::Connecting);
    loop {
        let error = match connect::open(&config, &token, &mut stop).await {
            Err(OpenError::Stopped) => return,
            Err(OpenError::Failed(error)) => error,
            Ok(mut live) => {
                attempt = 0;
                let url = live.url();
                let previous_url = reporter.remember(config.last_public_url.as_deref(), &url);
                reporter.set(TunnelState::Online {
                    webhook_url: webhook_url(&url, &reporter.engine.webhook_path()),
                    url,
                    previous_url,
                });
                match serve_tunnel(&mut live.tunnel, router.clone(), &mut stop).await {
                    Ended::Stopped => {
                        live.shutdown().await;
                        return;
                    }
                    Ended::Lost(end) => {
                        let error =
                            connect::from_accept_error(end.as_ref(), &live.link, domain, &token);
                        tokio::spawn(live.shutdown());
                        error
                    }
                }
            }
        };
        let retry_in = match error.retry() {
            Retry::Never => {
                reporter.failed(&error);
                return;
            }
            Retry::Backoff => config.backoff.delay(attempt.saturating_add(1)),
            Retry::Slow => config.backoff.slow(),
        };
        attempt = attempt.saturating_add(1);
        reporter.set(TunnelState::Reconnecting {
            attempt,
            retry_in,
            code: error.code().to_owned(),
            last_error: error.to_string(),
            hint: Some(error.hint()),
        });
        tokio::select! {
            () = tokio::time::sleep(retry_in) => {}
            () = stopped(&mut stop) => return,
        }
    }
}
