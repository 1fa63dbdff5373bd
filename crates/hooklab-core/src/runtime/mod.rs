//! The composition root `hooklab serve` and the desktop shell both start: the engine, the
//! loopback listener and the tunnel supervisor, configured from the settings file under the
//! overrides given at start, and kept in step with that file while running (a change saved by
//! `hooklab config` or the app applies within a second). In its process it is the only writer
//! of the settings file.

mod effective;
mod errors;
mod listener;
mod status;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, watch};

pub use effective::Overrides;
pub use errors::RuntimeError;
pub use status::{RuntimeStatus, SecretInfo, StatusReply};

use crate::bus::BusEvent;
use crate::engine::{Engine, EngineConfig};
use crate::error_body::ErrorBody;
use crate::forward::Forwarder;
use crate::settings::{self, Settings, SettingsChange};
use crate::store::{StoreOptions, Synchronous};
use crate::tunnel::{Supervisor, TunnelConfig, TunnelState};
use effective::{Effective, TunnelKey};
use listener::Listener;
use status::StatusParts;

/// How often the settings file is checked for changes made elsewhere.
pub const SETTINGS_POLL: Duration = Duration::from_millis(400);

/// When the tunnel runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelMode {
    /// Never (`hooklab serve` without `--tunnel`).
    Off,
    /// Whenever an authtoken is configured (the desktop app).
    WhenConfigured,
    /// Always; without an authtoken it reports `failed` with how to add one
    /// (`hooklab serve --tunnel`).
    Always,
}

/// How to start the runtime.
pub struct RuntimeOptions {
    /// The SQLite database.
    pub db_path: PathBuf,
    /// The settings file.
    pub settings_path: PathBuf,
    /// What wins over the settings file.
    pub overrides: Overrides,
    /// When the tunnel runs.
    pub tunnel: TunnelMode,
    /// The tunnel's other knobs (server, transport, backoff); authtoken, domain and the last
    /// public URL are filled in from the settings.
    pub tunnel_template: TunnelConfig,
    /// How often the settings file is checked.
    pub settings_poll: Duration,
    /// When the port asked for is in use at start, listen on a free one instead of failing (the
    /// desktop app: it opens anyway and says so); a port saved later is bound as usual.
    pub free_port_if_taken: bool,
}

impl RuntimeOptions {
    /// Defaults: tunnel off, no overrides, ngrok's cloud.
    pub fn new(db_path: PathBuf, settings_path: PathBuf) -> Self {
        Self {
            db_path,
            settings_path,
            overrides: Overrides::default(),
            tunnel: TunnelMode::Off,
            tunnel_template: TunnelConfig::new(None),
            settings_poll: SETTINGS_POLL,
            free_port_if_taken: false,
        }
    }
}

/// A cheap, cloneable handle on the running receiver.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    /// The writer's `synchronous`, fixed when it opened the database.
    synchronous: Synchronous,
    supervisor: Supervisor,
    forwarder: Forwarder,
    options: RuntimeOptions,
    live: Mutex<Live>,
    status: watch::Sender<RuntimeStatus>,
    stop: watch::Sender<bool>,
}

