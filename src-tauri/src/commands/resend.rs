//! Resend: re-run a captured event in Hooklab, or post it over HTTP as captured or re-signed;
//! its headers re-signed now, for "copy as curl"; and recovering every failed delivery since a
//! time.

use hooklab_core::recover::{
    RecoveryPlan, RecoveryReport, recover as recover_all, recovery_plan as plan,
};
use hooklab_core::replay::{
    ReplayOutcome, ReplayRequest, re_signed_headers as re_sign, replay as resend,
};
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

/// The event's headers re-signed now (same svix-id), for "copy as curl".
#[tauri::command(rename_all = "snake_case")]
pub async fn re_signed_headers(
    state: State<'_, AppState>,
    key: String,
) -> CommandResult<Vec<(String, String)>> {
    Ok(re_sign(state.runtime.engine(), &key).await?)
}

/// What recovering the deliveries that failed since `since` (Unix ms) would re-run.
#[tauri::command(rename_all = "snake_case")]
pub async fn recovery_plan(state: State<'_, AppState>, since: i64) -> CommandResult<RecoveryPlan> {
    Ok(plan(state.runtime.engine(), since).await?)
}

/// Re-runs the deliveries that failed since `since` (Unix ms) and were never delivered since.
#[tauri::command(rename_all = "snake_case")]
pub async fn recover(state: State<'_, AppState>, since: i64) -> CommandResult<RecoveryReport> {
    Ok(recover_all(state.runtime.engine(), &state.client, since).await?)
}
