//! The app's log: a file in the OS data dir (`<data dir>/hooklab/logs/hooklab.log`, or
//! `HOOKLAB_LOG_DIR`), so failures that reach no window (a writer that died, a settings file
//! that could not be applied) leave a trace. `HOOKLAB_LOG` sets the level (default `info`).

use std::fs::OpenOptions;
use std::path::PathBuf;

/// Where the log file goes.
pub fn log_dir() -> PathBuf {
    std::env::var_os("HOOKLAB_LOG_DIR").map_or_else(
        || {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("hooklab")
                .join("logs")
        },
        PathBuf::from,
    )
}

/// Installs the file logger; on failure logs go to stderr. Returns the file's path.
pub fn init() -> Option<PathBuf> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOOKLAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let dir = log_dir();
    let path = dir.join("hooklab.log");
    let file = std::fs::create_dir_all(&dir)
        .and_then(|()| OpenOptions::new().create(true).append(true).open(&path));
    match file {
        Ok(file) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::sync::Mutex::new(file))
                .with_ansi(false)
                .try_init();
            Some(path)
        }
        Err(e) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
            tracing::warn!(error = %e, dir = %dir.display(), "cannot write the log file; logging to stderr");
            None
        }
    }
}