/// What is running now; changed only under the lock.
struct Live {
    /// The settings in effect.
    settings: Settings,
    /// The settings file's contents as last seen (applied or refused), so a refused file is
    /// not retried on every poll.
    file_seen: Option<Settings>,
    effective: Effective,
    /// The port asked for (0: any), as opposed to the one bound.
    port_wanted: u16,
    listener: Option<Listener>,
    tunnel: Option<TunnelKey>,
    problem: Option<ErrorBody>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("status", &*self.inner.status.borrow())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Opens the database, listens on loopback, starts the tunnel if the mode says so, and
    /// starts following the settings file.
    pub async fn start(options: RuntimeOptions) -> Result<Self, RuntimeError> {
        let settings = settings::load(&options.settings_path)?;
        let effective = Effective::resolve(&settings, &options.overrides)?;
        settings::change::check_retention(&settings.retention)?;
        let mut config = EngineConfig::new(options.db_path.clone());
        config.webhook_path.clone_from(&effective.webhook_path);
        let synchronous = options
            .overrides
            .synchronous
            .or(settings.synchronous)
            .unwrap_or_default();
        config.store = StoreOptions {
            synchronous,
            retention: settings.retention,
            ..StoreOptions::default()
        };
        config.secrets = Effective::resolve(&settings, &options.overrides)?.secrets;
        let engine = tokio::task::spawn_blocking(move || Engine::start(config))
            .await
            .map_err(|e| crate::store::StoreError::Task(e.to_string()))??;
        let stop = watch::channel(false).0;
        let forwarder =
            Forwarder::start(engine.clone(), effective.forward.clone(), stop.subscribe()).await;
        let bound = match Listener::bind(&engine, effective.port).await {
            Err(RuntimeError::PortInUse { port }) if options.free_port_if_taken => {
                tracing::warn!(
                    port,
                    "the saved port is in use; receiving on a free port instead"
                );
                Listener::bind(&engine, 0).await
            }
            other => other,
        };
        let listener = match bound {
            Ok(listener) => listener,
            Err(e) => {
                engine.close().await;
                return Err(e);
            }
        };
        let supervisor = Supervisor::new(engine.clone());
        let port_wanted = effective.port;
        let status = RuntimeStatus::new(StatusParts {
            port: listener.addr().port(),
            port_wanted,
            effective: &effective,
            settings: &settings,
            overrides: &options.overrides,
            tunnel_enabled: options.tunnel != TunnelMode::Off,
            db_path: &options.db_path,
            settings_path: &options.settings_path,
            problem: None,
            synchronous,
        });
        let runtime = Self {
            inner: Arc::new(Inner {
                engine,
                synchronous,
                supervisor,
                forwarder,
                live: Mutex::new(Live {
                    file_seen: Some(settings.clone()),
                    settings,
                    effective,
                    port_wanted,
                    listener: Some(listener),
                    tunnel: None,
                    problem: None,
                }),
                status: watch::channel(status).0,
                stop,
                options,
            }),
        };
        {
            let mut live = runtime.inner.live.lock().await;
            runtime.apply_tunnel(&mut live).await;
        }
        tokio::spawn(follow_settings_file(runtime.clone()));
        tokio::spawn(remember_public_urls(runtime.clone()));
        tokio::spawn(prune_while_idle(runtime.clone()));
        Ok(runtime)
    }

    /// The engine (queries, the bus, replays).
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The tunnel supervisor.
    pub fn tunnel(&self) -> &Supervisor {
        &self.inner.supervisor
    }

    /// The tunnel's state now.
    pub fn tunnel_state(&self) -> TunnelState {
        self.inner.supervisor.status()
    }

    /// The runtime's status now.
    pub fn status(&self) -> RuntimeStatus {
        self.inner.status.borrow().clone()
    }

    /// Watches the status (every applied change).
    pub fn subscribe_status(&self) -> watch::Receiver<RuntimeStatus> {
        self.inner.status.subscribe()
    }

    /// Validates one edit, applies it to the running parts, then saves it. A refused value or
    /// a port in use changes nothing, running or saved.
    pub async fn change_settings(
        &self,
        change: SettingsChange,
    ) -> Result<RuntimeStatus, RuntimeError> {
        let mut live = self.inner.live.lock().await;
        let path = self.inner.options.settings_path.clone();
        // Start from the file as it is now, so edits made elsewhere are kept.
        let mut next = settings::load(&path).unwrap_or_else(|_| live.settings.clone());
        change.apply_to(&mut next)?;
        // Saving the port again retries it, after a start that found it taken.
        let retry_port = matches!(change, SettingsChange::SetPort { .. });
        self.apply(&mut live, next.clone(), retry_port).await?;
        save_settings(path, next.clone()).await?;
        live.file_seen = Some(next);
        live.problem = None;
        self.publish_status(&live);
        Ok(self.status())
    }

