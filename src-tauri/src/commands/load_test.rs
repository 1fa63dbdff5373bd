//! Load-testing the user's app: Clerk's event mix, signed with the current secret, sent to the
//! app's webhook URL over many connections at once; progress through a channel, a way to stop.

use std::time::Duration;

use hooklab_core::load::{LoadProgress, LoadReport, LoadRequest, Runs};
use tauri::State;
use tauri::ipc::Channel;

use crate::error::CommandResult;
use crate::launch::AppState;

/// How often progress reaches the window.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Runs a load test to the end (or until stopped) and reports it; one at a time.
#[tauri::command(rename_all = "snake_case")]
pub async fn load_test(
    state: State<'_, AppState>,
    runs: State<'_, Runs>,
    request: LoadRequest,
    on_progress: Channel<LoadProgress>,
) -> CommandResult<LoadReport> {
    let (engine, port) = (state.runtime.engine(), state.runtime.status().port);
    let report = runs.run(&request, engine, port, PROGRESS_EVERY, move |p| {
        let _ = on_progress.send(p);
    });
    Ok(report.await?)
}

/// Stops the running load test: no more requests are sent, those in flight are abandoned.
#[tauri::command]
pub fn stop_load_test(runs: State<'_, Runs>) {
    runs.stop();
}
