//! Following the change feed: batches of "what changed since N", woken by the bus when this
//! process writes and by a short poll for writes from other processes (a `hooklab send` into
//! the app's database, a second `hooklab serve`), never more than a few batches a second.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::bus::BusEvent;
use crate::engine::Engine;
use crate::store::{ChangeBatch, MAX_CHANGES_PER_BATCH, Store, StoreError};

/// The shortest time between two batches: a burst of thousands of webhooks becomes a few
/// batches a second, never one message per webhook.
pub const MIN_BATCH_GAP: Duration = Duration::from_millis(200);
/// The gap after a busy batch (more than [`BUSY_BATCH`] events): under a flood, each batch
/// costs the webview one long frame (measured ~50 ms for 100 new rows without a GPU), so fewer,
/// larger batches keep scrolling smooth; nobody reads rows arriving hundreds a second anyway.
pub const BUSY_BATCH_GAP: Duration = Duration::from_millis(500);
/// Events in a batch above which the next one waits [`BUSY_BATCH_GAP`].
pub const BUSY_BATCH: usize = 50;
/// How often the database is checked for writes from other processes.
pub const POLL: Duration = Duration::from_millis(250);

/// A viewer's position in the change feed.
#[derive(Debug)]
pub struct ChangeFeed {
    store: Store,
    bus: broadcast::Receiver<BusEvent>,
    cursor: i64,
    last: Option<Instant>,
    gap: Duration,
}

impl ChangeFeed {
    /// Follows `engine`'s database from after `since` (0: from the oldest kept change; use
    /// `Store::latest_change` to start from now).
    pub fn new(engine: &Engine, since: i64) -> Self {
        Self {
            store: engine.store().clone(),
            bus: engine.subscribe(),
            cursor: since,
            last: None,
            gap: MIN_BATCH_GAP,
        }
    }

    /// The last change number delivered.
    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// Waits until something changed after the cursor and returns it all (up to
    /// [`MAX_CHANGES_PER_BATCH`] rows; `more` says whether to ask again at once).
    pub async fn next(&mut self) -> Result<ChangeBatch, StoreError> {
        loop {
            if let Some(last) = self.last {
                tokio::time::sleep_until(last + self.gap).await;
            }
            let batch = self
                .store
                .changes_since(self.cursor, MAX_CHANGES_PER_BATCH)
                .await?;
            if batch.upto > self.cursor || batch.reset {
                self.cursor = batch.upto;
                self.last = Some(Instant::now());
                self.gap = if batch.events.len() > BUSY_BATCH {
                    BUSY_BATCH_GAP
                } else {
                    MIN_BATCH_GAP
                };
                return Ok(batch);
            }
            tokio::select! {
                received = self.bus.recv() => {
                    if matches!(received, Err(RecvError::Closed)) {
                        tokio::time::sleep(POLL).await;
                    }
                }
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}
