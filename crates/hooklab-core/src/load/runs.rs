//! The one load test a process runs at a time (the app's), stoppable from another call: its
//! progress is registered before anything is awaited, so a Stop pressed while it starts stops it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{LoadProgress, LoadReport, LoadRequest, LoadTest, Progress, progress_of};
use crate::engine::Engine;
use crate::error_body::Coded;
use crate::settings::FieldError;

/// Why a load test did not run (or ended without a report).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A value the user typed (the URL, the counts), with its field.
    #[error(transparent)]
    Refused(#[from] FieldError),
    /// Another load test is running.
    #[error("a load test is already running")]
    Busy,
    /// The run itself failed (a task panicked).
    #[error("the load test failed: {0}")]
    Failed(String),
}

impl Coded for LoadError {
    fn code(&self) -> &'static str {
        match self {
            Self::Refused(e) => e.code,
            Self::Busy => "busy",
            Self::Failed(_) => "load_failed",
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            Self::Refused(e) => Some(e.hint.clone()),
            Self::Busy => Some("Wait for it to finish, or stop it.".to_owned()),
            Self::Failed(_) => None,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Refused(e) => Some(e.field),
            _ => None,
        }
    }
}

/// The running load test, if any.
#[derive(Debug, Default)]
pub struct Runs(Mutex<Option<Arc<Progress>>>);

impl Runs {
    /// Checks `request` and runs it against the user's app (never `own_port`), signed with
    /// `engine`'s secret, calling `on_progress` every `every` until it ends.
    pub async fn run(
        &self,
        request: &LoadRequest,
        engine: &Engine,
        own_port: u16,
        every: Duration,
        on_progress: impl Fn(LoadProgress) + Send + 'static,
    ) -> Result<LoadReport, LoadError> {
        let progress = self.begin()?;
        let test = match LoadTest::prepare(request, engine, own_port).await {
            Ok(test) => test,
            Err(e) => {
                progress.request_stop();
                return Err(e.into());
            }
        };
        let (started, total) = (Instant::now(), request.events as usize);
        let watcher = tokio::spawn({
            let progress = Arc::clone(&progress);
            async move {
                loop {
                    tokio::time::sleep(every).await;
                    on_progress(progress_of(&progress, total, started));
                }
            }
        });
        let report = test.run(&progress).await;
        watcher.abort();
        progress.request_stop();
        report.map_err(LoadError::Failed)
    }

    /// Stops the running load test, if one runs.
    pub fn stop(&self) {
        if let Some(progress) = self.slot().as_ref() {
            progress.request_stop();
        }
    }

    /// Registers a new run, unless one is running.
    fn begin(&self) -> Result<Arc<Progress>, LoadError> {
        let mut slot = self.slot();
        if slot.as_ref().is_some_and(|p| !p.stopped()) {
            return Err(LoadError::Busy);
        }
        let progress = Arc::new(Progress::default());
        *slot = Some(Arc::clone(&progress));
        Ok(progress)
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Progress>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
