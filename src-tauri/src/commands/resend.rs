//! Resend: re-run a captured event in Hooklab, or post it over HTTP as captured or re-signed.

use hooklab_core::replay::{ReplayOutcome, ReplayRequest, replay as resend};
use tauri::State;

use crate::error::CommandResult;
use crate::launch::AppState;

/// Resends one event.
#[tauri::command(rename_all = "snake_case")]
pub async fn replay(
    state: State<'_, AppState>,
    request: ReplayRequest,
) -> CommandResult<ReplayOutcome> {
    Ok(resend(state.runtime.engine(), &state.client, &request).await?)
}
