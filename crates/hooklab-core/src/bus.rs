//! The engine's typed announcements; the engine never knows who listens (desktop shell, CLI,
//! forwarder, tests).

use serde::Serialize;
use tokio::sync::broadcast;

use crate::alarm::Alarm;
use crate::store::{EventSummary, Forward};
use crate::tunnel::TunnelState;

/// How many announcements a slow listener may fall behind before it skips ahead.
const CAPACITY: usize = 4096;

/// One announcement.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BusEvent {
    /// A request was captured, judged and committed.
    Captured(EventSummary),
    /// A stored event changed (a redelivery bumped its delivery count).
    OutcomeUpdated(EventSummary),
    /// A synced user row changed.
    UserChanged {
        /// The user.
        user_id: String,
    },
    /// The tunnel changed state (`{"kind":"tunnel","state":"online","url":…}`).
    Tunnel(TunnelState),
    /// Something failed that no request reports by itself (the UI shows a banner).
    Alarm(Alarm),
    /// An event was forwarded to the user's app, and this is how the app answered.
    Forwarded(Forward),
    /// The settings changed and were applied (or could not be: see the runtime's status).
    SettingsApplied,
}

/// Creates the bus.
pub fn channel() -> broadcast::Sender<BusEvent> {
    broadcast::channel(CAPACITY).0
}