    /// Re-reads the settings file and applies it if it changed since last seen; returns
    /// whether it had changed. Runs on its own every [`SETTINGS_POLL`].
    pub async fn reload_settings(&self) -> bool {
        let path = self.inner.options.settings_path.clone();
        let loaded = tokio::task::spawn_blocking(move || settings::load(&path)).await;
        let mut live = self.inner.live.lock().await;
        let outcome = match loaded {
            Ok(Ok(file)) if live.file_seen.as_ref() == Some(&file) => return false,
            Ok(Ok(file)) => {
                live.file_seen = Some(file.clone());
                self.apply(&mut live, file, false).await
            }
            Ok(Err(e)) => Err(RuntimeError::Settings(e)),
            Err(_) => return false,
        };
        match outcome {
            Ok(()) => {
                tracing::info!("applied the changed settings file");
                live.problem = None;
            }
            Err(e) => {
                let body = ErrorBody::of(&e);
                if live.problem.as_ref() == Some(&body) {
                    return false;
                }
                tracing::warn!(error = %e, "the changed settings file could not be applied");
                live.problem = Some(body);
                // Keep reporting a broken file until it changes again.
                if matches!(e, RuntimeError::Settings(_)) {
                    live.file_seen = None;
                }
            }
        }
        self.publish_status(&live);
        true
    }

    /// Restarts the tunnel session with the current settings (the UI's "Reconnect").
    pub async fn restart_tunnel(&self) {
        let mut live = self.inner.live.lock().await;
        live.tunnel = None;
        self.apply_tunnel(&mut live).await;
    }

    /// Stops following the settings, closes the tunnel and the listener (requests in flight
    /// finish), then flushes and closes the database.
    pub async fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
        let tunnel_was = self.inner.supervisor.status();
        self.inner.supervisor.stop().await;
        if tunnel_was != TunnelState::Off {
            // Recorded before the store closes, so the next start can say how long Clerk could
            // not reach Hooklab (the supervisor's own record of `off` is written asynchronously).
            let store = self.inner.engine.store();
            let stopped = store.record_tunnel_state(
                crate::capture::now_ms(),
                "off",
                None,
                Some("Hooklab stopped".to_owned()),
            );
            if let Err(e) = stopped.await {
                tracing::warn!(error = %e, "could not record that the tunnel stopped");
            }
        }
        let listener = self.inner.live.lock().await.listener.take();
        if let Some(listener) = listener {
            listener.close().await;
        }
        self.inner.engine.close().await;
    }

    /// Applies `next` to the running parts. The one step that can fail (binding a new port)
    /// runs first, so a failure leaves everything as it was. `retry_port` binds the wanted port
    /// even when it did not change (it was taken at start).
    async fn apply(
        &self,
        live: &mut Live,
        next: Settings,
        retry_port: bool,
    ) -> Result<(), RuntimeError> {
        let effective = Effective::resolve(&next, &self.inner.options.overrides)?;
        // A hand-edited file is checked like the Settings screen (`"max_events": 0` would
        // otherwise prune almost everything; a bad app URL only leaves forwarding off).
        settings::change::check_retention(&next.retention)?;
        let engine = &self.inner.engine;
        let bound = live.listener.as_ref().map(|l| l.addr().port());
        let elsewhere = effective.port != 0 && bound != Some(effective.port);
        if effective.port != live.port_wanted || (retry_port && elsewhere) {
            let new = Listener::bind(engine, effective.port).await?;
            tracing::info!(port = new.addr().port(), "the receiver moved to a new port");
            if let Some(old) = live.listener.replace(new) {
                tokio::spawn(old.close());
            }
            live.port_wanted = effective.port;
        }
        if effective.webhook_path != live.effective.webhook_path {
            engine.set_webhook_path(&effective.webhook_path);
            self.inner.supervisor.refresh_webhook_url();
        }
        engine.set_secrets(Effective::resolve(&next, &self.inner.options.overrides)?.secrets);
        if next.retention != engine.store().retention() {
            engine.store().set_retention(next.retention);
        }
        self.inner.forwarder.set_url(effective.forward.clone());
        live.effective = effective;
        live.settings = next;
        self.apply_tunnel(live).await;
        engine.publish(BusEvent::SettingsApplied);
        Ok(())
    }

    /// Starts, restarts or stops the tunnel to match the settings.
    async fn apply_tunnel(&self, live: &mut Live) {
        let key = &live.effective.tunnel;
        let wanted = match self.inner.options.tunnel {
            TunnelMode::Off => None,
            TunnelMode::WhenConfigured => key.authtoken.is_some().then(|| key.clone()),
            TunnelMode::Always => Some(key.clone()),
        };
        if wanted == live.tunnel {
            return;
        }
        match &wanted {
            Some(key) => {
                let mut config = self.inner.options.tunnel_template.clone();
                config.authtoken.clone_from(&key.authtoken);
                config.domain.clone_from(&key.domain);
                config.edge_verification_secret.clone_from(&key.edge_secret);
                config
                    .last_public_url
                    .clone_from(&live.settings.last_public_url);
                self.inner.supervisor.start(config).await;
            }
            None => self.inner.supervisor.stop().await,
        }
        live.tunnel = wanted;
    }

    fn publish_status(&self, live: &Live) {
        let port = live
            .listener
            .as_ref()
            .map_or(live.port_wanted, |l| l.addr().port());
        let o = &self.inner.options;
        self.inner
            .status
            .send_replace(RuntimeStatus::new(StatusParts {
                port,
                port_wanted: live.port_wanted,
                effective: &live.effective,
                settings: &live.settings,
                overrides: &o.overrides,
                tunnel_enabled: o.tunnel != TunnelMode::Off,
                db_path: &o.db_path,
                settings_path: &o.settings_path,
                problem: live.problem.clone(),
                synchronous: self.inner.synchronous,
            }));
    }

    /// Saves a new public URL as the last one given to Clerk.
    async fn remember_public_url(&self, url: &str) {
        let mut live = self.inner.live.lock().await;
        if live.settings.last_public_url.as_deref() == Some(url) {
            return;
        }
        let path = self.inner.options.settings_path.clone();
        let mut file = settings::load(&path).unwrap_or_else(|_| live.settings.clone());
        file.last_public_url = Some(url.to_owned());
        match save_settings(path, file.clone()).await {
            Ok(()) => {
                live.settings.last_public_url = Some(url.to_owned());
                if live.file_seen.is_some() {
                    live.file_seen = Some(file);
                }
                self.publish_status(&live);
            }
            Err(e) => tracing::warn!(error = %e, "could not remember the public URL"),
        }
    }
}

