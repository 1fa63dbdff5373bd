//! Failures that no single request reports (a writer that died, a checkpointer that cannot run,
//! a failed rollback): raised through a sink its owner gives, so they reach the log and the bus
//! and the UI can show a banner instead of failing silently.

use std::sync::Arc;

use serde::Serialize;

/// One failure worth a banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Alarm {
    /// A stable code the UI branches on (`writer_stopped`, `checkpointer_failed`, …).
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// What the user can do about it.
    pub hint: String,
    /// Unix ms.
    pub at: i64,
}

impl Alarm {
    /// An alarm raised now.
    pub fn new(code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            hint: hint.into(),
            at: crate::capture::now_ms(),
        }
    }
}

/// Where alarms go: the engine logs them and publishes them on its bus.
pub type AlarmSink = Arc<dyn Fn(Alarm) + Send + Sync>;
