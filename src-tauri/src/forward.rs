//! Streams what the webview shows live: change-feed batches (a few per second at most, never
//! one message per webhook), tunnel states, status changes and alarms, as Tauri events.

use hooklab_core::bus::BusEvent;
use hooklab_core::feed::ChangeFeed;
use hooklab_core::runtime::Runtime;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

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
                if let Err(e) = app.emit("changes", &batch) {
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
    while states.changed().await.is_ok() {
        let state = states.borrow_and_update().clone();
        let _ = app.emit("tunnel", &state);
    }
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
