//! Load-testing the user's app: Clerk's event mix, signed with the current secret, sent to the
//! app's webhook URL over many connections at once; progress through a channel, a way to stop.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hooklab_core::load::{LoadProgress, LoadReport, LoadRequest, LoadTest, Progress, progress_of};
use tauri::State;
use tauri::ipc::Channel;

use crate::error::{CommandError, CommandResult};
use crate::launch::AppState;

/// How often progress reaches the window.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The running load test's progress, so `stop_load_test` can stop it.
#[derive(Default)]
pub struct RunningLoad(Mutex<Option<Arc<Progress>>>);

/// Runs a load test to the end (or until stopped) and reports it; one at a time.
#[tauri::command(rename_all = "snake_case")]
pub async fn load_test(
    state: State<'_, AppState>,
    running: State<'_, RunningLoad>,
    request: LoadRequest,
    on_progress: Channel<LoadProgress>,
) -> CommandResult<LoadReport> {
    // Registered before anything is awaited, so a Stop pressed while it starts stops it.
    let progress = Arc::new(Progress::default());
    {
        let mut slot = running.0.lock().unwrap_or_else(|e| e.into_inner());
        if slot
            .as_ref()
            .is_some_and(|p| !p.stop.load(Ordering::Relaxed))
        {
            return Err(CommandError::busy("a load test is already running"));
        }
        *slot = Some(Arc::clone(&progress));
    }
    let status = state.runtime.status();
    let test = match LoadTest::prepare(&request, state.runtime.engine(), status.port).await {
        Ok(test) => test,
        Err(e) => {
            progress.stop.store(true, Ordering::Relaxed);
            return Err(e.into());
        }
    };
    let (started, total) = (Instant::now(), request.events as usize);
    let watcher = tokio::spawn({
        let progress = Arc::clone(&progress);
        async move {
            loop {
                tokio::time::sleep(PROGRESS_EVERY).await;
                let _ = on_progress.send(progress_of(&progress, total, started));
            }
        }
    });
    let report = test.run(&progress).await;
    watcher.abort();
    progress.stop.store(true, Ordering::Relaxed);
    report.map_err(CommandError::internal)
}

/// Stops the running load test: requests in flight finish, no more are sent.
#[tauri::command]
pub fn stop_load_test(running: State<'_, RunningLoad>) {
    if let Some(progress) = running.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        progress.stop.store(true, Ordering::Relaxed);
    }
}