async fn save_settings(path: PathBuf, settings: Settings) -> Result<(), RuntimeError> {
    tokio::task::spawn_blocking(move || settings::save(&path, &settings))
        .await
        .map_err(|e| crate::store::StoreError::Task(e.to_string()))?
        .map_err(RuntimeError::from)
}

/// Polls the settings file until the runtime stops.
async fn follow_settings_file(runtime: Runtime) {
    let mut stop = runtime.inner.stop.subscribe();
    let every = runtime.inner.options.settings_poll;
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        runtime.reload_settings().await;
    }
}

/// How often an idle receiver still checks its retention limits (events age without traffic).
const IDLE_PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Asks the writer for a pruning pass every [`IDLE_PRUNE_EVERY`]: passes otherwise run only
/// while events arrive, and an age limit must hold on a quiet machine too.
async fn prune_while_idle(runtime: Runtime) {
    let mut stop = runtime.inner.stop.subscribe();
    loop {
        tokio::select! {
            () = tokio::time::sleep(IDLE_PRUNE_EVERY) => {}
            _ = stop.changed() => return,
        }
        runtime.inner.engine.store().prune_soon();
    }
}

/// Saves each new public URL the tunnel reports, so the next start can warn when it changes.
async fn remember_public_urls(runtime: Runtime) {
    let mut stop = runtime.inner.stop.subscribe();
    let mut states = runtime.inner.supervisor.subscribe();
    loop {
        let url = states.borrow_and_update().url().map(str::to_owned);
        if let Some(url) = url {
            runtime.remember_public_url(&url).await;
        }
        tokio::select! {
            changed = states.changed() => if changed.is_err() { return },
            _ = stop.changed() => return,
        }
    }
}
