//! Streams what the webview shows live: change-feed batches (a few per second at most, never
//! one message per webhook) through the window's channel, tunnel states, status changes and
//! alarms as Tauri events; and probes each new public URL once (keeping the latest result),
//! so the header can say it really works.

use std::sync::Mutex;

use hooklab_core::bus::BusEvent;
use hooklab_core::client::HttpClient;
use hooklab_core::feed::ChangeFeed;
use hooklab_core::probe::{ProbeResult, probe};
use hooklab_core::runtime::Runtime;
use hooklab_core::store::ChangeBatch;
use hooklab_core::tunnel::TunnelState;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

/// Where change batches go: the channel the window registered (`watch_changes`). Not a Tauri
/// event: an event's payload is evaluated in the webview as script, and WebKit keeps that
/// source text; measured after 50,000 webhooks, the web process held about 60 MB more that
/// way. A channel hands payloads over 8 KB to the webview's `fetch` instead.
#[derive(Default)]
pub struct ChangeSink(Mutex<Option<Channel<ChangeBatch>>>);

impl ChangeSink {
    /// Sends batches to `channel` from now on (a reloaded window replaces its old one).
    pub fn watch(&self, channel: Channel<ChangeBatch>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(channel);
    }

    /// Sends `batch` to the window's channel; without one, the window catches up by cursor
    /// when it registers.
    fn send(&self, batch: ChangeBatch) -> tauri::Result<()> {
        let channel = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        channel.map_or(Ok(()), |c| c.send(batch))
    }
}

/// The latest probe of the public URL (the automatic one or "Test public URL"), so a window that
/// opens or reloads afterwards still shows it.
#[derive(Default)]
pub struct LastProbe(Mutex<Option<ProbeResult>>);

impl LastProbe {
    /// The latest result, if any.
    pub fn get(&self) -> Option<ProbeResult> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, result: &ProbeResult) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(result.clone());
    }
}

/// Starts the forwarding tasks.
pub fn spawn(app: AppHandle, runtime: Runtime) {
    tauri::async_runtime::spawn(forward_changes(app.clone(), runtime.clone()));
    tauri::async_runtime::spawn(forward_tunnel(app.clone(), runtime.clone()));
    tauri::async_runtime::spawn(forward_status(app.clone(), runtime.clone()));
    tauri::async_runtime::spawn(forward_alarms(app, runtime));
}

async fn forward_changes(app: AppHandle, runtime: Runtime) {
    let store = runtime.engine().store().clone();
    let since = store.latest_change().await.unwrap_or(0);
    let mut feed = ChangeFeed::new(runtime.engine(), since);
    loop {
        match feed.next().await {
            Ok(batch) => {
                if let Err(e) = app.state::<ChangeSink>().send(batch) {
                    tracing::warn!(error = %e, "could not send changes to the window");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the change feed failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

async fn forward_tunnel(app: AppHandle, runtime: Runtime) {
    let mut states = runtime.tunnel().subscribe();
    let client = HttpClient::new();
    let mut probed: Option<String> = None;
    while states.changed().await.is_ok() {
        let state = states.borrow_and_update().clone();
        let _ = app.emit("tunnel", &state);
        if let TunnelState::Online { webhook_url, .. } = &state
            && probed.as_ref() != Some(webhook_url)
        {
            probed = Some(webhook_url.clone());
            let (app, runtime, client) = (app.clone(), runtime.clone(), client.clone());
            tauri::async_runtime::spawn(async move {
                let result = probe_public_url(&app, &runtime, &client).await;
                let _ = app.emit("probe", &result);
            });
        }
    }
}

/// Probes the public webhook URL, if the tunnel is online, and keeps the result.
pub async fn probe_public_url(
    app: &AppHandle,
    runtime: &Runtime,
    client: &HttpClient,
) -> ProbeResult {
    let result = match runtime.tunnel_state() {
        TunnelState::Online { webhook_url, .. } => {
            probe(runtime.engine(), client, &webhook_url).await
        }
        _ => ProbeResult::no_public_url(),
    };
    app.state::<LastProbe>().set(&result);
    result
}

async fn forward_status(app: AppHandle, runtime: Runtime) {
    let mut status = runtime.subscribe_status();
    while status.changed().await.is_ok() {
        let now = status.borrow_and_update().clone();
        let _ = app.emit("status", &now);
    }
}

async fn forward_alarms(app: AppHandle, runtime: Runtime) {
    let mut bus = runtime.engine().subscribe();
    loop {
        match bus.recv().await {
            Ok(BusEvent::Alarm(alarm)) => {
                let _ = app.emit("alarm", &alarm);
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
    }
}
