//! The header's data: the runtime, the tunnel, and where the change feed stands.

use hooklab_core::probe::ProbeResult;
use hooklab_core::runtime::StatusReply;
use hooklab_core::tunnel::TunnelState;
use tauri::{AppHandle, State};

use crate::error::CommandResult;
use crate::forward::LastProbe;
use crate::launch::AppState;

/// The runtime's status, the tunnel state and the latest change number.
#[tauri::command]
pub async fn get_status(
    state: State<'_, AppState>,
    last_probe: State<'_, LastProbe>,
) -> CommandResult<StatusReply> {
    let store = state.runtime.engine().store();
    let cursor = store.latest_change().await?;
    let tunnel = state.runtime.tunnel_state();
    let downtime = match tunnel {
        TunnelState::Online { .. } => store.last_downtime().await?,
        _ => None,
    };
    Ok(StatusReply {
        runtime: state.runtime.status(),
        tunnel,
        cursor,
        downtime,
        probe: last_probe.get(),
    })
}

/// Sends a signed probe through the public URL and says how far it got.
#[tauri::command]
pub async fn test_public_url(
    app: AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<ProbeResult> {
    Ok(crate::forward::probe_public_url(&app, &state.runtime, &state.client).await)
}

/// Reconnects the tunnel with the current settings.
#[tauri::command]
pub async fn restart_tunnel(state: State<'_, AppState>) -> CommandResult<()> {
    state.runtime.restart_tunnel().await;
    Ok(())
}
